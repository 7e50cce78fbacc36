// safetensors reader/writer: round trip, and every kind of corrupt file gets a
// clear error that names the file and the problem (never a crash).
#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../test_helpers.h"
#include "util/error.h"

namespace r1 {
namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file with a given header JSON and a raw data buffer.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string expect_error(const std::string& path) {
  try {
    SafetensorsFile f(path);
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "error does not name the file: " << msg;
    return msg;
  }
  ADD_FAILURE() << "no error for " << path;
  return "";
}

TEST(Safetensors, RoundTripKeepsNamesShapesDtypesAndBytes) {
  test::TempDir dir;
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  std::vector<uint16_t> b = {0x3f80, 0x4000, 0xbf80};  // bf16 1, 2, -1
  std::vector<int64_t> c = {42, -7};
  std::string bytes = serialize_safetensors({{"a", DType::F32, {2, 3}, a.data(), a.size() * 4},
                                             {"layer.b", DType::BF16, {3}, b.data(), b.size() * 2},
                                             {"c", DType::I64, {2}, c.data(), c.size() * 8}},
                                            {{"format", "pt"}});
  EXPECT_EQ((bytes.size() - 8 - (6 * 4 + 3 * 2 + 2 * 8)) % 8, 0u) << "header not 8-byte aligned";
  write_bytes(dir.file("x.safetensors"), bytes);

  SafetensorsFile f(dir.file("x.safetensors"));
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorView& ta = f.get("a");
  EXPECT_EQ(ta.dtype, DType::F32);
  EXPECT_EQ(ta.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(ta.data, a.data(), 24), 0);
  EXPECT_EQ(f.get("layer.b").dtype, DType::BF16);
  EXPECT_EQ(std::memcmp(f.get("c").data, c.data(), 16), 0);
  EXPECT_THROW(f.get("nope"), Error);
}

TEST(Safetensors, ReadsAFileWrittenByTheReferenceLibrary) {
  // tests/fixtures/models/qwen2-gqa was saved by transformers (safetensors library).
  SafetensorsFile f(std::string(R1_FIXTURES) + "/models/qwen2-gqa/model.safetensors");
  EXPECT_TRUE(f.has("model.embed_tokens.weight"));
  EXPECT_TRUE(f.has("model.layers.0.self_attn.q_proj.bias"));
}

TEST(Safetensors, EmptyAndTinyFiles) {
  test::TempDir dir;
  write_bytes(dir.file("empty.safetensors"), "");
  EXPECT_NE(expect_error(dir.file("empty.safetensors")).find("too short"), std::string::npos);
  write_bytes(dir.file("short.safetensors"), "abc");
  expect_error(dir.file("short.safetensors"));
  EXPECT_NE(expect_error(dir.path).find("directory"), std::string::npos);
  expect_error(dir.file("missing.safetensors"));
}

TEST(Safetensors, HeaderLengthPastEndOfFile) {
  test::TempDir dir;
  std::string f = raw_file("{}", "");
  f[0] = static_cast<char>(0xff);
  f[1] = static_cast<char>(0xff);
  write_bytes(dir.file("h.safetensors"), f);
  EXPECT_NE(expect_error(dir.file("h.safetensors")).find("past the end"), std::string::npos);
  std::string huge(8, static_cast<char>(0xff));
  write_bytes(dir.file("huge.safetensors"), huge + "{}");
  expect_error(dir.file("huge.safetensors"));
}

TEST(Safetensors, HeaderLengthOverTwoToThe63IsPrintedUnsigned) {
  // A length >= 2^63 once printed as "header length -0" (signed overflow).
  test::TempDir dir;
  std::string f(7, static_cast<char>(0xff));
  f = f.substr(0, 7) + std::string(1, static_cast<char>(0x80)) + "{}";
  f[0] = 0;  // 0x80ffffffffffff00
  write_bytes(dir.file("h.safetensors"), f);
  const std::string msg = expect_error(dir.file("h.safetensors"));
  EXPECT_NE(msg.find("header length 9,295,429,630,892,703,488 runs past the end"),
            std::string::npos)
      << msg;
  EXPECT_EQ(with_commas(uint64_t{18446744073709551615u}), "18,446,744,073,709,551,615");
  EXPECT_EQ(with_commas(INT64_MIN), "-9,223,372,036,854,775,808");
  EXPECT_EQ(with_commas(-1234), "-1,234");
  EXPECT_EQ(with_commas(0), "0");
}

TEST(Safetensors, FifoIsAnErrorNotAHang) {
  test::TempDir dir;
  const std::string path = dir.file("model.safetensors");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(expect_error(path).find("not a regular file"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Safetensors, HeaderNotJson) {
  test::TempDir dir;
  write_bytes(dir.file("j.safetensors"), raw_file("{\"a\": [1, 2", ""));
  EXPECT_NE(expect_error(dir.file("j.safetensors")).find("not valid JSON"), std::string::npos);
  write_bytes(dir.file("arr.safetensors"), raw_file("[1, 2]", ""));
  EXPECT_NE(expect_error(dir.file("arr.safetensors")).find("not a JSON object"), std::string::npos);
}

TEST(Safetensors, TruncatedData) {
  test::TempDir dir;
  std::vector<float> a(100, 1.0f);
  std::string bytes = serialize_safetensors({{"w", DType::F32, {100}, a.data(), 400}}, {});
  write_bytes(dir.file("t.safetensors"), bytes.substr(0, bytes.size() - 10));
  std::string msg = expect_error(dir.file("t.safetensors"));
  EXPECT_NE(msg.find("'w'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Safetensors, ByteRangeDoesNotMatchShape) {
  test::TempDir dir;
  std::string h = R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})";
  write_bytes(dir.file("s.safetensors"), raw_file(h, std::string(24, '\0')));
  std::string msg = expect_error(dir.file("s.safetensors"));
  EXPECT_NE(msg.find("needs 24"), std::string::npos) << msg;
}

TEST(Safetensors, BadEntries) {
  test::TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"w": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 4]}})", "unsupported dtype"},
      {R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "no dtype"},
      {R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", "no shape"},
      {R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", "non-negative"},
      {R"({"w": {"dtype": "F32", "shape": [1]}})", "data_offsets"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", "begin > end"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", "data_offsets"},
      {R"({"w": 5})", "not an object"},
      {R"({"__metadata__": {"k": 1}})", "not a string"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
       "overlap"},
      {R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})",
       "absurdly large"},
  };
  int i = 0;
  for (const auto& [header, expected] : cases) {
    std::string path = dir.file("bad" + std::to_string(i++) + ".safetensors");
    write_bytes(path, raw_file(header, std::string(16, '\0')));
    std::string msg = expect_error(path);
    EXPECT_NE(msg.find(expected), std::string::npos) << header << " -> " << msg;
  }
}

}  // namespace
}  // namespace r1
