// One error type for everything a user can cause: a bad file, config, flag or
// input line. Thrown where the problem is found, with what and where; caught
// once in main (or per line, where a command must go on after a bad line).
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace r1 {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Concatenates anything streamable: cat("tensor '", name, "' has ", n, " bytes").
template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename... Args>
[[noreturn]] void fail(const Args&... args) {
  throw Error(cat(args...));
}

// 9437312 -> "9,437,312": byte offsets in error messages are read by people.
std::string with_commas(int64_t n);

}  // namespace r1
