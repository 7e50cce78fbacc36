#include "model/decode_gemm.h"

#include <algorithm>
#include <cstring>

#include "model/vec_math.h"
#include "util/error.h"

namespace r1 {
namespace {

// A vector of lanes: 16 floats (one AVX-512 register), or 8 (AVX2 width) for
// batches of up to 8 rows, where half of a 16-float multiply-add would be
// padding. This CPU runs two 8-float multiply-adds per cycle but one 16-float.
template <typename V>
constexpr int kWidth = sizeof(V) / sizeof(float);
__attribute__((always_inline)) inline Vec16 load_lanes(const float* p, Vec16) {
  return load16(p);
}
__attribute__((always_inline)) inline Vec8 load_lanes(const float* p, Vec8) {
  return load8(p);
}
__attribute__((always_inline)) inline void store_lanes(float* p, Vec16 v) {
  store16(p, v);
}
__attribute__((always_inline)) inline void store_lanes(float* p, Vec8 v) {
  store8(p, v);
}

// Where a panel's results go: each (weight row i, lane vector j) of the
// panel's accumulators is handed to put(), then done() closes the panel.
// Lane layout: y (n, Rp), stored as is or added onto what is there.
template <typename V, bool kAccumulate>
struct LaneSink {
  float* y;
  int64_t lanes;
  __attribute__((always_inline)) void put(int64_t o, int i, int j, V v) {
    float* p = y + (o + i) * lanes + kWidth<V> * j;
    store_lanes(p, kAccumulate ? load_lanes(p, V{}) + v : v);
  }
  __attribute__((always_inline)) void done(int64_t, int) {}
};

// Row layout (RowsOut) for the R real rows. The panel goes
// to a tile in L1 first and is written out transposed from there: RT x R
// scalar moves against RT x C x NV vector multiply-adds, a few percent, where
// a separate transpose of the whole (n, Rp) result cost a fifth of a small
// model's decode step.
template <typename V, int RT, int L>
struct RowSink {
  RowsOut dst;
  int64_t rows;
  alignas(64) float tile[RT * L];
  __attribute__((always_inline)) void put(int64_t, int i, int j, V v) {
    store_lanes(tile + i * L + kWidth<V> * j, v);
  }
  __attribute__((always_inline)) void done(int64_t o, int count) {
    for (int64_t r = 0; r < rows; ++r) {
      float* out = dst.y + r * dst.ldy + o;
      for (int i = 0; i < count; ++i)
        out[i] = (dst.accumulate ? out[i] : 0.0f) +
                 (tile[i * L + r] + (dst.bias ? dst.bias[o + i] : 0.0f));
    }
  }
};

// Results of w (n, C) xt (C, L) to `sink`, L = NV vectors of lanes, RT
// weight rows at a time: RT x NV accumulators stay in registers (24 of
// AVX-512's 32), each weight element is broadcast once against NV vectors of
// rows, and xt (at most 229 KB at C = 896) is reread from L2 per RT weight rows.
template <typename V, int NV, int RT, typename Sink>
__attribute__((always_inline)) inline void panel(const float* w, int64_t n, int64_t C,
                                                 const float* xt, Sink& sink) {
  constexpr int64_t W = kWidth<V>, L = W * NV;
  int64_t o = 0;
  for (; o + RT <= n; o += RT) {
    V acc[RT][NV] = {};
    const float* wr = w + o * C;
    for (int64_t k0 = 0; k0 < C; k0 += 16) {
      // The next panel's weights, a cache line per row ahead of use: rows of
      // a few hundred floats are too short for the hardware prefetcher to
      // learn RT streams at once.
#pragma GCC unroll 24
      for (int i = 0; i < RT; ++i) __builtin_prefetch(wr + (RT + i) * C + k0);
      const int64_t k1 = std::min(C, k0 + 16);
#pragma GCC unroll 4
      for (int64_t k = k0; k < k1; ++k) {
        V xv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) xv[j] = load_lanes(xt + k * L + W * j, V{});
#pragma GCC unroll 24
        for (int i = 0; i < RT; ++i) {
          const float wi = wr[i * C + k];
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) acc[i][j] += wi * xv[j];
        }
      }
    }
#pragma GCC unroll 24
    for (int i = 0; i < RT; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) sink.put(o, i, j, acc[i][j]);
    sink.done(o, RT);
  }
  for (; o < n; ++o) {  // the last n % RT rows
    V acc[NV] = {};
    for (int64_t k = 0; k < C; ++k) {
      const float wi = w[o * C + k];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[j] += wi * load_lanes(xt + k * L + W * j, V{});
    }
    for (int j = 0; j < NV; ++j) sink.put(o, 0, j, acc[j]);
    sink.done(o, 1);
  }
}

