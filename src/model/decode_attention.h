// Attention of one new token per row over its cached keys (a decode step).
// The general attention (batched matmuls) becomes B x K tiny GEMMs through
// BLAS, one call each, which at a few hundred cached tokens costs more than
// the rest of the layer; here each (row, KV head) is one pass over its keys
// and values, rows in parallel.
//
// B = batch, H = query heads, K = KV heads, G = H / K, S = keys, D = head dim.
#pragma once

#include <ATen/core/Tensor.h>

namespace r1 {

// q (B, H, 1, D); keys, values (B, K, S, D) with contiguous rows of D;
// bias (B or 1, S) additive (0 or -inf, contiguous over S). Returns (B, H, 1, D):
// softmax(q k^T / sqrt(D) + bias) v, query head h reading KV head h / G.
at::Tensor decode_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                            const at::Tensor& bias);

}  // namespace r1
