#include "dispatch.h"

#include <iostream>

#include "util/error.h"
#include "util/interrupt.h"

namespace r1 {

int run_command(const char* name, CommandFn run, const Args& args) {
  try {
    const int status = run(args);
    return interrupt_arrived() ? kInterruptedExitCode : status;
  } catch (const Error& e) {
    std::cerr << "r1 " << name << ": error: " << e.what() << "\n";
    return interrupt_arrived() ? kInterruptedExitCode : 1;
  } catch (const std::exception& e) {
    std::cerr << "r1 " << name << ": internal error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace r1
