// Facts about the compute setup that change speed by an order of magnitude and
// must be checked, not assumed: which BLAS torch really loaded.
#pragma once

#include <string>

namespace r1 {

// The BLAS shared library mapped into this process ("openblas-pthread", ...),
// resolved from /proc/self/maps after forcing torch to initialise its BLAS.
std::string blas_library();

// Torch's intra-op thread count. Debian's libtorch starts with 1 thread here
// (OpenMP's default), which halves elementwise and attention speed on 2 cores;
// so we set it to the CPUs this process may run on, unless OMP_NUM_THREADS or
// R1_THREADS says otherwise. Call once at start-up.
void configure_threads();
int compute_threads();

}  // namespace r1
