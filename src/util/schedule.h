// Learning-rate schedules shared by the GRPO and SFT trainers: linear warmup,
// then constant, cosine or linear decay to a fraction of the peak (R1 cold
// start: cosine 5e-5 -> 5e-6, i.e. min_lr_ratio 0.1).
#pragma once

#include <cstdint>
#include <string>

namespace r1 {

struct LrSchedule {
  double lr = 1e-6;                   // peak
  std::string schedule = "constant";  // constant | cosine | linear (after warmup)
  int64_t warmup_steps = 0;           // optimizer updates of linear warmup
  double min_lr_ratio = 0.0;          // cosine/linear end at lr * this
};

// The lr of optimizer update `update` (0-based) out of `total_updates`.
double learning_rate(const LrSchedule& s, int64_t update, int64_t total_updates);

// Errors name `key` (e.g. "optim.schedule") when the schedule is unknown.
void validate_schedule(const LrSchedule& s, const std::string& key);

}  // namespace r1
