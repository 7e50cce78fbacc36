// exp_approx against libm in double, through a vectorised loop (the way the
// kernels call it) and one element at a time; sum16x16's lane order.
#include "model/vec_math.h"

#include <gtest/gtest.h>

#include <random>

#include <cmath>
#include <limits>
#include <vector>

namespace r1 {
namespace {

R1_VECTOR_CLONES void exp_all(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp_approx(x[i]);
}

// |got - want| in units of the float spacing at want.
double ulps(float got, double want) {
  const float w = static_cast<float>(want);
  const double spacing = std::nextafter(w, std::numeric_limits<float>::infinity()) - w;
  return std::abs(got - want) / spacing;
}

TEST(VecMath, ExpWithinTwoUlpOverTheNormalRange) {
  std::vector<float> x;
  for (double v = -87.3; v <= 88.0; v += 0.000731) x.push_back(static_cast<float>(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 0.34657f, -0.34657f, 1.0f, -1.0f}) x.push_back(v);
  std::vector<float> y(x.size());
  exp_all(x.data(), y.data(), static_cast<int64_t>(x.size()));
  // The vector clones contract multiply-adds into FMAs, the scalar build does
  // not: both must be within bounds, they need not be equal.
  double worst_vector = 0, worst_scalar = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    worst_vector = std::max(worst_vector, ulps(y[i], want));
    worst_scalar = std::max(worst_scalar, ulps(exp_approx(x[i]), want));
  }
  EXPECT_LE(worst_vector, 2.0);
  EXPECT_LE(worst_scalar, 2.0);
}

TEST(VecMath, ExpEdgesUnderflowSaturateAndNan) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(exp_approx(-inf), 0.0f);
  EXPECT_EQ(exp_approx(-100.0f), 0.0f);
  EXPECT_EQ(exp_approx(1000.0f), exp_approx(88.0f));
  EXPECT_TRUE(std::isfinite(exp_approx(inf)));
  EXPECT_TRUE(std::isnan(exp_approx(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(exp_approx(0.0f), 1.0f);
}

TEST(VecMath, SumOfSixteenVectorsPutsEachVectorsSumInItsLane) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Vec16 p[16];
  double want[16] = {};
  for (int j = 0; j < 16; ++j)
    for (int l = 0; l < 16; ++l) {
      p[j][l] = u(rng) * static_cast<float>(j + 1);  // each vector a different scale
      want[j] += p[j][l];
    }
  const Vec16 got = sum16x16(p);
  for (int j = 0; j < 16; ++j) EXPECT_NEAR(got[j], want[j], 1e-5 * (j + 1)) << "lane " << j;
}

}  // namespace
}  // namespace r1
