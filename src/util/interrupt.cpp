// See interrupt.h.
#include "util/interrupt.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <thread>

namespace r1 {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;  // since the newest guard
volatile std::sig_atomic_t g_ever = 0;         // since the process started

void on_sigint(int) {
  g_interrupted = 1;
  g_ever = 1;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted = 0;
  previous_ = std::signal(SIGINT, on_sigint);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, previous_);
}

bool InterruptGuard::requested() const {
  return g_interrupted != 0;
}

bool interrupt_arrived() {
  return g_ever != 0;
}

void keep_signals_off_compute_threads() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Started before the mask below, so it is the thread that receives them
  // (or one a library started before main): their handler runs on its stack,
  // their default action ends the process as before.
  std::thread([set] {
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    for (;;) pause();
  }).detach();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace r1
