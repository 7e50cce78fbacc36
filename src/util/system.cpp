#include "util/system.h"

#include "util/blas_env.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

namespace r1 {

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.find("blas") == std::string::npos) continue;
    if (path.find("openblas") != std::string::npos) {
      const char* core = std::getenv("OPENBLAS_CORETYPE");
      return "openblas (" + path + (core ? std::string(", core ") + core : "") + ")";
    }
    if (path.find("libblas") != std::string::npos) return "reference (" + path + ")";
    if (path.find("blis") != std::string::npos) return "blis (" + path + ")";
  }
  // PyPI's wheel links MKL statically into libtorch_cpu: no BLAS file mapped.
  if (at::hasMKL()) return "mkl (inside libtorch)";
  return "unknown";
}

void configure_allocator() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed on 64-bit
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
}

void configure_threads() {
  if (const char* n = std::getenv("R1_THREADS")) {
    at::set_num_threads(std::max(1, std::atoi(n)));
    return;
  }
  if (std::getenv("OMP_NUM_THREADS")) return;
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  at::set_num_threads(std::max(1, cpus));
}

void select_blas_kernels(char** argv) {
  if (std::getenv("R1_NO_BLAS_REEXEC") || !set_blas_environment()) return;
  ::setenv("R1_NO_BLAS_REEXEC", "1", 1);  // never loop
  ::execv("/proc/self/exe", argv);        // only returns on failure: go on as we are
}

int compute_threads() {
  return at::get_num_threads();
}

std::string omp_waiting() {
  std::string out;
  for (const char* name : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"})
    if (const char* value = std::getenv(name))
      out += (out.empty() ? "" : ", ") + std::string(name) + "=" + value;
  return out.empty() ? "libgomp's default (spin ~300000 loops, then sleep)" : out;
}

}  // namespace r1
