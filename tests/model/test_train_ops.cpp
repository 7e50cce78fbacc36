// The fused training-path layer functions against the plain ATen formulas
// they replace, values and gradients of every input, in fp64 (tight) and fp32
// (the oneDNN GEMM path), including attention with GQA and a padding mask.
#include "model/logit_ops.h"
#include "model/train_ops.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <vector>

#include "model/gemm.h"

namespace r1 {
namespace {

using Fn = std::function<at::Tensor(const std::vector<at::Tensor>&)>;

// Runs fused and reference on copies of `inputs` with the same random output
// gradient; returns the largest difference of outputs and of input gradients.
double max_difference(const std::vector<at::Tensor>& inputs, const Fn& fused, const Fn& reference) {
  auto leaves = [&] {
    std::vector<at::Tensor> out;
    for (const auto& t : inputs) out.push_back(t.detach().clone().requires_grad_(true));
    return out;
  };
  auto a = leaves(), b = leaves();
  auto ya = fused(a), yb = reference(b);
  auto dy = at::randn_like(yb);
  ya.backward(dy);
  yb.backward(dy);
  double diff = (ya - yb).abs().max().item<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].grad().defined()) << "input " << i;
    diff = std::max(diff, (a[i].grad() - b[i].grad()).abs().max().item<double>());
  }
  return diff;
}

at::Tensor reference_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& key_mask) {
  const int64_t T = q.size(1), G = q.size(2) / k.size(2);
  auto qh = q.transpose(1, 2);
  auto kh = k.transpose(1, 2).repeat_interleave(G, 1),
       vh = v.transpose(1, 2).repeat_interleave(G, 1);
  auto scores = at::matmul(qh, kh.transpose(2, 3)) / std::sqrt(static_cast<double>(q.size(3)));
  auto bias = at::zeros({q.size(0), 1, T, T}, q.options());
  for (int64_t b = 0; b < q.size(0); ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t s = 0; s < T; ++s) {
        bool seen = s == t || (s < t && (!key_mask.defined() || key_mask[b][s].item<int64_t>()));
        if (!seen) bias[b][0][t][s] = -std::numeric_limits<double>::infinity();
      }
  return at::matmul(at::softmax(scores + bias, -1), vh).transpose(1, 2);
}

class TrainOps : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  double tolerance() const { return GetParam() == at::kDouble ? 1e-10 : 2e-5; }
  at::Tensor randn(std::vector<int64_t> shape) {
    return at::randn(shape, at::TensorOptions().dtype(GetParam()));
  }
};

TEST_P(TrainOps, LinearMatchesAtenLinear) {
  at::manual_seed(0);
  EXPECT_LT(max_difference(
                {randn({3, 5, 16}), randn({24, 16}), randn({24})},
                [](auto& t) { return ops::linear(t[0], t[1], t[2]); },
                [](auto& t) { return at::linear(t[0], t[1], t[2]); }),
            tolerance());
}

TEST_P(TrainOps, PackedLinearMatchesConcatenatedLinears) {
  at::manual_seed(5);
  EXPECT_LT(max_difference(
                {randn({2, 5, 16}), randn({12, 16}), randn({8, 16}), randn({8, 16}), randn({12}),
                 randn({8}), randn({8})},
                [](auto& t) {
                  return ops::linear_packed(t[0], {t[1], t[2], t[3]}, {t[4], t[5], t[6]});
                },
                [](auto& t) {
                  return at::cat({at::linear(t[0], t[1], t[4]), at::linear(t[0], t[2], t[5]),
                                  at::linear(t[0], t[3], t[6])},
                                 -1);
                }),
            tolerance());
}

