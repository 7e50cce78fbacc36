// A decode step's attention, one new token per row, from the layer's q|k|v
// projections to the attention output, in one parallel pass over (row, KV
// head) blocks: the optional per-head q/k RMSNorm (Qwen3), RoPE, the new key
// and value written into the cache, and the attention over every cached key.
// As separate ATen ops (split, two RoPE calls, two strided cache copies, a
// transpose) the steps before the attention cost a third as much as the
// attention itself at 64 rows; and the general attention (batched matmuls)
// becomes B x K tiny GEMMs through BLAS, one call each.
//
// B = batch, H = query heads, K = KV heads, G = H / K, S = keys, D = head dim.
#pragma once

#include <ATen/core/Tensor.h>

namespace r1 {

// Cache columns [0, columns) of one row that hold the same keys and values
// as row `row`'s: the samples of one prompt, its prefill copied to each.
struct SharedColumns {
  int64_t row = 0, columns = 0;
};

struct DecodeAttention {
  at::Tensor qkv;             // (B, (H + 2K) D): the new tokens' q|k|v, rows contiguous
  at::Tensor cos, sin;        // (B, D): RoPE at each row's position, each frequency twice
  at::Tensor q_norm, k_norm;  // (D): per-head RMSNorm weights, or undefined for none
  double norm_eps = 1e-6;
  at::Tensor keys, values;  // (B, K, capacity, D): the layer's cache, rows of D contiguous
  int64_t slot = 0;         // where the new key and value go; attention reads [0, slot]
  at::Tensor bias;          // (B, slot + 1) additive, 0 or -inf; a row stride of 0 is fine
  // Null, or (B): row b reads its columns [0, shared[b].columns) from row
  // shared[b].row's cache. Rows sharing a prompt then read it from memory
  // once a step, not once per row (later rows find it in cache): a speed-up
  // only, the values read are equal.
  const SharedColumns* shared = nullptr;
};

// Appends each row's key and value at `slot` and returns (B, H * D):
// softmax(q k^T / sqrt(D) + bias) v per query head, head h reading KV head h / G.
at::Tensor decode_attention(const DecodeAttention& step);

// The same in parts, for callers that split the work between threads
// themselves (model/decode_layers.h): check_decode_attention fails with a
// named error on bad shapes; decode_attention_blocks then does the (row, KV
// head) blocks [begin, end) of B x K on the calling thread, writing out
// (B, H * D), and never throws.
void check_decode_attention(const DecodeAttention& step);
void decode_attention_blocks(const DecodeAttention& step, float* out, int64_t begin, int64_t end);

}  // namespace r1
