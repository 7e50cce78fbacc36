// The LM head for training: per-token log-probs (and entropies) and the
// distillation terms, from hidden states and the LM-head weight, computed in
// row chunks of the logits so that no (N, V) tensor is ever held (at Qwen's
// 151,936-token vocabulary, 64 x 256 tokens of logits are 10 GB). fp32 and
// fp64 on the CPU use the fused kernels, as do fp32 hidden states with a bf16
// weight (token_logprobs: the products in bf16, the rest in fp32); other
// dtypes and devices the ATen formulas.
#pragma once

#include <ATen/core/Tensor.h>

namespace r1::ops {

// log softmax(hidden W^T)[target] per row, without ever holding all N x V
// logits (forward and backward work in row chunks of 64 MB; backward
// recomputes them, unless all fit in one chunk, which is then kept).
// `entropy`, if given, receives each row's entropy, differentiable too (an
// entropy bonus); a loss that leaves it out costs nothing more in backward.
// hidden (N, C), weight (V, C), targets (N) int64 -> (N)
at::Tensor token_logprobs(const at::Tensor& hidden, const at::Tensor& weight,
                          const at::Tensor& targets, at::Tensor* entropy = nullptr);

// Logit distillation (Hinton et al. 2015, §2) next to the cross-entropy, per
// trained token, from the student's and the teacher's last hidden states:
//   logprob = log softmax(l_s)[target]
//   kd      = T^2 KL(softmax(l_t / T) || softmax(l_s / T))
// with l_s = hidden weight^T and l_t = teacher_hidden teacher_weight^T, in row
// chunks as token_logprobs (backward recomputes both LM-head products of a
// chunk), so neither model's N x V logits are ever held. Gradients reach
// hidden and weight only. When the two LM heads differ in rows (vocabularies
// padded to different sizes, as Qwen2.5 7B's 152,064 and 1.5B's 151,936), the
// KL runs over the ids both have; the CE over all of the student's.
// hidden (N, C), weight (V, C), teacher_hidden (N, Ct), teacher_weight (Vt, Ct),
// targets (N) int64 -> logprob (N), kd (N)
struct DistillTerms {
  at::Tensor logprob, kd;
};
DistillTerms distill_terms(const at::Tensor& hidden, const at::Tensor& weight,
                           const at::Tensor& teacher_hidden, const at::Tensor& teacher_weight,
                           const at::Tensor& targets, double temperature);

}  // namespace r1::ops
