// Advantage estimators on outcome rewards, each a small function picked once by name.
//
// grpo - DeepSeekMath §4.1.2 (outcome supervision), scaled as TRL's scale_rewards:
//   A_i = (r_i - mean(group)) / (std + 1e-4), std unbiased (N - 1) like torch.std. A group
//   whose rewards are all equal carries no signal: its advantages are exactly 0 (not a
//   rounding residue of the mean), and a single sample has std 0, not NaN.
// rloo - RLOO (Ahmadian et al. 2024, "Back to Basics", arXiv 2402.14740 eq. 8; Kool et al.
//   2019): A_i = r_i - (1 / (G - 1)) sum_{j != i} r_j = G / (G - 1) (r_i - mean(group)).
//   No std scaling. A single sample has no other to compare with: baseline 0 (veRL).
// reinforce_plus_plus_baseline - REINFORCE++ (Hu et al. 2025, arXiv 2501.03262 §3.2) with a
//   group baseline: A_i = r_i - mean(group) (baseline 0 for a single sample), broadcast to
//   the completion's tokens and whitened over all active tokens of the batch:
//   (x - mean) / sqrt(var + 1e-8), var unbiased, both weighted by token (veRL's
//   masked_whiten). Zero-variance groups are shifted by the batch mean like the others.
// reinforce_plus_plus - REINFORCE++ (same paper, §3.1): per-token rewards r_t = (KL penalty
//   at t) + (outcome at the last token), returns-to-go G_t = sum_{s >= t} r_s (gamma = 1),
//   whitened over all active tokens of the batch ("global batch normalisation").
// remax - ReMax (Li et al. 2024, arXiv 2310.10505 Alg. 1): the returns-to-go minus the
//   reward of a greedy completion of the same question; no normalisation.
// The KL in the reward (token_rewards, veRL's use_kl_in_reward): the token-level
// estimators take it per token; the outcome estimators (grpo, rloo, rpp-baseline) add its
// sum to r_i, as veRL sums token_level_rewards.
//
// Departures: a whitening over fewer than 2 tokens, or over tokens that all hold the same
// value, gives exactly 0 (veRL raises on one token and leaves a rounding residue times 1e4
// on a constant batch).
#include "rl/advantages.h"

#include "util/error.h"

#include <ATen/ATen.h>

