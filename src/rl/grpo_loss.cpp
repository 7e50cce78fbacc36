// The GRPO policy loss for one micro-batch, and the variants users know by name.
// B = sequences in the micro-batch, T = completion tokens (padded).
//
// DeepSeekMath eq. 3 (Shao et al. 2024), with clip-higher from DAPO:
//
//   rho_{i,t} = pi_theta(o_{i,t} | q, o_{i,<t}) / pi_old(o_{i,t} | q, o_{i,<t})
//   l_{i,t}   = -min(rho * A_i, clip(rho, 1 - epsilon, 1 + epsilon_high) * A_i) + beta * KL_{i,t}
//   KL_{i,t}  = pi_ref / pi_theta - log(pi_ref / pi_theta) - 1     (k3 estimator, >= 0)
//   J         = mean over i of (1 / |o_i|) * sum_t l_{i,t}          ("grpo" aggregation)
//
// Variants (semantics of TRL's GRPOTrainer._compute_loss unless said otherwise):
// - loss_type picks the per-token objective and how l_{i,t} is averaged:
//     grpo    - as above: each sequence's token mean, then the mean over sequences. Long
//               completions get less weight per token.
//     bnpo    - sum over all active tokens / active tokens (every token weighs the same);
//               the count is num_items_in_batch when the caller gives one, so micro-batches
//               of one batch share a normaliser.
//     dr_grpo - sum over all active tokens / (B * max_completion_length): a constant, so no
//               length bias at all (Dr. GRPO, Liu et al. 2025; pair it with scale_rewards =
//               "none").
//     dapo    - sum / active tokens of the whole generation batch (num_items_in_batch);
//               this micro-batch's count if not given (DAPO, Yu et al. 2025).
//     cispo   - CISPO (MiniMax-M1, arXiv 2506.13585 §3.1): clip the importance weight, not
//               the update, and keep every token's gradient:
//                 l_{i,t} = -sg(min(rho, epsilon_high)) * A_i * log pi_theta(o_{i,t})
//               sg = stop-gradient, so d l / d log pi = -min(rho, eps_high) A_i even where rho
//               is capped (PPO's clip zeroes those tokens). As TRL, epsilon_high is the cap
//               on rho itself (ScaleRL's epsilon_max; 5.0 recommended) and there is no lower
//               bound. Averaged as dapo.
//     sapo    - SAPO (Gao et al. 2025, arXiv 2511.20347, eq. 5): a smooth gate instead of
//               the hard clip,
//                 l_{i,t} = -(4 / tau) * sigmoid(tau * (rho - 1)) * A_i,
//               tau = sapo_temperature_pos if A_i > 0 else sapo_temperature_neg. Its
//               gradient -4 sigma (1 - sigma) rho A_i is -A_i at rho = 1 and fades smoothly
//               off-policy. Averaged as grpo.
// - epsilon_high > epsilon: DAPO clip-higher, the upper bound is looser than the lower.
// - delta > 0: two-sided clipping (INTELLECT-2, arXiv 2505.07291 §3.2): the unclipped term
//   uses min(rho, delta), so a negative advantage's loss stays bounded when rho runs far
//   above 1 + epsilon_high (PPO's min keeps the unclipped -rho A there).
// - clip_ratio_c > 0: dual-clip PPO (Ye et al. 2020, arXiv 1912.09729 eq. 6; veRL's
//   clip_ratio_c): for A < 0 the loss is min(l, -clip_ratio_c * A). Same bound as delta for
//   negative advantages when delta = clip_ratio_c > 1 + epsilon_high; veRL's form.
// - importance_sampling_level = "sequence" (GSPO): log rho is the masked mean of the token
//   log-ratios of the sequence, one ratio per sequence applied to all its tokens.
// - beta = 0: no KL term and no reference log-probs needed (TRL default).
// - top_entropy_quantile = rho < 1 ("Beyond the 80/20 Rule", Wang et al. 2025, arXiv
//   2506.01939): the policy term (not the KL) only on the active tokens whose entropy is at
//   or above the (1 - rho) quantile of this micro-batch's active tokens (TRL's quantile is
//   over its micro-batch too, gathered across processes).
// - entropy_coef: J -= entropy_coef * H, H = the mean entropy of the trained tokens (those
//   the entropy mask keeps) of the micro-batch, whatever the loss type (TRL 1.16), weighted
//   by the micro-batch's share of the sequences.
// - rollout_weights (rl/rollout_correction.h): the rollout / trainer mismatch correction
//   (TRL's vllm_importance_sampling_correction) multiplies the policy term, after the
//   entropy mask and before the KL term is added, as TRL does.
//
// Where this departs from a literal transcription: padded tokens (mask = 0) are replaced
// by 0 log-ratio (and 0 log-prob for cispo) before use, so garbage at padding (even inf)
// cannot reach the loss or its gradient. grpo/sapo/dr_grpo weigh a micro-batch by its
// share of the mini-batch's sequences (num_sequences_in_batch) where TRL divides by the
// number of accumulation steps (the same for equal micro-batches). An epsilon_high < 1 for
// cispo, or delta / clip_ratio_c at or below 1, would hold even an on-policy ratio and is an
// error here (TRL accepts it silently).
#include "rl/grpo_loss.h"

