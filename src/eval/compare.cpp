// Before/after of two eval runs; see compare.h.
#include "eval/compare.h"

#include <map>

#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

nlohmann::json read_json_file(const std::string& path) {
  if (!file_exists(path)) fail(path, ": not found (is this an r1 eval output directory?)");
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception&) {
    fail(path, ": not valid JSON");
  }
}

// questions.jsonl by question index.
std::map<int64_t, nlohmann::json> read_questions(const std::string& dir) {
  const std::string path = dir + "/questions.jsonl";
  if (!file_exists(path)) fail(path, ": not found (is this an r1 eval output directory?)");
  std::map<int64_t, nlohmann::json> out;
  auto in = open_input(path);
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    nlohmann::json q;
    try {
      q = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(path, ":", number, ": not valid JSON");
    }
    if (!q.is_object() || !q.contains("index") || !q.contains("samples") || !q.contains("pass@1"))
      fail(path, ":", number, ": expected an r1 eval question line (index, pass@1, samples)");
    out[q["index"].get<int64_t>()] = q;
  });
  return out;
}

// The text of the first sample whose reward says `correct`, preferring one
// that reasons in <think> when `prefer_thinking`; "" if none.
std::string pick_sample(const nlohmann::json& q, bool correct, bool prefer_thinking) {
  std::string fallback;
  for (const auto& s : q["samples"]) {
    if ((s.value("reward", 0.0) >= 1.0) != correct) continue;
    if (!prefer_thinking || s.value("thinks", false)) return s.value("text", "");
    if (fallback.empty()) fallback = s.value("text", "");
  }
  return fallback;
}

}  // namespace

EvalComparison compare_evals(const std::string& before_dir, const std::string& after_dir) {
  EvalComparison c;
  c.before = read_json_file(before_dir + "/summary.json");
  c.after = read_json_file(after_dir + "/summary.json");
  const auto before = read_questions(before_dir), after = read_questions(after_dir);
  double best_gain = 0;
  bool best_thinks = false;
  for (const auto& [index, b] : before) {
    auto it = after.find(index);
    if (it == after.end()) continue;
    const auto& a = it->second;
    if (a.value("question", nlohmann::json()) != b.value("question", nlohmann::json()))
      fail(before_dir, " and ", after_dir, ": question ", index,
           " differs; compare evaluations of the same data");
    const double gain = a["pass@1"].get<double>() - b["pass@1"].get<double>();
    const std::string right = pick_sample(a, true, true), wrong = pick_sample(b, false, false);
    if (gain <= 0 || right.empty() || wrong.empty()) continue;
    const bool thinks = right.find("</think>") != std::string::npos;
    // Bigger gains first; among equal gains, one whose answer shows reasoning.
    if (gain > best_gain || (gain == best_gain && thinks && !best_thinks)) {
      best_gain = gain;
      best_thinks = thinks;
      const auto& gold = a.value("gold", nlohmann::json());
      c.example = {
          true, a["question"].is_string() ? a["question"].get<std::string>() : a["question"].dump(),
          gold.is_string() ? gold.get<std::string>() : gold.dump(), wrong, right};
    }
  }
  return c;
}

}  // namespace r1
