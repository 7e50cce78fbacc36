// Advantage estimators against values worked out by hand (arithmetic in comments) and
// against loop-by-loop references written here from the papers' formulas (veRL's loops,
// not its vectorised code): each scale_rewards mode of grpo, all-equal groups -> exactly
// 0, G = 1 -> 0 and never NaN; rloo, reinforce_plus_plus(_baseline) and remax on groups
// with ties, zero variance, a single sample, ragged masks and the KL in the reward.
#include "rl/advantages.h"

#include "util/error.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace r1 {
namespace {

at::Tensor rewards(std::vector<double> v) {
  return at::tensor(at::ArrayRef<double>(v), at::TensorOptions().dtype(at::kDouble));
}

void expect_values(const at::Tensor& t, const std::vector<double>& want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(t[i].item<double>(), want[i], 1e-12) << "index " << i;
}

// Three groups of G = 3: a spread group, an all-equal group, a lopsided group.
const std::vector<double> kRewards = {0, 1, 2, /**/ 5, 5, 5, /**/ 1, 0, 0};

TEST(Advantages, GroupScale) {
  AdvantageStats stats;
  const auto a = group_advantages(rewards(kRewards), 3, "group", &stats);
  // Group 1: mean 1, unbiased var ((-1)^2 + 0 + 1^2) / 2 = 1, std 1: A = (-1, 0, 1) / 1.0001.
  // Group 2: all equal -> 0.
  // Group 3: mean 1/3, var ((2/3)^2 + 2 (1/3)^2) / 2 = 1/3, std 0.5773502692:
  //   A = (2/3, -1/3, -1/3) / 0.5774502692 = (1.15450057, -0.57725029, -0.57725029).
  expect_values(a, {-0.9999000099990001, 0, 0.9999000099990001, 0, 0, 0, 1.1545005730142688,
                    -0.5772502865071344, -0.5772502865071344});
  EXPECT_NEAR(stats.zero_std_fraction, 1.0 / 3, 1e-12);  // one group of three
}

TEST(Advantages, BatchScale) {
  // Means stay per group; std is over all nine rewards: mean 19/9, squared deviations
  // sum to sum(r^2) - 9 mean^2 = 81 - 361/9 = 368/9, var = 368/72 = 46/9,
  // std = sqrt(46)/3 = 2.2607766610.
  const auto a = group_advantages(rewards(kRewards), 3, "batch");
  const double d = 2.2607766610417563 + 1e-4;
  expect_values(a.slice(0, 0, 3), {-1 / d, 0, 1 / d});
  EXPECT_NEAR(a[2].item<double>(), 0.44230630, 1e-7);  // 1 / 2.2608766610
  expect_values(a.slice(0, 3, 6), {0, 0, 0});
  EXPECT_NEAR(a[6].item<double>(), 0.29487087, 1e-7);  // (2/3) / 2.2608766610
}

TEST(Advantages, NoScaleIsCenteredRewards) {
  expect_values(group_advantages(rewards(kRewards), 3, "none"),
                {-1, 0, 1, 0, 0, 0, 2.0 / 3, -1.0 / 3, -1.0 / 3});
}

TEST(Advantages, AllEqualGroupsAreExactlyZero) {
  // 0.1 is not exact in binary: the mean of three can differ from 0.1 by an ulp, which
  // divided by (std + 1e-4) would leave a residue. The group has no signal: exactly 0.
  for (const char* scale : {"group", "batch", "none"}) {
    const auto a = group_advantages(rewards({0.1, 0.1, 0.1, 0.7, 0.7, 0.7}), 3, scale);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(a[i].item<double>(), 0.0) << scale << " " << i;
  }
}

TEST(Advantages, SingleSampleGroupsGiveZeroNotNaN) {
  // torch.std of one value is NaN (N - 1 = 0); a group of one has no signal.
  for (const char* scale : {"group", "batch", "none"}) {
    AdvantageStats stats;
    const auto a = group_advantages(rewards({3, 7}), 1, scale, &stats);
    expect_values(a, {0, 0});
    EXPECT_EQ(stats.zero_std_fraction, 1.0);
  }
  // One group of one in "batch" mode: the std over the whole batch is also of one value.
  expect_values(group_advantages(rewards({3}), 1, "batch"), {0});
}

TEST(Advantages, FloatRewardsKeepTheirDtype) {
  const auto r = rewards({0, 1}).to(at::kFloat);
  const auto a = group_advantages(r, 2, "group");
  EXPECT_EQ(a.scalar_type(), at::kFloat);
  // mean 0.5, unbiased std sqrt(0.5) = 0.70710678: A = -+0.5 / 0.70720678 = -+0.70700680.
  EXPECT_NEAR(a[1].item<double>(), 0.70700680, 1e-6);
}

TEST(Advantages, GroupsWithSignal) {
  const auto s = groups_with_signal(rewards(kRewards), 3);
  ASSERT_EQ(s.numel(), 3);
  EXPECT_TRUE(s[0].item<bool>());
  EXPECT_FALSE(s[1].item<bool>());
  EXPECT_TRUE(s[2].item<bool>());
}

TEST(Advantages, BadInputsAreErrors) {
  EXPECT_THROW(group_advantages(rewards(kRewards), 3, "grup"), Error);
  EXPECT_THROW(group_advantages(rewards(kRewards), 4, "group"), Error);  // 9 % 4 != 0
  EXPECT_THROW(group_advantages(rewards(kRewards), 0, "group"), Error);
  try {
    group_advantages(rewards(kRewards), 3, "grup");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rl.scale_rewards: unknown 'grup'"), std::string::npos);
  }
}

// ---- rloo

TEST(Rloo, LeaveOneOutBaselineWithTiesZeroVarianceAndSingles) {
  // Ties: (1, 1, 0, 0): 1 - mean(1, 0, 0) = 2/3, 0 - mean(1, 1, 0) = -2/3.
  // Lopsided (3, 0, 0, 0): 3 - 0 = 3, 0 - mean(3, 0, 0) = -1. Equal (0.1 x 4): exactly 0.
  const auto a = rloo_advantages(rewards({1, 1, 0, 0, 3, 0, 0, 0, 0.1, 0.1, 0.1, 0.1}), 4);
  expect_values(a, {2. / 3, 2. / 3, -2. / 3, -2. / 3, 3, -1, -1, -1, 0, 0, 0, 0});
  for (int i = 8; i < 12; ++i) EXPECT_EQ(a[i].item<double>(), 0.0);
  // A single sample has no other: baseline 0, the reward itself (veRL).
  expect_values(rloo_advantages(rewards({0.5, -2}), 1), {0.5, -2});
}

TEST(Rloo, MatchesExplicitLeaveOneOutMeans) {
  at::manual_seed(1);
  const int64_t G = 5;
  const auto r = at::randn({4 * G}, at::TensorOptions().dtype(at::kDouble));
  const auto a = rloo_advantages(r, G);
  for (int64_t i = 0; i < 4 * G; ++i) {
    const int64_t g0 = i / G * G;
    double others = 0;
    for (int64_t j = g0; j < g0 + G; ++j)
      if (j != i) others += r[j].item<double>();
    EXPECT_NEAR(a[i].item<double>(), r[i].item<double>() - others / (G - 1), 1e-12);
  }
}

// ---- REINFORCE++ and REINFORCE++-baseline: references written as veRL's loops

// Mask (N, T) with the given row lengths.
at::Tensor lengths_mask(const std::vector<int64_t>& lengths, int64_t T) {
  auto m = at::zeros({static_cast<int64_t>(lengths.size()), T}, at::kDouble);
  for (size_t i = 0; i < lengths.size(); ++i) m[i].narrow(0, 0, lengths[i]).fill_(1.0);
  return m;
}

// Whitening over the active tokens, value by value: (x - mean) / sqrt(var + 1e-8),
// var with n - 1.
at::Tensor whiten_reference(const at::Tensor& x, const at::Tensor& mask) {
  double sum = 0, n = 0;
  for (int64_t i = 0; i < x.size(0); ++i)
    for (int64_t t = 0; t < x.size(1); ++t)
      if (mask[i][t].item<double>() > 0) sum += x[i][t].item<double>(), n += 1;
  const double mean = sum / n;
  double sq = 0;
  for (int64_t i = 0; i < x.size(0); ++i)
    for (int64_t t = 0; t < x.size(1); ++t)
      if (mask[i][t].item<double>() > 0) sq += std::pow(x[i][t].item<double>() - mean, 2);
  const double scale = 1 / std::sqrt(sq / (n - 1) + 1e-8);
  auto out = at::zeros_like(x);
  for (int64_t i = 0; i < x.size(0); ++i)
    for (int64_t t = 0; t < x.size(1); ++t)
      if (mask[i][t].item<double>() > 0) out[i][t] = (x[i][t].item<double>() - mean) * scale;
  return out;
}

TEST(ReinforcePlusPlusBaseline, GroupMeanThenTokenWhitening) {
  // Groups (1, 0) and (1, 1) (a zero-variance group), completions of 2, 1, 3, 1 tokens.
  // Centered: 0.5, -0.5, 0, 0; tokens 0.5 0.5 -0.5 0 0 0 0: mean 0.5 / 7, and the zero-variance
  // group's advantage is -mean / std, not 0 (veRL: the whitening shifts every token).
  const auto r = rewards({1, 0, 1, 1});
  const auto mask = lengths_mask({2, 1, 3, 1}, 3);
  const auto a = reinforce_pp_baseline_advantages(r, 2, mask);
  auto tiled = at::zeros({4, 3}, at::kDouble);
  const std::vector<double> centered = {0.5, -0.5, 0, 0};
  for (int i = 0; i < 4; ++i) tiled[i].fill_(centered[i]);
  const auto want = whiten_reference(tiled, mask);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i].item<double>(), want[i][0].item<double>(), 1e-12);
  // mean 1/14 = 0.0714285714, var (sum of squares 0.75 - 7 mean^2) / 6 = 0.1190476190:
  // the zero-variance group's advantage is -0.0714285714 / sqrt(0.1190476190 + 1e-8).
  EXPECT_NEAR(a[2].item<double>(), -0.20701965910788075, 1e-12);
  // A single sample per group: baseline 0, the reward itself is whitened.
  const auto single = reinforce_pp_baseline_advantages(rewards({2, 0}), 1, lengths_mask({1, 1}, 1));
  expect_values(single, {1 / std::sqrt(2 + 1e-8), -1 / std::sqrt(2 + 1e-8)});
  // Every token equal (all groups without signal): exactly 0; one token: 0, not NaN.
  expect_values(reinforce_pp_baseline_advantages(rewards({0.1, 0.1, 0.1, 0.1}), 2, mask),
                {0, 0, 0, 0});
  expect_values(reinforce_pp_baseline_advantages(rewards({3}), 1, lengths_mask({1}, 1)), {0});
}

