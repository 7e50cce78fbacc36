// `r1 sample`: rejection sampling (DeepSeek-R1 §2.3.3) and teacher traces for
// distillation (§2.4). For each prompt of a JSONL dataset, sample k
// completions with the rollout engine, score them with the configured
// rewards, keep the verified and readable ones (sample_filter.h) and write
// them as SFT-ready JSONL with provenance.
//
// Output dir: samples.jsonl (what r1 sft reads), prompts.jsonl (one line per
// prompt done: sampled / passed / kept and why samples were rejected),
// summary.json and config.toml. Streaming and resumable: each batch of
// prompts is appended to samples.jsonl, fsynced, then recorded in
// prompts.jsonl; a resumed run skips the prompts recorded there and drops any
// sample line of a prompt that is not (the batch in flight at a crash) and a
// line cut short, so nothing is lost or written twice.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "engine/generator.h"
#include "reward/reward.h"
#include "sample/sample_config.h"

namespace r1 {

// Samples completions for a batch of requests (with Completion::text filled).
using SampleGenerateFn =
    std::function<std::vector<std::vector<Completion>>(const std::vector<GenerateRequest>&)>;

struct SampleOptions {
  bool resume = false;  // continue the run in output.dir (else it must hold none)
  bool quiet = false;   // no progress lines on stderr
  // Rewards built by the caller instead of the registry (tests); same order as
  // config.rewards when empty.
  std::vector<std::pair<RewardSpec, RewardFn>> rewards;
  // Replaces the engine (tests): then no model weights are loaded, only the
  // tokenizer from model.path.
  SampleGenerateFn generate;
  // Stops after this many batches of this process (simulates a crash).
  int64_t stop_after = 0;
};

// Runs (or resumes) the sampling; returns the summary also written to
// OUT/summary.json. Throws Error on bad data or config, or an output dir
// holding another run.
nlohmann::json run_sample(SampleConfig& config, const SampleOptions& options);

}  // namespace r1
