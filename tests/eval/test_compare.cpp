// compare_evals: the before/after report of the R1-Zero demo. Hand-written
// eval outputs: which question is picked as the example, and which samples.
#include "eval/compare.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../test_helpers.h"
#include "util/error.h"

namespace r1 {
namespace {

nlohmann::json sample(const std::string& text, bool right) {
  return {{"text", text},
          {"reward", right ? 1.0 : 0.0},
          {"thinks", text.find("</think>") != std::string::npos}};
}

nlohmann::json question(int index, const std::string& q, std::vector<nlohmann::json> samples) {
  double right = 0;
  for (const auto& s : samples) right += s["reward"].get<double>();
  return {{"index", index},      {"question", q},
          {"gold", "42"},        {"pass@1", right / samples.size()},
          {"n", samples.size()}, {"samples", samples}};
}

void write_eval(const std::string& dir, double pass1, const std::vector<nlohmann::json>& qs) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/summary.json") << nlohmann::json{{"pass@1", pass1}, {"k", 2}}.dump();
  std::ofstream out(dir + "/questions.jsonl");
  for (const auto& q : qs) out << q.dump() << "\n";
}

TEST(CompareEvals, PicksTheBiggestGainAndAReasonedRightAnswer) {
  test::TempDir t;
  write_eval(
      t.file("before"), 0.25,
      {question(0, "a", {sample("<answer>1</answer>", false), sample("<answer>42</answer>", true)}),
       question(1, "b", {sample("<answer>7</answer>", false), sample("<answer>8</answer>", false)}),
       question(2, "c",
                {sample("<answer>9</answer>", false), sample("<answer>42</answer>", true)})});
  write_eval(
      t.file("after"), 0.83,
      {question(0, "a", {sample("<answer>42</answer>", true), sample("<answer>42</answer>", true)}),
       question(1, "b",
                {sample("<answer>42</answer>", true),
                 sample("<think>6*7</think> <answer>42</answer>", true)}),
       question(2, "c",
                {sample("<answer>42</answer>", true), sample("<answer>3</answer>", false)})});
  EvalComparison c = compare_evals(t.file("before"), t.file("after"));
  EXPECT_DOUBLE_EQ(c.before["pass@1"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(c.after["pass@1"].get<double>(), 0.83);
  ASSERT_TRUE(c.example.found);
  EXPECT_EQ(c.example.question, "b");  // gain 1.0 beats question a's 0.5; c did not gain
  EXPECT_EQ(c.example.gold, "42");
  EXPECT_EQ(c.example.before, "<answer>7</answer>");
  EXPECT_EQ(c.example.after, "<think>6*7</think> <answer>42</answer>");
}

TEST(CompareEvals, NoExampleWithoutAnImprovedQuestion) {
  test::TempDir t;
  auto qs = std::vector<nlohmann::json>{
      question(0, "a", {sample("<answer>1</answer>", false), sample("<answer>42</answer>", true)})};
  write_eval(t.file("before"), 0.5, qs);
  write_eval(t.file("after"), 0.5, qs);
  EXPECT_FALSE(compare_evals(t.file("before"), t.file("after")).example.found);
}

TEST(CompareEvals, DifferentQuestionsOrMissingFilesAreClearErrors) {
  test::TempDir t;
  write_eval(t.file("before"), 0, {question(0, "a", {sample("x", false)})});
  write_eval(t.file("after"), 1, {question(0, "other", {sample("x", true)})});
  try {
    compare_evals(t.file("before"), t.file("after"));
    FAIL() << "accepted evaluations of different questions";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("question 0 differs"), std::string::npos) << e.what();
  }
  try {
    compare_evals(t.file("before"), t.file("nowhere"));
    FAIL() << "accepted a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere/summary.json: not found"), std::string::npos)
        << e.what();
  }
  std::ofstream(t.file("after/questions.jsonl")) << "{\"index\": 0,\n";
  try {
    compare_evals(t.file("before"), t.file("after"));
    FAIL() << "accepted a broken line";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("after/questions.jsonl:1: not valid JSON"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace r1
