// Rollout / trainer log-prob mismatch and its importance-sampling correction.
// B = sequences in the micro-batch, T = completion tokens (padded).
//
// The completions of a step are sampled by the engine from mu, its own computation of the
// policy, and trained on with the trainer's pi_old; wherever the two differ the policy
// gradient is off-policy without saying so (Yao et al. 2025, "Your Efficient RL Framework
// Secretly Brings You Off-Policy RL Training": truncated importance sampling, TIS). The
// correction multiplies each token's policy loss by a detached weight,
//
//   l_{i,t} <- w_{i,t} * l_{i,t},    w from r = pi_old / mu   (rl/rollout_correction.h)
//
// so E_mu[w * grad] approximates E_pi_old[grad]: exactly, for sequence_truncate when no
// ratio reaches the cap (r is then the likelihood ratio of the whole completion). The
// token modes use each token's own ratio: biased (the prefix is still mu's) but of far
// lower variance on long completions, where a product of thousands of ratios near 1 can
// still explode or vanish. Truncation bounds the variance at the cost of bias; masking
// (MIS, Liu et al. 2025, "When Speed Kills Stability"; veRL's rejection sampling) drops
// the units whose ratio says the engine sampled something the trainer finds unlikely.
//
// Semantics as TRL's GRPOTrainer (vllm_importance_sampling_mode / _clip_max / _clip_min):
// the sequence ratio is exp of the sum of the masked token log-ratios; *_mask sets w = 0
// outside [min_ratio, cap] and keeps w = r inside; a masked token still counts in the
// loss's normaliser, and the weight applies to the policy term only (not the KL to the
// reference, not the entropy bonus); a NaN log-ratio counts as 0 (no correction).
// tests/rl/test_rollout_correction.cpp checks the weights against TRL 1.16's own code
// (tests/fixtures/rl/trl_tis.json). Departure: padded positions get log-ratio 0 before
// anything is summed or exponentiated, so garbage there (even inf, which TRL's
// multiplication by the mask turns into NaN) cannot reach a weight.
#include "rl/rollout_correction.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace r1 {

namespace {

at::Tensor token_log_ratio(const at::Tensor& d) {
  return d;
}

at::Tensor sequence_log_ratio(const at::Tensor& d) {
  return d.sum(-1, /*keepdim=*/true);
}

// TIS: the ratio clamped into [min_ratio, cap].
at::Tensor truncate(const RolloutCorrectionConfig& c, const at::Tensor& ratio,
                    const at::Tensor& /*outside*/) {
  return ratio.clamp(c.min_ratio, c.cap);
}

// MIS: the ratio where it lies in [min_ratio, cap], else 0.
at::Tensor mask_outside(const RolloutCorrectionConfig&, const at::Tensor& ratio,
                        const at::Tensor& outside) {
  return ratio.masked_fill(outside, 0.0);
}

bool is_token_mode(const std::string& m) {
  return m == "token_truncate" || m == "token_mask";
}
bool is_sequence_mode(const std::string& m) {
  return m == "sequence_truncate" || m == "sequence_mask";
}

}  // namespace

void RolloutCorrectionConfig::validate() const {
  if (mode != "none" && !is_token_mode(mode) && !is_sequence_mode(mode))
    fail("rl.rollout_correction: unknown '", mode,
         "' (none, token_truncate, token_mask, sequence_truncate, sequence_mask)");
  if (!(cap >= 1 && std::isfinite(cap)))
    fail("rl.rollout_correction_cap: must be finite and >= 1 (an on-policy ratio is 1), got ", cap);
  if (!(min_ratio >= 0 && min_ratio <= 1))
    fail("rl.rollout_correction_min: must be in [0, 1] (0 = no lower bound), got ", min_ratio);
}

RolloutCorrection::RolloutCorrection(const RolloutCorrectionConfig& config) : config_(config) {
  config_.validate();
  const std::string& m = config_.mode;
  log_ratio_ = is_sequence_mode(m) ? sequence_log_ratio : token_log_ratio;
  const bool masks = m == "token_mask" || m == "sequence_mask";
  bound_ = masks ? mask_outside : truncate;
  corrected_name_ = masks ? "masked_fraction" : "truncated_fraction";
}

at::Tensor RolloutCorrection::operator()(const at::Tensor& old_logprobs,
                                         const at::Tensor& rollout_logprobs, const at::Tensor& mask,
                                         RolloutCorrectionStats* stats) const {
  if (!enabled()) return {};
  at::NoGradGuard no_grad;
  const at::Tensor active = mask.to(at::kBool);  // (B, T)
  const at::Tensor old = old_logprobs.detach().to(at::kFloat);
  const at::Tensor diff = old - rollout_logprobs.to(at::kFloat);
  // A NaN log-prob (none the engine gives) means no correction, as in TRL.
  const at::Tensor d =
      at::where(active.logical_and(diff.isnan().logical_not()), diff, at::zeros({}, old.options()));
  const at::Tensor log_r = log_ratio_(d);  // (B, T) or (B, 1)
  const at::Tensor ratio = log_r.exp();
  const at::Tensor outside = (ratio > config_.cap).logical_or(ratio < config_.min_ratio);
  at::Tensor w = bound_(config_, ratio, outside);
  // Units: the active tokens, or the sequences with at least one active token.
  const at::Tensor unit = log_r.size(1) == 1 ? active.any(-1, /*keepdim=*/true) : active;
  w = at::where(unit, w, at::ones({}, w.options()));
  if (stats) {
    const at::Tensor units = unit.to(at::kDouble);
    stats->units += units.sum().item<double>();
    stats->corrected += (outside.to(at::kDouble) * units).sum().item<double>();
    stats->weight_sum += (w.to(at::kDouble) * units).sum().item<double>();
    if (unit.any().item<bool>())
      stats->ratio_max = std::max(stats->ratio_max, ratio.masked_select(unit).max().item<double>());
  }
  return w;
}

at::Tensor k3_divergence(const at::Tensor& train_logprobs, const at::Tensor& rollout_logprobs) {
  const at::Tensor r = train_logprobs.detach().to(at::kDouble) - rollout_logprobs.to(at::kDouble);
  return at::expm1(r) - r;
}

void LogprobMismatch::add(const at::Tensor& train_logprobs, const at::Tensor& rollout_logprobs,
                          const at::Tensor& mask) {
  at::NoGradGuard no_grad;
  const at::Tensor active = mask.to(at::kBool);
  if (!active.any().item<bool>()) return;
  const at::Tensor diff =
      (train_logprobs.detach().to(at::kDouble) - rollout_logprobs.to(at::kDouble))
          .masked_select(active);
  tokens += static_cast<double>(diff.numel());
  abs_sum += diff.abs().sum().item<double>();
  abs_max = std::max(abs_max, diff.abs().max().item<double>());
  k3_sum +=
      k3_divergence(train_logprobs, rollout_logprobs).masked_select(active).sum().item<double>();
}

}  // namespace r1
