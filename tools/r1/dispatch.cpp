#include "dispatch.h"

#include <iostream>

#include "util/error.h"

namespace r1 {

int run_command(const char* name, CommandFn run, const Args& args) {
  try {
    return run(args);
  } catch (const Error& e) {
    std::cerr << "r1 " << name << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "r1 " << name << ": internal error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace r1
