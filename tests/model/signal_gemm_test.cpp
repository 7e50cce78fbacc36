// Ctrl-C during fp32 products (util/interrupt.h keep_signals_off_compute_threads):
// SIGINT, caught by an InterruptGuard as r1 train and r1 sft do, sent to this
// process as fast as it goes while model/gemm.cpp runs products with a long K
// on every thread. oneDNN's jitted sgemm keeps its stack pointer in a heap
// buffer then; a handler run on a computing thread wrote its signal frame over
// malloc's chunk headers and glibc aborted within a second. Not gtest: the
// order matters (as in r1-torch's main, before any thread starts), so the
// check is a process of its own. Exit 0 and "ok" when every product is right.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "model/gemm.h"
#include "util/interrupt.h"
#include "util/system.h"

int main() {
  r1::keep_signals_off_compute_threads();
  r1::configure_threads();
  const r1::InterruptGuard ctrl_c;

  // K above oneDNN's on-stack capacity (84 for its AVX-512 kernel, 252 for
  // AVX2), M N K large enough to run on every OpenMP thread.
  const int64_t M = 192, N = 192, K = 1536;
  std::vector<float> a(M * K), b(K * N), c(M * N);
  for (int64_t i = 0; i < M * K; ++i) a[i] = static_cast<float>(i % 7) - 3;
  for (int64_t i = 0; i < K * N; ++i) b[i] = static_cast<float>(i % 5) - 2;
  std::vector<float> want(M * N, 0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n) want[m * N + n] += a[m * K + k] * b[k * N + n];

  std::atomic<bool> done{false};
  std::atomic<int64_t> sent{0};
  std::thread sender([&] {
    while (!done) {
      kill(getpid(), SIGINT);
      ++sent;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  int64_t products = 0, wrong = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    r1::gemm<float>(false, false, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    for (int64_t i = 0; i < M * N; ++i) wrong += c[i] != want[i];  // small integers: exact
    std::vector<std::vector<char>> churn;  // frees and allocations that meet a bad chunk header
    for (int i = 0; i < 64; ++i) churn.emplace_back(4096 + 512 * i, 1);
    ++products;
  }
  done = true;
  sender.join();
  if (!ctrl_c.requested() || wrong > 0) {
    std::printf("FAIL: %lld products, %lld wrong values, SIGINT %s\n",
                static_cast<long long>(products), static_cast<long long>(wrong),
                ctrl_c.requested() ? "seen" : "never seen");
    return 1;
  }
  std::printf("ok: %lld products (oneDNN: %s) under %lld SIGINTs\n",
              static_cast<long long>(products), r1::gemm_uses_onednn() ? "yes" : "no",
              static_cast<long long>(sent));
  return 0;
}
