// c10d behind r1::dist::ProcessGroup: TCPStore rendezvous, ProcessGroupGloo
// collectives, and the heartbeat watch that turns a dead or silent peer into
// an Error naming it instead of a hang. The header says what and why.
#include "dist/process_group.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/error.h"

namespace r1::dist {

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

Millis millis(double seconds) {
  return Millis(static_cast<int64_t>(seconds * 1000));
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// An integer environment variable in [lo, hi], or `fallback` when unset.
int64_t env_int(const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v, &end, 10);
  if (errno || *end || n < lo || n > hi)
    fail("environment variable ", name, "='", v, "' is not a whole number in [", lo, ", ", hi, "]");
  return n;
}

double env_seconds(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  double s = std::strtod(v, &end);
  if (*end || !(s > 0) || s > 86400)
    fail("environment variable ", name, "='", v, "' is not a number of seconds in (0, 86400]");
  return s;
}

// One process: every collective is the identity and costs nothing.
class SoloGroup : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void all_reduce_sum(float*, size_t) override {}
  void all_reduce_sum(double*, size_t) override {}
  void all_reduce_max(double*, size_t) override {}
  void broadcast(float*, size_t, int) override {}
  std::vector<std::string> all_gather(const std::string& mine) override { return {mine}; }
  void barrier() override {}
  void report_failure(const std::string&) override {}
  uint64_t bytes_reduced() const override { return 0; }
  double comm_seconds() const override { return 0; }
};

std::string heartbeat_key(int rank) {
  return "r1/heartbeat/" + std::to_string(rank);
}
std::string failure_key(int rank) {
  return "r1/failed/" + std::to_string(rank);
}

// What the heartbeat thread has seen of the other ranks. Shared with that
// thread, which may outlive the group (it is detached, never joined).
struct Watch {
  std::mutex mu;
  std::vector<int64_t> beats;            // last heartbeat count seen per rank
  std::vector<Clock::time_point> since;  // when that count last changed
  std::vector<std::string> failures;     // a rank's own report of why it stopped
  std::string store_lost;                // the store stopped answering: why
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};  // the thread has returned

  // Asks the thread to stop and waits (bounded: it may be blocked on a dead
  // store) so that it is not inside c10d while the process tears down.
  void halt() {
    stop = true;
    for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(Millis(5));
  }
};

// Every live watch, halted at exit (leaked: the exit handler needs it last).
std::mutex watches_mu;
std::vector<std::shared_ptr<Watch>>* watches = nullptr;

void halt_all_watches() {
  std::lock_guard<std::mutex> lock(watches_mu);
  for (auto& w : *watches) w->halt();
}

void register_watch(std::shared_ptr<Watch> w) {
  std::lock_guard<std::mutex> lock(watches_mu);
  if (!watches) {
    watches = new std::vector<std::shared_ptr<Watch>>;
    std::atexit(halt_all_watches);
  }
  watches->push_back(std::move(w));
}

class GlooGroup : public ProcessGroup {
 public:
  GlooGroup(const Env& env, const Options& options) : env_(env), opt_(options) {
    const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
    store_ = connect_store(options.rendezvous_timeout_seconds, true);
    auto heartbeat_store = connect_store(options.rendezvous_timeout_seconds, false);

    auto gloo_options = c10d::ProcessGroupGloo::Options::create(
        millis(env_seconds("R1_DIST_COLLECTIVE_TIMEOUT", 1800)));
    gloo_options->devices = {make_device()};
    gloo_options->threads = 1;
    store_->setTimeout(millis(options.rendezvous_timeout_seconds));
    try {
      pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(
          c10::make_intrusive<c10d::PrefixStore>("r1/gloo", store_), env.rank, env.world_size,
          gloo_options);
    } catch (const std::exception& e) {
      fail("rank ", env.rank, ": connecting to the other ", env.world_size - 1,
           " ranks (rendezvous at ", where, ") failed: ", first_line(e.what()));
    }

    watch_ = std::make_shared<Watch>();
    watch_->beats.assign(env.world_size, -1);
    watch_->since.assign(env.world_size, Clock::now());
    watch_->failures.assign(env.world_size, "");
    register_watch(watch_);
    std::thread(heartbeat_loop, watch_, heartbeat_store, env.rank, env.world_size,
                options.heartbeat_seconds)
        .detach();
    // Every rank is beating before anyone starts to judge silence.
    barrier();
  }

  ~GlooGroup() override {
    watch_->halt();
    // A broken group may have a Gloo thread blocked on a dead peer: joining it
    // (the destructor's job) would hang, so the group is left to the exit.
    if (broken_) {
      pg_.release();
      store_.release();
    }
  }

  int rank() const override { return env_.rank; }
  int world_size() const override { return env_.world_size; }

