#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace fs = std::filesystem;

namespace r1 {

static void read_file_rows(const std::string& path, const std::vector<std::string>& required,
                           Dataset& out) {
  auto in = open_input(path);
  const auto file = static_cast<uint32_t>(out.files.size());
  out.files.push_back(path);
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(path, ":", number, ": not valid JSON");
    }
    if (!row.is_object()) fail(path, ":", number, ": expected a JSON object");
    for (const auto& field : required)
      if (!row.contains(field)) fail(path, ":", number, ": missing field '", field, "'");
    out.rows.push_back(std::move(row));
    out.origins.emplace_back(file, number);
  });
}

Dataset load_jsonl(const std::string& path, const std::vector<std::string>& required_fields) {
  Dataset data;
  data.source = path;
  if (is_directory(path)) {
    std::vector<std::string> shards;
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.path().extension() == ".jsonl") shards.push_back(entry.path().string());
    std::sort(shards.begin(), shards.end());
    if (shards.empty()) fail(path, ": directory has no .jsonl files");
    for (const auto& shard : shards) read_file_rows(shard, required_fields, data);
  } else {
    read_file_rows(path, required_fields, data);
  }
  if (data.rows.empty()) fail(path, ": dataset is empty");
  return data;
}

std::string Dataset::where(size_t row) const {
  return cat(files[origins[row].first], ":", origins[row].second);
}

DataStream::DataStream(const Dataset& data, uint64_t seed, bool shuffle)
    : data_(data), seed_(seed), shuffle_(shuffle) {}

int64_t DataStream::epoch() const {
  return position_ / static_cast<int64_t>(data_.rows.size());
}

const nlohmann::json& DataStream::next() {
  const int64_t n = data_.rows.size();
  if (epoch() != order_epoch_) {
    order_.resize(n);
    for (int64_t i = 0; i < n; ++i) order_[i] = i;
    if (shuffle_) std::shuffle(order_.begin(), order_.end(), std::mt19937_64(seed_ + epoch()));
    order_epoch_ = epoch();
  }
  return data_.rows[order_[position_++ % n]];
}

void DataStream::seek(int64_t position) {
  position_ = position;
}

std::vector<nlohmann::json> read_appended_jsonl(const std::string& path) {
  std::vector<nlohmann::json> lines;
  if (!file_exists(path)) return lines;
  std::string text = read_file(path);
  size_t end = text.rfind('\n');
  std::string complete = end == std::string::npos ? "" : text.substr(0, end + 1);
  if (complete.size() != text.size()) write_file_atomic(path, complete);
  size_t pos = 0;
  for (int64_t number = 1; pos < complete.size(); ++number) {
    size_t eol = complete.find('\n', pos);
    try {
      lines.push_back(nlohmann::json::parse(complete.substr(pos, eol - pos)));
    } catch (const nlohmann::json::exception&) {
      fail(path, ":", number, ": not valid JSON (remove the output directory to start over)");
    }
    pos = eol + 1;
  }
  return lines;
}

}  // namespace r1
