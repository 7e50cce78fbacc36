// r1 verify: run the verifiers over JSONL (issue 5, item 7). In, per line:
// {"pred": model response, "gold": reference, "id"?: any, "kind"?: "math"
// (default) | "countdown" | "arithmetic" | "code"}. Out, same order: {"correct",
// "pred_answer", "gold_answer"} (+ "id", + "score" where credit is partial).
// A bad line gets {"error": ...} and processing continues (exit code 1 at the
// end). Each kind is one function in kKinds.
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "jsonl_filter.h"
#include "reward/code_reward.h"
#include "reward/math/verify.h"
#include "reward/tasks.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

using nlohmann::json;

std::string text_field(const json& line, const char* key) {
  if (!line.contains(key)) fail("missing \"", key, "\"");
  const json& v = line[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  fail("\"", key, "\" must be a string or a number");
}

// math: gold is a reference answer ("$\frac{3}{4}$", "0.75", "x = 3", ...).
json verify_math(const json& line) {
  std::string pred = extract_answer(text_field(line, "pred"));
  std::string gold = extract_reference(text_field(line, "gold"));
  return {
      {"correct", answers_equivalent(pred, gold)}, {"pred_answer", pred}, {"gold_answer", gold}};
}

// countdown: gold is {"numbers": [...], "target": N} (or those two fields sit
// on the line itself); optional "use_all": true requires every number once.
// score: 1 correct, 0.1 a parsed but wrong equation, 0 none (TinyZero).
json verify_countdown(const json& line) {
  const json& g = line.contains("gold") && line["gold"].is_object() ? line["gold"] : line;
  if (!g.contains("numbers") || !g["numbers"].is_array() || !g.contains("target") ||
      !g["target"].is_number_integer())
    fail("countdown needs \"gold\": {\"numbers\": [integers], \"target\": integer}");
  std::vector<int64_t> numbers;
  for (const auto& n : g["numbers"]) {
    if (!n.is_number_integer()) fail("countdown \"numbers\" must hold integers");
    numbers.push_back(n.get<int64_t>());
  }
  if (line.contains("use_all") && !line["use_all"].is_boolean())
    fail("\"use_all\" must be true or false");
  bool use_all = line.contains("use_all") && line["use_all"].get<bool>();
  CountdownResult r =
      check_countdown(text_field(line, "pred"), numbers, g["target"].get<int64_t>(), use_all);
  return {{"correct", r.correct},
          {"pred_answer", r.expression},
          {"gold_answer", g["target"].dump()},
          {"score", r.correct  ? 1.0
                    : r.parsed ? 0.1
                               : 0.0}};
}

// arithmetic: gold is an integer (any length; string or JSON number).
json verify_arithmetic(const json& line) {
  std::string pred;
  bool correct = arithmetic_correct(text_field(line, "pred"), text_field(line, "gold"), &pred);
  return {{"correct", correct}, {"pred_answer", pred}, {"gold_answer", text_field(line, "gold")}};
}

// code: the line holds "tests": [{"input", "output"}]; the last ```python or
// ```cpp block of pred runs in the sandbox against each. score: the passed
// fraction; pred_answer: the extracted program.
json verify_code(const json& line) {
  if (!line.contains("tests") || !line["tests"].is_array())
    fail("code needs \"tests\": [{\"input\": stdin, \"output\": expected stdout}, ...]");
  std::string pred = text_field(line, "pred");
  double score = score_code({{"", pred, line}}, CodeRewardOptions())[0];
  return {{"correct", score == 1.0},
          {"pred_answer", extract_program(pred).source},
          {"gold_answer", cat(line["tests"].size(), " tests")},
          {"score", score}};
}

struct VerifyKind {
  const char* name;
  json (*verify)(const json& line);
};

const VerifyKind kKinds[] = {
    {"math", verify_math},
    {"countdown", verify_countdown},
    {"arithmetic", verify_arithmetic},
    {"code", verify_code},
};

// Verifies one parsed line; `line` must be an object.
json verify_line(const json& line) {
  std::string kind = "math";
  if (line.contains("kind")) {
    if (!line["kind"].is_string()) fail("\"kind\" must be a string");
    kind = line["kind"].get<std::string>();
  }
  for (const auto& k : kKinds)
    if (kind == k.name) return k.verify(line);
  std::string known;
  for (const auto& k : kKinds) known += std::string(known.empty() ? "" : ", ") + k.name;
  fail("unknown kind \"", kind, "\" (known: ", known, ")");
}

}  // namespace

int cmd_verify(const Args& args) {
  ArgParser p(
      "r1 verify [--in F.jsonl] [--out F.jsonl]",
      "For each input line {\"pred\": response, \"gold\": reference, \"id\"?, \"kind\"?}, write\n"
      "{\"correct\", \"pred_answer\", \"gold_answer\"} (+ \"id\", + \"score\" where partial), in\n"
      "order. Kinds: math (default; gold is the reference answer), countdown (gold is\n"
      "{\"numbers\": [...], \"target\": N}), arithmetic (gold is an integer), code (the line\n"
      "has \"tests\": [{\"input\", \"output\"}]; pred's last ```python/```cpp block runs\n"
      "sandboxed; score is the passed fraction). A bad line gets {\"error\": ...} and\n"
      "processing continues (exit code 1 at the end).");
  p.add("--in", "FILE", "input JSONL, - for stdin", "-");
  p.add("--out", "FILE", "output JSONL, - for stdout", "-");
  p.add_switch("--list-rewards",
               "print every reward: what it scores, the row fields it reads, its params and "
               "their defaults ([[rewards]] tables take them as keys)");
  if (!p.parse(args)) return 0;
  if (p.on("--list-rewards")) {
    std::cout << describe_rewards();
    return 0;
  }

  return filter_jsonl("verify", p.str("--in"), p.str("--out"),
                      [](const json& row, const std::string&) { return verify_line(row); });
}

}  // namespace r1
