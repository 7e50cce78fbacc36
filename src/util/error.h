// One error type for everything a user can cause: a bad file, config, flag or
// input line. Thrown where the problem is found, with what and where; caught
// once in main (or per line, where a command must go on after a bad line).
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

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
// Any integer type, the full range of each (a corrupt file's 2^64 - 1 too).
std::string digits_with_commas(uint64_t magnitude, bool negative);
template <typename T>
std::string with_commas(T n) {
  static_assert(std::is_integral_v<T>, "with_commas takes integers");
  if constexpr (std::is_signed_v<T>)
    return digits_with_commas(
        n < 0 ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n), n < 0);
  else
    return digits_with_commas(static_cast<uint64_t>(n), false);
}

}  // namespace r1