  void all_reduce_sum(float* data, size_t n) override { reduce(data, n, at::kFloat); }
  void all_reduce_sum(double* data, size_t n) override { reduce(data, n, at::kDouble); }
  void all_reduce_max(double* data, size_t n) override {
    std::vector<at::Tensor> t = {at::from_blob(data, {static_cast<int64_t>(n)}, at::kDouble)};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::MAX;
    run(pg_->allreduce(t, o), "all_reduce");
  }

  void broadcast(float* data, size_t n, int root) override {
    std::vector<at::Tensor> t = {at::from_blob(data, {static_cast<int64_t>(n)}, at::kFloat)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    run(pg_->broadcast(t, o), "broadcast");
  }

  std::vector<std::string> all_gather(const std::string& mine) override {
    // Gloo gathers equal sizes: the lengths first, then every payload padded
    // to the longest.
    std::vector<at::Tensor> len = {at::full({1}, static_cast<int64_t>(mine.size()), at::kLong)};
    std::vector<std::vector<at::Tensor>> lens(1);
    for (int r = 0; r < env_.world_size; ++r) lens[0].push_back(at::empty({1}, at::kLong));
    run(pg_->allgather(lens, len), "all_gather");
    int64_t longest = 1;
    for (auto& t : lens[0]) longest = std::max(longest, t.item<int64_t>());
    std::vector<at::Tensor> in = {at::zeros({longest}, at::kByte)};
    std::memcpy(in[0].data_ptr(), mine.data(), mine.size());
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < env_.world_size; ++r) out[0].push_back(at::empty({longest}, at::kByte));
    run(pg_->allgather(out, in), "all_gather");
    std::vector<std::string> all;
    for (int r = 0; r < env_.world_size; ++r)
      all.emplace_back(static_cast<const char*>(out[0][r].data_ptr()),
                       static_cast<size_t>(lens[0][r].item<int64_t>()));
    return all;
  }

  void barrier() override { run(pg_->barrier(), "barrier"); }

  void report_failure(const std::string& why) override {
    try {
      const std::string text = (broken_ ? "(after losing a peer) " : "") + why;
      store_->set(failure_key(env_.rank), std::vector<uint8_t>(text.begin(), text.end()));
    } catch (const std::exception&) {
      // The store is gone too; the others will see this rank's silence.
    }
  }

  uint64_t bytes_reduced() const override { return bytes_reduced_; }
  double comm_seconds() const override { return comm_seconds_; }

 private:
  Env env_;
  Options opt_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
  std::shared_ptr<Watch> watch_;
  bool broken_ = false;
  uint64_t bytes_reduced_ = 0;
  double comm_seconds_ = 0;

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  std::string where() const { return env_.master_addr + ":" + std::to_string(env_.master_port); }

  // Rank 0 hosts the store and waits for every rank to connect; the others
  // connect to it, retrying until the timeout.
  c10::intrusive_ptr<c10d::Store> connect_store(double timeout, bool main) {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(env_.master_port);
    o.isServer = main && env_.rank == 0;
    o.numWorkers = env_.world_size;
    o.waitWorkers = main;
    o.timeout = millis(timeout);
    o.multiTenant = !main;  // the heartbeat's client shares the host:port
    try {
      if (!main && env_.rank == 0) o.isServer = false;
      return c10::make_intrusive<c10d::TCPStore>(env_.master_addr, o);
    } catch (const std::exception& e) {
      if (env_.rank == 0)
        fail("rank 0: rendezvous at ", where(), " (MASTER_ADDR:MASTER_PORT) failed: not all ",
             env_.world_size, " ranks connected within ", timeout,
             " s (R1_DIST_RENDEZVOUS_TIMEOUT), or the port is taken: ", first_line(e.what()));
      fail("rank ", env_.rank, ": could not reach the rendezvous store at ", where(),
           " (MASTER_ADDR:MASTER_PORT) within ", timeout,
           " s (R1_DIST_RENDEZVOUS_TIMEOUT): ", first_line(e.what()));
    }
  }

  // GLOO_SOCKET_IFNAME picks the interface, as in torch; a loopback master
  // means one machine, where loopback always works; else the hostname's address.
  std::shared_ptr<::gloo::transport::Device> make_device() const {
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
      return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    const std::string& a = env_.master_addr;
    if (a == "localhost" || a.rfind("127.", 0) == 0)
      return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
  }

