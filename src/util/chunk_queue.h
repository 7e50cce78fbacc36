// Work handed out in chunks as threads come for them. On a VM, or beside
// other processes, one core often runs slower for a while; with the work
// split into fixed shares the other then waits at the end. The decode step's
// products and the LM head take their chunks from one of these.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace r1 {

struct ChunkQueue {
  std::atomic<int64_t> next{0};

  // fn(begin, end) for chunks of `unit` of the n items until none are left;
  // every thread sharing the queue calls this.
  template <typename Fn>
  void drain(int64_t n, int64_t unit, Fn fn) {
    for (int64_t b; (b = next.fetch_add(unit, std::memory_order_relaxed)) < n;)
      fn(b, std::min(n, b + unit));
  }

  // The same with guided chunks: each a 1/(2 threads) share of the items
  // left, in whole units, at least one. Large chunks first keep each
  // thread's weight stream long; the small ones at the end leave a thread
  // that finished first at most a unit's work to wait for. With fixed chunks,
  // an odd count of them made one thread wait a whole chunk (0.5B down_proj:
  // 19 chunks of ~170 us, ~4 ms of a 64-row step).
  template <typename Fn>
  void drain_guided(int64_t n, int64_t unit, int threads, Fn fn) {
    int64_t b = next.load(std::memory_order_relaxed);
    while (b < n) {
      const int64_t size = std::max(unit, (n - b) / (2 * threads) / unit * unit);
      if (next.compare_exchange_weak(b, b + size, std::memory_order_relaxed)) {
        fn(b, std::min(n, b + size));
        b = next.load(std::memory_order_relaxed);
      }
    }
  }
};

}  // namespace r1
