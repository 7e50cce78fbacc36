// See interrupt.h.
#include "util/interrupt.h"

#include <csignal>

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

}  // namespace r1
