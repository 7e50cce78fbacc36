#include "model/decode_gemm.h"

#include <cstring>

#include "model/vec_math.h"
#include "util/error.h"

namespace r1 {
namespace {

// y (n, 16 NV) = w (n, C) xt (C, 16 NV), RT weight rows at a time: RT x NV
// accumulators stay in registers (24 of AVX-512's 32), each weight element is
// broadcast once against NV vectors of rows, and xt (at most 229 KB at
// C = 896) is reread from L2 per RT weight rows.
template <int NV, int RT>
__attribute__((always_inline)) inline void panel(const float* w, int64_t n, int64_t C,
                                                 const float* xt, float* y) {
  constexpr int64_t L = 16 * NV;
  int64_t o = 0;
  for (; o + RT <= n; o += RT) {
    Vec16 acc[RT][NV] = {};
    const float* wr = w + o * C;
#pragma GCC unroll 4
    for (int64_t k = 0; k < C; ++k) {
      Vec16 xv[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) xv[j] = load16(xt + k * L + 16 * j);
#pragma GCC unroll 24
      for (int i = 0; i < RT; ++i) {
        const float wi = wr[i * C + k];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] += wi * xv[j];
      }
    }
#pragma GCC unroll 24
    for (int i = 0; i < RT; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) store16(y + (o + i) * L + 16 * j, acc[i][j]);
  }
  for (; o < n; ++o) {  // the last n % RT rows
    Vec16 acc[NV] = {};
    for (int64_t k = 0; k < C; ++k) {
      const float wi = w[o * C + k];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[j] += wi * load16(xt + k * L + 16 * j);
    }
    for (int j = 0; j < NV; ++j) store16(y + o * L + 16 * j, acc[j]);
  }
}

R1_VECTOR_CLONES
void weight_times_rows_impl(const float* w, int64_t n, int64_t C, const float* xt, int64_t NV,
                            float* y) {
  switch (NV) {
    case 1:
      return panel<1, 24>(w, n, C, xt, y);
    case 2:
      return panel<2, 12>(w, n, C, xt, y);
    case 3:
      return panel<3, 8>(w, n, C, xt, y);
    default:
      return panel<4, 6>(w, n, C, xt, y);
  }
}

}  // namespace

void pack_rows(const float* x, int64_t R, int64_t C, int64_t ldx, int64_t Rp, float* xt) {
  for (int64_t c = 0; c < C; ++c) {
    float* out = xt + c * Rp;
    for (int64_t r = 0; r < R; ++r) out[r] = x[r * ldx + c];
    for (int64_t r = R; r < Rp; ++r) out[r] = 0.0f;
  }
}

void weight_times_rows(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp,
                       float* y) {
  if (Rp % 16 != 0 || Rp <= 0 || Rp > kDecodeGemmMaxRows)
    fail("weight_times_rows: ", Rp, " lanes (need a multiple of 16 up to ", kDecodeGemmMaxRows,
         ")");
  weight_times_rows_impl(w, n, C, xt, Rp / 16, y);
}

}  // namespace r1
