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

}  // namespace r1
