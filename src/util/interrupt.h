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

// Makes SIGINT and SIGTERM land on a thread that only waits for them, never
// on a thread that computes: blocks both in the calling thread (so in every
// thread it starts later) after starting that thread. Call first thing in
// main, before anything starts a thread (OpenMP's pool, thread pools).
//
// Why: a signal handler runs on the stack of the thread it interrupts, and
// the kernel writes the signal frame (~3 KB with AVX-512 state) just below
// that thread's stack pointer. oneDNN's jitted f32 GEMM kernels (<= 3.11,
// oneDNN issue #4845; Debian ships 2.x), which model/gemm.cpp calls, point the
// stack pointer into a heap buffer while they run when K is large, so a
// Ctrl-C during a product wrote the frame over malloc's chunk headers and the
// run later aborted with "corrupted size vs. prev_size". Handlers and default
// actions are unchanged: only the thread that receives the signal differs.
void keep_signals_off_compute_threads();

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