// The register blocking per lane count: RT x NV = 24 accumulators.
template <int NV>
constexpr int kPanelRows = NV == 1   ? 24
                           : NV == 2 ? 12
                           : NV == 3 ? 8
                                     : 6;

// Op<V, NV>::run(args...) for Rp lanes: 8 lanes are one Vec8, more are
// Rp / 16 Vec16. The one place lane counts map to vector shapes. Everything
// here is always inlined into the cloned callers: a lambda (or any helper not
// inlined) would be compiled for baseline x86-64, not per clone (measured
// ~35x slower).
template <template <typename, int> class Op, typename... Args>
__attribute__((always_inline)) inline void for_lanes(int64_t Rp, Args... args) {
  switch (Rp) {
    case 8:
      return Op<Vec8, 1>::run(args...);
    case 16:
      return Op<Vec16, 1>::run(args...);
    case 32:
      return Op<Vec16, 2>::run(args...);
    case 48:
      return Op<Vec16, 3>::run(args...);
    default:
      return Op<Vec16, 4>::run(args...);
  }
}

// y (n, Rp) in the lane layout, overwritten or (accumulate) added onto.
template <typename V, int NV>
struct LanesPanel {
  __attribute__((always_inline)) static void run(const float* w, int64_t n, int64_t C,
                                                 const float* xt, float* y, bool accumulate) {
    if (accumulate) {
      LaneSink<V, true> sink{y, kWidth<V> * NV};
      panel<V, NV, kPanelRows<NV>>(w, n, C, xt, sink);
    } else {
      LaneSink<V, false> sink{y, kWidth<V> * NV};
      panel<V, NV, kPanelRows<NV>>(w, n, C, xt, sink);
    }
  }
};

// The R rows' own layout (RowsOut).
template <typename V, int NV>
struct RowsPanel {
  __attribute__((always_inline)) static void run(const float* w, int64_t n, int64_t C,
                                                 const float* xt, int64_t R, RowsOut out) {
    RowSink<V, kPanelRows<NV>, kWidth<V> * NV> sink{out, R, {}};
    panel<V, NV, kPanelRows<NV>>(w, n, C, xt, sink);
  }
};

R1_VECTOR_CLONES
void lanes_impl(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp, float* y,
                bool accumulate) {
  for_lanes<LanesPanel>(Rp, w, n, C, xt, y, accumulate);
}

R1_VECTOR_CLONES
void rows_impl(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp, int64_t R,
               const RowsOut& out) {
  for_lanes<RowsPanel>(Rp, w, n, C, xt, R, out);
}

// SwiGLU over chunks of kSwigluChunk gate and up rows: both products into
// tiles in L1, then g sigmoid(g) u into act_t, in the lane layout.
constexpr int64_t kSwigluChunk = 24;  // whole panels at every lane count

template <typename V, int NV>
struct SwigluChunks {
  __attribute__((always_inline)) static void run(const float* wg, const float* wu, int64_t n,
                                                 int64_t C, const float* xt, float* act_t) {
    constexpr int64_t L = kWidth<V> * NV;
    alignas(64) float gate[kSwigluChunk * L], up[kSwigluChunk * L];
    for (int64_t o = 0; o < n; o += kSwigluChunk) {
      const int64_t m = std::min(kSwigluChunk, n - o);
      LanesPanel<V, NV>::run(wg + o * C, m, C, xt, gate, false);
      LanesPanel<V, NV>::run(wu + o * C, m, C, xt, up, false);
      float* out = act_t + o * L;
      for (int64_t i = 0; i < m * L; ++i) {  // as ops::swiglu computes it
        const float g = gate[i], sig = 1.0f / (1.0f + exp_approx(-g));
        out[i] = g * sig * up[i];
      }
    }
  }
};

