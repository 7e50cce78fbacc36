// Group-relative advantages (DeepSeekMath §4.1.2, outcome supervision): every
// token of completion i gets A_i = (r_i - mean(group)) / (std(group) + eps).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace r1 {

struct AdvantageStats {
  double zero_std_fraction = 0;  // groups whose rewards are all equal (no signal)
};

// rewards: (N * G) laid out group by group. scale: "group" (divide by the
// group's std), "batch" (by the std over all rewards), "none" (Dr. GRPO).
at::Tensor group_advantages(const at::Tensor& rewards, int64_t group_size, const std::string& scale,
                            AdvantageStats* stats = nullptr);

// Which groups have non-constant rewards (DAPO dynamic sampling keeps these): (N) bool.
at::Tensor groups_with_signal(const at::Tensor& rewards, int64_t group_size);

}  // namespace r1
