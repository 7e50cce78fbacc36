// The one door to torch.distributed (c10d): rendezvous from torchrun's
// environment through a TCPStore, collectives through ProcessGroupGloo on CPU.
// Torch-free header; every c10d call (and every 1.13 / 2.x difference) lives in
// process_group.cpp. A world of one process is a no-op group that never
// touches c10d, so single-process runs behave exactly as before.
//
// Never hang: each rank beats a heartbeat into the store from its own thread;
// while a rank waits for a collective it watches the others' heartbeats and
// their failure reports, and throws an Error naming the rank that died or
// stopped answering within `timeout` (R1_DIST_TIMEOUT, default 30 s).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace r1::dist {

// torchrun's variables (SLURM via srun sets the same ones in our docs).
struct Env {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; WORLD_SIZE
// unset means one process. A malformed value is an Error naming the variable.
Env env_from_environment();

struct Options {
  double timeout_seconds = 30;              // a peer silent this long is dead
  double rendezvous_timeout_seconds = 120;  // every rank must reach the store by then
  double heartbeat_seconds = 0.5;
};

// R1_DIST_TIMEOUT and R1_DIST_RENDEZVOUS_TIMEOUT (seconds) over the defaults.
Options options_from_environment();

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;

  // In place, element-wise sum over ranks.
  virtual void all_reduce_sum(float* data, size_t n) = 0;
  virtual void all_reduce_sum(double* data, size_t n) = 0;
  // In place, element-wise maximum over ranks.
  virtual void all_reduce_max(double* data, size_t n) = 0;
  // In place: every rank ends with root's data.
  virtual void broadcast(float* data, size_t n, int root) = 0;
  // Every rank's bytes, in rank order.
  virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
  virtual void barrier() = 0;
  // Tells the others why this rank is about to exit (best effort), so their
  // error names this rank and its reason rather than a lost connection.
  virtual void report_failure(const std::string& why) = 0;

  // Communication accounting since the group was joined.
  virtual uint64_t bytes_reduced() const = 0;  // payload of all_reduce_sum
  virtual double comm_seconds() const = 0;     // wall time inside collectives
};

// The process group of this process, joined on first use from the environment
// (env_from_environment, options_from_environment); lives until exit.
ProcessGroup& world();

// world().report_failure(why) if world() has been joined; nothing otherwise
// (never starts a rendezvous from an error path).
void report_failure(const std::string& why);

// Joins a group explicitly (tests, benchmarks).
std::unique_ptr<ProcessGroup> join(const Env& env, const Options& options);

}  // namespace r1::dist
