// `r1 pipeline`: DeepSeek-R1's multi-stage recipe (docs/design.md §1.4: cold-start
// SFT -> reasoning RL -> rejection sampling -> SFT -> RL; distillation) as one
// TOML file of ordered stages, each one of r1 sft / train / sample / eval run
// in-process. A stage names its config (a file or an inline table) plus
// --set-style overrides, and refers to an earlier stage's output as "@name":
// its final model dir (sft, train), its samples.jsonl (sample) or its output
// dir (eval); "@name" may also be one of [inputs].
//
//   [pipeline]
//   dir = "runs/r1"                      # stage NAME writes to dir/NAME
//   [inputs]
//   base = "runs/r1-inputs/model"
//   [[stage]]
//   name = "cold_start"
//   kind = "sft"
//   config = "examples/sft/cold_start.toml"   # or [stage.config] tables
//   set = ["model.path=@base", "train.epochs=2"]
//
// A stage that completed has dir/NAME/stage.json (written atomically after
// success) holding the hash of its resolved config, which includes the hashes
// of the stages it uses: a re-run skips it when the hash matches, and refuses
// (naming the stage) when the config changed. An interrupted stage resumes
// (sft and train from their last checkpoint, sample and eval from their
// append-only files).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1 {

struct PipelineStage {
  std::string name, kind;              // kind: sft | train | sample | eval
  std::string config_text;             // TOML of the stage's config, references not yet resolved
  std::string config_source;           // where config_text came from, for errors
  std::vector<std::string> overrides;  // "key=value", applied after the config
  std::vector<std::string> uses;       // stage names it refers to
};

struct Pipeline {
  std::string path;                           // the pipeline file
  std::string dir;                            // stage NAME writes to dir/NAME
  std::map<std::string, std::string> inputs;  // "@name" for paths made outside the pipeline
  std::vector<PipelineStage> stages;
};

// Reads and checks a pipeline file. `overrides` are "STAGE.key=value"
// (appended to that stage's overrides), "inputs.NAME=path" or
// "pipeline.dir=path". Every stage's config is parsed and validated here, so
// a typo in the last stage fails before the first one runs. Errors name the
// file and the stage: unknown kind, unknown reference, reference cycle, a
// reference to a later stage, duplicate names.
Pipeline load_pipeline(const std::string& path, const std::vector<std::string>& overrides);

struct PipelineOptions {
  bool quiet = false;   // stages print no progress
  std::string restart;  // rerun this stage and every later one from scratch
};

// Runs the stages in order, skipping completed ones. Returns one entry per
// stage: {name, kind, status: "ran" | "skipped", output}. Throws Error on a
// failed stage (its marker is not written; the next run resumes it).
std::vector<nlohmann::json> run_pipeline(const Pipeline& pipeline, const PipelineOptions& options);

}  // namespace r1