TEST(ReinforcePlusPlus, ReturnsToGoWithKlInRewardThenWhitening) {
  at::manual_seed(4);
  const auto d = at::TensorOptions().dtype(at::kDouble);
  const auto r = rewards({1, 0, 0.5, 1});
  const auto mask = lengths_mask({4, 2, 1, 3}, 4);
  const auto kl = -0.05 * at::randn({4, 4}, d);  // per-token reward: -coef * k1
  const auto a = reinforce_pp_advantages(r, mask, kl);
  ASSERT_EQ(a.sizes(), at::IntArrayRef({4, 4}));
  // veRL's loop: running = r_t + running, reset after the last token; the outcome is the
  // reward of the last token.
  auto returns = at::zeros({4, 4}, d);
  for (int64_t i = 0; i < 4; ++i) {
    double running = 0;
    for (int64_t t = 3; t >= 0; --t) {
      const bool on = mask[i][t].item<double>() > 0;
      const bool last = on && (t == 3 || mask[i][t + 1].item<double>() == 0);
      const double token = on ? kl[i][t].item<double>() + (last ? r[i].item<double>() : 0) : 0;
      running = on ? token + running : 0;
      returns[i][t] = running;
    }
  }
  const auto want = whiten_reference(returns, mask);
  EXPECT_LT((a - want).abs().max().item<double>(), 1e-12);
  // Without the KL the return is the outcome at every token: A constant along a row,
  // whitened with token weights (a 4-token completion counts 4 times).
  const auto plain = reinforce_pp_advantages(r, mask, at::Tensor());
  auto tiled = r.reshape({-1, 1}).expand({4, 4}) * mask;
  EXPECT_LT((plain - whiten_reference(tiled, mask)).abs().max().item<double>(), 1e-12);
  // All outcomes equal and no KL: exactly 0.
  EXPECT_EQ(reinforce_pp_advantages(rewards({0.3, 0.3, 0.3, 0.3}), mask, at::Tensor())
                .abs()
                .sum()
                .item<double>(),
            0.0);
}

