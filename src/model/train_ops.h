// Layer functions of the no-cache forward (training, scoring) with
// hand-written backward passes: the linear layers run on model/gemm.h, and
// RMSNorm, RoPE, the SwiGLU gate, attention and the LM-head log-prob are
// single fused passes instead of the many elementwise ATen ops (each with its
// own backward) they otherwise take. fp32 and fp64 use the fused kernels;
// other dtypes fall back to the plain ATen formulas (autograd as usual).
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace r1::ops {

// x (..., in), weight (out, in), bias (out) or undefined -> (..., out)
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

// Several linear layers of one input side by side, [x W_0^T + b_0, x W_1^T + b_1, ...]
// as one (..., sum of outs) tensor (q|k|v, gate|up): no weight copies, and
// backward sums the input gradient inside the GEMMs. `biases` empty or one per weight.
at::Tensor linear_packed(const at::Tensor& x, const std::vector<at::Tensor>& weights,
                         const std::vector<at::Tensor>& biases = {});

// x * rsqrt(mean(x^2) + eps) * weight over the last dim; x (..., C), weight (C).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// silu(gate) * up, elementwise, for gate_up = [gate | up] as linear_packed
// makes it: (..., 2F) -> (..., F).
at::Tensor swiglu(const at::Tensor& gate_up);

// Rotary position embedding (rotate_half convention), one pass each way.
// x (B, T, H, D), cos and sin (B, T, D) -> (B, T, H, D) contiguous
at::Tensor rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// log softmax(hidden W^T)[target] per row, without ever holding all N x V
// logits (forward and backward work in row chunks; backward recomputes them).
// `entropy`, if given, receives each row's entropy (no gradient).
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

// Causal grouped-query attention, softmax(q k^T / sqrt(D)) v per head, query
// head h reading KV head h / (H / K). Query t sees keys s <= t that key_mask
// marks real (1), and always itself (a padding row stays finite). Only a
// log-sum-exp per row is kept for backward, which recomputes the scores: no
// (T, T) tensor outlives a head's turn.
// q (B, T, H, D), k and v (B, T, K, D), key_mask (B, T) or undefined -> (B, T, H, D)
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& key_mask);

}  // namespace r1::ops
