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
};

}  // namespace r1
