// Shared by the tests: a scratch directory removed at the end of each test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "util/error.h"

namespace r1::test {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/r1-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// The message of the Error `fn` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace r1::test
