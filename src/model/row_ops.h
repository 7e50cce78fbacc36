// One row of RMSNorm and one head of RoPE: the loop bodies shared by the
// training ops (model/train_ops.cpp) and the fused decode attention
// (model/decode_attention.cpp), so both paths compute the same bits. Always
// inlined into their callers' vector clones (model/vec_math.h).
#pragma once

#include <cmath>
#include <cstdint>

namespace r1 {

// y = x inv w with inv = (mean(x^2) + eps)^(-1/2), the sum of squares in
// double over 8 lanes (vectorises; order fixed by the lanes). Returns inv.
template <typename T>
__attribute__((always_inline)) inline T rms_norm_row(const T* x, const T* w, T* y, int64_t C,
                                                     double eps) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= C; c += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] += static_cast<double>(x[c + j]) * x[c + j];
  double sum = 0;
  for (; c < C; ++c) sum += static_cast<double>(x[c]) * x[c];
  for (double l : lanes) sum += l;
  const T inv = static_cast<T>(1.0 / std::sqrt(sum / C + eps));
  for (int64_t i = 0; i < C; ++i) y[i] = (x[i] * inv) * w[i];
  return inv;
}

// Rotary embedding of one head, rotate_half convention (transformers'
// apply_rotary_pos_emb); cos and sin (D) hold each frequency twice:
//   y_i = x_i cos_i - x_{i+D/2} sin_i,  y_{i+D/2} = x_{i+D/2} cos_i + x_i sin_i
// `sign` = -1 rotates by -angle (the backward pass).
template <typename T>
__attribute__((always_inline)) inline void rotate_head(const T* __restrict x,
                                                       const T* __restrict cos,
                                                       const T* __restrict sin, T* __restrict y,
                                                       int64_t D, T sign) {
  const int64_t half = D / 2;
  for (int64_t i = 0; i < half; ++i) {
    const T a = x[i], b = x[i + half];
    y[i] = a * cos[i] - sign * b * sin[i];
    y[i + half] = b * cos[i + half] + sign * a * sin[i + half];
  }
}

}  // namespace r1
