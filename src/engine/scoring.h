// Teacher-forced log-probs of completions given prompts, in one batched
// forward: pi_old and pi_ref for GRPO, pi_theta (with autograd) in the loss,
// and evaluation. Rows are right-padded; only completion positions reach the
// LM head.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "model/transformer.h"

namespace r1 {

struct ScoredBatch {
  at::Tensor logprobs;  // (B, Tc) log pi(completion token | prefix); 0 at padding
  at::Tensor entropy;   // (B, Tc) entropy of each position's distribution (if asked)
  at::Tensor mask;      // (B, Tc) float, 1 for real completion tokens
};

// Autograd follows the caller's mode (wrap in NoGradGuard for pi_old / pi_ref).
ScoredBatch score_completions(const Model& model, const std::vector<std::vector<int64_t>>& prompts,
                              const std::vector<std::vector<int64_t>>& completions,
                              bool with_entropy = false);

}  // namespace r1