R1_VECTOR_CLONES
void swiglu_impl(const float* wg, const float* wu, int64_t n, int64_t C, const float* xt,
                 int64_t Rp, float* act_t) {
  for_lanes<SwigluChunks>(Rp, wg, wu, n, C, xt, act_t);
}

// x rounded to bf16, to nearest even (as at::BFloat16); NaN stays a NaN.
__attribute__((always_inline)) inline uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  const uint16_t rounded = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  const uint16_t quiet = static_cast<uint16_t>((u >> 16) | 0x40u);
  return (u & 0x7fffffffu) > 0x7f800000u ? quiet : rounded;
}

// xp (rows/2, L, 2) = xt (rows, L) rounded to bf16: rows even.
__attribute__((always_inline)) inline void pairs_of(const float* xt, int64_t rows, int64_t L,
                                                    uint16_t* xp) {
  for (int64_t c = 0; c < rows; c += 2)
    for (int64_t l = 0; l < L; ++l) {
      xp[(c * L + 2 * l)] = to_bf16(xt[c * L + l]);
      xp[(c * L + 2 * l) + 1] = to_bf16(xt[(c + 1) * L + l]);
    }
}

// ---- bf16 weights (decode_gemm.h): rows in bf16 pairs, fp32 sums ----

// 32-bit lanes of the pair layout: each holds one row's two bf16 inputs.
typedef uint32_t PairLanes16 __attribute__((vector_size(64)));
typedef uint32_t PairLanes8 __attribute__((vector_size(32)));
template <typename V>
struct PairLanesOf {
  using type = PairLanes16;
};
template <>
struct PairLanesOf<Vec8> {
  using type = PairLanes8;
};
template <typename V>
using PairLanes = typename PairLanesOf<V>::type;

__attribute__((always_inline)) inline float float_of_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
__attribute__((always_inline)) inline float bf16_low(uint32_t pair) {
  return float_of_bits(pair << 16);
}
__attribute__((always_inline)) inline float bf16_high(uint32_t pair) {
  return float_of_bits(pair & 0xffff0000u);
}

