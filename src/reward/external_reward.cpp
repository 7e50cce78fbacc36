#include "reward/external_reward.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "util/error.h"

namespace r1 {
namespace {

using Clock = std::chrono::steady_clock;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string describe_status(int wstatus) {
  if (WIFEXITED(wstatus)) return cat("exited with status ", WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) return cat("was killed by signal ", WTERMSIG(wstatus));
  return "stopped";
}

}  // namespace

ExternalRewardOptions external_options_from_json(const nlohmann::json& params) {
  ExternalRewardOptions o;
  if (!params.is_object()) fail("external reward: params must be an object, got ", params.dump());
  for (const auto& [key, value] : params.items()) {
    if (key == "command" && value.is_string() && !value.get<std::string>().empty()) {
      o.command = value.get<std::string>();
    } else if (key == "timeout" && value.is_number() && value.get<double>() > 0) {
      o.timeout_seconds = value.get<double>();
    } else {
      fail("external reward: bad param ", key, " = ", value.dump(), " (known: command, timeout)");
    }
  }
  if (o.command.empty())
    fail("external reward: params need \"command\", e.g. \"python3 my_reward.py\"");
  return o;
}

double parse_external_score(const std::string& line) {
  auto json = nlohmann::json::parse(trim(line), nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.size() >= 1 && json.contains("score")) json = json["score"];
  if (!json.is_number() || !std::isfinite(json.get<double>())) {
    fail("answer line '", line.substr(0, 200), "' is not a number or {\"score\": number}");
  }
  return json.get<double>();
}

ExternalReward::ExternalReward(ExternalRewardOptions options) : options_(std::move(options)) {
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    fail("external reward: cannot create pipes: ", strerror(errno));
  }
  const char* argv[] = {"/bin/sh", "-c", options_.command.c_str(), nullptr};
  pid_ = fork();
  if (pid_ == 0) {
    // Own process group: it can be killed with its children, and a Ctrl-C
    // meant for the trainer reaches it as end of input instead.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);  // the trainer's, not its own
    dup2(in[1], 0);
    dup2(out[1], 1);
    syscall(SYS_close_range, 3, ~0u, 0);
    execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(in[1]);
  ::close(out[1]);
  in_fd_ = in[0];
  out_fd_ = out[0];
  if (pid_ < 0) {
    dead_ = cat("fork failed: ", strerror(errno));
    return;
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  shutdown(in_fd_, SHUT_RD);
}

ExternalReward::~ExternalReward() {
  if (in_fd_ >= 0) ::close(in_fd_);  // end of input: a well-behaved command exits now
  if (pid_ > 0) {
    if (pidfd_ >= 0) {
      pollfd p = {pidfd_, POLLIN, 0};
      poll(&p, 1, 2000);
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

void ExternalReward::stop_and_fail(const std::string& why) {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  dead_ = why;
  fail("external reward `", options_.command, "`: ", why);
}

std::vector<double> ExternalReward::score(const std::vector<RewardInput>& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!dead_.empty()) fail("external reward `", options_.command, "` is stopped: ", dead_);

  // Lines that arrived after the previous batch was answered in full.
  for (pollfd p = {out_fd_, POLLIN, 0}; poll(&p, 1, 0) > 0;) {
    char chunk[4096];
    ssize_t n = ::read(out_fd_, chunk, sizeof(chunk));
    if (n <= 0) break;  // EOF: the batch below reports how it exited
    pending_.append(chunk, n);
  }
  if (!trim(pending_).empty()) {
    stop_and_fail(cat("answered more lines than it was sent: '", pending_.substr(0, 100), "'"));
  }

  std::string request;
  for (const auto& input : batch) {
    nlohmann::json obj = input.row.is_object() ? input.row : nlohmann::json::object();
    obj["prompt"] = input.prompt;
    obj["completion"] = input.completion;
    request += obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }

  // Write and read at once: a command that answers line by line would
  // otherwise fill its stdout pipe while we still fill its stdin.
  std::vector<double> scores;
  size_t sent = 0;
  bool out_open = true;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options_.timeout_seconds));
  auto progress = [&] { return cat(scores.size(), " of ", batch.size(), " scores"); };
  while (scores.size() < batch.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      stop_and_fail(cat("no answer within ", options_.timeout_seconds, " s (got ", progress(),
                        "; does it flush stdout after each batch?)"));
    }
    if (!out_open) {
      int wstatus = 0;
      waitpid(pid_, &wstatus, 0);
      pid_ = -1;
      stop_and_fail(cat("it ", describe_status(wstatus), " after ", progress(), " of a batch"));
    }
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {sent < request.size() ? in_fd_ : -1, POLLOUT, 0}};
    if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count() + 1, 1000))) < 0) {
      if (errno == EINTR) continue;
      stop_and_fail(cat("poll failed: ", strerror(errno)));
    }
    if (fds[1].revents) {
      ssize_t n =
          send(in_fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += n;
      // EPIPE: it has exited; its stdout reaches EOF and says how.
      if (n < 0 && errno == EPIPE) sent = request.size();
    }
    if (fds[0].revents) {
      char chunk[64 * 1024];
      ssize_t n = ::read(out_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        out_open = false;
        continue;
      }
      pending_.append(chunk, n);
      size_t nl;
      while ((nl = pending_.find('\n')) != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (trim(line).empty()) continue;
        if (scores.size() == batch.size()) {
          stop_and_fail(cat("answered more lines than the ", batch.size(), " it was sent"));
        }
        try {
          scores.push_back(parse_external_score(line));
        } catch (const Error& e) {
          stop_and_fail(cat("line ", scores.size() + 1, " of its answer to a batch of ",
                            batch.size(), ": ", e.what()));
        }
      }
    }
  }
  if (!trim(pending_).empty()) {
    stop_and_fail(cat("answered more lines than the ", batch.size(), " it was sent"));
  }
  return scores;
}

RewardFn make_external_reward(const nlohmann::json& params) {
  auto reward = std::make_shared<ExternalReward>(external_options_from_json(params));
  return [reward](const std::vector<RewardInput>& batch) { return reward->score(batch); };
}

}  // namespace r1
