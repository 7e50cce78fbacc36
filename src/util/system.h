// Facts about the compute setup that change speed by an order of magnitude and
// must be checked, not assumed: which BLAS torch really loaded.
#pragma once

#include <string>

namespace r1 {

// The BLAS shared library mapped into this process ("openblas-pthread", ...),
// resolved from /proc/self/maps after forcing torch to initialise its BLAS.
std::string blas_library();
int compute_threads();

}  // namespace r1
