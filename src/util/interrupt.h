// Ctrl-C during a training run (r1 train, r1 sft): while a guard lives, SIGINT
// only sets a flag, so the loop finishes its step, saves a checkpoint and
// returns instead of dying mid-write. The previous handler comes back when the
// guard goes out of scope, also when the run throws.
#pragma once

namespace r1 {

// Exit status of a run stopped by Ctrl-C after saving: 128 + SIGINT, what a
// shell reports for a process that SIGINT ended, so scripts see the stop.
constexpr int kInterruptedExitCode = 130;

// Whether SIGINT arrived while any guard lived in this process (main turns a
// finished command into kInterruptedExitCode).
bool interrupt_arrived();

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool requested() const;  // SIGINT arrived since the guard was made

 private:
  void (*previous_)(int);
};

}  // namespace r1
