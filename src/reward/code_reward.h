// The "code" reward: the program in a completion's last ```python or ```cpp
// fenced block is run against the row's test cases inside the sandbox
// (reward/sandbox/sandbox.h); the score is the fraction of tests passed.
//
// Dataset row: {"tests": [{"input": "1 2\n", "output": "3\n"}, ...]}.
// A test passes when the program exits 0 within the limits and its stdout
// equals "output" up to trailing whitespace on each line and trailing blank
// lines. C++ is compiled (g++ -std=c++17 -O2) inside the sandbox too.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reward/reward.h"
#include "reward/sandbox/sandbox.h"

namespace r1 {

struct CodeRewardOptions {
  int workers = 0;           // sandboxes run at once; 0 = one per hardware thread
  bool all_or_none = false;  // 1 only when every test passes (else the passed fraction)
  SandboxLimits run_limits;  // each test run (defaults in sandbox.h)
  SandboxLimits compile_limits = {/*cpu_seconds=*/10,
                                  /*wall_seconds=*/20,
                                  /*memory_bytes=*/int64_t(2) << 30,
                                  /*max_processes=*/16,
                                  /*max_output_bytes=*/int64_t(64) << 10,
                                  /*max_file_bytes=*/int64_t(64) << 20};
};

// Params (all optional): {"workers": 8, "all_or_none": false, "timeout": 5.0
// (wall seconds per test), "cpu_seconds": 2, "memory_mb": 512}.
CodeRewardOptions code_options_from_json(const nlohmann::json& params);

struct Program {
  std::string language;  // "python" or "cpp"; empty when the completion has no usable block
  std::string source;
};

// The last closed fenced block tagged python/py/python3 or cpp/c++/cc/cxx.
Program extract_program(const std::string& completion);

// stdout comparison: trailing whitespace of each line and trailing blank lines ignored.
bool outputs_match(const std::string& got, const std::string& expected);

// Scores a batch; throws Error for a row without a valid "tests" array or when
// the sandbox cannot be created.
std::vector<double> score_code(const std::vector<RewardInput>& batch,
                               const CodeRewardOptions& options);

RewardFn make_code_reward(const nlohmann::json& params);

}  // namespace r1