namespace r1 {
namespace {

const double kStdEps = 1e-4;  // TRL's; keeps near-constant groups from exploding

// Unbiased std over dim (or all of x when dim < 0); 0 where there is a single value.
at::Tensor safe_std(const at::Tensor& x, int64_t dim) {
  const int64_t n = dim < 0 ? x.numel() : x.size(dim);
  if (n < 2) return dim < 0 ? at::zeros({}, x.options()) : at::zeros({x.size(0), 1}, x.options());
  return dim < 0 ? x.std() : x.std(dim, /*unbiased=*/true, /*keepdim=*/true);
}

at::Tensor grouped(const at::Tensor& rewards, int64_t group_size) {
  if (group_size <= 0) fail("rollout.group_size: must be > 0, got ", group_size);
  if (rewards.dim() != 1 || rewards.numel() % group_size != 0)
    fail("rewards: ", rewards.numel(), " values are not whole groups of ", group_size);
  return rewards.reshape({-1, group_size});  // (N, G)
}

}  // namespace

at::Tensor groups_with_signal(const at::Tensor& rewards, int64_t group_size) {
  const at::Tensor r = grouped(rewards, group_size);  // (N, G)
  return std::get<0>(r.max(1)) > std::get<0>(r.min(1));
}

at::Tensor group_advantages(const at::Tensor& rewards, int64_t group_size, const std::string& scale,
                            AdvantageStats* stats) {
  if (scale != "group" && scale != "batch" && scale != "none")
    fail("rl.scale_rewards: unknown '", scale, "' (group, batch, none)");
  const at::Tensor r = grouped(rewards, group_size);                               // (N, G)
  const at::Tensor signal = groups_with_signal(rewards, group_size).unsqueeze(1);  // (N, 1)
  at::Tensor adv = r - r.mean(1, /*keepdim=*/true);
  if (scale == "group") adv = adv / (safe_std(r, 1) + kStdEps);
  if (scale == "batch") adv = adv / (safe_std(rewards, -1) + kStdEps);
  adv = at::where(signal, adv, at::zeros({}, adv.options()));
  if (stats && r.size(0) > 0)
    stats->zero_std_fraction = 1.0 - signal.to(at::kDouble).mean().item<double>();
  return adv.reshape({-1});
}

namespace {

const double kWhitenEps = 1e-8;  // veRL's masked_whiten

// The masked sequence rewards plus the per-token rewards' sum (KL in the reward).
at::Tensor sequence_rewards(const AdvantageInputs& in) {
  if (!in.token_rewards.defined()) return in.rewards;
  return in.rewards + (in.token_rewards * in.mask.to(in.token_rewards.scalar_type())).sum(-1);
}

void check_mask(const at::Tensor& rewards, const at::Tensor& mask, const char* who) {
  if (!mask.defined() || mask.dim() != 2 || mask.size(0) != rewards.numel())
    fail(who, ": needs a (", rewards.numel(), ", T) token mask");
}

// veRL's masked_whiten over the active tokens of x (N, T); 0 at padding.
at::Tensor whiten_tokens(const at::Tensor& x, const at::Tensor& mask) {
  const at::Tensor m = mask.to(x.scalar_type());
  const at::Tensor values = x.masked_select(mask.to(at::kBool));
  if (values.numel() < 2 || (values.max() == values.min()).item<bool>()) return at::zeros_like(x);
  const double n = static_cast<double>(values.numel());
  const at::Tensor mean = values.mean();
  const at::Tensor var = (values - mean).pow(2).sum() / (n - 1);
  return (x - mean) * (var + kWhitenEps).rsqrt() * m;
}

// G_t = sum_{s >= t} r_s: the outcome at the last active token plus the token rewards.
// rewards (N), mask (N, T), token_rewards (N, T) or undefined -> (N, T), 0 at padding.
at::Tensor returns_to_go(const at::Tensor& rewards, const at::Tensor& mask,
                         const at::Tensor& token_rewards) {
  const at::Tensor m = mask.to(rewards.scalar_type());
  at::Tensor g = rewards.reshape({-1, 1}) * m;  // the outcome reaches every earlier token
  if (token_rewards.defined()) {
    const at::Tensor r = token_rewards.to(rewards.scalar_type()) * m;
    g = g + r.flip({1}).cumsum(1).flip({1}) * m;
  }
  return g;
}

}  // namespace

at::Tensor rloo_advantages(const at::Tensor& rewards, int64_t group_size) {
  const at::Tensor r = grouped(rewards, group_size);  // (N, G)
  if (group_size == 1) return rewards.clone();        // no other sample: baseline 0
  const at::Tensor signal = groups_with_signal(rewards, group_size).unsqueeze(1);
  const double g = static_cast<double>(group_size);
  const at::Tensor adv = (r - r.mean(1, /*keepdim=*/true)) * (g / (g - 1));
  return at::where(signal, adv, at::zeros({}, adv.options())).reshape({-1});
}

at::Tensor reinforce_pp_baseline_advantages(const at::Tensor& rewards, int64_t group_size,
                                            const at::Tensor& mask) {
  check_mask(rewards, mask, "reinforce_plus_plus_baseline");
  const at::Tensor r = grouped(rewards, group_size);  // (N, G)
  at::Tensor centered = r;
  if (group_size > 1) {
    const at::Tensor signal = groups_with_signal(rewards, group_size).unsqueeze(1);
    centered = at::where(signal, r - r.mean(1, /*keepdim=*/true), at::zeros({}, r.options()));
  }
  const at::Tensor m = mask.to(rewards.scalar_type());
  const at::Tensor w = whiten_tokens(centered.reshape({-1, 1}) * m, mask);  // (N, T)
  // Constant along each row: the row's value where it has a token, else 0.
  return (w.sum(1) / m.sum(1).clamp_min(1.0));
}

at::Tensor reinforce_pp_advantages(const at::Tensor& rewards, const at::Tensor& mask,
                                   const at::Tensor& token_rewards) {
  check_mask(rewards, mask, "reinforce_plus_plus");
  return whiten_tokens(returns_to_go(rewards, mask, token_rewards), mask);
}

at::Tensor remax_advantages(const at::Tensor& rewards, const at::Tensor& baselines,
                            const at::Tensor& mask, const at::Tensor& token_rewards) {
  check_mask(rewards, mask, "remax");
  if (!baselines.defined() || baselines.numel() != rewards.numel())
    fail("remax: needs one greedy-completion reward per completion");
  const at::Tensor m = mask.to(rewards.scalar_type());
  return returns_to_go(rewards, mask, token_rewards) -
         baselines.to(rewards.scalar_type()).reshape({-1, 1}) * m;
}

AdvantageFn advantage_estimator(const std::string& name, const std::string& scale_rewards) {
  if (name == "grpo") {
    if (scale_rewards != "group" && scale_rewards != "batch" && scale_rewards != "none")
      fail("rl.scale_rewards: unknown '", scale_rewards, "' (group, batch, none)");
    return [scale_rewards](const AdvantageInputs& in) {
      return group_advantages(sequence_rewards(in), in.group_size, scale_rewards);
    };
  }
  if (name == "rloo")
    return [](const AdvantageInputs& in) {
      return rloo_advantages(sequence_rewards(in), in.group_size);
    };
  if (name == "reinforce_plus_plus_baseline")
    return [](const AdvantageInputs& in) {
      return reinforce_pp_baseline_advantages(sequence_rewards(in), in.group_size, in.mask);
    };
  if (name == "reinforce_plus_plus")
    return [](const AdvantageInputs& in) {
      return reinforce_pp_advantages(in.rewards, in.mask, in.token_rewards);
    };
  if (name == "remax")
    return [](const AdvantageInputs& in) {
      return remax_advantages(in.rewards, in.baselines, in.mask, in.token_rewards);
    };
  fail("rl.advantage_estimator: unknown '", name,
       "' (grpo, rloo, reinforce_plus_plus, reinforce_plus_plus_baseline, remax)");
}

}  // namespace r1
