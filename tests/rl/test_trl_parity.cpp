// The GRPO loss against TRL's own: tests/fixtures/rl/trl_loss.json holds, for fixed
// inputs (3 ragged sequences, garbage at padding), the loss of TRL 1.16's
// GRPOTrainer._compute_loss and the gradient it sends to the log-probs and the entropies,
// for every loss type TRL has here (grpo, bnpo, dr_grpo, dapo, cispo, sapo), delta, the
// GSPO sequence ratio, the k3 KL, top_entropy_quantile and entropy_coef. Made by
// tools/make_trl_loss_fixture.py, which says exactly what it called.
#include "rl/grpo_loss.h"

#include "util/io.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace r1 {
namespace {

const std::string kFixture = std::string(R1_FIXTURES) + "/rl/trl_loss.json";

at::Tensor tensor_of(const nlohmann::json& j) {
  std::vector<double> flat;
  int64_t rows = 0;
  for (const auto& row : j) {
    for (double v : row) flat.push_back(v);
    ++rows;
  }
  if (j.size() > 0 && !j[0].is_array())  // a vector
    return at::tensor(j.get<std::vector<double>>(), at::TensorOptions().dtype(at::kDouble));
  return at::tensor(flat, at::TensorOptions().dtype(at::kDouble)).reshape({rows, -1});
}

GrpoLossConfig config_of(const nlohmann::json& c) {
  GrpoLossConfig config;
  config.loss_type = c.at("loss_type");
  config.epsilon = c.at("epsilon");
  config.epsilon_high = c.at("epsilon_high");
  config.delta = c.value("delta", 0.0);  // TRL's None = off
  config.beta = c.at("beta");
  config.importance_sampling_level = c.at("importance_sampling_level");
  config.max_completion_length = c.at("max_completion_length");
  config.top_entropy_quantile = c.at("top_entropy_quantile");
  config.entropy_coef = c.at("entropy_coef");
  config.sapo_temperature_pos = c.at("sapo_temperature_pos");
  config.sapo_temperature_neg = c.at("sapo_temperature_neg");
  return config;
}

TEST(TrlParity, LossAndGradientsMatchTrl) {
  const auto fixture = nlohmann::json::parse(read_file(kFixture));
  const auto& x = fixture.at("inputs");
  const at::Tensor logps = tensor_of(x.at("logps")), entropies = tensor_of(x.at("entropies"));
  ASSERT_GE(fixture.at("cases").size(), 15u);
  for (const auto& c : fixture.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    GrpoLossInputs in;
    in.logprobs = logps.clone().requires_grad_(true);
    in.entropy = entropies.clone().requires_grad_(true);
    in.old_logprobs = tensor_of(x.at("old"));
    in.ref_logprobs = tensor_of(x.at("ref"));
    in.advantages = tensor_of(x.at("advantages"));
    in.mask = tensor_of(x.at("mask"));
    in.num_items_in_batch = in.mask.sum().item<double>();  // TRL's num_items_in_batch
    const at::Tensor loss = GrpoLoss(config_of(c.at("config")))(in);
    loss.backward();
    // TRL's torch.where(A > 0, tau_pos, tau_neg) of two Python floats is an fp32 tensor:
    // SAPO's default 1.05 reaches its gate as 1.0499999523. Exact temperatures match to
    // 1e-12; rounded ones to what that rounding moves (~3e-8 here).
    const auto& cc = c.at("config");
    const bool fp32_rounded = cc.at("loss_type") == "sapo" &&
                              (static_cast<float>(cc.at("sapo_temperature_pos").get<double>()) !=
                                   cc.at("sapo_temperature_pos").get<double>() ||
                               static_cast<float>(cc.at("sapo_temperature_neg").get<double>()) !=
                                   cc.at("sapo_temperature_neg").get<double>());
    const double tol = fp32_rounded ? 1e-7 : 1e-12;
    EXPECT_NEAR(loss.item<double>(), c.at("loss").get<double>(), tol);
    const at::Tensor want_lp = tensor_of(c.at("grad_logprobs"));
    const at::Tensor want_h = tensor_of(c.at("grad_entropy"));
    const at::Tensor got_h =
        in.entropy.grad().defined() ? in.entropy.grad() : at::zeros_like(entropies);
    EXPECT_LT((in.logprobs.grad() - want_lp).abs().max().item<double>(), tol)
        << in.logprobs.grad() << "\nTRL:\n"
        << want_lp;
    EXPECT_LT((got_h - want_h).abs().max().item<double>(), tol) << got_h << "\nTRL:\n" << want_h;
  }
}

}  // namespace
}  // namespace r1
