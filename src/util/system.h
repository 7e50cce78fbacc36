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

// How torch's OpenMP threads wait between parallel regions, as libgomp was
// told: "OMP_WAIT_POLICY=...", "GOMP_SPINCOUNT=..." or libgomp's default.
std::string omp_waiting();

// glibc returns every freed block over its mmap threshold (128 KB, growing
// to at most 32 MB) to the kernel, so each training step page-faults its
// activations in anew (3% of a GRPO profile in the kernel's page-fault path).
// This keeps blocks up to 32 MB in the heap and never trims it: the process
// holds on to its peak working set, as torch's caching allocators do on GPUs.
// bench_grpo, same run: the update 17% faster at hidden 64, 8% at hidden 256.
// Call once at start-up.
void configure_allocator();

// Debian's OpenBLAS 0.3.21 does not recognise this CPU generation and falls
// back to its Prescott (SSE3) kernels, 2-3x slower than its Haswell (AVX2+FMA)
// ones on every matmul shape we measured. The core type is read once when the
// library loads, so on such CPUs (AVX2 + FMA present, OPENBLAS_CORETYPE unset)
// this sets it and re-executes the program. It also bounds how long torch's
// OpenMP threads spin between parallel regions before they sleep
// (GOMP_SPINCOUNT, system.cpp has the measurements): waking a sleeping thread
// costs tens of microseconds per region on a VM, and spinning without bound
// takes the cores from OpenBLAS's own threads and from other processes.
// OMP_WAIT_POLICY=PASSIVE (never spin) is faster on a machine shared with
// busy processes. Call first thing in main. Values the user set always win.
void select_blas_kernels(char** argv);

}  // namespace r1
