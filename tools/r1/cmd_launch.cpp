// r1 launch: torchrun for users without it. Starts N local processes of an r1
// command with torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), forwards SIGINT/SIGTERM, and
// when one rank fails gives the others the dead-peer timeout to stop on their
// own (they name the rank) before killing them. docs/distributed.md.
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "commands.h"
#include "util/error.h"

namespace r1 {

namespace {

volatile sig_atomic_t forwarded_signal = 0;
void remember_signal(int sig) {
  forwarded_signal = sig;
}

// A TCP port nobody listens on now (the kernel's pick), for a one-machine run.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  if (!port) fail("r1 launch: could not find a free TCP port; give --master HOST:PORT");
  return port;
}

std::string self_exe() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) fail("r1 launch: cannot find the r1 executable (/proc/self/exe)");
  return std::string(self, static_cast<size_t>(n));
}

std::string describe(int status) {
  if (WIFEXITED(status)) return cat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return cat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return "stopped";
}

struct Rank {
  int rank;
  pid_t pid;
  bool running = true;
};

}  // namespace

int cmd_launch(const Args& all_args) {
  // Everything after `--` is the r1 command each rank runs.
  Args args, command;
  bool after = false;
  for (const auto& a : all_args) {
    if (!after && a == "--") {
      after = true;
      continue;
    }
    (after ? command : args).push_back(a);
  }
  ArgParser p("r1 launch --nproc N [--nnodes M --node-rank K --master HOST:PORT] -- COMMAND...",
              "Runs COMMAND (an r1 command, e.g. train run.toml) as N data-parallel processes\n"
              "on this machine, rank node_rank * N + i of nnodes * N in all. On several machines,\n"
              "run it once per machine with the same --master (node 0's address). Without\n"
              "R1_THREADS / OMP_NUM_THREADS each process gets cores / N compute threads.");
  p.add("--nproc", "N", "processes on this machine", "1");
  p.add("--nnodes", "M", "machines in the job", "1");
  p.add("--node-rank", "K", "this machine's index in [0, M)", "0");
  p.add("--master", "HOST:PORT",
        "rank 0's rendezvous address (default on one machine: 127.0.0.1 and a free port)");
  p.add("--timeout", "SECONDS",
        "a rank silent this long is dead (sets R1_DIST_TIMEOUT; default 30)");
  if (!p.parse(args)) return 0;
  const int64_t nproc = p.i64("--nproc"), nnodes = p.i64("--nnodes"),
                node_rank = p.i64("--node-rank");
  if (nproc < 1 || nproc > 1024) fail("r1 launch: --nproc must be in [1, 1024], got ", nproc);
  if (nnodes < 1 || nnodes > 65536) fail("r1 launch: --nnodes must be in [1, 65536]");
  if (node_rank < 0 || node_rank >= nnodes)
    fail("r1 launch: --node-rank must be in [0, ", nnodes, "), got ", node_rank);
  if (command.empty()) fail("r1 launch: give the command after --, e.g. -- train run.toml");
  if (command[0] == "launch") fail("r1 launch: the command cannot be launch itself");

  std::string host = "127.0.0.1", port;
  if (p.given("--master")) {
    const std::string& m = p.str("--master");
    const size_t colon = m.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == m.size())
      fail("r1 launch: --master must be HOST:PORT, got '", m, "'");
    host = m.substr(0, colon);
    port = m.substr(colon + 1);
    char* end = nullptr;
    long n = std::strtol(port.c_str(), &end, 10);
    if (*end || n < 1 || n > 65535)
      fail("r1 launch: --master port '", port, "' is not in [1, 65535]");
  } else if (nnodes > 1) {
    fail("r1 launch: --nnodes ", nnodes, " needs --master HOST:PORT (node 0's address)");
  } else {
    port = std::to_string(free_port());
  }
  if (p.given("--timeout")) {
    const double t = p.f64("--timeout");
    if (!(t > 0)) fail("r1 launch: --timeout must be > 0 seconds");
    ::setenv("R1_DIST_TIMEOUT", p.str("--timeout").c_str(), 1);
  }
  const double timeout =
      std::getenv("R1_DIST_TIMEOUT") ? std::atof(std::getenv("R1_DIST_TIMEOUT")) : 30;

  // processes x threads = cores, unless the user chose the threads.
  if (!std::getenv("R1_THREADS") && !std::getenv("OMP_NUM_THREADS")) {
    cpu_set_t set;
    const int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    ::setenv("R1_THREADS", std::to_string(std::max<int64_t>(1, cpus / nproc)).c_str(), 1);
  }

  const std::string exe = self_exe();
  std::vector<std::string> argv_s = {exe};
  argv_s.insert(argv_s.end(), command.begin(), command.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::vector<Rank> ranks;
  for (int64_t i = 0; i < nproc; ++i) {
    const int rank = static_cast<int>(node_rank * nproc + i);
    pid_t pid = ::fork();
    if (pid < 0) fail("r1 launch: fork failed: ", std::strerror(errno));
    if (pid == 0) {
      // Its own process group: a terminal's Ctrl-C reaches the ranks once,
      // through this launcher, not twice.
      ::setpgid(0, 0);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(i).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nnodes * nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("GROUP_RANK", std::to_string(node_rank).c_str(), 1);
      ::setenv("MASTER_ADDR", host.c_str(), 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::execv(exe.c_str(), argv.data());
      std::cerr << "r1 launch: cannot run " << exe << ": " << std::strerror(errno) << "\n";
      ::_exit(127);
    }
    ranks.push_back({rank, pid});
  }

  using Clock = std::chrono::steady_clock;
  int result = 0, sent = 0;
  bool failed = false;
  Clock::time_point deadline;
  size_t running = ranks.size();
  while (running > 0) {
    if (forwarded_signal && forwarded_signal != sent) {
      sent = forwarded_signal;
      for (auto& r : ranks)
        if (r.running) ::kill(r.pid, sent);
    }
    if (failed && Clock::now() > deadline) {
      for (auto& r : ranks)
        if (r.running) {
          std::cerr << "r1 launch: rank " << r.rank << " (pid " << r.pid
                    << ") still running after the failure; killing it\n";
          ::kill(r.pid, SIGKILL);
        }
      deadline = Clock::now() + std::chrono::hours(1);
    }
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (auto& r : ranks) {
      if (r.pid != pid) continue;
      r.running = false;
      --running;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok) break;
      if (!failed && sent) {
        // Stopped by the signal this launcher forwarded (Ctrl-C: status 130).
        failed = true;
        deadline = Clock::now() + std::chrono::milliseconds(int64_t((timeout + 5) * 1000));
        result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else if (!failed) {
        std::cerr << "r1 launch: rank " << r.rank << " (pid " << pid << ") " << describe(status)
                  << (running ? "; the other ranks get " + std::to_string(int(timeout + 5)) +
                                    " s to stop"
                              : "")
                  << "\n";
        failed = true;
        deadline = Clock::now() + std::chrono::milliseconds(int64_t((timeout + 5) * 1000));
        result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      break;
    }
  }
  return result;
}

}  // namespace r1