// The two ways to multiply a vector of row pairs by a broadcast weight pair,
// acc += w_lo x_lo + w_hi x_hi, chosen once per call (bf16_dot()).
// Native: one vdpbf16ps with the weight pair broadcast from memory. Inline
// assembly, not the intrinsic: an intrinsic needs its target enabled in
// every function it is inlined through, and these templates are compiled
// once per target clone.
struct NativeDot {
  template <typename V>
  using Rows = PairLanes<V>;
  template <typename V>
  __attribute__((always_inline)) static Rows<V> prepare(PairLanes<V> x) {
    return x;
  }
  __attribute__((always_inline)) static Vec16 madd(Vec16 acc, PairLanes<Vec16> x,
                                                   const uint16_t* w) {
    asm("vdpbf16ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(x), "m"(*(const uint32_t*)w));
    return acc;
  }
  __attribute__((always_inline)) static Vec8 madd(Vec8 acc, PairLanes<Vec8> x, const uint16_t* w) {
    asm("vdpbf16ps %2%{1to8%}, %1, %0" : "+v"(acc) : "v"(x), "m"(*(const uint32_t*)w));
    return acc;
  }
  // acc += 16 pairs of one weight row (w, 32 bf16) times 16 pairs of a row.
  __attribute__((always_inline)) static Vec16 madd_row(Vec16 acc, PairLanes16 x,
                                                       const uint16_t* w) {
    asm("vdpbf16ps %2, %1, %0" : "+v"(acc) : "v"(x), "m"(*(const PairLanes16*)w));
    return acc;
  }
};

// Widened: the rows' pair halves become fp32 once per input pair, then two
// fp32 multiply-adds per weight pair.
struct WidenDot {
  template <typename V>
  struct Rows {
    V lo, hi;
  };
  template <typename V>
  __attribute__((always_inline)) static Rows<V> prepare(PairLanes<V> x) {
    return {(V)(x << 16), (V)(x & 0xffff0000u)};
  }
  template <typename V>
  __attribute__((always_inline)) static V madd(V acc, const Rows<V>& x, const uint16_t* w) {
    uint32_t pair;
    std::memcpy(&pair, w, sizeof pair);
    return acc + bf16_low(pair) * x.lo + bf16_high(pair) * x.hi;
  }
  __attribute__((always_inline)) static Vec16 madd_row(Vec16 acc, const Rows<Vec16>& x,
                                                       const uint16_t* w) {
    PairLanes16 pairs;
    std::memcpy(&pairs, w, sizeof pairs);
    return acc + (Vec16)(pairs << 16) * x.lo + (Vec16)(pairs & 0xffff0000u) * x.hi;
  }
};

template <typename V>
__attribute__((always_inline)) inline PairLanes<V> load_pairs(const uint16_t* p) {
  PairLanes<V> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// panel() for bf16 weights w (n, C) and rows xp (C/2, L, 2): RT weight rows
// at a time, each weight pair multiplied into NV vectors of row pairs.
template <typename V, typename Dot, int NV, int RT, typename Sink>
__attribute__((always_inline)) inline void bf16_panel(const uint16_t* w, int64_t n, int64_t C,
                                                      const uint16_t* xp, Sink& sink) {
  constexpr int64_t W = kWidth<V>, L = W * NV;
  using Rows = typename Dot::template Rows<V>;
  int64_t o = 0;
  for (; o + RT <= n; o += RT) {
    V acc[RT][NV] = {};
    const uint16_t* wr = w + o * C;
    for (int64_t k0 = 0; k0 < C; k0 += 32) {  // a cache line of each weight row
#pragma GCC unroll 24
      for (int i = 0; i < RT; ++i) __builtin_prefetch(wr + (RT + i) * C + k0);
      const int64_t k1 = std::min(C, k0 + 32);
#pragma GCC unroll 4
      for (int64_t k = k0; k < k1; k += 2) {
        Rows xv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j)
          xv[j] = Dot::template prepare<V>(load_pairs<V>(xp + k * L + 2 * W * j));
#pragma GCC unroll 24
        for (int i = 0; i < RT; ++i)
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) acc[i][j] = Dot::madd(acc[i][j], xv[j], wr + i * C + k);
      }
    }
#pragma GCC unroll 24
    for (int i = 0; i < RT; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) sink.put(o, i, j, acc[i][j]);
    sink.done(o, RT);
  }
  for (; o < n; ++o) {  // the last n % RT rows
    V acc[NV] = {};
    for (int64_t k = 0; k < C; k += 2)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j)
        acc[j] = Dot::madd(acc[j], Dot::template prepare<V>(load_pairs<V>(xp + k * L + 2 * W * j)),
                           w + o * C + k);
    for (int j = 0; j < NV; ++j) sink.put(o, 0, j, acc[j]);
    sink.done(o, 1);
  }
}

