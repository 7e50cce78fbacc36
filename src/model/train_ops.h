// Layer functions of the no-cache forward (training, scoring) with
// hand-written backward passes: the linear layers run on model/gemm.h, and
// RMSNorm, RoPE, the SwiGLU gate and attention are single fused passes
// instead of the many elementwise ATen ops (each with its own backward) they
// otherwise take. fp32 and fp64 use the fused kernels; other dtypes fall back
// to the plain ATen formulas (autograd as usual). The LM head's log-probs and
// distillation terms: model/logit_ops.h.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace r1::ops {

// Which implementation the layer functions run. kFused: the hand-written CPU
// kernels wherever they apply (fp32 or fp64 tensors on the CPU), plain ATen
// elsewhere. kAten: plain ATen everywhere, the path every other device and
// dtype takes (CUDA, bf16 weights); tests select it on the CPU to check that
// path against the fused one. A process-wide choice, made before a model runs.
enum class Kernels { kFused, kAten };
void set_kernels(Kernels kernels);
Kernels kernels();

// True when the fused CPU kernels take `t`: fp32 or fp64 on the CPU, kFused.
bool fused_dtype(const at::Tensor& t);

// Mixed precision (docs/engine.md "Precision"): weights may be bf16 while the
// activations (residual stream, norms, softmax, log-probs) stay fp32. A matrix
// product runs in its weight's dtype (AMX / tensor cores for bf16) and returns
// the input's dtype. x (..., in), weight (out, in), bias (out) or undefined.
at::Tensor plain_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

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

// Causal grouped-query attention, softmax(q k^T / sqrt(D)) v per head, query
// head h reading KV head h / (H / K). Query t sees keys s <= t that key_mask
// marks real (1), and always itself (a padding row stays finite). Only a
// log-sum-exp per row is kept for backward, which recomputes the scores: no
// (T, T) tensor outlives a head's turn.
// q (B, T, H, D), k and v (B, T, K, D), key_mask (B, T) or undefined -> (B, T, H, D)
// `compute` is the dtype of the plain path's two products (the weights'
// dtype: bf16 under mixed precision; the softmax is fp32 either way).
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& key_mask,
                            at::ScalarType compute = at::ScalarType::Undefined);

}  // namespace r1::ops
