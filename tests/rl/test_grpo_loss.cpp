// The GRPO loss against values worked out by hand (arithmetic in comments): clipping on
// both sides, clip-higher, k3 KL, every loss_type on a ragged mask, the GSPO sequence
// ratio, CISPO, SAPO, two-sided and dual clipping, the entropy mask and bonus, masked
// tokens, and gradients (finite differences; second formulations; the mu = 1 policy
// gradient). TRL's own values: test_trl_parity.cpp.
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
  at::Tensor logp, old, ref, entropy, adv, mask;
  RandomBatch() {
    at::manual_seed(7);
    const auto d = at::TensorOptions().dtype(at::kDouble);
    old = at::randn({3, 4}, d) - 2;
    logp = old + 0.3 * at::randn({3, 4}, d);
    ref = old + 0.3 * at::randn({3, 4}, d);
    entropy = 2 * at::rand({3, 4}, d);
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

// Every loss type and bound at both ratio levels (cispo's stop-gradient makes its loss
// value's finite differences differ from its gradient by design: tested on its own).
std::vector<GrpoLossConfig> all_variants(bool with_cispo = true) {
  std::vector<GrpoLossConfig> out;
  for (const char* type : {"grpo", "bnpo", "dr_grpo", "dapo", "sapo", "cispo"})
    for (const char* level : {"token", "sequence"}) {
      if (!with_cispo && std::string(type) == "cispo") continue;
      GrpoLossConfig c;
      c.loss_type = type;
      c.importance_sampling_level = level;
      c.beta = 0.05;
      c.epsilon_high = std::string(type) == "cispo" ? 1.3 : 0.28;
      c.max_completion_length = 8;
      out.push_back(c);
      if (std::string(type) == "grpo" || std::string(type) == "dapo") {
        c.delta = 1.5;  // two-sided clipping
        out.push_back(c);
        c.delta = 0;
        c.clip_ratio_c = 1.4;  // dual-clip (below delta's usual range, to engage)
        out.push_back(c);
      }
    }
  return out;
}

TEST(GrpoLoss, MaskedTokensContributeNothing) {
  RandomBatch b;
  const auto masked = b.mask == 0;
  for (const auto& config : all_variants()) {
    auto with_entropy = config;
    with_entropy.entropy_coef = 0.01;
    with_entropy.top_entropy_quantile = 0.6;
    for (const auto& c : {config, with_entropy}) {
      auto in1 = b.in(b.logp.clone().requires_grad_(true));
      in1.entropy = b.entropy;
      const auto loss1 = grpo_loss(c, in1);
      loss1.backward();
      // Garbage at padding, including values whose exp overflows.
      auto in2 = b.in(b.logp.masked_fill(masked, 800.0).requires_grad_(true));
      in2.entropy = b.entropy.masked_fill(masked, 1e30);
      in2.old_logprobs = b.old.masked_fill(masked, -5.0);
      in2.ref_logprobs = b.ref.masked_fill(masked, 900.0);
      const auto loss2 = grpo_loss(c, in2);
      loss2.backward();
      SCOPED_TRACE(c.loss_type + "/" + c.importance_sampling_level);
      EXPECT_EQ(loss1.item<double>(), loss2.item<double>());
      EXPECT_TRUE(at::allclose(in1.logprobs.grad(), in2.logprobs.grad(), 0, 0));
      EXPECT_EQ(in2.logprobs.grad().masked_select(masked).abs().sum().item<double>(), 0.0);
    }
  }
}

TEST(GrpoLoss, GradientMatchesFiniteDifferences) {
  RandomBatch b;
  const double h = 1e-6;
  for (const auto& config : all_variants(/*with_cispo=*/false)) {
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

// One token with ratio rho and advantage a: its loss and d loss / d log pi.
std::pair<double, double> token_and_grad(const GrpoLossConfig& config, double rho, double a) {
  auto in = inputs(log_of({{rho}}), vec({a}), bt({{1}}));
  const auto loss = grpo_loss(config, in);
  loss.backward();
  return {loss.item<double>(), in.logprobs.grad()[0][0].item<double>()};
}

TEST(GrpoLossCispo, ClipsTheWeightAndKeepsEveryTokensGradient) {
  GrpoLossConfig config;
  config.loss_type = "cispo";
  config.epsilon_high = 5.0;  // the cap on rho itself
  // l = -sg(min(rho, 5)) * A * log pi, log pi = log rho here (old = 0):
  //   rho 1.5, A +1: -1.5 * ln 1.5 = -0.60819766; gradient -1.5 (PPO's clip would give 0)
  auto [l1, g1] = token_and_grad(config, 1.5, 1);
  EXPECT_NEAR(l1, -1.5 * std::log(1.5), 1e-12);
  EXPECT_NEAR(g1, -1.5, 1e-12);
  //   rho 6 > 5: the weight is capped, the gradient is -5, not 0
  auto [l2, g2] = token_and_grad(config, 6.0, 1);
  EXPECT_NEAR(l2, -5 * std::log(6.0), 1e-12);
  EXPECT_NEAR(g2, -5.0, 1e-12);
  //   rho 0.5, A -1: no lower bound, gradient +0.5
  auto [l3, g3] = token_and_grad(config, 0.5, -1);
  EXPECT_NEAR(l3, 0.5 * std::log(0.5), 1e-12);
  EXPECT_NEAR(g3, 0.5, 1e-12);
}

TEST(GrpoLossCispo, GradientIsTheClippedWeightTimesAdvantageOverTokens) {
  // Second formulation: d l / d log pi_{i,t} = -min(rho, cap) A_i / (active tokens), 0 at
  // padding; cap 1.3 so some tokens of the random batch are capped.
  RandomBatch b;
  GrpoLossConfig config;
  config.loss_type = "cispo";
  config.epsilon_high = 1.3;
  auto in = b.in(b.logp.clone().requires_grad_(true));
  GrpoLossStats stats;
  grpo_loss(config, in, &stats).backward();
  const auto rho = (b.logp - b.old).exp();
  const auto want = -rho.clamp_max(1.3) * b.adv.reshape({-1, 1}) * b.mask / b.mask.sum();
  EXPECT_LT((in.logprobs.grad() - want).abs().max().item<double>(), 1e-14);
  const auto capped =
      ((rho > 1.3).logical_and(b.adv.reshape({-1, 1}) > 0).to(at::kDouble) * b.mask);
  EXPECT_NEAR(stats.clip_high, (capped.sum() / b.mask.sum()).item<double>(), 1e-14);
  // Aggregated as dapo: over the batch's tokens when the caller gives the count.
  auto in2 = b.in(b.logp);
  in2.num_items_in_batch = 14;
  EXPECT_NEAR(grpo_loss(config, in2).item<double>(),
              grpo_loss(config, b.in(b.logp)).item<double>() * 7 / 14, 1e-14);
}

TEST(GrpoLossSapo, SoftGateValuesAndGradient) {
  GrpoLossConfig config;
  config.loss_type = "sapo";  // tau_pos 1, tau_neg 1.05
  // rho = 1: gate = (4 / tau) sigmoid(0) = 2 / tau. A = +1: -2; A = -1: 2 / 1.05.
  // Gradient 4 sigma (1 - sigma) rho (-A) = -A at rho = 1 for any tau.
  auto [l1, g1] = token_and_grad(config, 1.0, 1);
  EXPECT_NEAR(l1, -2.0, 1e-12);
  EXPECT_NEAR(g1, -1.0, 1e-12);
  auto [l2, g2] = token_and_grad(config, 1.0, -1);
  EXPECT_NEAR(l2, 2.0 / 1.05, 1e-12);
  EXPECT_NEAR(g2, 1.0, 1e-12);
  // rho = 2, A = +1, tau 1: s = sigmoid(1) = 0.7310585786; loss -4 s = -2.9242343145,
  // gradient -4 s (1 - s) rho = -1.5728954059 (decays where PPO's would be 0 or -2).
  auto [l3, g3] = token_and_grad(config, 2.0, 1);
  const double s1 = 1 / (1 + std::exp(-1.0));
  EXPECT_NEAR(l3, -4 * s1, 1e-12);
  EXPECT_NEAR(g3, -4 * s1 * (1 - s1) * 2, 1e-12);
  // Aggregated as grpo on the ragged batch: the mean of per-sequence token means.
  auto in = ragged();
  const auto rho = in.logprobs.detach().exp();
  const auto tau =  // (where of two scalars would round them to fp32)
      at::where(in.advantages > 0, vec({1.0}), vec({1.05})).reshape({-1, 1});
  const auto per_token = -(4 / tau) * at::sigmoid(tau * (rho - 1)) * in.advantages.reshape({-1, 1});
  const auto want = ((per_token * in.mask).sum(-1) / in.mask.sum(-1)).mean();
  EXPECT_NEAR(grpo_loss(config, in).item<double>(), want.item<double>(), 1e-14);
}

TEST(GrpoLossDelta, BoundsNegativeAdvantagesAboveTheClip) {
  GrpoLossConfig config;  // clip [0.8, 1.2]
  config.delta = 2.0;
  EXPECT_NEAR(one_token(config, 3.0, -1), 2.0, 1e-12);   // -min(-min(3, 2), -1.2) = 2 (was 3)
  EXPECT_NEAR(one_token(config, 1.5, -1), 1.5, 1e-12);   // below delta: unchanged
  EXPECT_NEAR(one_token(config, 3.0, +1), -1.2, 1e-12);  // positive: the clip still decides
  EXPECT_NEAR(one_token(config, 0.5, -1), 0.8, 1e-12);   // the lower clip is untouched
  // Held at delta: no gradient; below it, the unclipped -rho A.
  EXPECT_EQ(token_and_grad(config, 3.0, -1).second, 0.0);
  EXPECT_NEAR(token_and_grad(config, 1.5, -1).second, 1.5, 1e-12);
}

TEST(GrpoLossDualClip, NegativeAdvantageLossIsAtMostCTimesA) {
  GrpoLossConfig config;
  config.clip_ratio_c = 2.5;
  EXPECT_NEAR(one_token(config, 3.0, -1), 2.5, 1e-12);   // min(3, 2.5)
  EXPECT_NEAR(one_token(config, 2.0, -1), 2.0, 1e-12);   // below c: PPO's value
  EXPECT_NEAR(one_token(config, 3.0, +2), -2.4, 1e-12);  // positive: clipped at 1.2 * 2
  EXPECT_EQ(token_and_grad(config, 3.0, -1).second, 0.0);
  // Second formulation: for delta = c > 1 + epsilon_high, TRL's two-sided clipping and
  // veRL's dual-clip are the same function of (rho, A) for every token of a batch whose
  // ratios spread far beyond the clip, with either advantage sign.
  at::manual_seed(3);
  const auto d = at::TensorOptions().dtype(at::kDouble);
  const auto logp = 1.5 * at::randn({4, 6}, d);
  const auto adv = vec({1.3, -0.7, -2.0, 0.4});
  const auto mask = at::ones({4, 6}, d);
  GrpoLossConfig dual, two_sided;
  dual.clip_ratio_c = two_sided.delta = 2.5;
  dual.loss_type = two_sided.loss_type = "bnpo";
  auto a = inputs(logp, adv, mask), b = inputs(logp, adv, mask);
  GrpoLossStats stats;
  const auto la = grpo_loss(dual, a, &stats), lb = grpo_loss(two_sided, b);
  la.backward();
  lb.backward();
  EXPECT_NEAR(la.item<double>(), lb.item<double>(), 1e-14);
  EXPECT_LT((a.logprobs.grad() - b.logprobs.grad()).abs().max().item<double>(), 1e-15);
  const auto held = ((logp.exp() > 2.5).logical_and(adv.reshape({-1, 1}) < 0)).to(at::kDouble);
  EXPECT_GT(held.sum().item<double>(), 0);  // the bound is exercised
  EXPECT_NEAR(stats.clip_dual, held.mean().item<double>(), 1e-14);
}

// Entropies of the ragged batch: row 0 (3 tokens) 0.1, 0.5, 0.9; row 1 (1 token) 0.7;
// padding 5.0 must never count.
at::Tensor ragged_entropy() {
  return bt({{0.1, 0.5, 0.9}, {0.7, 5.0, 5.0}});
}

TEST(GrpoLossEntropy, HighEntropyMaskTakesTheQuantileOfActiveTokens) {
  const auto h = ragged_entropy(), mask = bt({{1, 1, 1}, {1, 0, 0}});
  // Active values sorted 0.1 0.5 0.7 0.9. rho = 0.5: the 0.5 quantile interpolates
  // 0.5 + 0.5 (0.7 - 0.5) = 0.6 -> keep 0.9 and 0.7.
  auto k = high_entropy_mask(h, mask, 0.5);
  EXPECT_TRUE(at::equal(k, bt({{0, 0, 1}, {1, 0, 0}}).to(at::kBool)));
  // rho = 0: the maximum only; rho = 1: every active token; rho = 0.8: the 0.2 quantile
  // is 0.1 + 0.6 (0.5 - 0.1) = 0.34 -> keep 0.5, 0.9, 0.7.
  EXPECT_TRUE(at::equal(high_entropy_mask(h, mask, 0.0), bt({{0, 0, 1}, {0, 0, 0}}).to(at::kBool)));
  EXPECT_TRUE(at::equal(high_entropy_mask(h, mask, 1.0), mask.to(at::kBool)));
  EXPECT_TRUE(at::equal(high_entropy_mask(h, mask, 0.8), bt({{0, 1, 1}, {1, 0, 0}}).to(at::kBool)));
  // No active token: nothing kept.
  EXPECT_EQ(high_entropy_mask(h, at::zeros_like(mask), 0.5).sum().item<int64_t>(), 0);
}

TEST(GrpoLossEntropy, TopEntropyQuantileTrainsOnlyTheKeptTokens) {
  GrpoLossConfig config;
  config.loss_type = "bnpo";
  config.top_entropy_quantile = 0.5;  // keeps row 0 token 2 (rho 0.9, A 1) and row 1 token 0
  auto in = ragged();
  in.entropy = ragged_entropy();
  GrpoLossStats stats;
  const auto loss = grpo_loss(config, in, &stats);
  // Kept token losses -0.9 and 2.1, over all 4 active tokens: 1.2 / 4 = 0.3.
  EXPECT_NEAR(loss.item<double>(), 0.3, 1e-12);
  EXPECT_NEAR(stats.entropy_kept, 0.5, 1e-12);
  loss.backward();
  const auto g = in.logprobs.grad();
  EXPECT_EQ(g[0][0].item<double>(), 0.0);
  EXPECT_EQ(g[0][1].item<double>(), 0.0);
  EXPECT_NEAR(g[0][2].item<double>(), -0.9 / 4, 1e-12);  // -rho A / 4
  EXPECT_NEAR(g[1][0].item<double>(), 2.1 / 4, 1e-12);
  // The KL term is not masked: with beta, every active token pays it.
  config.beta = 0.1;
  auto in2 = ragged();
  in2.entropy = ragged_entropy();
  in2.ref_logprobs = in2.logprobs.detach() + 1.0;  // KL e - 2 = 0.71828183 per token
  EXPECT_NEAR(grpo_loss(config, in2).item<double>(), 0.3 + 0.1 * (std::exp(1.0) - 2), 1e-12);
  // Without entropies the loss cannot know what to keep.
  EXPECT_THROW(grpo_loss(config, ragged()), Error);
}

TEST(GrpoLossEntropy, BonusIsTheMeanEntropyOfTrainedTokens) {
  // A = 0: only the bonus is left. Active entropies 0.1 0.5 0.9 | 0.7, mean 0.55.
  for (const char* type : {"grpo", "dapo", "dr_grpo", "sapo"}) {
    SCOPED_TRACE(type);
    GrpoLossConfig config;
    config.loss_type = type;
    config.entropy_coef = 0.2;
    auto in = inputs(bt({{0, 0, 0}, {0, 0, 0}}), vec({0, 0}), bt({{1, 1, 1}, {1, 0, 0}}));
    in.entropy = ragged_entropy().requires_grad_(true);
    const auto loss = grpo_loss(config, in);
    loss.backward();
    EXPECT_NEAR(loss.item<double>(), -0.2 * 0.55, 1e-12);
    // d/dH = -coef / 4 on active tokens, 0 at padding (5.0 never counts).
    EXPECT_TRUE(
        at::allclose(in.entropy.grad(), bt({{-0.05, -0.05, -0.05}, {-0.05, 0, 0}}), 0, 1e-15));
    // A micro-batch of 2 of a mini-batch's 8 sequences adds a quarter of its mean.
    in.num_sequences_in_batch = 8;
    EXPECT_NEAR(grpo_loss(config, in).item<double>(), -0.2 * 0.55 / 4, 1e-12);
  }
  // With top_entropy_quantile the bonus covers the kept tokens only: 0.9 and 0.7.
  GrpoLossConfig config;
  config.entropy_coef = 0.2;
  config.top_entropy_quantile = 0.5;
  auto in = inputs(bt({{0, 0, 0}, {0, 0, 0}}), vec({0, 0}), bt({{1, 1, 1}, {1, 0, 0}}));
  in.entropy = ragged_entropy();
  EXPECT_NEAR(grpo_loss(config, in).item<double>(), -0.2 * 0.8, 1e-12);
}

TEST(GrpoLoss, MicroBatchShareOfSequences) {
  // grpo and dr_grpo divide by the mini-batch's sequences: 2 of 4 -> half the loss.
  for (const char* type : {"grpo", "dr_grpo"}) {
    GrpoLossConfig config;
    config.loss_type = type;
    config.max_completion_length = 6;
    auto in = ragged();
    const double whole = grpo_loss(config, in).item<double>();
    in.num_sequences_in_batch = 4;
    EXPECT_NEAR(grpo_loss(config, in).item<double>(), whole / 2, 1e-14) << type;
  }
}

TEST(GrpoLoss, PerTokenAdvantagesEqualPerSequenceOnesWhenConstant) {
  for (const auto& config : all_variants()) {
    SCOPED_TRACE(config.loss_type + "/" + config.importance_sampling_level);
    RandomBatch b;
    auto in = b.in(b.logp);
    const double per_sequence = grpo_loss(config, in).item<double>();
    in.advantages = b.adv.reshape({-1, 1}).expand({3, 4}).clone();
    EXPECT_NEAR(grpo_loss(config, in).item<double>(), per_sequence, 1e-14);
  }
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
                      "rl.loss_type: unknown 'foo' (grpo, bnpo, dr_grpo, dapo, cispo, sapo)");
  expect_config_error([](GrpoLossConfig& c) { c.importance_sampling_level = "seq"; },
                      "rl.importance_sampling_level: unknown 'seq'");
  expect_config_error([](GrpoLossConfig& c) { c.epsilon = -0.1; }, "rl.epsilon:");
  expect_config_error([](GrpoLossConfig& c) { c.epsilon_high = -0.1; }, "rl.epsilon_high:");
  expect_config_error([](GrpoLossConfig& c) { c.beta = -1; }, "rl.beta:");
  expect_config_error([](GrpoLossConfig& c) { c.max_completion_length = 0; },
                      "max_completion_length (rollout.max_new_tokens)");
  expect_config_error([](GrpoLossConfig& c) { c.loss_type = "cispo"; },
                      "rl.epsilon_high: with loss_type = \"cispo\" it caps the ratio itself");
  expect_config_error([](GrpoLossConfig& c) { c.delta = 0.9; }, "rl.delta: must be 0 (off) or > 1");
  expect_config_error([](GrpoLossConfig& c) { c.clip_ratio_c = 1; }, "rl.clip_ratio_c: must be");
  expect_config_error(
      [](GrpoLossConfig& c) {
        c.loss_type = "sapo";
        c.delta = 2;
      },
      "rl.delta: bounds the clipped objective");
  expect_config_error([](GrpoLossConfig& c) { c.sapo_temperature_neg = 0; },
                      "rl.sapo_temperature_neg:");
  expect_config_error([](GrpoLossConfig& c) { c.top_entropy_quantile = 1.5; },
                      "rl.top_entropy_quantile:");
}

}  // namespace
}  // namespace r1
