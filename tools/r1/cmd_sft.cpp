// r1 sft: supervised fine-tuning (cold start, rejection-sampled SFT,
// distillation) from one TOML file.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "dist/process_group.h"
#include "sft/sft_trainer.h"
#include "util/error.h"

namespace r1 {

int cmd_sft(const Args& args) {
  ArgParser p("r1 sft RUN.toml [--set key=value ...] [--resume]",
              "Supervised fine-tuning on JSONL conversations (messages) or prompt/completion\n"
              "pairs; the loss covers assistant/completion tokens only. The run directory\n"
              "(train.output_dir) gets config.toml (resolved), metrics.jsonl and\n"
              "checkpoints/step-N/ in Hugging Face layout. Ctrl-C saves a checkpoint and\n"
              "exits; --resume continues from the latest one.");
  p.allow_positional("RUN.toml", "the run configuration");
  p.add_repeated("--set", "KEY=VALUE",
                 "override a config field, e.g. --set optim.lr=1e-5 (repeatable)");
  p.add_switch("--resume", "continue from the latest checkpoint in the run directory");
  p.add_switch("--print-config",
               "print the resolved configuration (every key, its value and doc) as TOML and "
               "exit; without RUN.toml, the defaults");
  if (!p.parse(args)) return 0;
  const bool defaults = p.positional().empty() && p.on("--print-config");
  if (p.positional().size() != 1 && !defaults) fail("r1 sft: give exactly one RUN.toml");
  SftConfig config = defaults ? parse_sft_config("", "defaults", p.all("--set"))
                              : load_sft_config(p.positional()[0], p.all("--set"));
  if (p.on("--print-config")) {
    std::cout << dump_sft_config(config);
    return 0;
  }
  SftOptions options;
  options.resume = p.on("--resume");
  train_sft(config, options);
  if (dist::world().rank() == 0) std::cerr << "run directory: " << config.output_dir << "\n";
  return 0;
}

}  // namespace r1
