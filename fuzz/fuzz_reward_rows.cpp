// JSONL rows into the rule-based rewards (those that run no process): each
// input line is a dataset row; its "completion" (or the line itself) is the
// model output. Rewards never throw on model output; a row of the wrong shape
// may be an r1::Error, never a crash.
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "reward/reward.h"
#include "util/error.h"

namespace {

const std::vector<r1::RewardFn>& rewards() {
  static const std::vector<r1::RewardFn> all = [] {
    std::vector<r1::RewardFn> out;
    for (const char* name :
         {"math", "format", "think_format", "tag_count", "countdown", "arithmetic"})
      out.push_back(r1::make_reward({name, 1.0, nlohmann::json::object()}));
    out.push_back(r1::make_reward({"language", 1.0, {{"target", "en"}}}));
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<r1::RewardInput> batch;
  for (std::string line; std::getline(lines, line) && batch.size() < 16;) {
    r1::RewardInput in;
    in.row = nlohmann::json::parse(line, nullptr, false);
    if (in.row.is_discarded()) in.row = {{"answer", line}};
    if (in.row.is_object() && in.row.contains("completion") && in.row["completion"].is_string())
      in.completion = in.row["completion"].get<std::string>();
    else
      in.completion = line;
    batch.push_back(std::move(in));
  }
  for (const auto& reward : rewards()) {
    try {
      reward(batch);
    } catch (const r1::Error&) {
    }
  }
  return 0;
}
