// Where a trainer's per-step log goes besides metrics.jsonl and samples.jsonl
// (which stay the record of a run): the sinks named by train.report_to, as in
// TRL. Each trainer passes every line it appends to those files through here.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1 {

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void metrics(const nlohmann::json& line) = 0;  // a metrics.jsonl line, with "step"
  virtual void sample(const nlohmann::json& line) = 0;   // a samples.jsonl line, with "step"
};

// TensorBoard event files (TFRecord framing, Event / Summary protobufs written
// here: no protobuf or TensorFlow dependency) in `log_dir`: every number of a
// metrics line as a scalar at its step (nested objects as "a/b": time/rollout),
// each step's samples as one markdown text summary "samples".
//
// A resumed run (`resumed_after` = the checkpoint's step) starts its new file
// with a SessionLog START at the next step: TensorBoard then drops what an
// earlier file logged from that step on (lines the interrupted run wrote past
// its checkpoint, which metrics.jsonl also drops), as it does for TF's own.
class TensorBoardWriter : public MetricsSink {
 public:
  explicit TensorBoardWriter(const std::string& log_dir, int64_t resumed_after = 0);
  ~TensorBoardWriter() override;

  void metrics(const nlohmann::json& line) override;
  void sample(const nlohmann::json& line) override;

  void scalar(const std::string& tag, double value, int64_t step);
  void text(const std::string& tag, const std::string& markdown, int64_t step);
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  void flush_samples();

  std::string path_;
  std::ofstream out_;
  std::vector<nlohmann::json> pending_samples_;  // of one step, written as one text
};

// The sinks of train.report_to (TRL's report_to): an array of "tensorboard"
// and "none", [] for none; Error naming anything else. TensorBoard logs go to
// OUTPUT_DIR/tensorboard. `resumed_after`: the step a resumed run continues
// from (0 for a fresh run).
std::vector<std::unique_ptr<MetricsSink>> make_metrics_sinks(const nlohmann::json& report_to,
                                                             const std::string& output_dir,
                                                             int64_t resumed_after);

// Checks a report_to value (for config validation, before a run starts).
void check_report_to(const nlohmann::json& report_to);

// The bytes of a TFRecord holding `data`: length, masked CRC-32C of the
// length, data, masked CRC-32C of the data.
std::string tfrecord(const std::string& data);
uint32_t crc32c(const std::string& data);

}  // namespace r1
