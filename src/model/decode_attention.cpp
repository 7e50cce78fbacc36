#include "model/decode_attention.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "model/gemm.h"
#include "model/row_ops.h"
#include "model/vec_math.h"
#include "util/error.h"

namespace r1 {
namespace {

// Dot product of two length-D vectors.
__attribute__((always_inline)) inline float dot(const float* a, const float* b, int64_t D) {
  Vec16 acc = {};
  int64_t d = 0;
  for (; d + 16 <= D; d += 16) acc += load16(a + d) * load16(b + d);
  float sum = sum16(acc);
  for (; d < D; ++d) sum += a[d] * b[d];
  return sum;
}

// scores (G, S), rows scores_stride apart, for one (row, KV head): q (G rows,
// stride q_stride), keys (S, D). With D a multiple of 16, keys go 16 at a time: per query head, 16
// vectors of partial products, summed across lanes together by sum16x16 (a
// separate horizontal sum per dot product was most of the attention's time).
// The next 16 keys are asked for a group ahead: 16 keys of 64 floats are one
// 4 KB page, where the hardware prefetcher stops and must detect the stream
// anew (0.5B attention at 129 keys 12.8-13.6 -> 11.5-12.2 ms a step; the
// values the same way gained nothing more).
__attribute__((always_inline)) inline void score_block(const float* q, int64_t q_stride,
                                                       const float* keys, const float* bias,
                                                       int64_t G, int64_t S, int64_t D, float scale,
                                                       float* scores, int64_t scores_stride) {
  const float masked = -std::numeric_limits<float>::infinity();
  int64_t s0 = 0;
  if (D % 16 == 0) {
    for (; s0 + 16 <= S; s0 += 16) {
      if (s0 + 32 <= S)
        for (int64_t i = 0; i < 16 * D; i += 16) __builtin_prefetch(keys + (s0 + 16) * D + i);
      for (int64_t g = 0; g < G; ++g) {
        const float* qg = q + g * q_stride;
        Vec16 partial[16] = {};
        for (int64_t d = 0; d < D; d += 16) {
          const Vec16 qv = load16(qg + d);
#pragma GCC unroll 16
          for (int j = 0; j < 16; ++j) partial[j] += qv * load16(keys + (s0 + j) * D + d);
        }
        // In vectors too: as 16 scalar compares and stores it was a third of
        // the scoring. A masked slot may hold anything, NaN included.
        const Vec16 b = load16(bias + s0), all_masked = Vec16{} + masked;
        const Vec16 sums = sum16x16(partial) * scale + b;
        store16(scores + g * scores_stride + s0, b == all_masked ? all_masked : sums);
      }
    }
  }
  for (int64_t s = s0; s < S; ++s) {
    const float* k = keys + s * D;
    if (bias[s] == masked) {
      for (int64_t g = 0; g < G; ++g) scores[g * scores_stride + s] = masked;
      continue;
    }
    for (int64_t g = 0; g < G; ++g)
      scores[g * scores_stride + s] = dot(q + g * q_stride, k, D) * scale + bias[s];
  }
}

// scores (S) -> e^(score - max) in place; returns their sum.
__attribute__((always_inline)) inline float exp_in_place(float* scores, int64_t S) {
  const float m = max_of(scores, S);
  float lanes[16] = {};
  int64_t s = 0;
  for (; s + 16 <= S; s += 16)
    for (int j = 0; j < 16; ++j) lanes[j] += (scores[s + j] = exp_approx(scores[s + j] - m));
  float sum = 0;
  for (; s < S; ++s) sum += (scores[s] = exp_approx(scores[s] - m));
  for (float l : lanes) sum += l;
  return sum;
}

// Where a block's keys (or values) are: columns [0, shared) in `first`
// (another row's cache holding the same ones), the rest in `own`; both (capacity, D).
struct Columns {
  const float *first, *own;
  int64_t shared;
  __attribute__((always_inline)) const float* at(int64_t s, int64_t D) const {
    return (s < shared ? first : own) + s * D;
  }
};

// The next block's own keys and values (its columns past the shared ones),
// asked for into L2 a few cache lines at a time while this block mixes: they
// come from memory, and block after block the attention otherwise waited for
// them with the core idle.
struct NextBlock {
  const char *keys = nullptr, *values = nullptr;
  int64_t bytes = 0, asked = 0;
  __attribute__((always_inline)) void ask(int lines) {
    for (int i = 0; i < lines && asked < bytes; ++i, asked += 64) {
      __builtin_prefetch(keys + asked, 0, 2);
      __builtin_prefetch(values + asked, 0, 2);
    }
  }
};

// out (NH, D) = sum_s p[h, s] values[s] inv_total[h] for NH query heads at
// once (p rows S apart), DV = D / 16: each value row is loaded once for the NH
// heads, and the NH x DV accumulators are independent chains. One head at a
// time, its DV = 4 chains waited on the multiply-add latency, half the
// attention's time with the prompt's keys in cache. Masked keys are skipped:
// their cache slots may hold anything, NaN included (0 x NaN is NaN).
template <int DV, int NH>
__attribute__((always_inline)) inline void mix_heads(const float* p, const Columns& values,
                                                     const float* bias, int64_t S,
                                                     const float* inv_total, float* out,
                                                     NextBlock& next) {
  const float masked = -std::numeric_limits<float>::infinity();
  Vec16 acc[NH][DV] = {};
  for (int64_t s = 0; s < S; ++s) {
    next.ask(2);
    if (bias[s] == masked) continue;
    const float* v = values.at(s, DV * 16);
    Vec16 row[DV];
#pragma GCC unroll 8
    for (int j = 0; j < DV; ++j) row[j] = load16(v + 16 * j);
#pragma GCC unroll 4
    for (int h = 0; h < NH; ++h) {
      const float w = p[h * S + s];
#pragma GCC unroll 8
      for (int j = 0; j < DV; ++j) acc[h][j] += w * row[j];
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < NH; ++h)
#pragma GCC unroll 8
    for (int j = 0; j < DV; ++j) store16(out + (h * DV + j) * 16, acc[h][j] * inv_total[h]);
}

// All G heads, kMixHeads<DV> at a time (16 accumulators), then the rest.
template <int DV>
constexpr int kMixHeads = 16 / DV;

template <int DV>
__attribute__((always_inline)) inline void mix_all_heads(const float* p, const Columns& values,
                                                         const float* bias, int64_t G, int64_t S,
                                                         const float* inv_total, float* out,
                                                         NextBlock& next) {
  constexpr int NH = kMixHeads<DV>;
  int64_t g = 0;
  for (; g + NH <= G; g += NH)
    mix_heads<DV, NH>(p + g * S, values, bias, S, inv_total + g, out + g * DV * 16, next);
  switch (G - g) {  // fewer than NH left
    case 3:
      if constexpr (NH > 3)
        mix_heads<DV, 3>(p + g * S, values, bias, S, inv_total + g, out + g * DV * 16, next);
      break;
    case 2:
      if constexpr (NH > 2)
        mix_heads<DV, 2>(p + g * S, values, bias, S, inv_total + g, out + g * DV * 16, next);
      break;
    case 1:
      mix_heads<DV, 1>(p + g * S, values, bias, S, inv_total + g, out + g * DV * 16, next);
      break;
  }
}

// One head for any D, the accumulators in `out`.
__attribute__((always_inline)) inline void mix_head_any(const float* p, const Columns& values,
                                                        const float* bias, int64_t S, int64_t D,
                                                        float inv_total, float* out) {
  const float masked = -std::numeric_limits<float>::infinity();
  for (int64_t d = 0; d < D; ++d) out[d] = 0.0f;
  for (int64_t s = 0; s < S; ++s)
    if (bias[s] != masked)
      for (int64_t d = 0; d < D; ++d) out[d] += p[s] * values.at(s, D)[d];
  for (int64_t d = 0; d < D; ++d) out[d] *= inv_total;
}

// One (row, KV head) block of a decode step: where its inputs are and where
// its results go.
struct Block {
  const float* q;        // its G query heads, D apart, from the row's q|k|v
  const float* new_key;  // the row's new key and value for this KV head
  const float* new_value;
  const float *cos, *sin;        // (D) at the row's position
  const float *q_norm, *k_norm;  // (D), or null for no q/k norm
  float *keys, *values;          // (capacity, D) of this head; the new ones go to slot S - 1
  const float *shared_keys, *shared_values;  // another row's, for columns [0, shared)
  int64_t shared;
  const float* bias;  // (S)
  float* out;         // (G, D)
};

// Per thread: the (G, S) scores (L1 for a few thousand keys), the rotated
// queries (G, D), one normalised head (D) and each head's 1 / softmax total (G).
struct Scratch {
  std::vector<float> scores, q, head, inv_total;
};

// The new token's q and k normalised (if the model does) and rotated as
// ops::rms_norm and ops::rope do (model/row_ops.h), the key and value
// appended; then out = softmax(q k^T * scale + bias) v for the G query heads
// in one pass per operand: keys are read once for all G heads, and each
// head's mix rereads the values, from L2 after the first head.
R1_VECTOR_CLONES
void attend_new_token(const Block& b, int64_t G, int64_t S, int64_t D, double eps, float scale,
                      Scratch& scratch, NextBlock next) {
  float* head = scratch.head.data();
  for (int64_t g = 0; g < G; ++g) {
    const float* x = b.q + g * D;
    if (b.q_norm) {
      rms_norm_row(x, b.q_norm, head, D, eps);
      x = head;
    }
    rotate_head(x, b.cos, b.sin, scratch.q.data() + g * D, D, 1.0f);
  }
  const float* k = b.new_key;
  if (b.k_norm) {
    rms_norm_row(k, b.k_norm, head, D, eps);
    k = head;
  }
  rotate_head(k, b.cos, b.sin, b.keys + (S - 1) * D, D, 1.0f);
  std::memcpy(b.values + (S - 1) * D, b.new_value, D * sizeof(float));

  float* scores = scratch.scores.data();
  const int64_t n = b.shared;  // < S: the new key is always the row's own
  if (n > 0) score_block(scratch.q.data(), D, b.shared_keys, b.bias, G, n, D, scale, scores, S);
  score_block(scratch.q.data(), D, b.keys + n * D, b.bias + n, G, S - n, D, scale, scores + n, S);
  const Columns values{b.shared_values, b.values, n};
  float* inv_total = scratch.inv_total.data();
  for (int64_t g = 0; g < G; ++g) inv_total[g] = 1.0f / exp_in_place(scores + g * S, S);
  switch (D) {
    case 64:
      mix_all_heads<4>(scores, values, b.bias, G, S, inv_total, b.out, next);
      break;
    case 128:
      mix_all_heads<8>(scores, values, b.bias, G, S, inv_total, b.out, next);
      break;
    default:
      for (int64_t g = 0; g < G; ++g)
        mix_head_any(scores + g * S, values, b.bias, S, D, inv_total[g], b.out + g * D);
  }
}

bool rows_of(const at::Tensor& t, int64_t rows, int64_t width) {
  return t.defined() && t.dim() == 2 && t.size(0) == rows && t.size(1) == width &&
         t.stride(1) == 1 && t.scalar_type() == at::kFloat && t.device().is_cpu();
}

bool norm_weight_ok(const at::Tensor& w, int64_t D) {
  return !w.defined() || (w.dim() == 1 && w.size(0) == D && w.is_contiguous() &&
                          w.scalar_type() == at::kFloat && w.device().is_cpu());
}

}  // namespace

void check_decode_attention(const DecodeAttention& step) {
  const at::Tensor &keys = step.keys, &values = step.values;
  if (!keys.defined() || keys.dim() != 4 || keys.scalar_type() != at::kFloat ||
      !keys.device().is_cpu())
    fail("decode_attention: the cache must be (B, K, capacity, D) fp32 on the CPU");
  const int64_t B = keys.size(0), K = keys.size(1), D = keys.size(3), S = step.slot + 1;
  if (keys.stride(3) != 1 || keys.stride(2) != D || keys.sizes() != values.sizes() ||
      keys.strides() != values.strides())
    fail(
        "decode_attention: keys and values need the same (B, K, capacity, D) layout with "
        "contiguous rows of D");
  if (step.slot < 0 || step.slot >= keys.size(2))
    fail("decode_attention: slot ", step.slot, " outside a cache of ", keys.size(2));
  const int64_t width = step.qkv.defined() ? step.qkv.size(-1) : 0;
  const int64_t H = width / D - 2 * K;
  if (!rows_of(step.qkv, B, width) || width % D != 0 || H <= 0 || H % K != 0 ||
      step.qkv.stride(0) != width)
    fail("decode_attention: qkv must be (B, (H + 2K) D) contiguous fp32 with H a multiple of K");
  if (!rows_of(step.cos, B, D) || !rows_of(step.sin, B, D) || step.cos.stride(0) != D ||
      step.sin.stride(0) != D)
    fail("decode_attention: cos and sin must be (B, D) contiguous fp32");
  if (!norm_weight_ok(step.q_norm, D) || !norm_weight_ok(step.k_norm, D))
    fail("decode_attention: q/k norm weights must be (D) contiguous fp32");
  if (step.shared)
    for (int64_t b = 0; b < B; ++b) {
      const SharedColumns& s = step.shared[b];
      if (s.row < 0 || s.row >= B || s.columns < 0 || s.columns >= S)
        fail("decode_attention: row ", b, " shares columns [0, ", s.columns, ") of row ", s.row,
             " (need a row of ", B, " and fewer than ", S, " columns)");
    }
  const at::Tensor& bias = step.bias;
  if (!bias.defined() || bias.dim() != 2 || bias.size(1) != S || bias.stride(1) != 1 ||
      bias.scalar_type() != at::kFloat)
    fail("decode_attention: bias must be (B, slot + 1) fp32, contiguous over keys");
}

void decode_attention_blocks(const DecodeAttention& step, float* out, int64_t begin, int64_t end) {
  const at::Tensor &keys = step.keys, &values = step.values;
  const int64_t K = keys.size(1), D = keys.size(3), S = step.slot + 1;
  const int64_t width = step.qkv.size(1), H = width / D - 2 * K, G = H / K;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const float* qkv = step.qkv.data_ptr<float>();
  const float *cos = step.cos.data_ptr<float>(), *sin = step.sin.data_ptr<float>();
  const float* q_norm = step.q_norm.defined() ? step.q_norm.data_ptr<float>() : nullptr;
  const float* k_norm = step.k_norm.defined() ? step.k_norm.data_ptr<float>() : nullptr;
  float *kp = keys.data_ptr<float>(), *vp = values.data_ptr<float>();
  const float* bp = step.bias.data_ptr<float>();
  const int64_t bias_stride = step.bias.stride(0);  // 0 when one bias row serves every row
  Scratch scratch{std::vector<float>(G * S), std::vector<float>(G * D), std::vector<float>(D),
                  std::vector<float>(G)};
  for (int64_t i = begin; i < end; ++i) {
    const int64_t b = i / K, kh = i % K;
    const float* row = qkv + b * width;
    const SharedColumns shared = step.shared ? step.shared[b] : SharedColumns{b, 0};
    const int64_t head = kh * keys.stride(1);
    NextBlock next;
    if (i + 1 < end) {
      const int64_t nb = (i + 1) / K, nkh = (i + 1) % K;
      const int64_t n = step.shared ? step.shared[nb].columns : 0;
      next.keys =
          reinterpret_cast<const char*>(kp + nb * keys.stride(0) + nkh * keys.stride(1) + n * D);
      next.values = reinterpret_cast<const char*>(vp + nb * values.stride(0) +
                                                  nkh * values.stride(1) + n * D);
      next.bytes = (S - 1 - n) * D * static_cast<int64_t>(sizeof(float));
    }
    Block block{row + kh * G * D,
                row + (H + kh) * D,
                row + (H + K + kh) * D,
                cos + b * D,
                sin + b * D,
                q_norm,
                k_norm,
                kp + b * keys.stride(0) + head,
                vp + b * values.stride(0) + head,
                kp + shared.row * keys.stride(0) + head,
                vp + shared.row * values.stride(0) + head,
                shared.columns,
                bp + b * bias_stride,
                out + i * G * D};
    attend_new_token(block, G, S, D, step.norm_eps, scale, scratch, next);
  }
}

at::Tensor decode_attention(const DecodeAttention& step) {
  check_decode_attention(step);
  const int64_t B = step.keys.size(0), K = step.keys.size(1), D = step.keys.size(3);
  const int64_t HD = step.qkv.size(1) - 2 * K * D, S = step.slot + 1;
  auto out = at::empty({B, HD}, step.qkv.options());
  float* op = out.data_ptr<float>();
  const int64_t grain = parallel_grain(B * K, 0.5 * HD / K * S);  // ~4 FMA/ns per pass
  at::parallel_for(0, B * K, grain, [&](int64_t begin, int64_t end) {
    decode_attention_blocks(step, op, begin, end);
  });
  return out;
}

}  // namespace r1
