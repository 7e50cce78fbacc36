// Small utilities that the rest stands on: atomic writes, number formatting,
// and the BLAS check (reference BLAS would make every matmul ~30x slower).
#include <gtest/gtest.h>

#include <filesystem>

#include "../test_helpers.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"
#include "util/system.h"

namespace r1 {
namespace {

TEST(Util, WithCommas) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(9437312), "9,437,312");
  EXPECT_EQ(with_commas(-1234567), "-1,234,567");
}

TEST(Util, AtomicWriteReplacesWholeFile) {
  test::TempDir dir;
  write_file_atomic(dir.file("a"), "first version, long");
  write_file_atomic(dir.file("a"), "second");
  EXPECT_EQ(read_file(dir.file("a")), "second");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) n += e.is_regular_file();
  EXPECT_EQ(n, 1) << "temp file left behind";
  EXPECT_THROW(write_file_atomic(dir.file("no/such/dir/a"), "x"), Error);
}

TEST(Util, ReadFileNamesThePath) {
  try {
    read_file("/nonexistent/r1-file");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/r1-file"), std::string::npos);
  }
}

TEST(Util, TorchUsesOpenBlas) {
  EXPECT_NE(blas_library().find("openblas"), std::string::npos) << blas_library();
}

}  // namespace
}  // namespace r1
