// Advantage estimators on outcome rewards, by veRL's names (algorithm.adv_estimator):
// grpo (DeepSeekMath §4.1.2), rloo, reinforce_plus_plus, reinforce_plus_plus_baseline,
// remax. Each is one small function; advantage_estimator() picks it once.
// N = completions (groups of G in a row), T = completion tokens (padded).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
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

// RLOO (Ahmadian et al. 2024): r_i minus the mean of the other G - 1 rewards of its group.
// A single sample has no other: its baseline is 0 (as veRL). (N) -> (N)
at::Tensor rloo_advantages(const at::Tensor& rewards, int64_t group_size);

// REINFORCE++-baseline (Hu et al. 2025): r_i minus its group's mean (0 for a single
// sample), then whitened over all active tokens of the batch. mask (N, T). (N) -> (N)
at::Tensor reinforce_pp_baseline_advantages(const at::Tensor& rewards, int64_t group_size,
                                            const at::Tensor& mask);

// REINFORCE++ (Hu et al. 2025): per-token returns-to-go (gamma = 1) of the outcome
// reward at the last token plus the per-token rewards (the KL penalty; undefined =
// none), whitened over all active tokens of the batch. (N), (N, T) -> (N, T)
at::Tensor reinforce_pp_advantages(const at::Tensor& rewards, const at::Tensor& mask,
                                   const at::Tensor& token_rewards);

// ReMax (Li et al. 2024): per-token returns-to-go minus the reward of a greedy completion
// of the same question. baselines: (N), one per completion. -> (N, T)
at::Tensor remax_advantages(const at::Tensor& rewards, const at::Tensor& baselines,
                            const at::Tensor& mask, const at::Tensor& token_rewards);

// What the estimators are given; each uses what it needs.
struct AdvantageInputs {
  at::Tensor rewards;        // (N) outcome reward of each completion
  int64_t group_size = 1;    // G
  at::Tensor mask;           // (N, T) completion tokens that count in the loss
  at::Tensor token_rewards;  // (N, T) per-token reward (KL in the reward); undefined = none
  at::Tensor baselines;      // (N) remax: the greedy completion's reward
};

// (N) one advantage per completion, or (N, T) one per token.
using AdvantageFn = std::function<at::Tensor(const AdvantageInputs&)>;

// The estimator by name (grpo scales as scale_rewards says); Error for an unknown name.
AdvantageFn advantage_estimator(const std::string& name, const std::string& scale_rewards);

}  // namespace r1
