// Sampling straight from hidden states (engine/policy_sampler.h): frequencies
// match softmax(h W^T) across LM head blocks and chunks, the log-prob is the
// log-softmax of the drawn token, and a row's draw does not depend on the
// other rows of the batch; a bf16 LM head multiplies the rows rounded to bf16.
#include "engine/policy_sampler.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace r1 {
namespace {

std::vector<SampledToken> sample(const at::Tensor& hidden, const at::Tensor& lm_head,
                                 std::vector<SequenceRng>& rngs) {
  std::vector<SequenceRng*> ptrs;
  for (auto& r : rngs) ptrs.push_back(&r);
  std::vector<SampledToken> out(hidden.size(0));
  sample_policy(hidden, lm_head, ptrs.data(), out.data());
  return out;
}

TEST(PolicySampler, FrequenciesMatchTheSoftmaxAcrossBlocks) {
  // Seven likely tokens at block and chunk edges (blocks of 1024, chunks of
  // 64), every other token 1e-5 of the mass: h = e_0 and W[v] = (log w_v, 0...).
  const int64_t V = 2500, C = 8;
  const std::vector<int64_t> hot = {0, 63, 64, 1023, 1024, 2047, 2499};
  const std::vector<double> weight = {0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.02};
  auto lm_head = at::zeros({V, C});
  lm_head.select(1, 0).fill_(std::log(1e-5));
  for (size_t i = 0; i < hot.size(); ++i) lm_head[hot[i]][0] = std::log(weight[i]);
  const int64_t B = 5;  // rows drawing at once, each with its own stream
  auto hidden = at::zeros({B, C});
  hidden.select(1, 0).fill_(1.0f);
  std::vector<SequenceRng> rngs;
  for (int64_t b = 0; b < B; ++b) rngs.emplace_back(100 + b);

  const int steps = 4000, draws = steps * B;
  std::vector<int> counts(hot.size() + 1, 0);  // the hot tokens, then all others
  for (int s = 0; s < steps; ++s)
    for (const SampledToken& t : sample(hidden, lm_head, rngs)) {
      ASSERT_GE(t.token, 0);
      ASSERT_LT(t.token, V);
      size_t i = 0;
      while (i < hot.size() && hot[i] != t.token) ++i;
      counts[i]++;
    }
  std::vector<double> expected(weight);
  expected.push_back((V - hot.size()) * 1e-5);
  double total = 0;
  for (double e : expected) total += e;
  double x2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double e = expected[i] / total * draws;
    x2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  EXPECT_LT(x2, 24.32);  // 7 degrees of freedom: P(chi2 > 24.32) = 0.001
}

TEST(PolicySampler, LogprobIsTheLogSoftmaxOfTheDrawnToken) {
  at::manual_seed(3);
  const int64_t V = 3001, C = 48,
                B = 17;  // a partial last block and chunk; 17 rows: two lane vectors
  auto lm_head = at::randn({V, C});
  auto hidden = at::randn({B, C});
  auto logp = at::log_softmax(at::matmul(hidden.to(at::kDouble), lm_head.to(at::kDouble).t()), 1);
  std::vector<SequenceRng> rngs;
  for (int64_t b = 0; b < B; ++b) rngs.emplace_back(b);
  for (int step = 0; step < 5; ++step) {
    auto out = sample(hidden, lm_head, rngs);
    for (int64_t b = 0; b < B; ++b) {
      EXPECT_NEAR(out[b].sampling_logprob, logp[b][out[b].token].item<double>(), 1e-5)
          << "row " << b;
    }
  }
}

// A bf16 LM head (a bf16 working copy's) multiplies the hidden rows rounded
// to bf16, in fp32 sums: the log-prob is the log-softmax of that product, on
// the packed path (17 rows) and on the few-rows path (3 rows).
TEST(PolicySampler, Bf16HeadLogprobIsTheLogSoftmaxOfTheRoundedProduct) {
  at::manual_seed(5);
  const int64_t V = 3001, C = 48;
  auto lm_head = at::randn({V, C}).to(at::kBFloat16);
  for (int64_t B : {17, 3}) {
    auto hidden = at::randn({B, C});
    auto rounded = hidden.to(at::kBFloat16).to(at::kDouble);
    auto logp = at::log_softmax(at::matmul(rounded, lm_head.to(at::kDouble).t()), 1);
    auto unrounded =
        at::log_softmax(at::matmul(hidden.to(at::kDouble), lm_head.to(at::kDouble).t()), 1);
    std::vector<SequenceRng> rngs;
    for (int64_t b = 0; b < B; ++b) rngs.emplace_back(b);
    double from_rounded = 0, from_unrounded = 0;
    for (int step = 0; step < 5; ++step) {
      auto out = sample(hidden, lm_head, rngs);
      for (int64_t b = 0; b < B; ++b) {
        const double want = logp[b][out[b].token].item<double>();
        EXPECT_NEAR(out[b].sampling_logprob, want, 1e-4) << B << " rows, row " << b;
        from_rounded += std::abs(out[b].sampling_logprob - want);
        from_unrounded +=
            std::abs(out[b].sampling_logprob - unrounded[b][out[b].token].item<double>());
      }
    }
    EXPECT_LT(from_rounded * 10, from_unrounded) << "the rows were rounded to bf16";
  }
}

TEST(PolicySampler, ARowDrawsTheSameAloneOrInABatch) {
  at::manual_seed(4);
  const int64_t V = 2048, C = 32;
  auto lm_head = at::randn({V, C}) * 0.3;
  auto crowd = at::randn({40, C});
  std::vector<SequenceRng> alone_rng = {SequenceRng(9)};
  std::vector<SequenceRng> crowd_rngs;
  for (int64_t b = 0; b < 40; ++b) crowd_rngs.emplace_back(b == 23 ? 9 : 1000 + b);
  for (int step = 0; step < 20; ++step) {
    auto alone = sample(crowd.narrow(0, 23, 1), lm_head, alone_rng);
    auto together = sample(crowd, lm_head, crowd_rngs);
    EXPECT_EQ(alone[0].token, together[23].token) << "step " << step;
    EXPECT_NEAR(alone[0].sampling_logprob, together[23].sampling_logprob, 1e-6);
  }
}

}  // namespace
}  // namespace r1
