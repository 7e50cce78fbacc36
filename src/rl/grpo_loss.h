// The GRPO objective and the variants users know from TRL / veRL / DAPO / GSPO /
// MiniMax-M1 (CISPO) / SAPO, with the entropy controls.
// B = sequences in the micro-batch, T = completion tokens (padded).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace r1 {

struct GrpoLossConfig {
  std::string loss_type = "grpo";  // grpo | bnpo | dr_grpo | dapo | cispo | sapo
  double epsilon = 0.2;            // lower clip: ratio >= 1 - epsilon
  // Upper clip: ratio <= 1 + epsilon_high (DAPO clip-higher). For cispo it is the cap on
  // the ratio itself, as in TRL (ScaleRL's epsilon_max; TRL recommends 5.0).
  double epsilon_high = 0.2;
  double delta = 0;                    // two-sided clipping (INTELLECT-2): ratio <= delta in the
                                       // unclipped term too; 0 = off (TRL's None)
  double clip_ratio_c = 0;             // dual-clip PPO: a negative advantage's loss is at most
                                       // -clip_ratio_c * A; 0 = off (veRL's default is 3.0)
  double sapo_temperature_pos = 1.0;   // SAPO gate temperature, A > 0 (TRL default)
  double sapo_temperature_neg = 1.05;  // and A <= 0
  double beta = 0.0;                   // k3 KL weight; 0 = no reference model
  std::string importance_sampling_level = "token";  // token | sequence (GSPO)
  int64_t max_completion_length = 256;              // dr_grpo's constant normaliser: the trainer
                                                    // sets it to rollout.max_new_tokens
  double entropy_coef = 0;            // entropy bonus: loss -= coef * mean token entropy
  double top_entropy_quantile = 1.0;  // policy loss only on the top rho of tokens by entropy
  void validate() const;              // throws Error naming the bad field
  bool needs_entropy() const { return entropy_coef != 0 || top_entropy_quantile < 1.0; }
};

struct GrpoLossInputs {
  at::Tensor logprobs;      // (B, T) log pi_theta, with autograd
  at::Tensor old_logprobs;  // (B, T) log pi_old (detached)
  at::Tensor ref_logprobs;  // (B, T) log pi_ref (detached); undefined when beta = 0
  at::Tensor advantages;    // (B) one value per sequence, or (B, T) one per token
  at::Tensor entropy;       // (B, T) policy entropy per position (with autograd for a
                            // bonus); needed only when config.needs_entropy()
  at::Tensor mask;          // (B, T) 1 for completion tokens that count
  // (B, T) or (B, 1) detached importance weights on the policy term for the rollout /
  // trainer mismatch (rl/rollout_correction.h); undefined = 1.
  at::Tensor rollout_weights;
  // Normaliser for bnpo/dapo/cispo when the batch is split into micro-batches: the
  // active tokens of the whole (mini/generation) batch; <= 0 = this micro-batch's.
  double num_items_in_batch = 0;
  // Sequences of the whole mini-batch, for the per-sequence means of grpo/sapo/dr_grpo
  // (a micro-batch of B sequences then weighs B / num_sequences); <= 0 = B.
  double num_sequences_in_batch = 0;
};

struct GrpoLossStats {
  double kl = 0;         // mean k3 KL over active tokens (0 if beta = 0)
  double clip_low = 0;   // fraction of active tokens clipped at 1 - epsilon (A < 0)
  double clip_high = 0;  // fraction clipped at 1 + epsilon_high (A > 0); cispo: capped
  double clip_dual = 0;  // fraction held at clip_ratio_c (A < 0, dual-clip)
  double ratio_mean = 0;
  double entropy_kept = 1;  // fraction of active tokens kept by top_entropy_quantile
};

// The loss with its variant picked once from the config (validated here).
class GrpoLoss {
 public:
  explicit GrpoLoss(const GrpoLossConfig& config);
  at::Tensor operator()(const GrpoLossInputs& in, GrpoLossStats* stats = nullptr) const;

  // Per-token policy loss l_{i,t} from the ratio rho ((B, T), or (B, 1) for GSPO's
  // sequence ratio), the log-probs (B, T, 0 at padding) and the advantages ((B, 1) or
  // (B, T)); fills the clip fractions of `stats` (over `mask`) when given.
  using Objective = at::Tensor (*)(const GrpoLossConfig&, const at::Tensor& ratio,
                                   const at::Tensor& logprobs, const at::Tensor& adv,
                                   const at::Tensor& mask, GrpoLossStats* stats);
  // The sum over active tokens of `masked` (B, T), normalised as the loss type says.
  using Aggregate = at::Tensor (*)(const GrpoLossConfig&, const at::Tensor& masked,
                                   const at::Tensor& mask, const GrpoLossInputs& in);

 private:
  GrpoLossConfig config_;
  Objective objective_;
  Aggregate aggregate_;
};

// GrpoLoss(config)(in, stats): for tests and one-off calls.
at::Tensor grpo_loss(const GrpoLossConfig& config, const GrpoLossInputs& in,
                     GrpoLossStats* stats = nullptr);

// TRL's get_high_entropy_mask: active tokens whose entropy is >= the (1 - rho)
// quantile (linear interpolation, as torch.quantile) of the active tokens' entropies.
// entropy, mask (B, T) -> (B, T) bool.
at::Tensor high_entropy_mask(const at::Tensor& entropy, const at::Tensor& mask, double rho);

}  // namespace r1
