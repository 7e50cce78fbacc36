// Timing helpers and the same-run ceilings every benchmark reports against.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/config.h"

namespace r1::bench {

// Median wall time (seconds) of `fn` over at least `min_runs` runs and about
// `min_seconds` of total time, after one warm-up run.
double median_seconds(const std::function<void()>& fn, int min_runs = 3, double min_seconds = 1.0);

// fp32 GEMM rate (GFLOP/s) for an n x n x n product through torch (BLAS).
double sgemm_gflops(int n = 1024);
// The same through model/gemm.h, the product the model's layers use (oneDNN's
// AVX-512 kernels when available, which beat OpenBLAS's on this CPU).
double model_sgemm_gflops(int n = 1024);
// Streaming read bandwidth (GB/s): a vectorised sum over a buffer far larger
// than cache, four streams per thread.
double read_gbps();

std::string fixed(double x, int decimals);

// The benchmark models: random Qwen2 with the real Qwen2.5 vocabulary (151,936,
// tied embeddings). "small": hidden 384, 6 layers, 6/2 heads, FFN 1024;
// "0.5B": exactly Qwen2.5-0.5B's shape.
struct BenchShape {
  std::string name;
  int64_t hidden, layers, heads, kv_heads, ffn;
};
const std::vector<BenchShape>& bench_shapes();
ModelConfig qwen2_bench_config(const BenchShape& shape);

}  // namespace r1::bench
