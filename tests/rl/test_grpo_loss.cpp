// The GRPO loss against values worked out by hand (arithmetic in comments): clipping on
// both sides, clip-higher, k3 KL, every loss_type on a ragged mask, the GSPO sequence
// ratio, masked tokens, and gradients (finite differences; the mu = 1 policy gradient).
#include "rl/grpo_loss.h"

#include "util/error.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace r1 {
namespace {

using Rows = std::vector<std::vector<double>>;

// (B, T) double tensor from rows.
at::Tensor bt(const Rows& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return at::tensor(at::ArrayRef<double>(flat), at::TensorOptions().dtype(at::kDouble))
      .reshape({static_cast<int64_t>(rows.size()), -1});
}

at::Tensor vec(std::vector<double> v) {
  return at::tensor(at::ArrayRef<double>(v), at::TensorOptions().dtype(at::kDouble));
}

// Log-probs whose ratio to old_logprobs = 0 is the given rho.
at::Tensor log_of(const Rows& rho) {
  return bt(rho).log();
}

GrpoLossInputs inputs(const at::Tensor& logprobs, const at::Tensor& advantages,
                      const at::Tensor& mask) {
  GrpoLossInputs in;
  in.logprobs = logprobs.clone().requires_grad_(true);
  in.old_logprobs = at::zeros_like(logprobs);
  in.advantages = advantages;
  in.mask = mask;
  return in;
}

// Loss of one token with ratio rho and advantage a.
double one_token(const GrpoLossConfig& config, double rho, double a) {
  return grpo_loss(config, inputs(log_of({{rho}}), vec({a}), bt({{1}}))).item<double>();
}

TEST(GrpoLoss, ClipsBothSidesForBothAdvantageSigns) {
  GrpoLossConfig config;  // epsilon = epsilon_high = 0.2: clip to [0.8, 1.2]
  EXPECT_NEAR(one_token(config, 1.5, +1), -1.2, 1e-12);  // -min(1.5, 1.2): clipped high
  EXPECT_NEAR(one_token(config, 1.5, -1), +1.5, 1e-12);  // -min(-1.5, -1.2): not clipped
  EXPECT_NEAR(one_token(config, 0.5, +1), -0.5, 1e-12);  // -min(0.5, 0.8): not clipped
  EXPECT_NEAR(one_token(config, 0.5, -1), +0.8, 1e-12);  // -min(-0.5, -0.8): clipped low
  EXPECT_NEAR(one_token(config, 1.1, +2), -2.2, 1e-12);  // inside: -1.1 * 2
  EXPECT_NEAR(one_token(config, 0.9, -2), +1.8, 1e-12);  // inside: 0.9 * 2
}

TEST(GrpoLoss, ClippedTokensHaveNoGradientAndCountInStats) {
  GrpoLossConfig config;
  // One token per sequence, rho = (1.5, 1.5, 0.5, 0.5), A = (+1, -1, +1, -1); a second,
  // masked token of ratio 9 in every row must not count as clipped.
  auto in = inputs(log_of({{1.5, 9}, {1.5, 9}, {0.5, 9}, {0.5, 9}}), vec({1, -1, 1, -1}),
                   bt({{1, 0}, {1, 0}, {1, 0}, {1, 0}}));
  GrpoLossStats stats;
  const auto loss = grpo_loss(config, in, &stats);
  // grpo: (-1.2 + 1.5 - 0.5 + 0.8) / 4 = 0.15
  EXPECT_NEAR(loss.item<double>(), 0.15, 1e-12);
  loss.backward();
  // d/dlogp of -rho*A/B = -rho*A/4 where unclipped: row 2: 1.5/4, row 3: -0.5/4.
  const auto g = in.logprobs.grad();
  EXPECT_EQ(g[0][0].item<double>(), 0.0);  // clipped at 1.2
  EXPECT_NEAR(g[1][0].item<double>(), 0.375, 1e-12);
  EXPECT_NEAR(g[2][0].item<double>(), -0.125, 1e-12);
  EXPECT_EQ(g[3][0].item<double>(), 0.0);  // clipped at 0.8
  EXPECT_EQ(g.select(1, 1).abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(stats.clip_high, 0.25, 1e-12);  // row 0 of 4 active tokens
  EXPECT_NEAR(stats.clip_low, 0.25, 1e-12);   // row 3
  EXPECT_NEAR(stats.ratio_mean, 1.0, 1e-12);  // (1.5 + 1.5 + 0.5 + 0.5) / 4
  EXPECT_EQ(stats.kl, 0.0);                   // beta = 0
}

TEST(GrpoLoss, ClipHigherEngagesOnlyAbove) {
  GrpoLossConfig config;
  config.epsilon_high = 0.28;                              // clip to [0.8, 1.28]
  EXPECT_NEAR(one_token(config, 1.25, +1), -1.25, 1e-12);  // 1.25 < 1.28: no clip (was 1.2)
  EXPECT_NEAR(one_token(config, 1.30, +1), -1.28, 1e-12);  // clipped at the higher bound
  EXPECT_NEAR(one_token(config, 0.70, -1), +0.80, 1e-12);  // lower bound unchanged: 0.8
  EXPECT_NEAR(one_token(config, 0.85, -1), +0.85, 1e-12);  // inside
  config.epsilon_high = 0.2;
  EXPECT_NEAR(one_token(config, 1.25, +1), -1.2, 1e-12);  // symmetric clip does engage
}

TEST(GrpoLoss, K3KL) {
  GrpoLossConfig config;
  config.beta = 0.1;
  // rho = 1 and A = 0: only the KL term is left. ref - logp = ln 2 and -1:
  //   KL = e^(ln 2) - ln 2 - 1 = 2 - 0.69314718 - 1 = 0.30685282
  //   KL = e^-1 + 1 - 1 = 0.36787944
  auto in = inputs(bt({{0, 0}}), vec({0}), bt({{1, 1}}));
  in.ref_logprobs = bt({{std::log(2.0), -1}});
  GrpoLossStats stats;
  const auto loss = grpo_loss(config, in, &stats);
  EXPECT_NEAR(stats.kl, 0.33736613, 1e-8);              // (0.30685282 + 0.36787944) / 2
  EXPECT_NEAR(loss.item<double>(), 0.033736613, 1e-9);  // 0.1 * 0.33736613
  // ref = logp: KL 0 exactly.
  in.ref_logprobs = bt({{0, 0}});
  EXPECT_EQ(grpo_loss(config, in).item<double>(), 0.0);
}

TEST(GrpoLoss, BetaWithoutReferenceIsAnError) {
  GrpoLossConfig config;
  config.beta = 0.04;
  EXPECT_THROW(grpo_loss(config, inputs(bt({{0}}), vec({1}), bt({{1}}))), Error);
}

// Ragged batch: row 0 has 3 tokens, row 1 has 1 (two padded, with ratio 3).
// rho = (1.0, 1.1, 0.9 | 1.05), A = (1, -2), all inside [0.8, 1.2]:
//   row 0 token losses -1.0, -1.1, -0.9 (sum -3.0); row 1: -min(-2.1, -2.1) = 2.1.
//   Sum over active tokens: -0.9.
GrpoLossInputs ragged() {
  return inputs(log_of({{1.0, 1.1, 0.9}, {1.05, 3, 3}}), vec({1, -2}), bt({{1, 1, 1}, {1, 0, 0}}));
}

double ragged_loss(const std::string& loss_type, double num_items = 0, int64_t max_len = 256) {
  GrpoLossConfig config;
  config.loss_type = loss_type;
  config.max_completion_length = max_len;
  auto in = ragged();
  in.num_items_in_batch = num_items;
  return grpo_loss(config, in).item<double>();
}

TEST(GrpoLoss, AggregationPerLossType) {
  EXPECT_NEAR(ragged_loss("grpo"), 0.55, 1e-12);              // (-3.0/3 + 2.1/1) / 2
  EXPECT_NEAR(ragged_loss("bnpo"), -0.225, 1e-12);            // -0.9 / 4 active tokens
  EXPECT_NEAR(ragged_loss("bnpo", 10), -0.09, 1e-12);         // -0.9 / 10 in the whole batch
  EXPECT_NEAR(ragged_loss("dr_grpo", 0, 6), -0.075, 1e-12);   // -0.9 / (2 * 6)
  EXPECT_NEAR(ragged_loss("dr_grpo", 10, 6), -0.075, 1e-12);  // num_items does not apply
  EXPECT_NEAR(ragged_loss("dapo"), -0.225, 1e-12);            // -0.9 / 4, this micro-batch
  EXPECT_NEAR(ragged_loss("dapo", 9), -0.1, 1e-12);           // -0.9 / 9, the generation batch
}

TEST(GrpoLoss, SequenceLevelRatio) {
  GrpoLossConfig config;
  config.importance_sampling_level = "sequence";
  // Token log-ratios 0.2, 0.4 (third token masked, 5.0): sequence log-ratio 0.3,
  // rho = e^0.3 = 1.34985881 for both tokens.
  const auto logp = bt({{0.2, 0.4, 5.0}});
  const auto mask = bt({{1, 1, 0}});
  GrpoLossStats stats;
  EXPECT_NEAR(grpo_loss(config, inputs(logp, vec({1}), mask), &stats).item<double>(), -1.2,
              1e-12);  // clipped at 1.2
  EXPECT_NEAR(stats.ratio_mean, 1.3498588075760032, 1e-12);
  EXPECT_NEAR(stats.clip_high, 1.0, 1e-12);  // both active tokens
  EXPECT_NEAR(grpo_loss(config, inputs(logp, vec({-1}), mask)).item<double>(), 1.3498588075760032,
              1e-12);  // -min(-1.3499, -1.2)

  config.epsilon_high = 0.5;  // rho inside [0.8, 1.5]: loss = -(1/2)(rho + rho) = -rho
  auto in = inputs(logp, vec({1}), mask);
  const auto loss = grpo_loss(config, in);
  EXPECT_NEAR(loss.item<double>(), -1.3498588075760032, 1e-12);
  loss.backward();
  // d(-rho)/dlogp_t = -rho * d(mean log-ratio)/dlogp_t = -rho / 2 = -0.67492940 per active token.
  const auto g = in.logprobs.grad();
  EXPECT_NEAR(g[0][0].item<double>(), -0.6749294037880016, 1e-12);
  EXPECT_NEAR(g[0][1].item<double>(), -0.6749294037880016, 1e-12);
  EXPECT_EQ(g[0][2].item<double>(), 0.0);
}

// A small random batch: 3 sequences of up to 4 tokens, ragged, ratios near 1 so some
// tokens clip at epsilon = 0.2 and some do not.
struct RandomBatch {
  at::Tensor logp, old, ref, adv, mask;
  RandomBatch() {
    at::manual_seed(7);
    const auto d = at::TensorOptions().dtype(at::kDouble);
    old = at::randn({3, 4}, d) - 2;
    logp = old + 0.3 * at::randn({3, 4}, d);
    ref = old + 0.3 * at::randn({3, 4}, d);
    adv = vec({0.7, -1.3, 0.4});
    mask = bt({{1, 1, 1, 1}, {1, 1, 0, 0}, {1, 0, 0, 0}});
  }
  GrpoLossInputs in(const at::Tensor& logprobs) const {
    GrpoLossInputs r;
    r.logprobs = logprobs;
    r.old_logprobs = old;
    r.ref_logprobs = ref;
    r.advantages = adv;
    r.mask = mask;
    return r;
  }
};

std::vector<GrpoLossConfig> all_variants() {
  std::vector<GrpoLossConfig> out;
  for (const char* type : {"grpo", "bnpo", "dr_grpo", "dapo"})
    for (const char* level : {"token", "sequence"}) {
      GrpoLossConfig c;
      c.loss_type = type;
      c.importance_sampling_level = level;
      c.beta = 0.05;
      c.epsilon_high = 0.28;
      c.max_completion_length = 8;
      out.push_back(c);
    }
  return out;
}

TEST(GrpoLoss, MaskedTokensContributeNothing) {
  RandomBatch b;
  const auto masked = b.mask == 0;
  for (const auto& config : all_variants()) {
    auto in1 = b.in(b.logp.clone().requires_grad_(true));
    const auto loss1 = grpo_loss(config, in1);
    loss1.backward();
    // Garbage at padding, including values whose exp overflows.
    auto in2 = b.in(b.logp.masked_fill(masked, 800.0).requires_grad_(true));
    in2.old_logprobs = b.old.masked_fill(masked, -5.0);
    in2.ref_logprobs = b.ref.masked_fill(masked, 900.0);
    const auto loss2 = grpo_loss(config, in2);
    loss2.backward();
    SCOPED_TRACE(config.loss_type + "/" + config.importance_sampling_level);
    EXPECT_EQ(loss1.item<double>(), loss2.item<double>());
    EXPECT_TRUE(at::allclose(in1.logprobs.grad(), in2.logprobs.grad(), 0, 0));
    EXPECT_EQ(in2.logprobs.grad().masked_select(masked).abs().sum().item<double>(), 0.0);
  }
}

TEST(GrpoLoss, GradientMatchesFiniteDifferences) {
  RandomBatch b;
  const double h = 1e-6;
  for (const auto& config : all_variants()) {
    SCOPED_TRACE(config.loss_type + "/" + config.importance_sampling_level);
    auto in = b.in(b.logp.clone().requires_grad_(true));
    grpo_loss(config, in).backward();
    const auto grad = in.logprobs.grad();
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t t = 0; t < 4; ++t) {
        auto plus = b.logp.clone(), minus = b.logp.clone();
        plus[i][t] += h;
        minus[i][t] -= h;
        const double fd = (grpo_loss(config, b.in(plus)).item<double>() -
                           grpo_loss(config, b.in(minus)).item<double>()) /
                          (2 * h);
        EXPECT_NEAR(grad[i][t].item<double>(), fd, 1e-7) << "token " << i << "," << t;
      }
  }
}

TEST(GrpoLoss, OnPolicyRatioIsOneAndGradientIsPolicyGradient) {
  // mu = 1: old = logprobs.detach(), so rho = 1 exactly, nothing clips, and the gradient
  // of grpo is d/dlogp_{i,t} of -(1/B) sum_i (1/|o_i|) sum_t rho_{i,t} A_i = -A_i / (B |o_i|).
  GrpoLossConfig config;
  GrpoLossInputs in;
  in.logprobs = bt({{-0.3, -1.7, -2.2}, {-0.9, -4.0, -4.0}}).requires_grad_(true);
  in.old_logprobs = in.logprobs.detach();
  in.advantages = vec({0.5, -2});
  in.mask = bt({{1, 1, 1}, {1, 0, 0}});
  GrpoLossStats stats;
  const auto loss = grpo_loss(config, in, &stats);
  EXPECT_EQ(stats.ratio_mean, 1.0);
  EXPECT_EQ(stats.clip_low, 0.0);
  EXPECT_EQ(stats.clip_high, 0.0);
  EXPECT_NEAR(loss.item<double>(), 0.75, 1e-15);  // (-0.5 + 2) / 2
  loss.backward();
  const auto g = in.logprobs.grad();
  for (int t = 0; t < 3; ++t)
    EXPECT_NEAR(g[0][t].item<double>(), -0.5 / 6, 1e-15);  // -A / (B |o_0|) = -0.5 / (2 * 3)
  EXPECT_NEAR(g[1][0].item<double>(), 1.0, 1e-15);         // 2 / (2 * 1)
  EXPECT_EQ(g[1][1].item<double>(), 0.0);
  EXPECT_EQ(g[1][2].item<double>(), 0.0);
}

TEST(GrpoLoss, SecondPassSeesRatioAndClips) {
  // mu > 1: after an update the policy moved (here by log 1.5 on token 0), rho != 1 and
  // a positive advantage is clipped there, so that token stops pushing.
  GrpoLossConfig config;
  GrpoLossInputs in;
  in.old_logprobs = bt({{-1.0, -1.0}});
  in.logprobs = (in.old_logprobs + bt({{std::log(1.5), 0}})).requires_grad_(true);
  in.advantages = vec({1});
  in.mask = bt({{1, 1}});
  GrpoLossStats stats;
  const auto loss = grpo_loss(config, in, &stats);
  EXPECT_NEAR(loss.item<double>(), -1.1, 1e-12);  // -(1.2 + 1.0) / 2
  EXPECT_NEAR(stats.clip_high, 0.5, 1e-12);
  loss.backward();
  EXPECT_EQ(in.logprobs.grad()[0][0].item<double>(), 0.0);
  EXPECT_NEAR(in.logprobs.grad()[0][1].item<double>(), -0.5, 1e-12);  // -rho A / 2
}

void expect_config_error(void (*edit)(GrpoLossConfig&), const std::string& needle) {
  GrpoLossConfig config;
  edit(config);
  try {
    config.validate();
    ADD_FAILURE() << "no error for " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(GrpoLossConfig, ValidateNamesTheField) {
  GrpoLossConfig().validate();  // defaults are valid
  expect_config_error([](GrpoLossConfig& c) { c.loss_type = "foo"; },
                      "rl.loss_type: unknown 'foo' (grpo, bnpo, dr_grpo, dapo)");
  expect_config_error([](GrpoLossConfig& c) { c.importance_sampling_level = "seq"; },
                      "rl.importance_sampling_level: unknown 'seq'");
  expect_config_error([](GrpoLossConfig& c) { c.epsilon = -0.1; }, "rl.epsilon:");
  expect_config_error([](GrpoLossConfig& c) { c.epsilon_high = -0.1; }, "rl.epsilon_high:");
  expect_config_error([](GrpoLossConfig& c) { c.beta = -1; }, "rl.beta:");
  expect_config_error([](GrpoLossConfig& c) { c.max_completion_length = 0; },
                      "rl.max_completion_length:");
}

}  // namespace
}  // namespace r1
