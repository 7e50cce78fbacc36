#include "model/gemm.h"

#include <ATen/ATen.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef R1_HAVE_ONEDNN
// oneDNN's C API (dnnl.h, not installed with the runtime library libtorch
// depends on): row-major C = alpha op(A) op(B) + beta C. Returns 0 on success.
extern "C" int dnnl_sgemm(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                          const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                          float* C, int64_t ldc);
#endif

namespace r1 {

bool gemm_uses_onednn() {
#ifdef R1_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

SerialScope::SerialScope(bool serial) {
#ifdef _OPENMP
  if (!serial || omp_in_parallel()) return;
  saved_threads_ = omp_get_max_threads();
  if (saved_threads_ > 1)
    omp_set_num_threads(1);
  else
    saved_threads_ = 0;
#endif
}

SerialScope::~SerialScope() {
#ifdef _OPENMP
  if (saved_threads_ > 0) omp_set_num_threads(saved_threads_);
#endif
}

int64_t parallel_grain(int64_t items, double nanos_per_item) {
  return static_cast<double>(items) * nanos_per_item < kParallelMinNanos
             ? std::max<int64_t>(items, 1)
             : 1;
}

#ifdef R1_HAVE_ONEDNN
namespace {

// A row-major view of `x` for BLAS: its data, whether it is stored transposed
// relative to its logical shape, and its leading dimension. Copies only when
// neither the rows nor the columns are contiguous.
struct Operand {
  at::Tensor storage;
  bool transposed;
  int64_t ld;
};

Operand operand(const at::Tensor& x) {
  if (x.stride(1) == 1 && x.stride(0) >= std::max<int64_t>(1, x.size(1)))
    return {x, false, x.stride(0)};
  if (x.stride(0) == 1 && x.stride(1) >= std::max<int64_t>(1, x.size(0)))
    return {x, true, x.stride(1)};
  auto c = x.contiguous();
  return {c, false, std::max<int64_t>(1, c.size(1))};
}

}  // namespace
#endif

at::Tensor matmul(const at::Tensor& a, bool transpose_a, const at::Tensor& b, bool transpose_b) {
  const at::Tensor A = transpose_a ? a.t() : a;  // (M, K)
  const at::Tensor B = transpose_b ? b.t() : b;  // (K, N)
#ifdef R1_HAVE_ONEDNN
  if (A.scalar_type() == at::kFloat && B.scalar_type() == at::kFloat && A.device().is_cpu() &&
      B.device().is_cpu() && A.numel() > 0 && B.numel() > 0) {
    const int64_t M = A.size(0), K = A.size(1), N = B.size(1);
    Operand oa = operand(A), ob = operand(B);
    auto c = at::empty({M, N}, A.options());
    SerialScope serial(2.0 * M * N * K < kParallelMinFlops);
    int status = dnnl_sgemm(oa.transposed ? 'T' : 'N', ob.transposed ? 'T' : 'N', M, N, K, 1.0f,
                            oa.storage.data_ptr<float>(), oa.ld, ob.storage.data_ptr<float>(),
                            ob.ld, 0.0f, c.data_ptr<float>(), std::max<int64_t>(1, N));
    if (status == 0) return c;
  }
#endif
  return at::mm(A, B);
}

namespace {

// at::addmm_ on views of the raw buffers: the path without oneDNN, and double.
template <typename T>
void gemm_aten(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  auto opts = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  auto view = [&](const T* p, int64_t rows, int64_t cols, int64_t ld, bool t) {
    auto m = at::from_blob(const_cast<T*>(p), {t ? cols : rows, t ? rows : cols}, {ld, 1}, opts);
    return t ? m.t() : m;
  };
  auto c = at::from_blob(C, {M, N}, {ldc, 1}, opts);
  if (beta == T(0)) c.zero_();
  c.addmm_(view(A, M, K, lda, ta), view(B, K, N, ldb, tb), beta == T(0) ? 1 : beta, alpha);
}

}  // namespace

template <>
void gemm<float>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
#ifdef R1_HAVE_ONEDNN
  SerialScope serial(2.0 * M * N * K < kParallelMinFlops);
  if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) == 0)
    return;
#endif
  gemm_aten(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <>
void gemm<double>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                  int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_aten(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace r1