// One row (Rp = 1: xp is the row itself, its pairs side by side): a
// matrix-vector product, each weight row dotted with the row 32 inputs at a
// time, RT weight rows at once. Lanes of padding would be 7 of 8 products.
// y[o] = w[o] . x (+ bias[o]) (+ y[o] with accumulate).
template <typename Dot, int RT>
__attribute__((always_inline)) inline void row_panel(const uint16_t* w, int64_t o, int64_t C,
                                                     const uint16_t* x, float* y, const float* bias,
                                                     bool accumulate) {
  using Rows = typename Dot::template Rows<Vec16>;
  const int64_t body = C / 32 * 32;
  const uint16_t* wr = w + o * C;
  Vec16 acc[RT] = {};
  for (int64_t k = 0; k < body; k += 32) {
#pragma GCC unroll 16
    for (int i = 0; i < RT; ++i) __builtin_prefetch(wr + (RT + i) * C + k);
    const Rows xv = Dot::template prepare<Vec16>(load_pairs<Vec16>(x + k));
#pragma GCC unroll 16
    for (int i = 0; i < RT; ++i) acc[i] = Dot::madd_row(acc[i], xv, wr + i * C + k);
  }
  for (int i = 0; i < RT; ++i) {
    float sum = sum16(acc[i]);
    for (int64_t k = body; k < C; k += 2) {
      uint32_t wp, xp;
      std::memcpy(&wp, wr + i * C + k, sizeof wp);
      std::memcpy(&xp, x + k, sizeof xp);
      sum += bf16_low(wp) * bf16_low(xp) + bf16_high(wp) * bf16_high(xp);
    }
    const float before = accumulate ? y[o + i] : 0.0f;
    y[o + i] = before + (sum + (bias ? bias[o + i] : 0.0f));
  }
}

template <typename Dot>
__attribute__((always_inline)) inline void one_row(const uint16_t* w, int64_t n, int64_t C,
                                                   const uint16_t* x, float* y, const float* bias,
                                                   bool accumulate) {
  // 16 weight rows at a time read fastest (16.6 GB/s on 0.5B's 4864 x 896,
  // one core; 8 rows 12.0, 24 rows 12.6): 16 streams prefetched one panel
  // ahead keep enough lines in flight, more spill. Then 8, then one at a
  // time for a thread's share's last rows.
  int64_t o = 0;
  for (; o + 16 <= n; o += 16) row_panel<Dot, 16>(w, o, C, x, y, bias, accumulate);
  for (; o + 8 <= n; o += 8) row_panel<Dot, 8>(w, o, C, x, y, bias, accumulate);
  for (; o < n; ++o) row_panel<Dot, 1>(w, o, C, x, y, bias, accumulate);
}

template <typename Dot>
__attribute__((always_inline)) inline void one_row_swiglu(const uint16_t* wg, const uint16_t* wu,
                                                          int64_t n, int64_t C, const uint16_t* x,
                                                          uint16_t* act) {
  alignas(64) float gate[kSwigluChunk], up[kSwigluChunk];
  for (int64_t o = 0; o < n; o += kSwigluChunk) {
    const int64_t m = std::min(kSwigluChunk, n - o);
    one_row<Dot>(wg + o * C, m, C, x, gate, nullptr, false);
    one_row<Dot>(wu + o * C, m, C, x, up, nullptr, false);
    for (int64_t i = 0; i < m; ++i) {
      const float g = gate[i], sig = 1.0f / (1.0f + exp_approx(-g));
      act[o + i] = to_bf16(g * sig * up[i]);
    }
  }
}

template <typename Dot>
struct Bf16 {
  template <typename V, int NV>
  struct LanesPanel {
    __attribute__((always_inline)) static void run(const uint16_t* w, int64_t n, int64_t C,
                                                   const uint16_t* xp, float* y, bool accumulate) {
      if (accumulate) {
        LaneSink<V, true> sink{y, kWidth<V> * NV};
        bf16_panel<V, Dot, NV, kPanelRows<NV>>(w, n, C, xp, sink);
      } else {
        LaneSink<V, false> sink{y, kWidth<V> * NV};
        bf16_panel<V, Dot, NV, kPanelRows<NV>>(w, n, C, xp, sink);
      }
    }
  };

  template <typename V, int NV>
  struct RowsPanel {
    __attribute__((always_inline)) static void run(const uint16_t* w, int64_t n, int64_t C,
                                                   const uint16_t* xp, int64_t R, RowsOut out) {
      RowSink<V, kPanelRows<NV>, kWidth<V> * NV> sink{out, R, {}};
      bf16_panel<V, Dot, NV, kPanelRows<NV>>(w, n, C, xp, sink);
    }
  };

