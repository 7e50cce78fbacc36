// Products of a weight matrix with the few hidden rows of a decode step
// (up to 64). BLAS sgemm first packs (copies) the weight matrix, and at 64
// rows reading a weight from memory into the pack costs about as long as the
// 64 multiply-adds it then takes part in: the two do not overlap. Here the
// rows are packed instead (small, stays in L2) and each weight is read once,
// in place, straight into the multiply-adds.
//
// R = rows, Rp = lanes (decode_lanes(R)), C = input size, n = weight rows.
#pragma once

#include <cstdint>

namespace r1 {

// Rows these products are for: below 8 most of an 8-lane vector would be
// padding, and BLAS reads the weights about as fast.
constexpr int64_t kDecodeGemmMinRows = 8, kDecodeGemmMaxRows = 64;

// Lanes for R rows: 8 (one AVX2-width vector) up to 8 rows, else R rounded
// up to a multiple of 16 (AVX-512 vectors).
inline int64_t decode_lanes(int64_t R) {
  return R <= 8 ? 8 : (R + 15) / 16 * 16;
}

// xt (C, Rp) = x^T for x (R, C) with row stride ldx; lanes R..Rp are zero.
void pack_rows(const float* x, int64_t R, int64_t C, int64_t ldx, int64_t Rp, float* xt);

// y (n, Rp) = w (n, C) xt, or y += w xt with `accumulate`, for xt from
// pack_rows and Rp <= kDecodeGemmMaxRows: the result is in pack_rows' layout
// too, so it can be the next product's input or a residual kept transposed.
// Runs on the calling thread; callers split n between threads.
void weight_times_rows(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp, float* y,
                       bool accumulate = false);

// Where weight_times_rows_into writes: y[r * ldy + o] = w[o] . x[r]
// (+ bias[o] when given) (+ the value already there with accumulate: a
// residual connection added in the same pass).
struct RowsOut {
  float* y;
  int64_t ldy;
  const float* bias = nullptr;
  bool accumulate = false;
};

// The same product in the rows' own layout, x w^T, for the R <= Rp real rows
// and o < n.
void weight_times_rows_into(const float* w, int64_t n, int64_t C, const float* xt, int64_t Rp,
                            int64_t R, const RowsOut& out);

// A decode step's SwiGLU, g sigmoid(g) u with g = wg x^T and u = wu x^T, for
// weight rows [0, n) of the gate and up projections (n, C), written as act_t
// (n, Rp): pack_rows' layout, so it is the down projection's packed input as
// is. Neither the (R, 2n) gate|up result nor a second pack is ever written.
void swiglu_times_rows(const float* wg, const float* wu, int64_t n, int64_t C, const float* xt,
                       int64_t Rp, float* act_t);

// The same products on bf16 weights (the bits of at::BFloat16, as a bf16
// working copy stores them: model/master_weights.h), reading half the bytes
// of fp32. The rows are rounded to bf16 too and packed in pairs of inputs,
// xp (C/2, Rp, 2): the layout of AVX512-BF16's vdpbf16ps, which multiplies
// two bf16 pairs into one fp32 sum, twice fp32's multiply-adds per
// instruction. Sums and results stay fp32 (as a bf16 GEMM with fp32
// output); C is even. Without AVX512-BF16 each pair is widened to fp32 (a
// bf16 is the top half of an fp32) and multiplied in fp32: the same sums.

// Lanes for R rows on bf16 weights: one row takes no padding lanes (Rp = 1,
// its pairs side by side: a matrix-vector product), more as decode_lanes.
int64_t decode_lanes_bf16(int64_t R);

// xp = xt (rows, Rp) in the pair layout, rounded to nearest even: rows even,
// xt from pack_rows (or rows of it starting at an even row).
void lanes_to_bf16_pairs(const float* xt, int64_t rows, int64_t Rp, uint16_t* xp);

void weight_times_rows(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp,
                       float* y, bool accumulate = false);
void weight_times_rows_into(const uint16_t* w, int64_t n, int64_t C, const uint16_t* xp, int64_t Rp,
                            int64_t R, const RowsOut& out);

// SwiGLU on bf16 gate and up weights, written straight in the pair layout
// (n/2, Rp, 2) for the down projection: n even.
void swiglu_times_rows(const uint16_t* wg, const uint16_t* wu, int64_t n, int64_t C,
                       const uint16_t* xp, int64_t Rp, uint16_t* act_p);

// How the bf16 products multiply: kNative (vdpbf16ps) where the CPU has
// AVX512-BF16, else kWiden. Tests set kWiden to check it against kNative.
enum class Bf16Dot { kNative, kWiden };
Bf16Dot bf16_dot();
void set_bf16_dot(Bf16Dot dot);  // kNative on a CPU without it: an error

}  // namespace r1