TEST_P(TrainOps, RopeMatchesRotateHalfOnAStridedInput) {
  at::manual_seed(7);
  const int64_t B = 2, T = 5, H = 3, D = 8;
  auto angles = at::rand({B, T, D / 2}, at::kDouble).to(GetParam()) * 6;
  auto cos = at::cat({angles, angles}, -1).cos(), sin = at::cat({angles, angles}, -1).sin();
  EXPECT_LT(max_difference(
                {randn({B, T, H * D + 4})},
                [&](auto& t) {
                  auto x = t[0].narrow(-1, 4, H * D).view({B, T, H, D});  // strided rows
                  return ops::rope(x, cos, sin);
                },
                [&](auto& t) {
                  auto x = t[0].narrow(-1, 4, H * D).view({B, T, H, D});
                  auto x1 = x.narrow(-1, 0, D / 2), x2 = x.narrow(-1, D / 2, D / 2);
                  return x * cos.unsqueeze(2) + at::cat({-x2, x1}, -1) * sin.unsqueeze(2);
                }),
            tolerance());
}

TEST_P(TrainOps, RmsNormMatchesTheFormula) {
  at::manual_seed(1);
  EXPECT_LT(
      max_difference(
          {randn({4, 7, 32}), randn({32})}, [](auto& t) { return ops::rms_norm(t[0], t[1], 1e-6); },
          [](auto& t) {
            auto var = t[0].pow(2).mean(-1, true);
            return t[0] * at::rsqrt(var + 1e-6) * t[1];
          }),
      tolerance());
}

TEST_P(TrainOps, SwigluMatchesSiluTimesUp) {
  at::manual_seed(2);
  EXPECT_LT(max_difference(
                {randn({6, 40}) * 4, randn({6, 40})},
                [](auto& t) {
                  return ops::swiglu(at::cat({t[0], t[1]}, -1));
                },
                [](auto& t) { return at::silu(t[0]) * t[1]; }),
            tolerance());
}

TEST_P(TrainOps, CausalAttentionMatchesMaskedSoftmaxWithGqa) {
  at::manual_seed(3);
  const int64_t B = 3, T = 9, H = 4, K = 2, D = 8;
  // Row 0 unpadded, row 1 left-padded by 3, row 2 right-padded by 2.
  auto mask = at::ones({B, T}, at::kLong);
  mask[1].narrow(0, 0, 3).zero_();
  mask[2].narrow(0, T - 2, 2).zero_();
  for (const at::Tensor& m : {at::Tensor(), mask}) {
    EXPECT_LT(max_difference(
                  {randn({B, T, H, D}), randn({B, T, K, D}), randn({B, T, K, D})},
                  [&](auto& t) { return ops::causal_attention(t[0], t[1], t[2], m); },
                  [&](auto& t) { return reference_attention(t[0], t[1], t[2], m); }),
              tolerance())
        << (m.defined() ? "with mask" : "causal only");
  }
}

TEST_P(TrainOps, TokenLogprobsAndEntropyMatchLogSoftmax) {
  at::manual_seed(6);
  auto targets = at::randint(50, {13}, at::kLong);
  auto reference = [&](auto& t) {
    return at::log_softmax(at::linear(t[0], t[1]), -1).gather(1, targets.unsqueeze(1)).squeeze(1);
  };
  EXPECT_LT(max_difference(
                {randn({13, 16}), randn({50, 16})},
                [&](auto& t) { return ops::token_logprobs(t[0], t[1], targets); }, reference),
            tolerance());
  at::NoGradGuard no_grad;
  auto h = randn({13, 16}), w = randn({50, 16});
  at::Tensor entropy;
  ops::token_logprobs(h, w, targets, &entropy);
  auto logp = at::log_softmax(at::linear(h, w), -1);
  EXPECT_LT((entropy + (logp.exp() * logp).sum(-1)).abs().max().item<double>(), tolerance());
}

// An entropy bonus differentiates the entropies too: a mix of log-probs and
// entropies against -sum p log p of ATen's log_softmax, gradients of both inputs.
TEST_P(TrainOps, EntropyGradientMatchesLogSoftmax) {
  at::manual_seed(8);
  auto targets = at::randint(50, {13}, at::kLong);
  EXPECT_LT(max_difference(
                {randn({13, 16}), randn({50, 16})},
                [&](auto& t) {
                  at::Tensor entropy;
                  auto lp = ops::token_logprobs(t[0], t[1], targets, &entropy);
                  return 0.3 * lp + 1.7 * entropy;
                },
                [&](auto& t) {
                  auto logp = at::log_softmax(at::linear(t[0], t[1]), -1);
                  auto lp = logp.gather(1, targets.unsqueeze(1)).squeeze(1);
                  return 0.3 * lp - 1.7 * (logp.exp() * logp).sum(-1);
                }),
            tolerance());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, TrainOps, ::testing::Values(at::kDouble, at::kFloat));

