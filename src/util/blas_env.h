// The environment OpenBLAS and libgomp read once, when they are loaded: set it
// before libtorch is loaded (torch-free, so the r1 front binary can call it).
#pragma once

namespace r1 {

// Debian's OpenBLAS 0.3.21 does not recognise this CPU generation and falls
// back to its Prescott (SSE3) kernels, 2-3x slower than its Haswell (AVX2+FMA)
// ones on every matmul shape we measured: on a CPU with AVX2 + FMA this sets
// OPENBLAS_CORETYPE=Haswell (no other BLAS reads it). It also bounds how long
// torch's OpenMP threads spin between parallel regions before they sleep
// (GOMP_SPINCOUNT, blas_env.cpp has the measurements): waking a sleeping
// thread costs tens of microseconds per region on a VM, and spinning without
// bound takes the cores from OpenBLAS's own threads and from other processes.
// OMP_WAIT_POLICY=PASSIVE (never spin) is faster on a machine shared with
// busy processes. Values the user set always win. Returns true if it set
// anything. Has effect only before libtorch (OpenBLAS, libgomp) is loaded.
bool set_blas_environment();

}  // namespace r1
