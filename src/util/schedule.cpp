#include "util/schedule.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace r1 {

double learning_rate(const LrSchedule& s, int64_t update, int64_t total_updates) {
  if (s.warmup_steps > 0 && update < s.warmup_steps)
    return s.lr * static_cast<double>(update + 1) / s.warmup_steps;
  if (s.schedule == "constant") return s.lr;
  double span = std::max<int64_t>(1, total_updates - s.warmup_steps);
  double progress = std::min(1.0, (update - s.warmup_steps) / span);
  double shape = s.schedule == "cosine" ? 0.5 * (1 + std::cos(M_PI * progress)) : 1 - progress;
  return s.lr * (s.min_lr_ratio + (1 - s.min_lr_ratio) * shape);
}

void validate_schedule(const LrSchedule& s, const std::string& key) {
  if (s.schedule != "constant" && s.schedule != "cosine" && s.schedule != "linear")
    fail(key, ": unknown '", s.schedule, "' (constant, cosine, linear)");
}

}  // namespace r1