#include "util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace r1 {

namespace {

bool is_clipped_type(const std::string& t) {
  return t == "grpo" || t == "bnpo" || t == "dr_grpo" || t == "dapo";
}

double masked_mean(const at::Tensor& x, const at::Tensor& mask) {
  return ((x * mask).sum() / mask.sum().clamp_min(1.0)).item<double>();
}

double fraction(const at::Tensor& flags, const at::Tensor& mask) {
  return masked_mean(flags.expand_as(mask).to(mask.scalar_type()), mask);
}

// PPO's clipped surrogate with its optional extra bounds (delta, clip_ratio_c).
at::Tensor clipped_objective(const GrpoLossConfig& c, const at::Tensor& ratio,
                             const at::Tensor& /*logprobs*/, const at::Tensor& adv,
                             const at::Tensor& mask, GrpoLossStats* stats) {
  const at::Tensor clipped = ratio.clamp(1.0 - c.epsilon, 1.0 + c.epsilon_high);
  const at::Tensor unclipped = c.delta > 0 ? ratio.clamp_max(c.delta) : ratio;
  at::Tensor loss = -at::min(unclipped * adv, clipped * adv);  // (B, T) or (B, 1)
  if (c.clip_ratio_c > 0) loss = at::where(adv < 0, at::min(loss, -c.clip_ratio_c * adv), loss);
  if (stats) {
    at::NoGradGuard no_grad;
    const at::Tensor r = ratio.detach();
    stats->clip_low = fraction((r < 1.0 - c.epsilon).logical_and(adv < 0), mask);
    stats->clip_high = fraction((r > 1.0 + c.epsilon_high).logical_and(adv > 0), mask);
    if (c.clip_ratio_c > 0)
      stats->clip_dual =
          fraction((at::max(r, clipped.detach()) > c.clip_ratio_c).logical_and(adv < 0), mask);
  }
  return loss;
}

at::Tensor cispo_objective(const GrpoLossConfig& c, const at::Tensor& ratio,
                           const at::Tensor& logprobs, const at::Tensor& adv,
                           const at::Tensor& mask, GrpoLossStats* stats) {
  const at::Tensor weight = ratio.clamp_max(c.epsilon_high).detach();
  if (stats) stats->clip_high = fraction((weight < ratio.detach()).logical_and(adv > 0), mask);
  return -weight * adv * logprobs;  // (B, T)
}

at::Tensor sapo_objective(const GrpoLossConfig& c, const at::Tensor& ratio,
                          const at::Tensor& /*logprobs*/, const at::Tensor& adv,
                          const at::Tensor& /*mask*/, GrpoLossStats* /*stats*/) {
  const at::Tensor tau = at::where(adv > 0, at::full({}, c.sapo_temperature_pos, adv.options()),
                                   at::full({}, c.sapo_temperature_neg, adv.options()));
  return -(at::sigmoid(tau * (ratio - 1.0)) * (4.0 / tau)) * adv;
}

double sequences(const GrpoLossInputs& in, const at::Tensor& mask) {
  return in.num_sequences_in_batch > 0 ? in.num_sequences_in_batch
                                       : static_cast<double>(mask.size(0));
}

at::Tensor tokens(const GrpoLossInputs& in, const at::Tensor& mask) {
  return in.num_items_in_batch > 0 ? at::full({}, in.num_items_in_batch, mask.options())
                                   : mask.sum().clamp_min(1.0);
}

// grpo, sapo: each sequence's token mean, then the mean over the batch's sequences.
at::Tensor sequence_mean(const GrpoLossConfig&, const at::Tensor& masked, const at::Tensor& mask,
                         const GrpoLossInputs& in) {
  return (masked.sum(-1) / mask.sum(-1).clamp_min(1.0)).sum() / sequences(in, mask);
}

// bnpo, dapo, cispo: the mean over the batch's active tokens.
at::Tensor token_mean(const GrpoLossConfig&, const at::Tensor& masked, const at::Tensor& mask,
                      const GrpoLossInputs& in) {
  return masked.sum() / tokens(in, mask);
}

// dr_grpo: sum over tokens / (sequences * max_completion_length).
at::Tensor constant_mean(const GrpoLossConfig& c, const at::Tensor& masked, const at::Tensor& mask,
                         const GrpoLossInputs& in) {
  return masked.sum() / (sequences(in, mask) * static_cast<double>(c.max_completion_length));
}

// The entropy bonus's H: this micro-batch's mean over the trained tokens, weighted by its
// share of the mini-batch's sequences (TRL 1.16: / accumulation steps, for every loss type).
at::Tensor entropy_mean(const at::Tensor& kept_entropy, const at::Tensor& kept,
                        const at::Tensor& mask, const GrpoLossInputs& in) {
  return kept_entropy.sum() / kept.sum().clamp_min(1.0) *
         (static_cast<double>(mask.size(0)) / sequences(in, mask));
}

}  // namespace