  // SwigluChunks' bf16 twin: its output is rounded into the pair layout.
  template <typename V, int NV>
  struct SwigluChunks {
    __attribute__((always_inline)) static void run(const uint16_t* wg, const uint16_t* wu,
                                                   int64_t n, int64_t C, const uint16_t* xp,
                                                   uint16_t* act_p) {
      constexpr int64_t L = kWidth<V> * NV;
      alignas(64) float gate[kSwigluChunk * L], up[kSwigluChunk * L], act[kSwigluChunk * L];
      for (int64_t o = 0; o < n; o += kSwigluChunk) {
        const int64_t m = std::min(kSwigluChunk, n - o);
        LanesPanel<V, NV>::run(wg + o * C, m, C, xp, gate, false);
        LanesPanel<V, NV>::run(wu + o * C, m, C, xp, up, false);
        for (int64_t i = 0; i < m * L; ++i) {
          const float g = gate[i], sig = 1.0f / (1.0f + exp_approx(-g));
          act[i] = g * sig * up[i];
        }
        pairs_of(act, m, L, act_p + o * L);
      }
    }
  };
};

// Dot's kernels for every lane count, compiled for one target each: the
// native dot needs AVX-512 (x86-64-v4), the widened one runs anywhere.
#define R1_BF16_KERNELS(Dot, TARGET)                                                               \
  TARGET void Dot##_lanes(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp, \
                          float* y, bool accumulate) {                                             \
    for_lanes<Bf16<Dot>::LanesPanel>(Rp, w, n, C, xp, y, accumulate);                              \
  }                                                                                                \
  TARGET void Dot##_rows(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp,  \
                         int64_t R, const RowsOut& out) {                                          \
    for_lanes<Bf16<Dot>::RowsPanel>(Rp, w, n, C, xp, R, out);                                      \
  }                                                                                                \
  TARGET void Dot##_swiglu(const uint16_t* wg, const uint16_t* wu, int64_t n, int64_t C,           \
                           const uint16_t* xp, int64_t Rp, uint16_t* act_p) {                      \
    if (Rp == 1) return one_row_swiglu<Dot>(wg, wu, n, C, xp, act_p);                              \
    for_lanes<Bf16<Dot>::SwigluChunks>(Rp, wg, wu, n, C, xp, act_p);                               \
  }                                                                                                \
  TARGET void Dot##_one_row(const uint16_t* w, int64_t n, int64_t C, const uint16_t* x, float* y,  \
                            const float* bias, bool accumulate) {                                  \
    one_row<Dot>(w, n, C, x, y, bias, accumulate);                                                 \
  }

#if defined(__x86_64__) && defined(__GNUC__)
R1_BF16_KERNELS(NativeDot, __attribute__((target("arch=x86-64-v4"))))
bool cpu_has_bf16_dot() {
  return __builtin_cpu_supports("avx512bf16");
}
#else
bool cpu_has_bf16_dot() {
  return false;
}
#endif
R1_BF16_KERNELS(WidenDot, R1_VECTOR_CLONES)
#undef R1_BF16_KERNELS

Bf16Dot& current_bf16_dot() {
  static Bf16Dot dot = cpu_has_bf16_dot() ? Bf16Dot::kNative : Bf16Dot::kWiden;
  return dot;
}

void check_lanes(int64_t Rp) {
  if (Rp != decode_lanes(Rp) || Rp <= 0 || Rp > kDecodeGemmMaxRows)
    fail("weight_times_rows: ", Rp, " lanes (need 8 or a multiple of 16 up to ", kDecodeGemmMaxRows,
         ")");
}

}  // namespace

// In 16 x 16 tiles: column by column over all R rows, rows a power-of-two
// stride apart (4 KB at C = 1024) evict each other from L1, and the pack of
// the down projection's input cost 70 us a call.
void pack_rows(const float* x, int64_t R, int64_t C, int64_t ldx, int64_t Rp, float* xt) {
  constexpr int64_t kTile = 16;
  for (int64_t c0 = 0; c0 < C; c0 += kTile) {
    const int64_t c1 = std::min(C, c0 + kTile);
    for (int64_t r0 = 0; r0 < R; r0 += kTile) {
      const int64_t r1 = std::min(R, r0 + kTile);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) xt[c * Rp + r] = x[r * ldx + c];
    }
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t r = R; r < Rp; ++r) xt[c * Rp + r] = 0.0f;
  }
}

