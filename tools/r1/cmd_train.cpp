// r1 train: GRPO (R1-Zero / reasoning RL) from one TOML file.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "dist/process_group.h"
#include "rl/trainer.h"
#include "util/error.h"

namespace r1 {

int cmd_train(const Args& args) {
  ArgParser p("r1 train RUN.toml [--set key=value ...] [--resume]",
              "GRPO training. The run directory (train.output_dir) gets config.toml (resolved),\n"
              "metrics.jsonl, samples.jsonl and checkpoints/step-N/ in Hugging Face layout.\n"
              "Ctrl-C saves a checkpoint and exits; --resume continues from the latest one.");
  p.allow_positional("RUN.toml", "the run configuration");
  p.add_repeated("--set", "KEY=VALUE",
                 "override a config field, e.g. --set rl.beta=0.001 (repeatable)");
  p.add_switch("--resume", "continue from the latest checkpoint in the run directory");
  p.add_switch("--print-config",
               "print the resolved configuration (every key, its value and doc) as TOML and "
               "exit; without RUN.toml, the defaults");
  if (!p.parse(args)) return 0;
  const bool defaults = p.positional().empty() && p.on("--print-config");
  if (p.positional().size() != 1 && !defaults) fail("r1 train: give exactly one RUN.toml");
  TrainConfig config = defaults ? parse_train_config("", "defaults", p.all("--set"))
                                : load_train_config(p.positional()[0], p.all("--set"));
  if (p.on("--print-config")) {
    std::cout << dump_train_config(config);
    return 0;
  }
  TrainOptions options;
  options.resume = p.on("--resume");
  train_grpo(config, options);
  if (dist::world().rank() == 0) std::cerr << "run directory: " << config.output_dir << "\n";
  return 0;
}

}  // namespace r1
