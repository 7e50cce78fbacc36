// Shared by the tests: a scratch directory removed at the end of each test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

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

}  // namespace r1::test
