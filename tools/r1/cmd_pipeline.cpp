// r1 pipeline: the R1 recipe (cold start, RL, rejection sampling, SFT, RL,
// eval; or distillation) as ordered stages in one TOML file, resumable.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "pipeline/pipeline.h"
#include "util/error.h"

namespace r1 {

int cmd_pipeline(const Args& args) {
  ArgParser p("r1 pipeline PIPELINE.toml [--set STAGE.key=value ...] [--restart STAGE]",
              "Run ordered stages (kind = sft | train | sample | eval), each configured by a\n"
              "file or an inline table plus \"key=value\" overrides; \"@name\" is an earlier\n"
              "stage's output (final model dir, samples.jsonl, eval dir) or an [inputs] path.\n"
              "Stage NAME writes to DIR/NAME; a completed stage (DIR/NAME/stage.json) is\n"
              "skipped on a re-run, an interrupted one resumes. Every stage's config is checked\n"
              "before the first one runs.");
  p.allow_positional("PIPELINE.toml", "the pipeline file");
  p.add_repeated(
      "--set", "KEY=VALUE",
      "STAGE.key=value (e.g. rl.train.max_steps=5), inputs.NAME=path or pipeline.dir=DIR "
      "(repeatable)");
  p.add("--restart", "STAGE", "rerun this stage and every later one from scratch");
  p.add_switch("--check", "check the file and every stage's config, run nothing");
  p.add_switch("--quiet", "no per-step progress from the stages");
  if (!p.parse(args)) return 0;
  if (p.positional().size() != 1) fail("r1 pipeline: give exactly one PIPELINE.toml");
  Pipeline pipeline = load_pipeline(p.positional()[0], p.all("--set"));
  if (p.on("--check")) {
    for (const auto& s : pipeline.stages)
      std::cout << s.name << " (" << s.kind << ") -> " << pipeline.dir << "/" << s.name << "\n";
    std::cout << "ok: " << pipeline.stages.size() << " stages\n";
    return 0;
  }
  PipelineOptions options;
  options.quiet = p.on("--quiet");
  if (p.given("--restart")) options.restart = p.str("--restart");
  auto report = run_pipeline(pipeline, options);
  for (const auto& r : report)
    std::cout << r["name"].get<std::string>() << " (" << r["kind"].get<std::string>()
              << "): " << r["status"].get<std::string>() << " -> " << r["output"].get<std::string>()
              << "\n";
  return 0;
}

}  // namespace r1
