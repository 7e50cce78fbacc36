// The registry and the non-math rewards: format, think_format, tag_count,
// language, countdown, arithmetic.
#include <gtest/gtest.h>

#include "reward/reward.h"
#include "reward/tasks.h"
#include "util/error.h"

namespace r1 {
namespace {

double score(const std::string& name, const std::string& completion, const nlohmann::json& row = {},
             const nlohmann::json& params = nlohmann::json::object()) {
  RewardFn fn = make_reward({name, 1.0, params});
  RewardInput in;
  in.completion = completion;
  in.row = row.is_null() ? nlohmann::json::object() : row;
  return fn({in}).at(0);
}

TEST(Registry, KnowsTheBuiltInRewards) {
  auto names = reward_names();
  for (const char* n :
       {"math", "format", "think_format", "tag_count", "language", "countdown", "arithmetic"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(Registry, UnknownNameOrParamIsAnError) {
  try {
    make_reward({"nope", 1.0, {}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: math"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_reward({"format", 1.0, {{"bogus", 1}}}), Error);
  EXPECT_THROW(make_reward({"language", 1.0, {{"target", "fr"}}}), Error);
  EXPECT_THROW(make_reward({"language", 1.0, {{"target", 3}}}), Error);
  EXPECT_THROW(make_reward({"countdown", 1.0, {{"use_all", "yes"}}}), Error);
}

TEST(Registry, ScoresABatchInOrder) {
  RewardFn fn = make_reward({"math", 1.0, {}});
  std::vector<RewardInput> batch(3);
  batch[0].completion = "\\boxed{2}";
  batch[0].row = {{"answer", "2"}};
  batch[1].completion = "\\boxed{3}";
  batch[1].row = {{"answer", "2"}};
  batch[2].completion = "\\boxed{0.5}";
  batch[2].row = {{"answer", "$\\frac{1}{2}$"}};
  EXPECT_EQ(fn(batch), (std::vector<double>{1.0, 0.0, 1.0}));
  EXPECT_EQ(score("math", "\\boxed{4}", {{"answer", 4}}), 1.0);  // numeric answers are fine
  EXPECT_EQ(score("math", "\\boxed{4}", {}), 0.0);               // no answer in the row
  // The answer must be in a fixed place unless fallbacks are on.
  EXPECT_EQ(score("math", "so the answer is 4", {{"answer", "4"}}), 0.0);
  EXPECT_EQ(score("math", "so the answer is 4", {{"answer", "4"}}, {{"fallbacks", true}}), 1.0);
  EXPECT_EQ(score("math", "<answer> 4 </answer>", {{"answer", "4"}}), 1.0);
  EXPECT_THROW(make_reward({"math", 1.0, {{"fallbacks", 1}}}), Error);
}

TEST(Format, R1Zero) {
  EXPECT_EQ(score("format", "<think> a </think> <answer> 5 </answer>"), 1.0);
  EXPECT_EQ(score("format", "<think>\na\n</think>\n<answer>\n5\n</answer>\n"), 1.0);
  EXPECT_EQ(score("format", "<think> a </think> <answer> </answer>"), 0.0);        // empty answer
  EXPECT_EQ(score("format", "hi <think> a </think> <answer> 5 </answer>"), 0.0);   // text before
  EXPECT_EQ(score("format", "<think> a </think> <answer> 5 </answer> bye"), 0.0);  // text after
  EXPECT_EQ(score("format", "<think> a </think> x <answer> 5 </answer>"), 0.0);    // text between
  EXPECT_EQ(score("format", "<answer> 5 </answer> <think> a </think>"), 0.0);      // order
  EXPECT_EQ(score("format", "<think> a </think> <think> b </think> <answer>5</answer>"), 0.0);
  EXPECT_EQ(score("format", "<think> a </think> <answer> 5"), 0.0);  // truncated
  EXPECT_EQ(score("format", " a </think> <answer> 5 </answer>", {}, {{"think_in_prompt", true}}),
            1.0);
  EXPECT_EQ(score("format", "<answer> 5 </answer>"), 0.0);  // thinking is required by default
  const nlohmann::json optional = {{"require_think", false}};
  EXPECT_EQ(score("format", "<answer> 5 </answer>", {}, optional), 1.0);
  EXPECT_EQ(score("format", "<think> a </think> <answer> 5 </answer>", {}, optional), 1.0);
  EXPECT_EQ(score("format", "<answer> </answer>", {}, optional), 0.0);
  EXPECT_EQ(score("format", "x <answer> 5 </answer>", {}, optional), 0.0);
  EXPECT_EQ(score("format", "<answer> 5 </answer> <answer> 6 </answer>", {}, optional), 0.0);
  EXPECT_EQ(score("format", "a </think> <answer> 5 </answer>", {}, optional), 0.0);  // half a think
  EXPECT_THROW(make_reward({"format", 1.0, {{"require_think", 1}}}), Error);
}

TEST(Format, ThinkThenBoxed) {
  EXPECT_EQ(score("think_format", "reasoning here\n</think>\nSo \\boxed{5}."), 1.0);
  EXPECT_EQ(score("think_format", "<think>reasoning</think> \\boxed{5}"), 1.0);
  EXPECT_EQ(score("think_format", "reasoning </think> the answer is 5"), 0.0);  // no box
  EXPECT_EQ(score("think_format", "\\boxed{5} reasoning"), 0.0);                // no </think>
  EXPECT_EQ(score("think_format", "</think> \\boxed{5}"), 0.0);                 // no reasoning
  EXPECT_EQ(score("think_format", "r </think> \\boxed{}"), 0.0);                // empty box
  EXPECT_EQ(score("think_format", "r </think> \\boxed{5"), 0.0);                // unbalanced
  EXPECT_EQ(score("think_format", "r </think> x </think> \\boxed{5}"), 0.0);
}

TEST(Format, TagCount) {
  EXPECT_EQ(score("tag_count", "<think> a </think> <answer> 5 </answer>"), 1.0);
  EXPECT_EQ(score("tag_count", "<think> a </think>"), 0.5);
  EXPECT_EQ(score("tag_count", "<think> a </think> <answer> 5"), 0.75);
  EXPECT_EQ(score("tag_count", "<think><think> a </think>"), 0.25);
  EXPECT_EQ(score("tag_count", "nothing"), 0.0);
}

TEST(Language, FractionOfWordsInTarget) {
  nlohmann::json en = {{"target", "en"}}, zh = {{"target", "zh"}};
  EXPECT_EQ(score("language", "<think>we add the two numbers</think> 5", {}, en), 1.0);
  EXPECT_EQ(score("language", "<think>我们把两个数相加</think>", {}, zh), 1.0);
  EXPECT_EQ(score("language", "<think>我们把两个数相加</think>", {}, en), 0.0);
  // 2 English words + 2 Han characters: half each.
  EXPECT_DOUBLE_EQ(score("language", "<think>add them 相加</think>", {}, en), 0.5);
  // Math variables, LaTeX commands and digits are not words.
  EXPECT_EQ(score("language", "设 x = \\frac{1}{2} 所以", {}, zh), 1.0);
  EXPECT_EQ(score("language", "<think>12 + 5 = 17</think>", {}, en), 0.0);  // no words at all
  EXPECT_DOUBLE_EQ(score("language", "so это", {}, en), 0.5);  // Cyrillic is not English
  EXPECT_NO_THROW(score("language", "\xff\xfe\xc3 bad utf8 \xe4\xb8", {}, zh));
  // Only the chain of thought counts, not the answer after </think>.
  EXPECT_EQ(score("language", "<think>plain english</think> 答案是五", {}, en), 1.0);
}

TEST(Countdown, ParsesSafelyAndChecksNumbers) {
  std::vector<int64_t> nums = {3, 5, 7, 2};
  EXPECT_TRUE(check_countdown("<answer>(7 - 3) * 5</answer>", nums, 20, false).correct);
  EXPECT_TRUE(check_countdown("<answer>(7 - 3) * 5 = 20</answer>", nums, 20, false).correct);
  EXPECT_TRUE(check_countdown("<answer>20 = 5 × (7 − 3)</answer>", nums, 20, false).correct);
  EXPECT_TRUE(check_countdown("\\boxed{5 \\times (7 - 3)}", nums, 20, false).correct);
  EXPECT_TRUE(
      check_countdown("<answer>(3 / 2) * (7 + 5) + 2</answer>", {3, 2, 7, 5, 2}, 20, true).correct);
  EXPECT_FALSE(
      check_countdown("<answer>(7 - 3) * 5</answer>", nums, 20, true).correct);          // 2 unused
  EXPECT_FALSE(check_countdown("<answer>5 * 5 - 5</answer>", nums, 20, false).correct);  // 5 reused
  EXPECT_FALSE(check_countdown("<answer>4 * 5</answer>", nums, 20, false).correct);  // 4 not given
  EXPECT_FALSE(
      check_countdown("<answer>7 / (5 - 5)</answer>", nums, 0, false).parsed);  // division by 0
  EXPECT_FALSE(check_countdown("<answer>__import__('os')</answer>", nums, 20, false).parsed);
  EXPECT_FALSE(
      check_countdown("<answer>-3 + 23</answer>", nums, 20, false).parsed);  // no unary minus
  EXPECT_FALSE(check_countdown("<answer>7 / 2</answer>", nums, 3, false).correct);  // 3.5, not 3
  EXPECT_FALSE(check_countdown("no answer", nums, 20, false).parsed);
  std::string deep =
      "<answer>" + std::string(10000, '(') + "5" + std::string(10000, ')') + "</answer>";
  EXPECT_FALSE(check_countdown(deep, nums, 5, false).parsed);
  nlohmann::json row = {{"numbers", {3, 5, 7, 2}}, {"target", 20}};
  EXPECT_EQ(score("countdown", "<answer>(7-3)*5</answer>", row), 1.0);
  EXPECT_EQ(score("countdown", "<answer>7+3+5</answer>", row), 0.1);  // TinyZero's format score
  EXPECT_EQ(score("countdown", "<answer>no idea</answer>", row), 0.0);
  EXPECT_EQ(score("countdown", "<answer>7+3+5</answer>", row, {{"format_score", 0.0}}), 0.0);
  EXPECT_THROW(score("countdown", "<answer>1</answer>", {{"numbers", {1}}}), Error);  // no target
}

TEST(Arithmetic, ExactIntegers) {
  EXPECT_EQ(canonical_integer("-0012"), "-12");
  EXPECT_EQ(canonical_integer("7,425"), "7425");
  EXPECT_EQ(canonical_integer("-0"), "0");
  EXPECT_EQ(canonical_integer("1.5"), "");
  EXPECT_EQ(canonical_integer(""), "");
  std::string big = "123456789012345678901234567890";
  EXPECT_TRUE(arithmetic_correct("\\boxed{" + big + "}", big));
  EXPECT_FALSE(arithmetic_correct("\\boxed{123456789012345678901234567891}", big));
  EXPECT_TRUE(arithmetic_correct("so the answer is 1,234.", "1234"));
  EXPECT_FALSE(arithmetic_correct("\\boxed{1234.5}", "1234"));
  // Listed boxes: the last one is the answer, as before lists were read.
  EXPECT_TRUE(arithmetic_correct("\\boxed{12}\\boxed{13}", "13"));
  EXPECT_FALSE(arithmetic_correct("\\boxed{12}\\boxed{13}", "12"));
  EXPECT_EQ(score("arithmetic", "\\boxed{56088}", {{"answer", 56088}}), 1.0);
  EXPECT_EQ(score("arithmetic", "\\boxed{56089}", {{"answer", "56088"}}), 0.0);
}

}  // namespace
}  // namespace r1
