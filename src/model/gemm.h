// fp32 matrix products for the training path. Debian's libtorch sends at::mm
// to OpenBLAS, whose newest kernels it picks for this CPU are Haswell AVX2;
// oneDNN (already loaded by libtorch) has AVX-512 sgemm kernels and runs the
// GRPO update's shapes about 2x faster on the same two cores. Other dtypes and
// devices, or a build without oneDNN, use at::mm.
#pragma once

#include <ATen/core/Tensor.h>

namespace r1 {

// op(a) @ op(b) for 2-D a, b, where op transposes when asked:
// (M, K) @ (K, N) -> (M, N), a new contiguous tensor.
at::Tensor matmul(const at::Tensor& a, bool transpose_a, const at::Tensor& b, bool transpose_b);

// Row-major C = alpha op(A) op(B) + beta C on raw pointers, op(A) (M, K),
// op(B) (K, N), with leading dimensions (row strides) lda, ldb, ldc: the BLAS
// call for small per-head products inside an at::parallel_for (it runs on the
// calling thread there). float and double.
template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// True when fp32 products go through oneDNN.
bool gemm_uses_onednn();

// Waking OpenMP's sleeping worker threads (r1 runs them passive, see
// util/system.h) costs about 60 us on this 2-core VM: as much as 25 MFLOP of
// one core's sgemm, or 100 us of an elementwise pass (`bench_model --threads`
// measures the crossover). Smaller products and passes run on the calling
// thread; at a hidden size of 64 this halved a GRPO step.
constexpr double kParallelMinFlops = 25e6;
constexpr double kParallelMinNanos = 100e3;

// While alive and `serial`, torch's and oneDNN's parallel regions run on the
// calling thread only.
class SerialScope {
 public:
  explicit SerialScope(bool serial);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  int saved_threads_ = 0;  // 0: nothing changed
};

// at::parallel_for grain for `items` costing about `nanos_per_item` each on
// one core: all of them (one thread) when the total is under
// kParallelMinNanos, else one.
int64_t parallel_grain(int64_t items, double nanos_per_item);

}  // namespace r1
