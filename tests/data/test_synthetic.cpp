// The synthetic task generators: deterministic for a seed, train and test
// never share a problem, every answer is right and every countdown instance is
// solved, checked by the reward's own verifiers (reward/tasks.h).
#include "data/synthetic.h"

#include <gtest/gtest.h>

#include <set>

#include "reward/tasks.h"
#include "util/error.h"

namespace r1 {
namespace {

std::string problem(const nlohmann::json& row) {
  if (row["task"] == "countdown") {
    auto numbers = row["numbers"].get<std::vector<int64_t>>();
    std::sort(numbers.begin(), numbers.end());
    std::string s;
    for (int64_t x : numbers) s += std::to_string(x) + ",";
    return s + "->" + row["target"].dump();
  }
  int64_t a = row["a"], b = row["b"];
  std::string op = row["op"];
  if (op != "-" && a > b) std::swap(a, b);  // a+b and b+a are one problem
  return std::to_string(a) + op + std::to_string(b);
}

TEST(Synthetic, SameSeedSameRowsOtherSeedOtherRows) {
  ArithmeticOptions a;
  EXPECT_EQ(generate_arithmetic(a, 50, 7, Split::kTrain),
            generate_arithmetic(a, 50, 7, Split::kTrain));
  EXPECT_NE(generate_arithmetic(a, 50, 7, Split::kTrain),
            generate_arithmetic(a, 50, 8, Split::kTrain));
  CountdownOptions c;
  EXPECT_EQ(generate_countdown(c, 30, 7, Split::kTest), generate_countdown(c, 30, 7, Split::kTest));
  EXPECT_NE(generate_countdown(c, 30, 7, Split::kTest), generate_countdown(c, 30, 8, Split::kTest));
}

TEST(Synthetic, PinnedRowsDoNotDriftAcrossPlatforms) {
  // Our own SplitMix64 + rejection sampling, no std:: distributions, so these
  // rows are the same under every standard library.
  auto rows = generate_arithmetic({}, 2, 1, Split::kTrain);
  EXPECT_EQ(rows[0]["prompt"], "Compute 8590 * 98761");
  EXPECT_EQ(rows[1]["prompt"], "Compute 733 * 650");
  auto c = generate_countdown({}, 1, 1, Split::kTest);
  EXPECT_EQ(c[0]["prompt"],
            "Using the numbers [73, 37, 27, 39], make 49 with + - * / and parentheses, using each "
            "number at most once");
}

TEST(Synthetic, TrainAndTestNeverShareAProblem) {
  // A small space (1-2 digit additions, ~5,000 problems) so that collisions
  // would happen if splits were drawn per seed rather than per problem.
  ArithmeticOptions a;
  a.min_digits = 1;
  a.max_digits = 2;
  a.ops = "+";
  std::set<std::string> train, test;
  for (uint64_t seed : {1, 2, 3})
    for (const auto& r : generate_arithmetic(a, 1500, seed, Split::kTrain))
      train.insert(problem(r));
  for (uint64_t seed : {4, 5})
    for (const auto& r : generate_arithmetic(a, 300, seed, Split::kTest)) test.insert(problem(r));
  EXPECT_GT(train.size(), 2000u);
  EXPECT_GT(test.size(), 300u);
  for (const auto& t : test) EXPECT_EQ(train.count(t), 0u) << t;

  CountdownOptions c;
  c.count = 3;
  c.max_value = 10;
  c.max_target = 30;
  std::set<std::string> ctrain, ctest;
  for (const auto& r : generate_countdown(c, 400, 1, Split::kTrain)) ctrain.insert(problem(r));
  for (const auto& r : generate_countdown(c, 40, 2, Split::kTest)) ctest.insert(problem(r));
  for (const auto& t : ctest) EXPECT_EQ(ctrain.count(t), 0u) << t;
}

TEST(Synthetic, RowsWithinASplitAreDistinctAndTooManyIsAnError) {
  ArithmeticOptions a;
  a.min_digits = a.max_digits = 1;
  a.ops = "*";
  auto rows = generate_arithmetic(a, 30, 1, Split::kTrain);
  std::set<std::string> seen;
  for (const auto& r : rows) EXPECT_TRUE(seen.insert(problem(r)).second);
  // 55 one-digit products exist in all; 100 distinct ones cannot.
  EXPECT_THROW(generate_arithmetic(a, 100, 1, Split::kTrain), Error);
  a.max_digits = 10;
  EXPECT_THROW(generate_arithmetic(a, 1, 1, Split::kTrain), Error);
  a.max_digits = 3;
  a.ops = "/";
  EXPECT_THROW(generate_arithmetic(a, 1, 1, Split::kTrain), Error);
}

TEST(Synthetic, ArithmeticAnswersAreRight) {
  ArithmeticOptions a;  // 3-5 digits, + - *
  SolutionOptions sol;
  sol.enabled = true;
  std::set<std::string> ops;
  for (const auto& r : generate_arithmetic(a, 300, 11, Split::kTest, sol)) {
    int64_t x = r["a"], y = r["b"];
    std::string op = r["op"];
    ops.insert(op);
    int64_t want = op == "+" ? x + y : op == "-" ? x - y : x * y;
    EXPECT_GE(want, 0);
    EXPECT_EQ(r["answer"], std::to_string(want));
    EXPECT_EQ(r["prompt"], "Compute " + std::to_string(x) + " " + op + " " + std::to_string(y));
    EXPECT_GE(std::to_string(x).size(), 3u);
    EXPECT_LE(std::to_string(y).size(), 5u);
    const std::string completion = r["completion"];
    EXPECT_TRUE(arithmetic_correct(completion, r["answer"])) << completion;
    const std::string ending = (op == "+" ? "; so " : ", so ") + std::to_string(want) + "</think>";
    EXPECT_NE(completion.find(ending), std::string::npos) << completion;
  }
  EXPECT_EQ(ops.size(), 3u);
}

TEST(Synthetic, WorkedStepsByHand) {
  EXPECT_EQ(arithmetic_steps(4567, '+', 891),
            "4567+891: 7+1+0=8 -> 8; 456+89: 6+9+0=15 -> 58; 45+8: 5+8+1=14 -> 458; "
            "4+0: 4+0+1=5 -> 5458; so 5458");
  EXPECT_EQ(arithmetic_steps(95, '+', 7),
            "95+7: 5+7+0=12 -> 2; 9+0: 9+0+1=10 -> 02; 0+0: 0+0+1=1 -> 102; so 102");
  EXPECT_EQ(arithmetic_steps(503, '-', 78), "3+10-8-0=5, 0+10-7-1=2, 5-0-1=4, so 425");
  EXPECT_EQ(arithmetic_steps(123, '*', 45), "123*5=615, 123*40=4920, 615+4920=5535, so 5535");
}

TEST(Synthetic, ThinkFractionControlsHowManyRowsReason) {
  ArithmeticOptions a;
  SolutionOptions sol;
  sol.enabled = true;
  sol.think_fraction = 0.25;
  auto rows = generate_arithmetic(a, 400, 3, Split::kTrain, sol);
  int thinking = 0;
  for (const auto& r : rows) {
    const std::string c = r["completion"];
    if (c.rfind("<think>", 0) == 0) {
      ++thinking;
    } else {
      EXPECT_EQ(c, "<answer>" + r["answer"].get<std::string>() + "</answer>");
    }
  }
  EXPECT_GT(thinking, 60);
  EXPECT_LT(thinking, 140);
  // The problems do not depend on whether solutions were asked for.
  auto plain = generate_arithmetic(a, 400, 3, Split::kTrain);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["prompt"], plain[i]["prompt"]);
  sol.think_fraction = 1.5;
  EXPECT_THROW(generate_arithmetic(a, 1, 3, Split::kTrain, sol), Error);
}

TEST(Synthetic, EveryCountdownInstanceIsSolvedAndVerified) {
  for (bool use_all : {false, true})
    for (int count : {3, 4, 5}) {
      CountdownOptions c;
      c.count = count;
      c.use_all = use_all;
      SolutionOptions sol;
      sol.enabled = true;
      sol.think_fraction = 0.5;
      for (const auto& r : generate_countdown(c, 60, count, Split::kTrain, sol)) {
        auto numbers = r["numbers"].get<std::vector<int64_t>>();
        int64_t target = r["target"];
        ASSERT_EQ(numbers.size(), static_cast<size_t>(count));
        EXPECT_EQ(std::count(numbers.begin(), numbers.end(), target), 0);
        for (int64_t x : numbers) EXPECT_TRUE(x >= 1 && x <= 100);
        const std::string expr = r["solution"];
        EXPECT_TRUE(
            check_countdown("<answer>" + expr + "</answer>", numbers, target, use_all).correct)
            << expr << " -> " << target;
        EXPECT_TRUE(check_countdown(r["completion"], numbers, target, use_all).correct)
            << r["completion"];
      }
    }
}

TEST(Synthetic, CountdownSolverFindsFewestOperations) {
  auto s = solve_countdown({75, 25, 2, 3}, 103, false);
  EXPECT_EQ(s.steps.size(), 2u);  // 75+25+3: two operations, 2 unused
  EXPECT_TRUE(
      check_countdown("<answer>" + s.expression + "</answer>", {75, 25, 2, 3}, 103, false).correct);
  s = solve_countdown({75, 25, 2, 3}, 103, true);
  EXPECT_EQ(s.steps.size(), 3u);
  EXPECT_TRUE(
      check_countdown("<answer>" + s.expression + "</answer>", {75, 25, 2, 3}, 103, true).correct);
  s = solve_countdown({7, 8, 50}, 56, false);
  EXPECT_EQ(s.expression, "8*7");
  EXPECT_EQ(s.steps, std::vector<std::string>{"8*7=56"});
  // Parentheses only where needed: 2 / (7 - 5) needs them, 9 - (3 + 4) too.
  s = solve_countdown({9, 3, 4}, 2, true);
  EXPECT_TRUE(check_countdown("<answer>" + s.expression + "</answer>", {9, 3, 4}, 2, true).correct)
      << s.expression;
  EXPECT_TRUE(solve_countdown({1, 1}, 97, false).expression.empty());
}

}  // namespace
}  // namespace r1
