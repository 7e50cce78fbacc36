// TensorBoard event files: CRC-32C against its published check value, the
// TFRecord framing, and what train.report_to accepts. tools/tensorboard_check.py
// (run by tests/zero/tensorboard_test.sh) reads real runs back with
// TensorBoard's own reader.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/metrics_sink.h"

namespace r1 {
namespace {

TEST(MetricsSink, Crc32cMatchesTheCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // RFC 3720 / the CRC catalogue's check
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(MetricsSink, TfRecordFramesLengthDataAndMaskedCrcs) {
  const std::string data = "abc";
  const std::string rec = tfrecord(data);
  ASSERT_EQ(rec.size(), 8u + 4 + 3 + 4);
  uint64_t length;
  std::memcpy(&length, rec.data(), 8);
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(rec.substr(12, 3), "abc");
  uint32_t crc;
  std::memcpy(&crc, rec.data() + 15, 4);
  const uint32_t raw = crc32c("abc");
  EXPECT_EQ(crc, ((raw >> 15) | (raw << 17)) + 0xa282ead8u);
}

TEST(MetricsSink, ReportToIsAnArrayOfKnownLoggers) {
  using J = nlohmann::json;
  EXPECT_NO_THROW(check_report_to(J::array()));
  EXPECT_NO_THROW(check_report_to(J{"tensorboard"}));
  EXPECT_NO_THROW(check_report_to(J{"none", "tensorboard"}));
  EXPECT_THROW(check_report_to(J("tensorboard")), Error);  // TOML gives arrays: ["tensorboard"]
  try {
    check_report_to(J{"tensorboard", "wandb"});
    FAIL() << "wandb accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"wandb\""), std::string::npos) << e.what();
  }
  const auto dir = std::filesystem::temp_directory_path() / "r1_metrics_sink_test";
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(make_metrics_sinks(J{"none"}, dir.string(), 0).empty());
  auto sinks = make_metrics_sinks(J{"tensorboard"}, dir.string(), 0);
  ASSERT_EQ(sinks.size(), 1u);
  sinks[0]->metrics({{"step", 1}, {"loss", 0.5}});
  sinks.clear();
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir / "tensorboard"))
    files += f.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace r1