void GrpoLossConfig::validate() const {
  if (!is_clipped_type(loss_type) && loss_type != "cispo" && loss_type != "sapo")
    fail("rl.loss_type: unknown '", loss_type, "' (grpo, bnpo, dr_grpo, dapo, cispo, sapo)");
  if (importance_sampling_level != "token" && importance_sampling_level != "sequence")
    fail("rl.importance_sampling_level: unknown '", importance_sampling_level,
         "' (token, sequence)");
  if (!(epsilon >= 0 && std::isfinite(epsilon))) fail("rl.epsilon: must be >= 0, got ", epsilon);
  if (!(epsilon_high >= 0)) fail("rl.epsilon_high: must be >= 0, got ", epsilon_high);
  if (loss_type == "cispo" && !(epsilon_high >= 1))
    fail(
        "rl.epsilon_high: with loss_type = \"cispo\" it caps the ratio itself (TRL; ScaleRL's "
        "epsilon_max, 5.0 recommended), so ",
        epsilon_high, " < 1 would shrink every token");
  if (!(delta == 0 || delta > 1))
    fail("rl.delta: must be 0 (off) or > 1 (an upper bound on the ratio), got ", delta);
  if (!(clip_ratio_c == 0 || clip_ratio_c > 1))
    fail("rl.clip_ratio_c: must be 0 (off) or > 1 (dual-clip bound), got ", clip_ratio_c);
  if (!is_clipped_type(loss_type) && (delta != 0 || clip_ratio_c != 0))
    fail("rl.", delta != 0 ? "delta" : "clip_ratio_c", ": bounds the clipped objective of ",
         "grpo, bnpo, dr_grpo and dapo, not loss_type = \"", loss_type, "\"");
  if (!(sapo_temperature_pos > 0))
    fail("rl.sapo_temperature_pos: must be > 0, got ", sapo_temperature_pos);
  if (!(sapo_temperature_neg > 0))
    fail("rl.sapo_temperature_neg: must be > 0, got ", sapo_temperature_neg);
  if (!(beta >= 0 && std::isfinite(beta))) fail("rl.beta: must be finite and >= 0, got ", beta);
  if (max_completion_length <= 0)
    fail("max_completion_length (rollout.max_new_tokens): must be > 0, got ",
         max_completion_length);
  if (!std::isfinite(entropy_coef)) fail("rl.entropy_coef: must be finite, got ", entropy_coef);
  if (!(top_entropy_quantile >= 0 && top_entropy_quantile <= 1))
    fail("rl.top_entropy_quantile: must be in [0, 1], got ", top_entropy_quantile);
}

