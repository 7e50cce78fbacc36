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

// For a program that links libtorch itself (r1-torch run directly, the
// benchmarks): set_blas_environment (util/blas_env.h) and, if that changed
// anything, re-execute the program so that OpenBLAS and libgomp, already
// loaded, read it. `r1` sets it before it starts r1-torch, so this returns at
// once there. Call first thing in main.
void select_blas_kernels(char** argv);

}  // namespace r1
