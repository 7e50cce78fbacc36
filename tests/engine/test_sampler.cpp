// Sampling rules on a toy vocabulary: filters never emit excluded tokens,
// temperature 0 is argmax, and empirical frequencies match the distribution.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace r1 {
namespace {

// Probabilities of the toy vocabulary (already softmaxed), and matching logits.
const std::vector<float> kProbs = {0.40f, 0.25f, 0.15f, 0.10f, 0.05f, 0.03f, 0.02f};

std::vector<float> logits_of(const std::vector<float>& p) {
  std::vector<float> l;
  for (float x : p) l.push_back(std::log(x));
  return l;
}

std::vector<int> histogram(const SamplingParams& params, int draws, uint64_t seed = 1) {
  SequenceRng rng(seed);
  std::vector<int32_t> scratch;
  auto logits = logits_of(kProbs);
  std::vector<int> counts(kProbs.size(), 0);
  for (int i = 0; i < draws; ++i)
    counts[sample_from_probs(kProbs.data(), logits.data(), kProbs.size(), params, rng, scratch)
               .token]++;
  return counts;
}

// Pearson chi-square statistic of counts against expected probabilities.
double chi_square(const std::vector<int>& counts, const std::vector<double>& expected, int draws) {
  double x2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
      continue;
    }
    double e = expected[i] * draws;
    x2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return x2;
}

TEST(Sampler, FrequenciesMatchTheDistribution) {
  const int draws = 20000;
  auto counts = histogram(SamplingParams{}, draws);
  std::vector<double> expected(kProbs.begin(), kProbs.end());
  // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
  EXPECT_LT(chi_square(counts, expected, draws), 22.46);
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikelyAndRenormalises) {
  SamplingParams p;
  p.top_k = 3;
  const int draws = 20000;
  auto counts = histogram(p, draws);
  std::vector<double> expected = {0.40 / 0.80, 0.25 / 0.80, 0.15 / 0.80, 0, 0, 0, 0};
  EXPECT_LT(chi_square(counts, expected, draws), 13.82);  // 2 dof, p = 0.001
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  SamplingParams p;
  p.top_p = 0.7f;  // 0.40 + 0.25 = 0.65 < 0.7, so the nucleus is {0, 1, 2}
  const int draws = 20000;
  auto counts = histogram(p, draws);
  std::vector<double> expected = {0.40 / 0.80, 0.25 / 0.80, 0.15 / 0.80, 0, 0, 0, 0};
  EXPECT_LT(chi_square(counts, expected, draws), 13.82);
}

TEST(Sampler, MinPDropsTokensBelowAFractionOfTheTop) {
  SamplingParams p;
  p.min_p = 0.3f;  // floor 0.12: keeps {0.40, 0.25, 0.15}
  auto counts = histogram(p, 5000);
  for (size_t i = 3; i < counts.size(); ++i) EXPECT_EQ(counts[i], 0);
  EXPECT_GT(counts[2], 0);
}

TEST(Sampler, TopPOverALargeFlatVocabularyTakesTheSlowPath) {
  // 4096 equal tokens: the nucleus (2048) is larger than the sorted prefix.
  const int V = 4096;
  std::vector<float> probs(V, 1.0f / V), logits(V, 0.0f);
  SamplingParams p;
  p.top_p = 0.5f;
  SequenceRng rng(3);
  std::vector<int32_t> scratch;
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto s = sample_from_probs(probs.data(), logits.data(), V, p, rng, scratch);
    EXPECT_LT(s.token, 2048) << "ties break towards lower ids, so the nucleus is [0, 2048)";
    EXPECT_NEAR(s.sampling_logprob, std::log(1.0 / 2048), 1e-4);
    seen.insert(s.token);
  }
  EXPECT_GT(seen.size(), 600u);
}

TEST(Sampler, TemperatureZeroIsArgmax) {
  SamplingParams p;
  p.temperature = 0.0f;
  auto counts = histogram(p, 100);
  EXPECT_EQ(counts[0], 100);
}

TEST(Sampler, PenaltiesFollowCtrlAndPresenceRules) {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f};
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  p.presence_penalty = 0.5f;
  apply_penalties(logits.data(), /*prompt=*/{0}, /*generated=*/{1, 1}, p);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);   // positive, seen in prompt: divided
  EXPECT_FLOAT_EQ(logits[1], -4.5f);  // negative: multiplied, then presence
  EXPECT_FLOAT_EQ(logits[2], 1.0f);   // unseen: untouched
}

TEST(Sampler, SeedsAreIndependentStreams) {
  SequenceRng a(sample_seed(5, 0)), b(sample_seed(5, 0)), c(sample_seed(5, 1));
  double x = a.uniform();
  EXPECT_EQ(x, b.uniform());
  EXPECT_NE(x, c.uniform());
}

TEST(Sampler, StopIdsJoinTokenizerAndModelEosOnceEach) {
  EXPECT_EQ(stop_token_ids({5, 7}, {7, 3, 5}), (std::vector<int64_t>{5, 7, 3}));
  EXPECT_EQ(stop_token_ids({}, {2}), (std::vector<int64_t>{2}));
  EXPECT_TRUE(stop_token_ids({}, {}).empty());
}

}  // namespace
}  // namespace r1
