#include "bench_util.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "model/gemm.h"

namespace r1::bench {

double median_seconds(const std::function<void()>& fn, int min_runs, double min_seconds) {
  using Clock = std::chrono::steady_clock;
  fn();  // warm-up: first-touch allocations, thread pools, caches
  std::vector<double> times;
  double total = 0;
  while (static_cast<int>(times.size()) < min_runs || total < min_seconds) {
    auto start = Clock::now();
    fn();
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    times.push_back(t);
    total += t;
    if (times.size() >= 50) break;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double sgemm_gflops(int n) {
  auto a = at::randn({n, n}), b = at::randn({n, n});
  double t = median_seconds([&] { at::mm(a, b); }, 10, 1.0);
  return 2.0 * n * n * n / t / 1e9;
}

double model_sgemm_gflops(int n) {
  auto a = at::randn({n, n}), b = at::randn({n, n});
  double t = median_seconds([&] { r1::matmul(a, false, b, false); }, 10, 1.0);
  return 2.0 * n * n * n / t / 1e9;
}

// Each thread sums its half of the buffer as four contiguous quarters read in
// lockstep, with independent accumulators so the loop vectorises and is bound
// by memory, not by the add latency. One sequential stream per core read
// 25-27 GB/s on this VM, four 32-33 (a STREAM-like probe: 33): a single stream leaves
// the memory system idle part of the time, and the ceiling is the best rate.
static float sum_range(const float* p, int64_t n) {
  constexpr int kStreams = 4;
  const int64_t len = n / kStreams;
  float acc[kStreams][16] = {};
  int64_t i = 0;
  for (; i + 16 <= len; i += 16)
    for (int s = 0; s < kStreams; ++s)
      for (int j = 0; j < 16; ++j) acc[s][j] += p[s * len + i + j];
  float total = 0;
  for (int s = 0; s < kStreams; ++s) {
    for (int j = 0; j < 16; ++j) total += acc[s][j];
    for (int64_t k = i; k < len; ++k) total += p[s * len + k];
  }
  for (int64_t k = kStreams * len; k < n; ++k) total += p[k];
  return total;
}

double read_gbps() {
  const int64_t n = int64_t(256) << 20;  // 1 GiB of fp32, far beyond the caches
  std::vector<float> data(n, 1.0f);
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  volatile float sink = 0;
  double t = median_seconds(
      [&] {
        std::vector<std::thread> pool;
        std::vector<float> partial(threads);
        for (int k = 0; k < threads; ++k)
          pool.emplace_back([&, k] {
            int64_t begin = n * k / threads, end = n * (k + 1) / threads;
            partial[k] = sum_range(data.data() + begin, end - begin);
          });
        for (auto& th : pool) th.join();
        for (float x : partial) sink = sink + x;
      },
      5, 0.5);
  return static_cast<double>(n) * sizeof(float) / t / 1e9;
}

const std::vector<BenchShape>& bench_shapes() {
  static const std::vector<BenchShape> shapes = {{"small", 384, 6, 6, 2, 1024},
                                                 {"0.5B", 896, 24, 14, 2, 4864}};
  return shapes;
}

ModelConfig qwen2_bench_config(const BenchShape& s) {
  ModelConfig c = default_config("qwen2");
  c.vocab_size = 151936;
  c.hidden_size = s.hidden;
  c.num_hidden_layers = s.layers;
  c.num_attention_heads = s.heads;
  c.num_key_value_heads = s.kv_heads;
  c.head_dim = s.hidden / s.heads;
  c.intermediate_size = s.ffn;
  c.tie_word_embeddings = true;
  c.max_position_embeddings = 4096;
  return c;
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

}  // namespace r1::bench
