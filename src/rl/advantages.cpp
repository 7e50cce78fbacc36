// Group-relative advantages, DeepSeekMath §4.1.2 (outcome supervision), scaled as TRL's
// scale_rewards: A_i = (r_i - mean(group)) / (std + 1e-4), std unbiased (N - 1) like
// torch.std. A group whose rewards are all equal carries no signal: its advantages are
// exactly 0 (not a rounding residue of the mean), and a single sample has std 0, not NaN.
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

}  // namespace r1