// ---- ReMax

TEST(Remax, RewardMinusGreedyRewardPerToken) {
  const auto mask = lengths_mask({2, 3}, 3);
  // rewards 1, 0; greedy baselines 0.5, 0.5: A = 0.5 and -0.5 on every active token.
  const auto a = remax_advantages(rewards({1, 0}), rewards({0.5, 0.5}), mask, at::Tensor());
  EXPECT_TRUE(at::allclose(a, rewards({0.5, 0.5, 0, -0.5, -0.5, -0.5}).view({2, 3}), 0, 1e-15));
  // With per-token rewards the returns-to-go: row 0 tokens (0.1, 0.2) -> 1.3 - 0.5, 1.2 - 0.5.
  const auto kl = rewards({0.1, 0.2, 9, 0, 0, 0}).view({2, 3});  // 9: padding
  const auto b = remax_advantages(rewards({1, 0}), rewards({0.5, 0.5}), mask, kl);
  EXPECT_NEAR(b[0][0].item<double>(), 0.8, 1e-12);
  EXPECT_NEAR(b[0][1].item<double>(), 0.7, 1e-12);
  EXPECT_EQ(b[0][2].item<double>(), 0.0);
  EXPECT_THROW(remax_advantages(rewards({1, 0}), at::Tensor(), mask, at::Tensor()), Error);
}

// ---- picked by name

TEST(AdvantageEstimator, ByNameWithKlInTheOutcome) {
  AdvantageInputs in;
  in.rewards = rewards({1, 0, 1, 1});
  in.group_size = 2;
  in.mask = lengths_mask({2, 1, 1, 2}, 2);
  expect_values(advantage_estimator("rloo", "group")(in), {1, -1, 0, 0});
  expect_values(advantage_estimator("grpo", "none")(in), {0.5, -0.5, 0, 0});
  // The KL in the reward adds its sum over active tokens to the outcome: row 3 gets -0.2
  // (row 1's padding's -5 never counts), so group 2 now has a signal.
  in.token_rewards = rewards({0.0, 0.0, 0.0, -5.0, 0.0, 0.0, -0.1, -0.1}).view({4, 2});
  expect_values(advantage_estimator("rloo", "group")(in), {1, -1, 0.2, -0.2});
  EXPECT_EQ(advantage_estimator("reinforce_plus_plus", "group")(in).dim(), 2);
  EXPECT_EQ(advantage_estimator("reinforce_plus_plus_baseline", "group")(in).dim(), 1);
  try {
    advantage_estimator("ppo", "group");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rl.advantage_estimator: unknown 'ppo'"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace r1
