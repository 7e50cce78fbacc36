// The transformer against Hugging Face transformers: every logit of tiny random
// models of each family (fixtures made by tools/make_model_fixtures.py) within
// 1e-4, on a left-padded batch; padding invariance; chunked log-probs.
#include "model/transformer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "model/checkpoint.h"

namespace r1 {
namespace {

const char* kFixtureModels[] = {"qwen2-gqa",   "qwen2-bf16", "qwen3-qknorm",
                                "llama3-rope", "mistral",    "qwen2-yarn"};

std::string fixture(const std::string& name) {
  return std::string(R1_FIXTURES) + "/models/" + name;
}

class Parity : public ::testing::TestWithParam<const char*> {};

TEST_P(Parity, LogitsMatchTransformersOnLeftPaddedBatch) {
  at::NoGradGuard no_grad;
  Model model = load_model(fixture(GetParam()), at::kCPU);
  auto expected = load_safetensors(fixture(GetParam()) + "/expected.safetensors");
  auto ids = expected.at("input_ids"), mask = expected.at("attention_mask");
  auto positions = positions_from_mask(mask);
  ASSERT_TRUE(positions.equal(expected.at("position_ids")));

  auto logits = lm_logits(model, forward_hidden(model, ids, positions, mask));
  auto valid = mask.to(at::kBool).unsqueeze(-1).expand_as(logits);
  double diff = (logits - expected.at("logits")).abs().masked_select(valid).max().item<double>();
  EXPECT_LT(diff, 1e-4) << GetParam();
  // Not vacuous: logits vary across the vocabulary.
  EXPECT_GT(expected.at("logits").std().item<double>(), 0.1);
}

TEST_P(Parity, EachSequenceAloneEqualsItsRowInThePaddedBatch) {
  at::NoGradGuard no_grad;
  Model model = load_model(fixture(GetParam()), at::kCPU);
  auto expected = load_safetensors(fixture(GetParam()) + "/expected.safetensors");
  auto ids = expected.at("input_ids"), mask = expected.at("attention_mask");
  auto batched = lm_logits(model, forward_hidden(model, ids, positions_from_mask(mask), mask));
  for (int64_t b = 0; b < ids.size(0); ++b) {
    int64_t n = mask[b].sum().item<int64_t>(), T = ids.size(1);
    auto alone_ids = ids[b].narrow(0, T - n, n).unsqueeze(0);
    auto alone = lm_logits(
        model, forward_hidden(model, alone_ids, at::arange(n, at::kLong).unsqueeze(0), {}));
    double diff = (alone[0] - batched[b].narrow(0, T - n, n)).abs().max().item<double>();
    EXPECT_LT(diff, 1e-5) << GetParam() << " row " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, Parity, ::testing::ValuesIn(kFixtureModels));

TEST(Transformer, TokenLogprobsEqualLogSoftmaxOfLogits) {
  at::NoGradGuard no_grad;
  Model model = load_model(fixture("qwen2-gqa"), at::kCPU);
  auto ids = at::randint(model.config.vocab_size, {2, 12}, at::kLong);
  auto positions = at::arange(12, at::kLong).expand({2, 12});
  auto hidden = forward_hidden(model, ids, positions, {});
  auto targets = at::randint(model.config.vocab_size, {2, 12}, at::kLong);
  auto expected = at::log_softmax(lm_logits(model, hidden), -1).gather(2, targets.unsqueeze(-1));
  auto got = token_logprobs(model, hidden, targets);
  EXPECT_LT((got - expected.squeeze(-1)).abs().max().item<double>(), 1e-5);
}

TEST(Transformer, GradientsReachEveryParameter) {
  Model model = init_model(default_config("qwen3"), 7);
  for (auto& p : model.parameters()) p.requires_grad_(true);
  auto ids = at::randint(model.config.vocab_size, {2, 6}, at::kLong);
  auto positions = at::arange(6, at::kLong).expand({2, 6});
  auto hidden = forward_hidden(model, ids.narrow(1, 0, 5), positions.narrow(1, 0, 5), {});
  token_logprobs(model, hidden, ids.narrow(1, 1, 5)).mean().backward();
  for (auto& [name, t] : model.named_parameters()) {
    ASSERT_TRUE(t->grad().defined()) << name;
    EXPECT_GT(t->grad().abs().sum().item<double>(), 0.0) << name;
  }
}

TEST(Transformer, InitIsReproducibleFromTheSeed) {
  ModelConfig c = default_config("llama");
  Model a = init_model(c, 1), b = init_model(c, 1), other = init_model(c, 2);
  EXPECT_TRUE(a.layers[1].q_proj.equal(b.layers[1].q_proj));
  EXPECT_FALSE(a.layers[1].q_proj.equal(other.layers[1].q_proj));
  EXPECT_NEAR(a.embed_tokens.std().item<double>(), c.initializer_range, 0.002);
  EXPECT_TRUE(a.lm_head.is_same(a.embed_tokens)) << "tied by default";
}

TEST(Transformer, ParameterCountMatchesTheConfigFormula) {
  for (const char* name : kFixtureModels) {
    Model model = load_model(fixture(name), at::kCPU);
    int64_t n = 0;
    for (auto& t : model.parameters()) n += t.numel();
    EXPECT_EQ(n, model.config.num_parameters()) << name;
  }
}

}  // namespace
}  // namespace r1
