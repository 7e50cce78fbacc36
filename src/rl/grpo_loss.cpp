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
// Variants (semantics of TRL's GRPOTrainer._compute_loss):
// - loss_type: only the last line, how l_{i,t} is averaged, changes.
//     grpo    - as above: each sequence's token mean, then the mean over sequences. Long
//               completions get less weight per token.
//     bnpo    - sum over all active tokens / active tokens (every token weighs the same);
//               the count is num_items_in_batch when the caller gives one, so micro-batches
//               of one batch share a normaliser.
//     dr_grpo - sum over all active tokens / (B * max_completion_length): a constant, so no
//               length bias at all (Dr. GRPO; pair it with scale_rewards = "none").
//     dapo    - sum / active tokens of the whole generation batch (num_items_in_batch);
//               this micro-batch's count if not given.
// - epsilon_high > epsilon: DAPO clip-higher, the upper bound is looser than the lower.
// - importance_sampling_level = "sequence" (GSPO): log rho is the masked mean of the token
//   log-ratios of the sequence, one ratio per sequence applied to all its tokens.
// - beta = 0: no KL term and no reference log-probs needed (TRL default).
//
// Where this departs from a literal transcription: padded tokens (mask = 0) are replaced
// by 0 log-ratio before exp, so garbage at padding (even inf) cannot reach the loss or
// its gradient.
#include "rl/grpo_loss.h"

#include "util/error.h"

#include <ATen/ATen.h>

namespace r1 {

void GrpoLossConfig::validate() const {
  if (loss_type != "grpo" && loss_type != "bnpo" && loss_type != "dr_grpo" && loss_type != "dapo")
    fail("rl.loss_type: unknown '", loss_type, "' (grpo, bnpo, dr_grpo, dapo)");
  if (importance_sampling_level != "token" && importance_sampling_level != "sequence")
    fail("rl.importance_sampling_level: unknown '", importance_sampling_level,
         "' (token, sequence)");
  if (!(epsilon >= 0)) fail("rl.epsilon: must be >= 0, got ", epsilon);
  if (!(epsilon_high >= 0)) fail("rl.epsilon_high: must be >= 0, got ", epsilon_high);
  if (!(beta >= 0)) fail("rl.beta: must be >= 0, got ", beta);
  if (max_completion_length <= 0)
    fail("rl.max_completion_length: must be > 0, got ", max_completion_length);
}

namespace {

// sum_t of masked per-token losses, normalised as loss_type says. loss is (B, T) or (B, 1)
// (sequence-level ratio without KL); mask is (B, T) in loss's dtype.
at::Tensor aggregate(const GrpoLossConfig& config, const at::Tensor& loss, const at::Tensor& mask,
                     double num_items_in_batch) {
  const at::Tensor masked = loss * mask;  // (B, T)
  if (config.loss_type == "grpo") return (masked.sum(-1) / mask.sum(-1).clamp_min(1.0)).mean();
  if (config.loss_type == "dr_grpo")
    return masked.sum() / static_cast<double>(mask.size(0) * config.max_completion_length);
  // bnpo and dapo: a token mean, over the whole batch when the caller knows its size.
  if (num_items_in_batch > 0) return masked.sum() / num_items_in_batch;
  return masked.sum() / mask.sum().clamp_min(1.0);
}

double masked_mean(const at::Tensor& x, const at::Tensor& mask) {
  return ((x * mask).sum() / mask.sum().clamp_min(1.0)).item<double>();
}

}  // namespace

at::Tensor grpo_loss(const GrpoLossConfig& config, const GrpoLossInputs& in, GrpoLossStats* stats) {
  config.validate();
  if (config.beta > 0 && !in.ref_logprobs.defined())
    fail("rl.beta: ", config.beta, " > 0 needs reference log-probs, none were given");
  const at::Tensor active = in.mask.to(at::kBool);                // (B, T)
  const at::Tensor mask = in.mask.to(in.logprobs.scalar_type());  // (B, T)
  const at::Tensor zero = at::zeros({}, in.logprobs.options());
  const at::Tensor adv = in.advantages.to(in.logprobs.scalar_type()).reshape({-1, 1});  // (B, 1)

  at::Tensor log_ratio = at::where(active, in.logprobs - in.old_logprobs, zero);  // (B, T)
  if (config.importance_sampling_level == "sequence")
    log_ratio = log_ratio.sum(-1, /*keepdim=*/true) /
                mask.sum(-1, /*keepdim=*/true).clamp_min(1.0);  // (B, 1)
  const at::Tensor ratio = log_ratio.exp();
  const at::Tensor clipped = ratio.clamp(1.0 - config.epsilon, 1.0 + config.epsilon_high);
  at::Tensor loss = -at::min(ratio * adv, clipped * adv);  // (B, T) or (B, 1)

  at::Tensor kl;
  if (config.beta > 0) {
    const at::Tensor delta = at::where(active, in.ref_logprobs - in.logprobs, zero);  // (B, T)
    kl = delta.exp() - delta - 1.0;
    loss = loss + config.beta * kl;
  }

  if (stats) {
    at::NoGradGuard no_grad;
    const at::Tensor r = ratio.detach().expand_as(mask);  // (B, T)
    const at::Tensor low = (r < 1.0 - config.epsilon).logical_and(adv < 0);
    const at::Tensor high = (r > 1.0 + config.epsilon_high).logical_and(adv > 0);
    stats->kl = kl.defined() ? masked_mean(kl.detach(), mask) : 0.0;
    stats->clip_low = masked_mean(low.to(mask.scalar_type()), mask);
    stats->clip_high = masked_mean(high.to(mask.scalar_type()), mask);
    stats->ratio_mean = masked_mean(r, mask);
  }
  return aggregate(config, loss, mask, in.num_items_in_batch);
}

}  // namespace r1
