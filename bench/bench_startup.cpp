// Start-up of r1 commands (issue 21) against same-run baselines: /bin/true
// (fork + exec + exit, the floor) and a minimal program linked against
// libtorch (bench_startup_torch_min: what loading libtorch once costs). Rows:
// `r1 --help`, `r1 verify` on one pair, `r1 tokenize` and `r1 data gen`
// (torch-free, in the r1 front binary), `r1 generate` on the demo model to its first streamed token
// and to exit (r1 execs r1-torch once), and r1-torch run directly (it re-executes itself to set
// OpenBLAS's core type: two libtorch loads, the old r1). Runs go round-robin over the rows so that
// load on this shared machine hits every row alike; prints the median and the minimum of each.
//
//   build/bench/bench_startup [RUNS] [OLD_R1]   (default 15 runs)
//
// OLD_R1 (an r1 built before the split, e.g. from main) adds its --help and
// verify rows for a before/after in the same run.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
  std::string name;
  std::vector<std::string> argv;
  std::string stdin_file;               // "" = /dev/null
  std::vector<double> first_byte, end;  // seconds, one entry a run
};

// Runs `row` once: seconds to its first byte on stdout and to its exit.
void run_once(Row& row) {
  int out[2];
  if (pipe(out) != 0) std::perror("pipe"), std::exit(1);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  std::string in = row.stdin_file.empty() ? "/dev/null" : row.stdin_file;
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::vector<char*> argv;
  for (auto& a : row.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = Clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "bench_startup: cannot run %s\n", argv[0]);
    std::exit(1);
  }
  close(out[1]);
  double first = -1;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0) break;
    if (first < 0) first = std::chrono::duration<double>(Clock::now() - start).count();
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double end = std::chrono::duration<double>(Clock::now() - start).count();
  close(out[0]);
  posix_spawn_file_actions_destroy(&fa);
  if (!WIFEXITED(status) ||
      (WEXITSTATUS(status) != 0 && row.name.find("r1-torch") == std::string::npos)) {
    std::fprintf(stderr, "bench_startup: %s failed (status %d)\n", row.name.c_str(), status);
    std::exit(1);
  }
  row.first_byte.push_back(first < 0 ? end : first);
  row.end.push_back(end);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double minimum(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
  const std::string build = R1_BUILD_DIR, source = R1_SOURCE_DIR;
  const std::string r1 = build + "/tools/r1/r1", model = source + "/examples/zero/base";
  std::string pair = "/tmp/bench_startup_pair.jsonl";
  if (FILE* f = std::fopen(pair.c_str(), "w")) {
    std::fputs("{\"pred\": \"so \\\\boxed{\\\\frac{1}{2}}\", \"gold\": \"0.5\"}\n", f);
    std::fclose(f);
  }
  std::vector<Row> rows = {
      {"/bin/true (baseline)", {"/bin/true"}, "", {}, {}},
      {"libtorch, minimal program (baseline)",
       {build + "/bench/bench_startup_torch_min"},
       "",
       {},
       {}},
      {"r1 --help", {r1, "--help"}, "", {}, {}},
      {"r1 verify, one pair", {r1, "verify"}, pair, {}, {}},
      {"r1 tokenize, demo tokenizer", {r1, "tokenize", "--tokenizer", model, "12+34="}, "", {}, {}},
      {"r1 data gen, one row",
       {r1, "data", "gen", "--task", "arithmetic", "--n", "1", "--out",
        "/tmp/bench_startup_data.jsonl"},
       "",
       {},
       {}},
      {"r1 generate, demo model",
       {r1, "generate", "--model", model, "--prompt", "1234+4321=", "--temperature", "0",
        "--max-new-tokens", "8"},
       "",
       {},
       {}},
      {"r1-torch direct (re-exec: 2 loads)", {build + "/tools/r1/r1-torch", "--help"}, "", {}, {}},
  };
  if (argc > 2) {
    std::string old_r1 = argv[2];
    rows.push_back({"old r1 --help (" + old_r1 + ")", {old_r1, "--help"}, "", {}, {}});
    rows.push_back({"old r1 verify, one pair", {old_r1, "verify"}, pair, {}, {}});
  }
  for (auto& row : rows) run_once(row);  // warm the page cache; not counted
  for (auto& row : rows) row.first_byte.clear(), row.end.clear();
  for (int k = 0; k < runs; ++k)
    for (auto& row : rows) run_once(row);

  double torch = median(rows[1].end);
  std::printf("start-up, %d runs each, round-robin (seconds; x = median / libtorch minimal)\n\n",
              runs);
  std::printf("| %-38s | %12s | %8s | %8s | %10s |\n", "command", "first output", "exit",
              "exit min", "x libtorch");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(40, '-').c_str(), std::string(14, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(),
              std::string(12, '-').c_str());
  for (const auto& row : rows) {
    bool streams = row.name.find("generate") != std::string::npos;
    char first[32] = "";
    if (streams) std::snprintf(first, sizeof first, "%.4f", median(row.first_byte));
    std::printf("| %-38s | %12s | %8.4f | %8.4f | %10.3f |\n", row.name.c_str(), first,
                median(row.end), minimum(row.end), median(row.end) / torch);
  }
  return 0;
}
