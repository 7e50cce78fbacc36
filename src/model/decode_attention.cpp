#include "model/decode_attention.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>

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

// scores (G, S) for one (row, KV head): q (G rows, stride q_stride), keys (S, D).
R1_VECTOR_CLONES
void score_block(const float* q, int64_t q_stride, const float* keys, const float* bias, int64_t G,
                 int64_t S, int64_t D, float scale, float* scores) {
  const float masked = -std::numeric_limits<float>::infinity();
  for (int64_t s = 0; s < S; ++s) {
    const float* k = keys + s * D;
    if (bias[s] == masked) {
      for (int64_t g = 0; g < G; ++g) scores[g * S + s] = masked;
      continue;
    }
    for (int64_t g = 0; g < G; ++g)
      scores[g * S + s] = dot(q + g * q_stride, k, D) * scale + bias[s];
  }
}

// out (G, D) = probs (G, S) x values (S, D) for one (row, KV head).
R1_VECTOR_CLONES
void mix_block(const float* probs, const float* values, int64_t G, int64_t S, int64_t D,
               float* out) {
  for (int64_t i = 0; i < G * D; ++i) out[i] = 0.0f;
  const int64_t vector_end = D / 16 * 16;
  for (int64_t s = 0; s < S; ++s) {
    const float* v = values + s * D;
    for (int64_t g = 0; g < G; ++g) {
      const float p = probs[g * S + s];
      if (p == 0.0f) continue;
      float* o = out + g * D;
      for (int64_t d = 0; d < vector_end; d += 16)
        store16(o + d, load16(o + d) + p * load16(v + d));
      for (int64_t d = vector_end; d < D; ++d) o[d] += p * v[d];
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
  auto scores = at::empty({B, K, G, S}, q.options());
  const float* qp = q.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  const float* bp = bias.data_ptr<float>();
  const int64_t bias_stride = bias.stride(0);  // 0 when one bias row serves every row
  float* sp = scores.data_ptr<float>();
  const int64_t grain = parallel_grain(B * K, 0.25 * G * S * D);  // ~8 FMA/ns per pass
  at::parallel_for(0, B * K, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / K, kh = i % K;
      score_block(qp + b * q.stride(0) + kh * G * q.stride(1), q.stride(1),
                  kp + b * keys.stride(0) + kh * keys.stride(1), bp + b * bias_stride, G, S, D,
                  scale, sp + i * G * S);
    }
  });
  auto probs = at::softmax(scores, -1);
  auto out = at::empty({B, H, 1, D}, q.options());
  const float* pp = probs.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, B * K, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / K, kh = i % K;
      mix_block(pp + i * G * S, vp + b * values.stride(0) + kh * values.stride(1), G, S, D,
                op + i * G * D);
    }
  });
  return out;
}

}  // namespace r1
