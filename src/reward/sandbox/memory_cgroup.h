// One memory cgroup per sandbox run: the kernel charges it with everything the
// run's processes hold (anonymous memory, tmpfs and /dev/shm files, memfds,
// SysV shared memory, page tables, socket and pipe buffers) and OOM-kills
// inside it past the limit, so a run cannot hold more than its limit however
// it allocates. cgroup v2 (memory.max) where r1's cgroup has the memory
// controller delegated, else cgroup v1's memory hierarchy; where neither is
// writable, none (run_sandboxed then falls back to per-process limits and
// refuses memfd_create and SysV shared memory; the reason is printed once).
// R1_SANDBOX_NO_CGROUP=1 in the environment chooses none (to test that path).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace r1 {

class MemoryCgroup {
 public:
  // A fresh cgroup holding at most `bytes` (swap included), or nullptr where
  // this machine offers no memory cgroup to r1.
  static std::unique_ptr<MemoryCgroup> create(int64_t bytes);
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;
  ~MemoryCgroup();  // removes the directory once its processes are gone

  // The file a process writes its pid to in order to join.
  const std::string& procs_file() const { return procs_file_; }
  // Processes of the run the OOM killer ended so far.
  int64_t oom_kills() const;
  // The most the run held at once (bytes); -1 where the kernel does not say.
  int64_t peak_bytes() const;

 private:
  MemoryCgroup(int version, std::string dir);
  int version_;
  std::string dir_, procs_file_;
};

// "cgroup v2 at DIR" / "cgroup v1 at DIR", or "" where none (why: see
// memory_cgroup_unavailable_reason).
std::string memory_cgroup_description();
std::string memory_cgroup_unavailable_reason();

}  // namespace r1
