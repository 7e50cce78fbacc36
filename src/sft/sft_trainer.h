// Supervised fine-tuning (DeepSeek-R1 §2.3: the cold start, SFT on
// rejection-sampled data, distillation into small models): next-token loss on
// assistant/completion tokens only, length-bucketed batches, AdamW with warmup
// and cosine decay, gradient accumulation by token budget, clipping. The run
// directory matches r1 train's: config.toml (resolved), metrics.jsonl,
// checkpoints/step-N in HF layout with trainer_state.json + optimizer.pt;
// resuming gives the same result as an uninterrupted run.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "sft/sft_config.h"

namespace r1 {

struct SftOptions {
  bool resume = false;
  bool quiet = false;  // no progress output (tests)
  // Stops after this many steps of this process (simulates an interruption).
  int64_t stop_after = 0;
};

// Runs (or resumes) training; returns every step's metrics line.
std::vector<nlohmann::json> train_sft(SftConfig& config, const SftOptions& options);

}  // namespace r1
