// Group-relative advantages against values worked out by hand (arithmetic in comments):
// each scale_rewards mode, all-equal groups -> exactly 0, G = 1 -> 0 and never NaN.
#include "rl/advantages.h"

#include "util/error.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace r1
