// Float math that vectorises: loops over arrays call these per element and
// the compiler turns them into AVX-512 / AVX2 code (std::exp is one libm call
// per element; it was 7% of a GRPO update profile, in SwiGLU and the
// attention softmax).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

// Compiled for x86-64-v4 (AVX-512 with VL: 32 vector registers at every
// width), x86-64-v3 (AVX2 + FMA) and baseline x86-64, chosen at load time (the
// build targets baseline x86-64, which would leave loops at SSE2). A plain
// "avx512f" clone has neither FMA nor the upper 16 registers for 8-float
// vectors: decode_gemm's 8-row kernel spilled and split every multiply-add.
#if defined(__x86_64__) && defined(__GNUC__)
#define R1_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define R1_VECTOR_CLONES
#endif

namespace r1 {

// 16 floats: one AVX-512 register, two AVX2 or four SSE registers per
// operation, for hand-vectorised loops (GCC vector extensions). The helpers
// pass 64-byte vectors by value but always inline into a clone compiled for
// its target, so the baseline ABI GCC warns about (-Wpsabi, at every caller)
// is never used: the warning is off for files that include this.
typedef float Vec16 __attribute__((vector_size(64)));
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

#pragma GCC diagnostic ignored "-Wpsabi"
__attribute__((always_inline)) inline Vec16 load16(const float* p) {
  Vec16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store16(float* p, Vec16 v) {
  std::memcpy(p, &v, sizeof v);
}

__attribute__((always_inline)) inline Vec8 load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store8(float* p, Vec8 v) {
  std::memcpy(p, &v, sizeof v);
}

// Sum of the 16 lanes, in a fixed order.
__attribute__((always_inline)) inline float sum16(Vec16 v) {
  Vec8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  Vec4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// Lane j = the sum of p[j]'s 16 lanes, for 16 vectors at once: a tree of
// pairwise shuffles and adds (45 operations where 16 separate sum16 take 128),
// each level folding every vector in half and packing two into one.
__attribute__((always_inline)) inline Vec16 sum16x16(const Vec16* p) {
  Vec16 a[8], b[4], c[2];
  for (int i = 0; i < 8; ++i)  // a[i]: p[2i] in lanes 0-7, p[2i+1] in 8-15
    a[i] = __builtin_shufflevector(p[2 * i], p[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19,
                                   20, 21, 22, 23) +
           __builtin_shufflevector(p[2 * i], p[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26,
                                   27, 28, 29, 30, 31);
  for (int i = 0; i < 4; ++i)  // b[i]: p[4i + m] in lanes 4m..4m+3
    b[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19,
                                   24, 25, 26, 27) +
           __builtin_shufflevector(a[2 * i], a[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22,
                                   23, 28, 29, 30, 31);
  for (int i = 0; i < 2; ++i)  // c[i]: p[8i + m] in lanes 2m, 2m+1
    c[i] = __builtin_shufflevector(b[2 * i], b[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21,
                                   24, 25, 28, 29) +
           __builtin_shufflevector(b[2 * i], b[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22,
                                   23, 26, 27, 30, 31);
  return __builtin_shufflevector(c[0], c[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                 30) +
         __builtin_shufflevector(c[0], c[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29,
                                 31);
}

// e^x within 2 ulp of the correctly rounded value, branch-free. Range
// reduction after Cody & Waite: x = n ln2 + r with n = round(x / ln2), ln2
// split into an exactly representable high part and a low correction, so
// |r| <= ln2 / 2; e^r by its Taylor series to r^7 (truncation < 5e-9
// relative there); 2^n built in the exponent bits. Below -87.33 (where e^x
// leaves the normal range) the result is 0, above 88 it saturates at e^88;
// NaN stays NaN.
inline float exp_approx(float x) {
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  const float kMin = -87.33654f, kMax = 88.0f;
  const bool underflow = x < kMin;
  const float c = std::min(std::max(x, kMin), kMax);
  // Round to nearest by adding and removing 1.5 * 2^23, which pushes the
  // fraction out of the mantissa (std::floor/nearbyint keep GCC from
  // vectorising the loop).
  const float kRound = 12582912.0f;
  const float n = (c * kLog2e + kRound) - kRound;
  const float r = (c - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float y = underflow ? 0.0f : p * scale;
  return x != x ? x : y;
}

// e^x for the kernels templated on float and double: the approximation above
// in float, libm in double (the reference precision tests compare against).
inline float exp_of(float x) {
  return exp_approx(x);
}
inline double exp_of(double x) {
  return std::exp(x);
}

// Largest of x[0, n), in lanes so that the loop vectorises.
template <typename T>
inline T max_of(const T* x, int64_t n) {
  constexpr int kLanes = 16;
  T lanes[kLanes];
  for (T& m : lanes) m = x[0];
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] = std::max(lanes[j], x[i + j]);
  T m = x[0];
  for (; i < n; ++i) m = std::max(m, x[i]);
  for (T l : lanes) m = std::max(m, l);
  return m;
}

// The same for floats in one vector of lanes: the loop above stayed scalar
// in the attention's clones (a twentieth of the decode attention's time).
// NaN is passed over as std::max(m, NaN) does.
__attribute__((always_inline)) inline float max_of(const float* x, int64_t n) {
  Vec16 lanes = Vec16{} + x[0];
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const Vec16 v = load16(x + i);
    lanes = v > lanes ? v : lanes;
  }
  float m = x[0];
  for (; i < n; ++i) m = std::max(m, x[i]);
  for (int j = 0; j < 16; ++j) m = std::max(m, lanes[j]);
  return m;
}

}  // namespace r1
