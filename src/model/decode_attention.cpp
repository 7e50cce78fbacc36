#include "model/decode_attention.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "model/gemm.h"
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

// scores (G, S) for one (row, KV head): q (G rows, stride q_stride), keys (S,
// D). With D a multiple of 16, keys go 16 at a time: per query head, 16
// vectors of partial products, summed across lanes together by sum16x16 (a
// separate horizontal sum per dot product was most of the attention's time).
__attribute__((always_inline)) inline void score_block(const float* q, int64_t q_stride,
                                                       const float* keys, const float* bias,
                                                       int64_t G, int64_t S, int64_t D, float scale,
                                                       float* scores) {
  const float masked = -std::numeric_limits<float>::infinity();
  int64_t s0 = 0;
  if (D % 16 == 0) {
    for (; s0 + 16 <= S; s0 += 16) {
      for (int64_t g = 0; g < G; ++g) {
        const float* qg = q + g * q_stride;
        Vec16 partial[16] = {};
        for (int64_t d = 0; d < D; d += 16) {
          const Vec16 qv = load16(qg + d);
#pragma GCC unroll 16
          for (int j = 0; j < 16; ++j) partial[j] += qv * load16(keys + (s0 + j) * D + d);
        }
        float sums[16];
        store16(sums, sum16x16(partial));
        float* out = scores + g * S + s0;
        for (int j = 0; j < 16; ++j)  // a masked slot may hold anything, NaN included
          out[j] = bias[s0 + j] == masked ? masked : sums[j] * scale + bias[s0 + j];
      }
    }
  }
  for (int64_t s = s0; s < S; ++s) {
    const float* k = keys + s * D;
    if (bias[s] == masked) {
      for (int64_t g = 0; g < G; ++g) scores[g * S + s] = masked;
      continue;
    }
    for (int64_t g = 0; g < G; ++g)
      scores[g * S + s] = dot(q + g * q_stride, k, D) * scale + bias[s];
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

// out (D) = sum_s p[s] values[s] / total, DV = D / 16 accumulators in registers.
template <int DV>
__attribute__((always_inline)) inline void mix_head(const float* p, const float* values, int64_t S,
                                                    float inv_total, float* out) {
  Vec16 acc[DV] = {};
  for (int64_t s = 0; s < S; ++s) {
    const float w = p[s];
    if (w == 0.0f) continue;  // a masked key: its cache slot may hold anything
#pragma GCC unroll 8
    for (int j = 0; j < DV; ++j) acc[j] += w * load16(values + s * DV * 16 + 16 * j);
  }
#pragma GCC unroll 8
  for (int j = 0; j < DV; ++j) store16(out + 16 * j, acc[j] * inv_total);
}

// The same for any D, the accumulators in `out`.
__attribute__((always_inline)) inline void mix_head_any(const float* p, const float* values,
                                                        int64_t S, int64_t D, float inv_total,
                                                        float* out) {
  for (int64_t d = 0; d < D; ++d) out[d] = 0.0f;
  for (int64_t s = 0; s < S; ++s)
    if (p[s] != 0.0f)
      for (int64_t d = 0; d < D; ++d) out[d] += p[s] * values[s * D + d];
  for (int64_t d = 0; d < D; ++d) out[d] *= inv_total;
}

// out (G, D) = softmax(q k^T * scale + bias) v for the G query heads of one
// (row, KV head), in one pass per operand: keys are read once for all G
// heads, the (G, S) scores stay in `scores` (L1 for a few thousand keys),
// and each head's mix rereads the values, from L2 after the first head.
R1_VECTOR_CLONES
void attend_block(const float* q, int64_t q_stride, const float* keys, const float* values,
                  const float* bias, int64_t G, int64_t S, int64_t D, float scale, float* scores,
                  float* out) {
  score_block(q, q_stride, keys, bias, G, S, D, scale, scores);
  for (int64_t g = 0; g < G; ++g) {
    float* p = scores + g * S;
    const float inv_total = 1.0f / exp_in_place(p, S);
    float* o = out + g * D;
    switch (D) {
      case 64:
        mix_head<4>(p, values, S, inv_total, o);
        break;
      case 128:
        mix_head<8>(p, values, S, inv_total, o);
        break;
      default:
        mix_head_any(p, values, S, D, inv_total, o);
    }
  }
}

}  // namespace

at::Tensor decode_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                            const at::Tensor& bias) {
  const int64_t B = q.size(0), H = q.size(1), D = q.size(3);
  const int64_t K = keys.size(1), S = keys.size(2), G = H / K;
  if (q.size(2) != 1 || q.scalar_type() != at::kFloat || q.stride(3) != 1 || !q.device().is_cpu())
    fail("decode_attention: q must be (B, H, 1, D) fp32 on the CPU");
  if (keys.stride(3) != 1 || keys.stride(2) != D || keys.strides() != values.strides())
    fail("decode_attention: keys/values need contiguous (S, D) blocks");
  if (bias.dim() != 2 || bias.size(1) != S || bias.stride(1) != 1)
    fail("decode_attention: bias must be (B, S) contiguous over S");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  auto out = at::empty({B, H, 1, D}, q.options());
  const float* qp = q.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  const float* bp = bias.data_ptr<float>();
  const int64_t bias_stride = bias.stride(0);  // 0 when one bias row serves every row
  float* op = out.data_ptr<float>();
  const int64_t grain = parallel_grain(B * K, 0.5 * G * S * D);  // ~4 FMA/ns per pass
  at::parallel_for(0, B * K, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(G * S);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / K, kh = i % K;
      attend_block(qp + b * q.stride(0) + kh * G * q.stride(1), q.stride(1),
                   kp + b * keys.stride(0) + kh * keys.stride(1),
                   vp + b * values.stride(0) + kh * values.stride(1), bp + b * bias_stride, G, S, D,
                   scale, scores.data(), op + i * G * D);
    }
  });
  return out;
}

}  // namespace r1
