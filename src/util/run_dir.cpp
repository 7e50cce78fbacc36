#include "util/run_dir.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace fs = std::filesystem;

namespace r1 {

int64_t checkpoint_dir_step(const std::string& dir_name) {
  constexpr size_t kMaxDigits = 15;  // 10^15 steps: beyond any run, and no overflow
  if (dir_name.rfind("step-", 0) != 0) return -1;
  const std::string digits = dir_name.substr(5);
  if (digits.empty() || digits.size() > kMaxDigits) return -1;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string latest_checkpoint(const std::string& run_dir) {
  std::string dir = run_dir + "/checkpoints";
  int64_t best = -1;
  std::string path;
  if (!is_directory(dir)) return "";
  for (const auto& e : fs::directory_iterator(dir)) {
    const int64_t step = checkpoint_dir_step(e.path().filename().string());
    if (step < 0 || !file_exists(e.path().string() + "/trainer_state.json")) continue;
    if (step > best) best = step, path = e.path().string();
  }
  return path;
}

std::map<std::string, int64_t> read_trainer_state(const std::string& checkpoint,
                                                  const std::vector<std::string>& keys) {
  constexpr int64_t kMaxValue = int64_t{1} << 53;  // a JSON number's exact integers
  const std::string path = checkpoint + "/trainer_state.json";
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  if (!state.is_object()) fail(path, ": not a JSON object");
  std::map<std::string, int64_t> out;
  for (const auto& key : keys) {
    auto it = state.find(key);
    if (it == state.end()) fail(path, ": missing '", key, "'");
    if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
        (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{kMaxValue}) ||
        it->get<int64_t>() > kMaxValue)
      fail(path, ": '", key, "' must be a whole number from 0 to 2^53, not ", it->dump());
    out[key] = it->get<int64_t>();
  }
  const std::string name = fs::path(checkpoint).filename().string();
  if (out.count("step") && checkpoint_dir_step(name) >= 0 &&
      out["step"] != checkpoint_dir_step(name))
    fail(path, ": 'step' is ", out["step"], " but the directory is ", name);
  return out;
}

void truncate_jsonl_after_step(const std::string& path, int64_t step) {
  if (!file_exists(path)) return;
  std::string kept;
  auto in = open_input(path);
  for_each_line(*in, [&](int64_t, const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("step", int64_t(0)) <= step) kept += line + "\n";
  });
  write_file_atomic(path, kept);
}

void check_same_settings(const std::string& path, const nlohmann::json& now, bool started,
                         const std::string& how_to_restart, const nlohmann::json& added_later) {
  if (!started || !file_exists(path)) {
    write_file_atomic(path, now.dump(2) + "\n");
    return;
  }
  nlohmann::json before;
  try {
    before = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception&) {
    fail(path, ": not valid JSON");
  }
  for (const auto& [key, value] : now.items()) {
    const nlohmann::json was =
        before.contains(key) ? before[key] : added_later.value(key, nlohmann::json());
    if (was != value)
      fail(path, ": this output dir holds a run with ", key, " = ", was.dump(), ", not ",
           value.dump(), "; ", how_to_restart);
  }
}

}  // namespace r1
