// The GRPO loop (DeepSeekMath §4.1, DeepSeek-R1 §2.2): per step, draw B
// questions, sample G completions each from the live policy, score them with
// rule-based rewards, turn rewards into group-relative advantages, and take
// num_iterations passes of clipped policy-gradient updates, with an optional
// k3 KL penalty to a frozen reference. Writes metrics.jsonl, samples.jsonl and
// HF-layout checkpoints into the run directory; resumes exactly.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "reward/reward.h"
#include "rl/train_config.h"

namespace r1 {

struct Completion;  // engine/generator.h

struct TrainOptions {
  bool resume = false;
  bool quiet = false;  // no progress output (tests)
  // Rewards built by the caller instead of the registry (tests); same order as
  // config.rewards when empty.
  std::vector<std::pair<RewardSpec, RewardFn>> rewards;
  // Stops after this many steps of this process (simulates an interruption).
  int64_t stop_after = 0;
  // Called on each sampled completion before it is scored and trained on (tests: an
  // engine whose log-probs are deliberately off the trainer's).
  std::function<void(Completion&)> on_rollout;
};

// Runs (or resumes) training; returns every step's metrics line.
std::vector<nlohmann::json> train_grpo(TrainConfig& config, const TrainOptions& options);

}  // namespace r1
