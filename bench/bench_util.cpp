#include "bench_util.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

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
  double t = median_seconds([&] { at::mm(a, b); }, 5, 0.5);
  return 2.0 * n * n * n / t / 1e9;
}

double read_gbps() {
  const int64_t n = int64_t(256) << 20;  // 1 GiB of fp32
  auto x = at::ones({n / 4});
  double t = median_seconds([&] { x.sum(); }, 5, 0.5);
  return static_cast<double>(n) / t / 1e9;
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

}  // namespace r1::bench
