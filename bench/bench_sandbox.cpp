// Sandboxed programs per second: the same program run through run_sandboxed
// (setpriv + bwrap + prlimit + seccomp) and, as the same-run baseline, by a
// plain posix_spawn with no isolation at all. One worker, then one per hardware
// thread. The ratio is what the sandbox costs.
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"  // fixed()
#include "reward/sandbox/sandbox.h"
#include "util/error.h"

namespace {

// A typical test-case program: read the input, compute, print.
const char* kPython = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n";
const char* kInput = "1 2 3 4 5 6 7 8 9 10\n";
const char* kExpected = "55\n";
const int kRounds = 5;  // the median of alternating rounds is reported

// The unsandboxed baseline: posix_spawn (how the sandbox starts bwrap too),
// stdin from a memfd, stdout into a pipe.
std::string run_plain(const std::vector<std::string>& args, const std::string& input) {
  int in = memfd_create("bench-stdin", MFD_CLOEXEC);
  if (write(in, input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    r1::fail("write");
  lseek(in, 0, SEEK_SET);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) r1::fail("pipe2");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) r1::fail("spawn");
  posix_spawn_file_actions_destroy(&actions);
  close(in);
  close(out[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;) result.append(buf, n);
  close(out[0]);
  waitpid(pid, nullptr, 0);
  return result;
}

std::string run_boxed(const std::vector<std::string>& args, const std::string& input) {
  r1::SandboxSpec spec;
  spec.argv = args;
  spec.stdin_data = input;
  return run_sandboxed(spec).out;
}

// Seconds for `workers` threads each running `runs` programs.
double batch_seconds(const std::function<std::string()>& run_one, const std::string& expected,
                     int workers, int runs) {
  std::atomic<int> wrong{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < runs; ++i) wrong += run_one() != expected;
    });
  }
  for (auto& t : threads) t.join();
  if (wrong) r1::fail("bench: ", wrong.load(), " runs printed the wrong answer");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

// One table row per worker count: unsandboxed vs sandboxed rate and the ratio.
void compare(const char* title, const std::vector<std::string>& args, const std::string& expected,
             int runs) {
  using r1::bench::fixed;
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<int> worker_counts = {1};
  if (threads > 1) worker_counts.push_back(threads);
  std::printf("%s, median of %d rounds of %d runs per worker\n\n", title, kRounds, runs);
  std::printf(
      "| workers | unsandboxed posix_spawn | sandboxed (bwrap) | ratio | sandboxed ms/run |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  for (int workers : worker_counts) {
    // Alternating rounds, so both sides see the same load on this shared machine.
    std::vector<double> plain, boxed;
    for (int round = 0; round < kRounds; ++round) {
      plain.push_back(
          batch_seconds([&] { return run_plain(args, kInput); }, expected, workers, runs));
      boxed.push_back(
          batch_seconds([&] { return run_boxed(args, kInput); }, expected, workers, runs));
    }
    double plain_rate = workers * runs / median(plain), boxed_rate = workers * runs / median(boxed);
    std::printf("| %d | %s/s | %s/s | %sx | %s |\n", workers, fixed(plain_rate, 1).c_str(),
                fixed(boxed_rate, 1).c_str(), fixed(boxed_rate / plain_rate, 2).c_str(),
                fixed(1000.0 * workers / boxed_rate, 1).c_str());
  }
  std::printf("\n");
}

int main() {
  compare("Python programs per second (stdin -> sum -> stdout)",
          {"/usr/bin/python3", "-I", "-c", kPython}, kExpected, 20);
  // The sandbox's fixed cost, without an interpreter's start-up to hide it.
  compare("/usr/bin/true per second (sandbox overhead alone)", {"/usr/bin/true"}, "", 40);
  return 0;
}