  static void heartbeat_loop(std::shared_ptr<Watch> watch, c10::intrusive_ptr<c10d::Store> store,
                             int rank, int world, double period) {
    // Any exception here would terminate the process: everything is caught.
    while (!watch->stop) {
      try {
        store->add(heartbeat_key(rank), 1);
        for (int r = 0; r < world; ++r) {
          if (r == rank) continue;
          int64_t beat = store->add(heartbeat_key(r), 0);
          std::string failure;
          if (store->check({failure_key(r)})) {
            auto v = store->get(failure_key(r));
            failure.assign(v.begin(), v.end());
          }
          std::lock_guard<std::mutex> lock(watch->mu);
          if (beat != watch->beats[r]) {
            watch->beats[r] = beat;
            watch->since[r] = Clock::now();
          }
          if (!failure.empty()) watch->failures[r] = failure;
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(watch->mu);
        watch->store_lost = first_line(e.what());
        break;
      }
      const auto wake = Clock::now() + millis(period);
      while (!watch->stop && Clock::now() < wake) std::this_thread::sleep_for(Millis(10));
    }
    watch->done = true;
  }

  // Why the group is broken, or "" while every peer is alive. A rank's own
  // report comes first, unless it only reports losing someone else.
  std::string verdict() {
    std::lock_guard<std::mutex> lock(watch_->mu);
    std::string secondary;
    for (int r = 0; r < env_.world_size; ++r) {
      const std::string& f = watch_->failures[r];
      if (f.empty()) continue;
      if (f.rfind("(after", 0) != 0) return cat("rank ", r, " failed: ", f);
      if (secondary.empty()) secondary = cat("rank ", r, " failed ", f);
    }
    for (int r = 0; r < env_.world_size; ++r) {
      if (r == env_.rank) continue;
      const double silent = seconds_since(watch_->since[r]);
      if (silent > opt_.timeout_seconds)
        return cat("rank ", r, " died or stopped answering (no heartbeat for ",
                   static_cast<int>(silent), " s; R1_DIST_TIMEOUT=", opt_.timeout_seconds, ")");
    }
    if (!secondary.empty()) return secondary;
    if (!watch_->store_lost.empty())
      return cat("lost the rendezvous store on rank 0 at ", where(),
                 " (rank 0 died or the network failed): ", watch_->store_lost);
    return "";
  }

  [[noreturn]] void broken(const std::string& what, const std::string& why) {
    broken_ = true;
    fail("rank ", env_.rank, ": ", what, " failed: ", why);
  }

  void reduce(void* data, size_t n, at::ScalarType type) {
    std::vector<at::Tensor> t = {at::from_blob(data, {static_cast<int64_t>(n)}, type)};
    run(pg_->allreduce(t), "all_reduce");
    bytes_reduced_ += n * at::elementSize(type);
  }

  // Waits for a collective while watching the peers: a dead or silent peer
  // ends the wait with an Error naming it, never a hang.
  void run(c10::intrusive_ptr<c10d::Work> work, const char* what) {
    if (broken_) fail("rank ", env_.rank, ": the process group is broken; no more ", what);
    const auto t0 = Clock::now();
    auto nap = std::chrono::microseconds(20);
    auto last_check = t0;
    while (!work->isCompleted()) {
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, std::chrono::microseconds(2000));
      if (Clock::now() - last_check > millis(0.1)) {
        last_check = Clock::now();
        std::string why = verdict();
        if (!why.empty()) broken(what, why);
      }
    }
    try {
      work->wait();
    } catch (const std::exception& e) {
      // Gloo saw a closed connection or its own timeout; give the heartbeats
      // up to the timeout to say which rank is gone.
      const auto seen = Clock::now();
      std::string why;
      while ((why = verdict()).empty() && seconds_since(seen) < opt_.timeout_seconds + 1)
        std::this_thread::sleep_for(millis(0.1));
      broken(what, why.empty() ? first_line(e.what()) : why);
    }
    comm_seconds_ += seconds_since(t0);
  }
};

}  // namespace

Env env_from_environment() {
  Env env;
  env.world_size = static_cast<int>(env_int("WORLD_SIZE", 1, 1, 1 << 20));
  env.rank = static_cast<int>(env_int("RANK", 0, 0, env.world_size - 1));
  env.local_rank = static_cast<int>(env_int("LOCAL_RANK", env.rank, 0, env.world_size - 1));
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) env.master_addr = a;
  env.master_port = static_cast<int>(env_int("MASTER_PORT", 29500, 1, 65535));
  if (env.world_size > 1 && !std::getenv("RANK"))
    fail("WORLD_SIZE=", env.world_size, " but RANK is not set (torchrun and r1 launch set both)");
  return env;
}

Options options_from_environment() {
  Options o;
  o.timeout_seconds = env_seconds("R1_DIST_TIMEOUT", o.timeout_seconds);
  o.rendezvous_timeout_seconds =
      env_seconds("R1_DIST_RENDEZVOUS_TIMEOUT", o.rendezvous_timeout_seconds);
  o.heartbeat_seconds = std::min(o.heartbeat_seconds, o.timeout_seconds / 4);
  return o;
}

std::unique_ptr<ProcessGroup> join(const Env& env, const Options& options) {
  if (env.world_size == 1) return std::make_unique<SoloGroup>();
  return std::make_unique<GlooGroup>(env, options);
}

namespace {
ProcessGroup* joined = nullptr;
}

ProcessGroup& world() {
  // Never destroyed: a group's threads may be blocked on a dead peer at exit.
  static ProcessGroup* group = joined =
      join(env_from_environment(), options_from_environment()).release();
  return *group;
}

void report_failure(const std::string& why) {
  if (joined) joined->report_failure(why);
}

}  // namespace r1::dist
