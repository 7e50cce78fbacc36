#include "util/run_dir.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace fs = std::filesystem;

namespace r1 {

std::string latest_checkpoint(const std::string& run_dir) {
  std::string dir = run_dir + "/checkpoints";
  int64_t best = -1;
  std::string path;
  if (!is_directory(dir)) return "";
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.find('.') != std::string::npos) continue;
    if (!file_exists(e.path().string() + "/trainer_state.json")) continue;
    int64_t step = std::stoll(name.substr(5));
    if (step > best) best = step, path = e.path().string();
  }
  return path;
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
                         const std::string& how_to_restart) {
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
  for (const auto& [key, value] : now.items())
    if (before.value(key, nlohmann::json()) != value)
      fail(path, ": this output dir holds a run with ", key, " = ",
           before.value(key, nlohmann::json()).dump(), ", not ", value.dump(), "; ",
           how_to_restart);
}

}  // namespace r1
