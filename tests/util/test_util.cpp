// Small utilities that the rest stands on: atomic writes, number formatting,
// the chunk queue, and the BLAS check (reference BLAS would make every matmul ~30x slower).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "../test_helpers.h"
#include "util/atomic_file.h"
#include "util/chunk_queue.h"
#include "util/config.h"
#include "util/error.h"
#include "util/io.h"
#include "util/run_dir.h"
#include "util/system.h"

namespace r1 {
namespace {

// Threads draining one queue cover every item exactly once, in whole chunks
// (the last one short), however the chunks fall between them.
TEST(Util, ChunkQueueHandsOutEveryItemOnce) {
  const int64_t n = 1001, unit = 24;
  std::vector<std::atomic<int>> seen(n);
  ChunkQueue queue;
  std::atomic<int> bad_chunks{0};
  auto work = [&] {
    queue.drain(n, unit, [&](int64_t begin, int64_t end) {
      if (begin % unit != 0 || (end - begin != unit && end != n)) ++bad_chunks;
      for (int64_t i = begin; i < end; ++i) ++seen[i];
    });
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  work();  // a drained queue hands out nothing more
  EXPECT_EQ(bad_chunks, 0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "item " << i;
}

// Guided: every item once, chunks start on a unit and span whole units (the
// last may be short), and they shrink from a quarter of the items (two
// threads) down to one unit.
TEST(Util, GuidedChunkQueueHandsOutEveryItemOnceInShrinkingChunks) {
  const int64_t n = 1001, unit = 24;
  const int threads = 4;
  std::vector<std::atomic<int>> seen(n);
  std::vector<int64_t> sizes(n, 0);  // by chunk start
  ChunkQueue queue;
  std::atomic<int> bad_chunks{0};
  auto work = [&] {
    queue.drain_guided(n, unit, threads, [&](int64_t begin, int64_t end) {
      if (begin % unit != 0 || ((end - begin) % unit != 0 && end != n)) ++bad_chunks;
      sizes[begin] = end - begin;
      for (int64_t i = begin; i < end; ++i) ++seen[i];
    });
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  work();
  EXPECT_EQ(bad_chunks, 0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "item " << i;
  EXPECT_EQ(sizes[0], n / (2 * threads) / unit * unit);
  int64_t last = sizes[0], chunks = 0;
  for (int64_t b = 0; b < n; b += sizes[b], ++chunks) {
    ASSERT_GT(sizes[b], 0) << "no chunk starts at " << b;
    EXPECT_LE(sizes[b], last) << "chunk at " << b << " grew";
    last = sizes[b];
  }
  EXPECT_LE(last, unit);
  EXPECT_LT(chunks, n / unit) << "guided chunks should be fewer than fixed ones";
}

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

TEST(Util, ReadFileOfAnEmptyPathSaysSo) {
  // Once "error: : cannot open for reading".
  try {
    read_file("");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a file name is empty"), std::string::npos) << e.what();
  }
}

TEST(Util, SetTakesAnyBareString) {
  // 'model.path=a"b' was "internal error" (the fallback quoted it into bad TOML).
  std::string path;
  int64_t n = 0;
  const FieldTable table = {{"model.path", &path, ""}, {"model.n", &n, ""}};
  apply_override(table, "model.path=a\"b");
  EXPECT_EQ(path, "a\"b");
  apply_override(table, "model.path=c:\\x\\\"");
  EXPECT_EQ(path, "c:\\x\\\"");
  apply_override(table, "model.path=\"quoted\"");
  EXPECT_EQ(path, "quoted");
  // Not text: once an internal error when the resolved config was written.
  EXPECT_THROW(apply_override(table, "model.path=a\xff\xfe"), Error);
  apply_override(table, "model.path=\xe4\xb8\xad");
  EXPECT_EQ(path, "\xe4\xb8\xad");
  try {
    apply_override(table, "model.n=a\"b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'model.n' must be an integer"), std::string::npos)
        << e.what();
  }
}

// A resumed run must match the settings its directory records; a setting
// added since counts as the value that behaves as before it existed.
TEST(Util, SettingsAddedLaterMatchTheirOldBehaviour) {
  test::TempDir dir;
  const std::string path = dir.file("settings.json");
  const nlohmann::json none = nlohmann::json::object();
  check_same_settings(path, {{"k", 4}}, /*started=*/false, "restart", none);
  const nlohmann::json now = {{"k", 4}, {"limit", 0}};
  EXPECT_NO_THROW(check_same_settings(path, now, true, "restart", {{"limit", 0}}));
  EXPECT_NE(
      test::error_of([&] {
        check_same_settings(path, {{"k", 4}, {"limit", 512}}, true, "restart", {{"limit", 0}});
      }).find("holds a run with limit = 0, not 512; restart"),
      std::string::npos);
  EXPECT_NE(test::error_of([&] {
              check_same_settings(path, now, true, "restart", none);
            }).find("limit = null, not 0"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              check_same_settings(path, {{"k", 5}}, true, "restart", none);
            }).find("k = 4, not 5"),
            std::string::npos);
}

TEST(Util, OnlyStepDigitsDirectoriesAreCheckpoints) {
  EXPECT_EQ(checkpoint_dir_step("step-13"), 13);
  EXPECT_EQ(checkpoint_dir_step("step-0"), 0);
  for (const char* other : {"step-abc", "step-13-backup", "step-13.tmp", "step-", "step--1",
                            "step-+1", "step-1e3", "Step-1", "step-9999999999999999999999"})
    EXPECT_EQ(checkpoint_dir_step(other), -1) << other;
}

// Debian's libtorch calls the system's libblas.so.3 (OpenBLAS, by setup.sh's
// check); PyPI's wheel has MKL inside. Never the reference BLAS (~30x slower).
TEST(Util, TorchUsesAFastBlas) {
  const std::string blas = blas_library();
  EXPECT_TRUE(blas.rfind("openblas", 0) == 0 || blas.rfind("mkl", 0) == 0) << blas;
}

}  // namespace
}  // namespace r1
