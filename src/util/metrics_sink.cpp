#include "util/metrics_sink.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"

namespace r1 {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses.
uint32_t crc32c(const std::string& data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

namespace {

// TFRecord's masking, so that a CRC of data holding CRCs is not degenerate.
uint32_t masked_crc(const std::string& data) {
  const uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

template <typename T>
std::string little_endian(T value) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));  // x86-64 and aarch64 are little-endian
  return out;
}

// Protocol buffer wire format, the few field kinds an Event needs.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string key(int field, int wire_type) {
  return varint((field << 3) | wire_type);
}
std::string bytes_field(int field, const std::string& data) {
  return key(field, 2) + varint(data.size()) + data;
}
std::string varint_field(int field, uint64_t v) {
  return key(field, 0) + varint(v);
}
std::string double_field(int field, double v) {
  return key(field, 1) + little_endian(v);
}
std::string float_field(int field, float v) {
  return key(field, 5) + little_endian(v);
}

// tensorflow/core/util/event.proto: Event {double wall_time = 1; int64 step =
// 2; oneof {string file_version = 3; Summary summary = 5;}}.
std::string event(int64_t step, const std::string& payload_field) {
  const double wall_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return double_field(1, wall_time) + varint_field(2, static_cast<uint64_t>(step)) + payload_field;
}

// tensorflow/core/framework/summary.proto: Summary {repeated Value value = 1;}
// Value {string tag = 1; float simple_value = 2; TensorProto tensor = 8;
// SummaryMetadata metadata = 9;}.
std::string summary_event(int64_t step, const std::string& value) {
  return event(step, bytes_field(5, bytes_field(1, value)));
}

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string tag = prefix.empty() ? k : prefix + "/" + k;
    if (v.is_object())
      flatten(v, tag, out);
    else if (v.is_number())
      out.emplace_back(tag, v.get<double>());
  }
}

std::string hostname() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace

std::string tfrecord(const std::string& data) {
  const std::string length = little_endian<uint64_t>(data.size());
  return length + little_endian<uint32_t>(masked_crc(length)) + data +
         little_endian<uint32_t>(masked_crc(data));
}

TensorBoardWriter::TensorBoardWriter(const std::string& log_dir, int64_t resumed_after) {
  make_dirs(log_dir);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  path_ = cat(log_dir, "/events.out.tfevents.",
              std::chrono::duration_cast<std::chrono::seconds>(now).count(), ".", hostname(), ".",
              getpid());
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) fail(path_, ": cannot create the TensorBoard event file");
  write_event(event(0, bytes_field(3, "brain.Event:2")));
  // Event.session_log = 7: SessionLog {status = 1: START = 1}.
  if (resumed_after > 0) write_event(event(resumed_after + 1, bytes_field(7, varint_field(1, 1))));
  out_.flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  try {
    flush_samples();
    out_.flush();
  } catch (...) {
  }
}

void TensorBoardWriter::write_event(const std::string& e) {
  out_ << tfrecord(e);
  if (!out_) fail(path_, ": write failed");
}

void TensorBoardWriter::scalar(const std::string& tag, double value, int64_t step) {
  write_event(summary_event(step, bytes_field(1, tag) + float_field(2, static_cast<float>(value))));
}

void TensorBoardWriter::text(const std::string& tag, const std::string& markdown, int64_t step) {
  // The text plugin's summary: a scalar DT_STRING (7) tensor, metadata
  // plugin_data {plugin_name: "text"}.
  const std::string tensor = varint_field(1, 7) + bytes_field(2, "") + bytes_field(8, markdown);
  const std::string metadata = bytes_field(1, bytes_field(1, "text"));
  write_event(
      summary_event(step, bytes_field(1, tag) + bytes_field(8, tensor) + bytes_field(9, metadata)));
}

void TensorBoardWriter::metrics(const nlohmann::json& line) {
  flush_samples();
  const int64_t step = line.value("step", int64_t{0});
  std::vector<std::pair<std::string, double>> scalars;
  flatten(line, "", scalars);
  for (const auto& [tag, value] : scalars)
    if (tag != "step") scalar(tag, value, step);
  out_.flush();  // a TensorBoard watching the run sees each step as it ends
}

void TensorBoardWriter::sample(const nlohmann::json& line) {
  if (!pending_samples_.empty() &&
      pending_samples_.front().value("step", int64_t{0}) != line.value("step", int64_t{0}))
    flush_samples();
  pending_samples_.push_back(line);
}

// A step's samples as one markdown text: reward and scores, then the prompt
// and the completion as code blocks (they are model text, not markdown).
void TensorBoardWriter::flush_samples() {
  if (pending_samples_.empty()) return;
  std::ostringstream md;
  for (size_t i = 0; i < pending_samples_.size(); ++i) {
    const auto& s = pending_samples_[i];
    md << "**sample " << i << "**";
    for (const auto& [k, v] : s.items())
      if (v.is_number() && k != "step") md << " · " << k << " " << v.dump();
    md << "\n\n";
    for (const char* field : {"prompt", "completion"})
      if (s.contains(field) && s[field].is_string())
        md << field << ":\n\n```\n" << s[field].get<std::string>() << "\n```\n\n";
  }
  text("samples", md.str(), pending_samples_.front().value("step", int64_t{0}));
  pending_samples_.clear();
}

namespace {

// The loggers of report_to: an array of names, "none" standing for nothing.
std::vector<std::string> report_names(const nlohmann::json& report_to) {
  if (!report_to.is_array())
    fail("train.report_to must be an array of logger names, e.g. [\"tensorboard\"] or []");
  std::vector<std::string> names;
  for (const auto& item : report_to) {
    if (!item.is_string() || (item != "tensorboard" && item != "none"))
      fail("train.report_to: ", item.dump(),
           " is not a known logger (\"tensorboard\" or \"none\")");
    if (item != "none") names.push_back(item.get<std::string>());
  }
  return names;
}

}  // namespace

void check_report_to(const nlohmann::json& report_to) {
  report_names(report_to);
}

std::vector<std::unique_ptr<MetricsSink>> make_metrics_sinks(const nlohmann::json& report_to,
                                                             const std::string& output_dir,
                                                             int64_t resumed_after) {
  std::vector<std::unique_ptr<MetricsSink>> sinks;
  for (const auto& name : report_names(report_to))
    if (name == "tensorboard")
      sinks.push_back(
          std::make_unique<TensorBoardWriter>(output_dir + "/tensorboard", resumed_after));
  return sinks;
}

}  // namespace r1
