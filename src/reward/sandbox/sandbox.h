// Runs an untrusted program (model-written code) inside a bubblewrap sandbox:
// new user/pid/net/ipc/uts/mount namespaces, read-only /usr, / and /dev,
// private size-capped tmpfs /tmp, /dev/shm and /home, no /etc, no host files,
// rlimits, a seccomp filter, a memory cgroup capping the whole run where the
// machine offers one, and a wall-clock limit enforced here by killing the
// sandbox's pid namespace. There is no unsandboxed fallback: if the machine
// cannot create the namespaces, this throws.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace r1 {

struct SandboxLimits {
  double cpu_seconds = 2.0;   // RLIMIT_CPU of each process (whole seconds, rounded up)
  double wall_seconds = 5.0;  // whole run; then every process in the sandbox is killed
  // RLIMIT_AS of each process, and the whole run's memory (all processes,
  // tmpfs files, memfds, shared memory) where a memory cgroup is available.
  int64_t memory_bytes = int64_t(512) << 20;
  int max_processes = 16;  // RLIMIT_NPROC, counted inside the sandbox only
  int64_t max_output_bytes = int64_t(1)
                             << 20;  // each of stdout and stderr; the run is killed past it
  // RLIMIT_FSIZE, and the size of each of the /tmp and /dev/shm tmpfs.
  int64_t max_file_bytes = int64_t(16) << 20;
};

// A file copied into the sandbox before the program starts (read-only there).
struct SandboxFile {
  std::string path;  // absolute path inside the sandbox, e.g. "/box/main.py"
  std::string data;
  bool executable = false;
};

struct SandboxSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path inside the sandbox
  std::string stdin_data;
  std::vector<SandboxFile> files;
  // Names of files the program may write under /out (a scratch directory that
  // only exists for this run); their contents come back in RunResult::outputs.
  std::vector<std::string> output_files;
  SandboxLimits limits;
};

enum class RunStatus {
  kExited,       // the program exited by itself (exit_code says how; 128+N = signal N)
  kTimedOut,     // wall_seconds passed; the sandbox was killed
  kOutputLimit,  // stdout or stderr passed max_output_bytes; the sandbox was killed
  kMemoryLimit,  // the run's memory cgroup hit memory_bytes; the kernel killed it
};

struct RunResult {
  RunStatus status = RunStatus::kExited;
  int exit_code = -1;  // when kExited
  std::string out, err;
  std::map<std::string, std::string> outputs;  // output_files that the program wrote
  double wall_seconds = 0;
  int64_t peak_memory_bytes = -1;  // the most the run held at once, where a cgroup measured it
  bool ok() const { return status == RunStatus::kExited && exit_code == 0; }
};

// Runs `spec` in a fresh sandbox and waits for it; thread-safe, so a worker
// pool can call it concurrently. Anything the program does is reported in the
// result; throws Error only when the sandbox itself cannot be set up (bwrap
// missing, user namespaces not allowed, ...).
RunResult run_sandboxed(const SandboxSpec& spec);

const char* to_string(RunStatus status);

// How the total memory of a run is capped on this machine: "cgroup v2 at
// DIR", "cgroup v1 at DIR", or "" where it is not (then a message saying why
// was printed once, at the first run).
std::string sandbox_memory_cgroup();

}  // namespace r1
