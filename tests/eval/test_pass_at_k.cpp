// pass@k against hand-computed binomial ratios, and cons@k voting with ties
// and equivalent answers written differently.
#include "eval/pass_at_k.h"

#include <gtest/gtest.h>

#include "eval/evaluator.h"
#include "reward/math/verify.h"
#include "util/error.h"

namespace r1 {
namespace {

TEST(PassAtK, HandComputed) {
  EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 1), 0.4);                // c / n
  EXPECT_NEAR(pass_at_k(5, 2, 2), 1 - 3.0 / 10, 1e-15);     // 1 - C(3,2)/C(5,2)
  EXPECT_NEAR(pass_at_k(5, 2, 3), 1 - 1.0 / 10, 1e-15);     // 1 - C(3,3)/C(5,3)
  EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 4), 1.0);                // only 3 wrong: any 4 hold a right one
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1 - 21.0 / 252, 1e-15);  // 1 - C(7,5)/C(10,5)
  EXPECT_NEAR(pass_at_k(16, 1, 4), 4.0 / 16, 1e-15);
}

TEST(PassAtK, EdgeCases) {
  for (int64_t k : {1, 3, 8}) {
    EXPECT_DOUBLE_EQ(pass_at_k(8, 0, k), 0.0);  // c = 0
    EXPECT_DOUBLE_EQ(pass_at_k(8, 8, k), 1.0);  // c = n
  }
  EXPECT_DOUBLE_EQ(pass_at_k(4, 0, 4), 0.0);  // n = k
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 4), 1.0);
  EXPECT_DOUBLE_EQ(pass_at_k(1, 1, 1), 1.0);
  EXPECT_THROW(pass_at_k(4, 5, 1), Error);
  EXPECT_THROW(pass_at_k(4, 1, 5), Error);
  EXPECT_THROW(pass_at_k(4, -1, 1), Error);
  EXPECT_THROW(pass_at_k(4, 1, 0), Error);
}

TEST(PassAtK, StableWhereBinomialsOverflow) {
  // C(2000, 1000) is ~1e600: the product form never forms it.
  EXPECT_NEAR(pass_at_k(2000, 1, 1), 1.0 / 2000, 1e-15);
  EXPECT_NEAR(pass_at_k(2000, 1, 1000), 0.5, 1e-12);  // one right sample, half the draws
  // 1 - C(1997,10)/C(2000,10) = 1 - (1990*1989*1988)/(2000*1999*1998)
  EXPECT_NEAR(pass_at_k(2000, 3, 10), 1 - (1990.0 * 1989 * 1988) / (2000.0 * 1999 * 1998), 1e-12);
}

TEST(PassAtK, ReportedKs) {
  EXPECT_EQ(reported_ks(16), (std::vector<int64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(reported_ks(12), (std::vector<int64_t>{1, 2, 4, 8, 12}));
  EXPECT_EQ(reported_ks(1), (std::vector<int64_t>{1}));
}

TEST(ConsAtK, MajorityWinsAndEmptyDoesNotVote) {
  EXPECT_EQ(majority_vote({"3", "5", "5", "", ""}), 1);
  EXPECT_EQ(majority_vote({"", "", "7"}), 2);
  EXPECT_EQ(majority_vote({"", ""}), -1);
  EXPECT_EQ(majority_vote({}), -1);
}

TEST(ConsAtK, TiesGoToTheAnswerSampledFirst) {
  EXPECT_EQ(majority_vote({"b", "a", "a", "b"}), 0);
  EXPECT_EQ(majority_vote({"z", "a", "a", "z", "q"}), 0);
  EXPECT_EQ(majority_vote({"q", "z", "a", "a", "z"}), 1);
}

TEST(ConsAtK, EquivalentAnswersVoteTogether) {
  // 1/2 written three ways outvotes 3 written twice.
  std::vector<std::string> answers = {"3", "1/2", "3", "0.5", "\\frac{1}{2}"};
  std::vector<std::string> keys;
  for (const auto& a : answers) keys.push_back(canonical_answer_key(a));
  EXPECT_EQ(keys[1], keys[3]);
  EXPECT_EQ(keys[1], keys[4]);
  EXPECT_EQ(majority_vote(keys), 1);
}

TEST(Summary, FromPerQuestionLines) {
  auto sample = [](int tokens, bool thinks, const char* finish) {
    return nlohmann::json{{"tokens", tokens}, {"thinks", thinks}, {"finish", finish}};
  };
  std::vector<nlohmann::json> q = {{{"n", 4},
                                    {"correct", 2},
                                    {"cons_correct", true},
                                    {"samples",
                                     {sample(10, true, "stop"), sample(20, true, "stop"),
                                      sample(30, false, "length"), sample(40, false, "stop")}}},
                                   {{"n", 4},
                                    {"correct", 0},
                                    {"cons_correct", false},
                                    {"samples",
                                     {sample(1, false, "stop"), sample(1, false, "stop"),
                                      sample(1, false, "stop"), sample(1, false, "stop")}}}};
  nlohmann::json s = summarize_eval(q);
  EXPECT_EQ(s["questions"], 2);
  EXPECT_EQ(s["k"], 4);
  EXPECT_DOUBLE_EQ(s["pass@1"].get<double>(), (0.5 + 0) / 2);
  EXPECT_DOUBLE_EQ(s["cons@4"].get<double>(), 0.5);
  EXPECT_NEAR(s["pass@k"]["2"].get<double>(), (1 - 1.0 / 6) / 2, 1e-15);  // 1 - C(2,2)/C(4,2)
  EXPECT_DOUBLE_EQ(s["pass@k"]["4"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["mean_response_tokens"].get<double>(), 104.0 / 8);
  EXPECT_DOUBLE_EQ(s["think_fraction"].get<double>(), 2.0 / 8);
  EXPECT_DOUBLE_EQ(s["truncated_fraction"].get<double>(), 1.0 / 8);
}

}  // namespace
}  // namespace r1
