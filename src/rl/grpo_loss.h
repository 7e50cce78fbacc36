// The GRPO objective and the variants users know from TRL / veRL / DAPO / GSPO.
// B = sequences in the micro-batch, T = completion tokens (padded).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace r1 {

struct GrpoLossConfig {
  std::string loss_type = "grpo";  // grpo | bnpo | dr_grpo | dapo
  double epsilon = 0.2;            // lower clip: ratio >= 1 - epsilon
  double epsilon_high = 0.2;       // upper clip: ratio <= 1 + epsilon_high (DAPO clip-higher)
  double beta = 0.0;               // k3 KL weight; 0 = no reference model
  std::string importance_sampling_level = "token";  // token | sequence (GSPO)
  int64_t max_completion_length = 256;              // dr_grpo's constant normaliser
  void validate() const;                            // throws Error naming the bad field
};

struct GrpoLossInputs {
  at::Tensor logprobs;      // (B, T) log pi_theta, with autograd
  at::Tensor old_logprobs;  // (B, T) log pi_old (detached)
  at::Tensor ref_logprobs;  // (B, T) log pi_ref (detached); undefined when beta = 0
  at::Tensor advantages;    // (B) one value per sequence
  at::Tensor mask;          // (B, T) 1 for completion tokens that count
  // Normaliser for bnpo/dapo when the batch is split into micro-batches: the
  // active tokens of the whole (mini/generation) batch; <= 0 = this micro-batch's.
  double num_items_in_batch = 0;
};

struct GrpoLossStats {
  double kl = 0;         // mean k3 KL over active tokens (0 if beta = 0)
  double clip_low = 0;   // fraction of active tokens clipped at 1 - epsilon (A < 0)
  double clip_high = 0;  // fraction clipped at 1 + epsilon_high (A > 0)
  double ratio_mean = 0;
};

at::Tensor grpo_loss(const GrpoLossConfig& config, const GrpoLossInputs& in,
                     GrpoLossStats* stats = nullptr);

}  // namespace r1