// More rows x vocabulary than one 64 MB chunk of logits: several chunks, and
// backward recomputes them (a single chunk is kept from the forward instead).
TEST(TrainOpsChunks, TokenLogprobsAcrossLogitChunks) {
  at::manual_seed(7);
  const int64_t N = 400, C = 8, V = 50000;
  auto targets = at::randint(V, {N}, at::kLong);
  auto reference = [&](auto& t) {
    return at::log_softmax(at::linear(t[0], t[1]), -1).gather(1, targets.unsqueeze(1)).squeeze(1);
  };
  EXPECT_LT(max_difference(
                {at::randn({N, C}), at::randn({V, C})},
                [&](auto& t) { return ops::token_logprobs(t[0], t[1], targets); }, reference),
            1e-3);
}

// Cross-entropy and distillation terms of several logit chunks (backward
// recomputes both models' chunks) against the ATen formulas on whole logits;
// also with a teacher LM head of fewer or more rows than the student's (the KL
// over the ids both have, the CE over all of the student's).
TEST(TrainOpsChunks, DistillTermsAcrossLogitChunks) {
  at::manual_seed(9);
  const int64_t N = 400, C = 8, Ct = 12, V = 50000;
  const double T = 2.0;
  auto targets = at::randint(V, {N}, at::kLong);
  auto mix = [](const at::Tensor& lp, const at::Tensor& kd) { return -0.7 * lp + 0.3 * kd; };
  for (int64_t Vt : {V, V - 37, V + 51}) {
    auto teacher_h = at::randn({N, Ct}), teacher_w = at::randn({Vt, Ct});
    auto fused = [&](auto& t) {
      auto terms = ops::distill_terms(t[0], t[1], teacher_h, teacher_w, targets, T);
      return mix(terms.logprob, terms.kd);
    };
    auto reference = [&](auto& t) {
      const int64_t shared = std::min(V, Vt);
      auto ls = at::linear(t[0], t[1]), lt = at::linear(teacher_h, teacher_w.narrow(0, 0, shared));
      auto lp = at::log_softmax(ls, -1).gather(1, targets.unsqueeze(1)).squeeze(1);
      auto log_ps = at::log_softmax(ls.narrow(1, 0, shared) / T, -1),
           log_pt = at::log_softmax(lt / T, -1);
      return mix(lp, (log_pt.exp() * (log_pt - log_ps)).sum(-1) * (T * T));
    };
    EXPECT_LT(max_difference({at::randn({N, C}), at::randn({V, C})}, fused, reference), 2e-3)
        << "teacher rows " << Vt;
  }
}

TEST(TrainOpsErrors, TokenLogprobsRefusesATargetOutsideTheVocabulary) {
  auto h = at::randn({3, 8}), w = at::randn({10, 8});
  EXPECT_THROW(ops::token_logprobs(h, w, at::tensor({1, 10, 2}, at::kLong)), std::exception);
  EXPECT_THROW(ops::token_logprobs(h, w, at::tensor({-1, 0, 2}, at::kLong)), std::exception);
}

TEST(Gemm, StridedAndTransposedOperandsMatchMm) {
  at::manual_seed(4);
  auto a = at::randn({7, 12}), b = at::randn({5, 12});
  EXPECT_TRUE(at::allclose(matmul(a, false, b, true), at::mm(a, b.t()), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(matmul(a, true, a, false), at::mm(a.t(), a), 1e-5, 1e-5));
  auto wide = at::randn({7, 20}).narrow(1, 3, 12);  // rows not contiguous with each other
  EXPECT_TRUE(at::allclose(matmul(wide, false, b.t(), false), at::mm(wide, b.t()), 1e-5, 1e-5));
}

}  // namespace
}  // namespace r1
