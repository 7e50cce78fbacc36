// The "external" reward: a user's own scoring program, so users can add a
// reward without recompiling (as TRL users pass a Python function). The command
// starts once and stays alive; each batch is sent on its stdin as JSONL, one
// object per completion ({"prompt", "completion", ...dataset row fields}), and
// it answers one line per object on stdout, in order: a number or {"score": x}.
// It must flush stdout after each batch and exit when stdin closes. Its stderr
// is the trainer's. See examples/rewards/length_penalty.py.
//
// This is the user's code, trusted like the config that names it: it runs as
// the user, unsandboxed (model-written code only ever runs in reward/sandbox).
#pragma once

#include <sys/types.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reward/reward.h"

namespace r1 {

struct ExternalRewardOptions {
  std::string command;          // run with /bin/sh -c, in the current directory
  double timeout_seconds = 60;  // for one batch's answers; then the command is killed
};

// Params: {"command": "python3 examples/rewards/length_penalty.py", "timeout": 60}.
ExternalRewardOptions external_options_from_json(const nlohmann::json& params);

// One score from one answer line; throws Error (naming the line) if malformed.
double parse_external_score(const std::string& line);

class ExternalReward {
 public:
  explicit ExternalReward(ExternalRewardOptions options);
  ~ExternalReward();  // closes its stdin, gives it a moment to exit, then kills it
  ExternalReward(const ExternalReward&) = delete;
  ExternalReward& operator=(const ExternalReward&) = delete;

  // Thread-safe (batches are serialised). Throws Error when the command dies,
  // times out or answers a malformed line; it is then stopped for good.
  std::vector<double> score(const std::vector<RewardInput>& batch);

 private:
  [[noreturn]] void stop_and_fail(const std::string& why);

  ExternalRewardOptions options_;
  std::mutex mutex_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int in_fd_ = -1;       // its stdin (a socket, so a write to a dead process is EPIPE, not SIGPIPE)
  int out_fd_ = -1;      // its stdout
  std::string pending_;  // bytes read past the last complete line
  std::string dead_;     // why it stopped, once it has
};

RewardFn make_external_reward(const nlohmann::json& params);

}  // namespace r1
