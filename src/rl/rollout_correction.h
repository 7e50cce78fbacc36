// The rollout engine and the trainer compute the same policy's log-probs by different
// routes (KV-cache decode vs a teacher-forced forward, fused kernels, precision, batch
// shapes), so the tokens were sampled from a distribution mu slightly off the trainer's
// pi_old. This file measures that mismatch and offers truncated / masked importance
// sampling (TIS / MIS) to correct it, configured as TRL's vllm_importance_sampling_*
// and veRL's algorithm.rollout_correction. B = sequences, T = completion tokens (padded).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace r1 {

struct RolloutCorrectionConfig {
  // none | token_truncate | token_mask | sequence_truncate | sequence_mask (TRL's names)
  std::string mode = "none";
  double cap = 3.0;       // C: the largest ratio kept (TRL vllm_importance_sampling_clip_max)
  double min_ratio = 0;   // the smallest ratio kept; 0 = no lower bound (TRL _clip_min = None)
  void validate() const;  // throws Error naming the bad field
  bool enabled() const { return mode != "none"; }
};

struct RolloutCorrectionStats {
  double units = 0;       // active tokens (token_*) or sequences (sequence_*) weighed
  double corrected = 0;   // of which truncated or masked (ratio outside [min_ratio, cap])
  double weight_sum = 0;  // sum of the applied weights over the units
  double ratio_max = 0;   // the largest raw ratio pi_old / mu
};

// The importance weight per token (B, T) or per sequence (B, 1), its variant picked once.
//   token_*     r_t = pi_old(o_t) / mu(o_t)               one ratio per token
//   sequence_*  r   = prod_t pi_old(o_t) / mu(o_t)        one ratio per sequence
//   *_truncate  w = clamp(r, min_ratio, cap)              TIS: bounded weight
//   *_mask      w = r if min_ratio <= r <= cap, else 0    MIS: the unit is dropped
class RolloutCorrection {
 public:
  explicit RolloutCorrection(const RolloutCorrectionConfig& config);
  bool enabled() const { return config_.enabled(); }
  const RolloutCorrectionConfig& config() const { return config_; }
  // The metric for RolloutCorrectionStats::corrected: "truncated_fraction" or "masked_fraction".
  const char* corrected_name() const { return corrected_name_; }

  // old_logprobs: the trainer's log pi_old (B, T); rollout_logprobs: the engine's log mu
  // (B, T); mask (B, T): 1 for tokens that count. Returns the detached weights, 1 at
  // padding; undefined when mode = "none". Adds to `stats` when given.
  at::Tensor operator()(const at::Tensor& old_logprobs, const at::Tensor& rollout_logprobs,
                        const at::Tensor& mask, RolloutCorrectionStats* stats = nullptr) const;

  // log r per unit from the masked token log-ratios d (B, T): d itself, or its row sum.
  using LogRatio = at::Tensor (*)(const at::Tensor& d);
  // The weights from the ratios and the flags of the units outside [min_ratio, cap].
  using Bound = at::Tensor (*)(const RolloutCorrectionConfig&, const at::Tensor& ratio,
                               const at::Tensor& outside);

 private:
  RolloutCorrectionConfig config_;
  LogRatio log_ratio_ = nullptr;
  Bound bound_ = nullptr;
  const char* corrected_name_ = "truncated_fraction";
};

// k3 = e^r - 1 - r per token, r = train - rollout (Schulman, "Approximating KL
// Divergence", 2020): on tokens sampled from the rollout distribution mu its mean is an
// unbiased, non-negative estimate of KL(mu || pi_train). Computed in double (expm1), so a
// mismatch of 1e-7 is not lost to rounding. (B, T) double.
at::Tensor k3_divergence(const at::Tensor& train_logprobs, const at::Tensor& rollout_logprobs);

// The per-step mismatch between the trainer's and the engine's log-probs of the sampled
// tokens, accumulated over micro-batches: mean and max |log pi_train - log mu| and the
// mean k3 over the active completion tokens.
struct LogprobMismatch {
  double tokens = 0, abs_sum = 0, abs_max = 0, k3_sum = 0;
  void add(const at::Tensor& train_logprobs, const at::Tensor& rollout_logprobs,
           const at::Tensor& mask);
  double abs_mean() const { return tokens > 0 ? abs_sum / tokens : 0.0; }
  double k3_mean() const { return tokens > 0 ? k3_sum / tokens : 0.0; }
};

}  // namespace r1