void weight_times_rows(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp, float* y,
                       bool accumulate) {
  check_lanes(Rp);
  lanes_impl(w, n, C, xt, Rp, y, accumulate);
}

void weight_times_rows_into(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp,
                            int64_t R, const RowsOut& out) {
  check_lanes(Rp);
  if (R <= 0 || R > Rp) fail("weight_times_rows_into: ", R, " rows for ", Rp, " lanes");
  rows_impl(w, n, C, xt, Rp, R, out);
}

void swiglu_times_rows(const float* wg, const float* wu, int64_t n, int64_t C, const float* xt,
                       int64_t Rp, float* act_t) {
  check_lanes(Rp);
  swiglu_impl(wg, wu, n, C, xt, Rp, act_t);
}

R1_VECTOR_CLONES
void lanes_to_bf16_pairs(const float* xt, int64_t rows, int64_t Rp, uint16_t* xp) {
  if (rows % 2) fail("lanes_to_bf16_pairs: ", rows, " rows (need an even count)");
  pairs_of(xt, rows, Rp, xp);
}

Bf16Dot bf16_dot() {
  return current_bf16_dot();
}

void set_bf16_dot(Bf16Dot dot) {
  if (dot == Bf16Dot::kNative && !cpu_has_bf16_dot())
    fail("bf16 products: this CPU has no AVX512-BF16 (vdpbf16ps)");
  current_bf16_dot() = dot;
}

namespace {
void check_bf16(const char* what, int64_t C, int64_t Rp) {
  if (Rp != 1) check_lanes(Rp);
  if (C % 2) fail(what, ": bf16 products need an even input size, not ", C);
}

void one_row(const uint16_t* w, int64_t n, int64_t C, const uint16_t* x, float* y,
             const float* bias, bool accumulate) {
  if (current_bf16_dot() == Bf16Dot::kNative)
    NativeDot_one_row(w, n, C, x, y, bias, accumulate);
  else
    WidenDot_one_row(w, n, C, x, y, bias, accumulate);
}
}  // namespace

int64_t decode_lanes_bf16(int64_t R) {
  return R == 1 ? 1 : decode_lanes(R);
}

void weight_times_rows(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp,
                       float* y, bool accumulate) {
  check_bf16("weight_times_rows", C, Rp);
  if (Rp == 1) return one_row(w, n, C, xp, y, nullptr, accumulate);
  if (current_bf16_dot() == Bf16Dot::kNative)
    NativeDot_lanes(w, n, C, xp, Rp, y, accumulate);
  else
    WidenDot_lanes(w, n, C, xp, Rp, y, accumulate);
}

void weight_times_rows_into(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp,
                            int64_t R, const RowsOut& out) {
  check_bf16("weight_times_rows_into", C, Rp);
  if (R <= 0 || R > Rp) fail("weight_times_rows_into: ", R, " rows for ", Rp, " lanes");
  if (Rp == 1) return one_row(w, n, C, xp, out.y, out.bias, out.accumulate);
  if (current_bf16_dot() == Bf16Dot::kNative)
    NativeDot_rows(w, n, C, xp, Rp, R, out);
  else
    WidenDot_rows(w, n, C, xp, Rp, R, out);
}

void swiglu_times_rows(const uint16_t* wg, const uint16_t* wu, int64_t n, int64_t C,
                       const uint16_t* xp, int64_t Rp, uint16_t* act_p) {
  check_bf16("swiglu_times_rows", C, Rp);
  if (n % 2) fail("swiglu_times_rows: bf16 output needs an even row count, not ", n);
  if (current_bf16_dot() == Bf16Dot::kNative)
    NativeDot_swiglu(wg, wu, n, C, xp, Rp, act_p);
  else
    WidenDot_swiglu(wg, wu, n, C, xp, Rp, act_p);
}

}  // namespace r1
