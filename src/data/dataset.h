// JSONL datasets: a file or a directory of *.jsonl shards, one JSON object per
// line, read fully (datasets for RL are thousands of rows, not billions).
// Order is a seeded shuffle per epoch, so a position (epoch, index) fully
// determines what comes next: that is what a resumed run restores.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace r1 {

struct Dataset {
  std::vector<nlohmann::json> rows;
  std::string source;
  // Where each row came from, so later checks can name file and line.
  std::vector<std::string> files;                     // shards, in load order
  std::vector<std::pair<uint32_t, int64_t>> origins;  // per row: (index into files, line)
  std::string where(size_t row) const;                // "path:line"
};

// Every line must be a JSON object holding all of `required_fields`; errors
// name the file and line.
Dataset load_jsonl(const std::string& path, const std::vector<std::string>& required_fields);

// The lines of a JSONL file that a resumable command appends to as it goes
// (r1 eval, r1 sample); none if it does not exist. A last line without its
// newline was cut short by a kill: it is removed from the file, so that item
// runs again. A complete line that is not JSON is an Error naming file and line.
std::vector<nlohmann::json> read_appended_jsonl(const std::string& path);

// Endless epochs over a dataset in seeded shuffled order.
class DataStream {
 public:
  DataStream(const Dataset& data, uint64_t seed, bool shuffle);
  const nlohmann::json& next();
  int64_t position() const { return position_; }  // rows drawn so far
  void seek(int64_t position);                    // resume
  int64_t epoch() const;

 private:
  const Dataset& data_;
  uint64_t seed_;
  bool shuffle_;
  int64_t position_ = 0;
  int64_t order_epoch_ = -1;
  std::vector<int64_t> order_;
};

}  // namespace r1
