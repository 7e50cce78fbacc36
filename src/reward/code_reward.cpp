// Runs in two parallel phases over a bounded pool of worker threads, each
// blocked on one sandbox at a time: compile every C++ program, then run every
// (program, test) pair. Model output never reaches the host shell or disk
// outside the sandbox's own scratch directory.
#include "reward/code_reward.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "util/error.h"

namespace r1 {
namespace {

struct TestCase {
  std::string input, output;
};

std::vector<TestCase> tests_of(const nlohmann::json& row, size_t index) {
  const auto it = row.is_object() ? row.find("tests") : row.end();
  if (!row.is_object() || it == row.end() || !it->is_array() || it->empty()) {
    fail("code reward: row ", index, " of the batch has no \"tests\" array of ",
         "{\"input\", \"output\"} objects");
  }
  std::vector<TestCase> tests;
  for (const auto& t : *it) {
    if (!t.is_object() || !t.contains("input") || !t.contains("output") ||
        !t["input"].is_string() || !t["output"].is_string()) {
      fail("code reward: row ", index, ": test ", tests.size(),
           " is not {\"input\": string, \"output\": string}: ", t.dump().substr(0, 200));
    }
    tests.push_back({t["input"].get<std::string>(), t["output"].get<std::string>()});
  }
  return tests;
}

std::string language_of(std::string tag) {
  std::transform(tag.begin(), tag.end(), tag.begin(), ::tolower);
  if (tag == "python" || tag == "py" || tag == "python3") return "python";
  if (tag == "cpp" || tag == "c++" || tag == "cc" || tag == "cxx") return "cpp";
  return {};
}

std::string rstrip(const std::string& s) {
  size_t end = s.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

std::vector<std::string> normalized_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(rstrip(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Calls fn(i) for i in [0, n) on at most `workers` threads; the first
// exception (a sandbox that cannot start) stops the rest and is rethrown.
void parallel_for(size_t n, int workers, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (size_t i; (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  size_t count = std::min<size_t>(n, std::max(1, workers));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < count; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// What a test runs: a Python source or a compiled binary.
SandboxSpec test_spec(const Program& program, const std::string& binary, const TestCase& test,
                      const SandboxLimits& limits) {
  SandboxSpec spec;
  if (program.language == "python") {
    spec.argv = {"/usr/bin/python3", "-I", "/box/main.py"};
    spec.files = {{"/box/main.py", program.source, false}};
  } else {
    spec.argv = {"/box/main"};
    spec.files = {{"/box/main", binary, true}};
  }
  spec.stdin_data = test.input;
  spec.limits = limits;
  return spec;
}

std::string compile_cpp(const std::string& source, const SandboxLimits& limits) {
  SandboxSpec spec;
  spec.argv = {"/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "/out/main", "/box/main.cpp"};
  spec.files = {{"/box/main.cpp", source, false}};
  spec.output_files = {"main"};
  spec.limits = limits;
  RunResult r = run_sandboxed(spec);
  auto it = r.outputs.find("main");
  return r.ok() && it != r.outputs.end() ? it->second : std::string();
}

}  // namespace

Program extract_program(const std::string& completion) {
  Program last;
  Program open;  // the block being read, if its fence named a supported language
  bool in_block = false;
  size_t pos = 0;
  while (pos < completion.size()) {
    size_t nl = completion.find('\n', pos);
    if (nl == std::string::npos) nl = completion.size();
    std::string line = completion.substr(pos, nl - pos);
    size_t indent = line.find_first_not_of(" \t");
    bool fence = indent != std::string::npos && line.compare(indent, 3, "```") == 0;
    if (fence && !in_block) {
      in_block = true;
      open = {language_of(rstrip(line.substr(indent + 3))), ""};
    } else if (fence) {
      in_block = false;  // only a closed block counts: a truncated one would not compile
      if (!open.language.empty()) last = open;
    } else if (in_block) {
      open.source += line + "\n";
    }
    pos = nl + 1;
  }
  return last;
}

bool outputs_match(const std::string& got, const std::string& expected) {
  return normalized_lines(got) == normalized_lines(expected);
}

CodeRewardOptions code_options_from_json(const nlohmann::json& params) {
  CodeRewardOptions o;
  if (params.is_null()) return o;
  if (!params.is_object()) fail("code reward: params must be an object, got ", params.dump());
  for (const auto& [key, value] : params.items()) {
    if (key == "workers" && value.is_number_integer()) {
      o.workers = value.get<int>();
    } else if (key == "all_or_none" && value.is_boolean()) {
      o.all_or_none = value.get<bool>();
    } else if (key == "timeout" && value.is_number() && value.get<double>() > 0) {
      o.run_limits.wall_seconds = value.get<double>();
    } else if (key == "cpu_seconds" && value.is_number() && value.get<double>() > 0) {
      o.run_limits.cpu_seconds = value.get<double>();
    } else if (key == "memory_mb" && value.is_number_integer() && value.get<int64_t>() > 0) {
      o.run_limits.memory_bytes = value.get<int64_t>() << 20;
    } else {
      fail("code reward: bad param ", key, " = ", value.dump(),
           " (known: workers, all_or_none, timeout, cpu_seconds, memory_mb)");
    }
  }
  return o;
}

std::vector<double> score_code(const std::vector<RewardInput>& batch,
                               const CodeRewardOptions& options) {
  const int workers =
      options.workers > 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<TestCase>> tests;
  std::vector<Program> programs;
  for (size_t i = 0; i < batch.size(); ++i) {
    tests.push_back(tests_of(batch[i].row, i));
    programs.push_back(extract_program(batch[i].completion));
  }

  std::vector<std::string> binaries(batch.size());
  std::vector<size_t> to_compile;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (programs[i].language == "cpp") to_compile.push_back(i);
  }
  parallel_for(to_compile.size(), workers, [&](size_t k) {
    size_t i = to_compile[k];
    binaries[i] = compile_cpp(programs[i].source, options.compile_limits);
  });

  struct Job {
    size_t program, test;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < batch.size(); ++i) {
    bool runnable =
        programs[i].language == "python" || (programs[i].language == "cpp" && !binaries[i].empty());
    for (size_t t = 0; runnable && t < tests[i].size(); ++t) jobs.push_back({i, t});
  }
  std::vector<std::atomic<int>> passed(batch.size());
  std::vector<std::atomic<bool>> any_failed(batch.size());
  parallel_for(jobs.size(), workers, [&](size_t k) {
    const Job& job = jobs[k];
    if (options.all_or_none && any_failed[job.program]) return;  // the score is 0 already
    const TestCase& test = tests[job.program][job.test];
    RunResult r = run_sandboxed(
        test_spec(programs[job.program], binaries[job.program], test, options.run_limits));
    if (r.ok() && outputs_match(r.out, test.output)) {
      ++passed[job.program];
    } else {
      any_failed[job.program] = true;
    }
  });

  std::vector<double> scores(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    double fraction = static_cast<double>(passed[i]) / static_cast<double>(tests[i].size());
    scores[i] = options.all_or_none ? (fraction == 1.0 ? 1.0 : 0.0) : fraction;
  }
  return scores;
}

RewardFn make_code_reward(const nlohmann::json& params) {
  CodeRewardOptions options = code_options_from_json(params);
  return [options](const std::vector<RewardInput>& batch) { return score_code(batch, options); };
}

}  // namespace r1