at::Tensor high_entropy_mask(const at::Tensor& entropy, const at::Tensor& mask, double rho) {
  at::NoGradGuard no_grad;
  const at::Tensor active = mask.to(at::kBool);
  const at::Tensor values = entropy.detach().masked_select(active);
  if (values.numel() == 0) return at::zeros_like(active);
  const at::Tensor threshold = at::quantile(values, 1.0 - rho);
  return (entropy.detach() >= threshold).logical_and(active);
}

GrpoLoss::GrpoLoss(const GrpoLossConfig& config) : config_(config) {
  config_.validate();
  const std::string& t = config_.loss_type;
  objective_ = t == "cispo" ? cispo_objective : t == "sapo" ? sapo_objective : clipped_objective;
  aggregate_ = t == "grpo" || t == "sapo" ? sequence_mean
               : t == "dr_grpo"           ? constant_mean
                                          : token_mean;
}

at::Tensor GrpoLoss::operator()(const GrpoLossInputs& in, GrpoLossStats* stats) const {
  const GrpoLossConfig& c = config_;
  if (c.beta > 0 && !in.ref_logprobs.defined())
    fail("rl.beta: ", c.beta, " > 0 needs reference log-probs, none were given");
  if (c.needs_entropy() && !in.entropy.defined())
    fail("rl.entropy_coef / rl.top_entropy_quantile need the policy's entropies, none were given");
  const at::Tensor active = in.mask.to(at::kBool);                // (B, T)
  const at::Tensor mask = in.mask.to(in.logprobs.scalar_type());  // (B, T)
  const at::Tensor zero = at::zeros({}, in.logprobs.options());
  at::Tensor adv = in.advantages.to(in.logprobs.scalar_type());
  if (adv.dim() == 1) adv = adv.reshape({-1, 1});  // (B, 1) or (B, T)

  const at::Tensor logprobs = at::where(active, in.logprobs, zero);               // (B, T)
  at::Tensor log_ratio = at::where(active, in.logprobs - in.old_logprobs, zero);  // (B, T)
  if (c.importance_sampling_level == "sequence")
    log_ratio = log_ratio.sum(-1, /*keepdim=*/true) /
                mask.sum(-1, /*keepdim=*/true).clamp_min(1.0);  // (B, 1)
  const at::Tensor ratio = log_ratio.exp();
  at::Tensor loss = objective_(c, ratio, logprobs, adv, mask, stats);  // (B, T) or (B, 1)

  at::Tensor kept = mask;  // (B, T) the tokens the policy term trains on
  if (c.top_entropy_quantile < 1.0) {
    kept = high_entropy_mask(in.entropy, mask, c.top_entropy_quantile).to(mask.scalar_type());
    loss = loss * kept;
  }
  if (in.rollout_weights.defined()) loss = loss * in.rollout_weights.to(loss.scalar_type());

  at::Tensor kl;
  if (c.beta > 0) {
    const at::Tensor d = at::where(active, in.ref_logprobs - in.logprobs, zero);  // (B, T)
    kl = d.exp() - d - 1.0;
    loss = loss + c.beta * kl;
  }

  at::Tensor total = aggregate_(c, loss * mask, mask, in);
  if (c.entropy_coef != 0) {
    const at::Tensor h = at::where(active, in.entropy.to(mask.scalar_type()), zero);
    total = total - c.entropy_coef * entropy_mean(h * kept, kept, mask, in);
  }

  if (stats) {
    at::NoGradGuard no_grad;
    stats->kl = kl.defined() ? masked_mean(kl.detach(), mask) : 0.0;
    stats->ratio_mean = masked_mean(ratio.detach().expand_as(mask), mask);
    stats->entropy_kept = masked_mean(kept, mask);
  }
  return total;
}

at::Tensor grpo_loss(const GrpoLossConfig& config, const GrpoLossInputs& in, GrpoLossStats* stats) {
  return GrpoLoss(config)(in, stats);
}

}  // namespace r1
