#include "util/blas_env.h"

#include <cstdlib>

namespace r1 {

// Waits of torch's OpenMP threads between parallel regions: this many pause
// loops (libgomp's GOMP_SPINCOUNT; ~0.1 ms here) spinning, then asleep. Same
// runs, 2 cores: against waking a sleeping thread per region (PASSIVE), the
// small model's decode layers at 64 rows 8.9-10.5 -> 6.8-7.2 ms a step and
// the h64 GRPO update 43-46 -> 34-37 ms; with a CPU-bound process beside it,
// 13-14 -> 16-17 ms and 60-65 -> 73-74 ms. 10000 loops gained no more alone
// and lost 60% under load; libgomp's default (300000) kept threads spinning
// through OpenBLAS's own (38% of a decode profile, when decode used BLAS).
constexpr const char* kOmpSpinCount = "3000";

bool set_blas_environment() {
  bool changed = false;
  if (!std::getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    changed = true;
  }
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) {
    ::setenv("GOMP_SPINCOUNT", kOmpSpinCount, 1);
    changed = true;
  }
  return changed;
}

}  // namespace r1
