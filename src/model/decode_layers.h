// A decode step's transformer layers (one new token for each of 8 to 64 rows
// on fp32 weights, 1 to 64 on bf16 ones, on the CPU, no autograd) in a single OpenMP parallel
// region: the threads split each step of a layer between them and meet at a barrier before the
// next. As one parallel region per product and for the attention, each region began by waking the
// other thread, and the norms, packs and copies between regions ran on one core.
//
// B = rows, C = hidden, H = query heads, K = KV heads, D = head dim, F = FFN.
#pragma once

#include <ATen/core/Tensor.h>

#include "model/decode_attention.h"

namespace r1 {

struct Model;
struct ModelConfig;
struct LayerWeights;
struct KVCache;

// The decode attention of layer `index` (model/decode_attention.h), for qkv
// (B, (H+2K) D), cos and sin (B, D) and bias (B, cache.length + 1): its cache,
// slot cache.length, and the q/k norm weights when the model has them.
DecodeAttention layer_decode_attention(const ModelConfig& config, const LayerWeights& layer,
                                       size_t index, const at::Tensor& qkv, const at::Tensor& cos,
                                       const at::Tensor& sin, const at::Tensor& bias,
                                       const KVCache& cache);

// A weight's elements as the decode kernels (model/decode_gemm.h) read them:
// float for fp32, uint16_t (the bits) for a bf16 working copy.
template <typename T>
const T* kernel_weights(const at::Tensor& w);
template <>
const float* kernel_weights(const at::Tensor& w);
template <>
const uint16_t* kernel_weights(const at::Tensor& w);

// Whether decode_layers runs x (B, 1, C) through `model`.
bool decode_layers_apply(const Model& model, const at::Tensor& x);

// Every layer of `model` on x (B, 1, C), as layer_forward computes them with
// a cache: each layer's new key and value are written at column cache.length
// (the caller advances it). cos, sin (B, D): RoPE at each row's position;
// bias (B, cache.length + 1) additive over the keys, row stride 0 allowed.
// Returns the residual stream after the last layer, (B, 1, C).
at::Tensor decode_layers(const Model& model, const at::Tensor& x, const at::Tensor& cos,
                         const at::Tensor& sin, const at::Tensor& bias, KVCache& cache);

}  // namespace r1
