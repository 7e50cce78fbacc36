// Verifier throughput on one core (issue 5: >= 2,000 math pairs/s, so reward
// is never the slow part of a GRPO step). Runs the same per-line work as
// `r1 verify` (JSON in, verify, JSON out) over a mixed file: the
// answer table (adversarial pairs included) plus countdown and arithmetic
// lines. Baseline, same run: the JSON parse + dump alone, the floor any JSONL
// command pays.
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "reward/math/verify.h"
#include "reward/tasks.h"

namespace {

using nlohmann::json;

std::vector<std::string> math_lines() {
  std::ifstream in(std::string(R1_SOURCE_DIR) + "/tests/fixtures/reward/math_pairs.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> countdown_lines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) {
    json j = {{"pred", "<think>try things</think><answer>(" + std::to_string(i % 9 + 1) +
                           " + 3) * 5 - 2</answer>"},
              {"gold", {{"numbers", {i % 9 + 1, 3, 5, 2}}, {"target", (i % 9 + 4) * 5 - 2}}},
              {"kind", "countdown"}};
    lines.push_back(j.dump());
  }
  return lines;
}

std::vector<std::string> arithmetic_lines() {
  std::vector<std::string> lines;
  for (int64_t i = 0; i < 100; ++i) {
    int64_t a = 123456 + i * 7919, b = 98765 - i * 31;
    json j = {{"pred", "Multiplying digit by digit ... so the answer is \\boxed{" +
                           std::to_string(a * b) + "}"},
              {"gold", std::to_string(a * b)},
              {"kind", "arithmetic"}};
    lines.push_back(j.dump());
  }
  return lines;
}

// One `r1 verify` line: parse, verify, serialise.
std::string verify(const std::string& text) {
  json line = json::parse(text);
  std::string kind = line.value("kind", "math");
  json out;
  if (kind == "countdown") {
    const json& g = line["gold"];
    auto r = r1::check_countdown(line["pred"], g["numbers"].get<std::vector<int64_t>>(),
                                 g["target"], false);
    out = {{"correct", r.correct}, {"pred_answer", r.expression}};
  } else if (kind == "arithmetic") {
    std::string pred;
    out = {{"correct", r1::arithmetic_correct(line["pred"], line["gold"], &pred)},
           {"pred_answer", pred}};
  } else {
    std::string pred = r1::extract_answer(line["pred"]), gold = r1::extract_reference(line["gold"]);
    out = {{"correct", r1::answers_equivalent(pred, gold)},
           {"pred_answer", pred},
           {"gold_answer", gold}};
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string floor_only(const std::string& text) {
  return json::parse(text).dump();
}

void row(const std::string& name, const std::vector<std::string>& lines, double floor_rate) {
  size_t sink = 0;
  double s = r1::bench::median_seconds([&] {
    for (const auto& l : lines) sink += verify(l).size();
  });
  double rate = lines.size() / s;
  std::cout << "| " << name << " | " << lines.size() << " | " << r1::bench::fixed(rate, 0) << " | "
            << r1::bench::fixed(1e6 / rate, 1) << " | " << r1::bench::fixed(rate / floor_rate, 2)
            << " |" << (sink == 0 ? " (empty)" : "") << "\n";
}

}  // namespace

int main() {
  auto math = math_lines(), countdown = countdown_lines(), arithmetic = arithmetic_lines();
  std::vector<std::string> mixed = math;
  mixed.insert(mixed.end(), countdown.begin(), countdown.end());
  mixed.insert(mixed.end(), arithmetic.begin(), arithmetic.end());

  size_t sink = 0;
  double floor_s = r1::bench::median_seconds([&] {
    for (const auto& l : mixed) sink += floor_only(l).size();
  });
  double floor_rate = mixed.size() / floor_s;
  std::cout << "verifier throughput, one thread (target: >= 2,000 math pairs/s)\n\n"
            << "| lines | n | lines/s | us/line | vs JSON floor |\n|---|---|---|---|---|\n"
            << "| JSON parse+dump only (baseline) | " << mixed.size() << " | "
            << r1::bench::fixed(floor_rate, 0) << " | " << r1::bench::fixed(1e6 / floor_rate, 1)
            << " | 1.00 |" << (sink == 0 ? " (empty)" : "") << "\n";
  row("math (answer-pair table)", math, floor_rate);
  row("countdown", countdown, floor_rate);
  row("arithmetic", arithmetic, floor_rate);
  row("mixed", mixed, floor_rate);
  return 0;
}
