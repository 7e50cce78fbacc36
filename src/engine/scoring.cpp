#include "engine/scoring.h"

#include <ATen/ATen.h>

#include "util/error.h"

namespace r1 {

ScoredBatch score_completions(const Model& model, const std::vector<std::vector<int64_t>>& prompts,
                              const std::vector<std::vector<int64_t>>& completions,
                              bool with_entropy) {
  if (prompts.size() != completions.size()) fail("score: prompts and completions differ in count");
  const int64_t B = prompts.size();
  int64_t L = 0, Tc = 0;
  for (int64_t b = 0; b < B; ++b) {
    if (prompts[b].empty()) fail("score: prompt ", b, " is empty");
    L = std::max<int64_t>(L, prompts[b].size() + completions[b].size());
    Tc = std::max<int64_t>(Tc, completions[b].size());
  }
  if (L > model.config.max_position_embeddings)
    fail("score: a sequence has ", L, " tokens; the model context is ",
         model.config.max_position_embeddings);
  const at::Device device = model.embed_tokens.device();

  // Right-padded full sequences; `source` picks, for each completion token,
  // the flat index of the hidden state that predicts it (position t - 1).
  std::vector<int64_t> ids(B * L, 0), mask(B * L, 0), source, targets, slots;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t P = prompts[b].size(), C = completions[b].size();
    for (int64_t t = 0; t < P; ++t) ids[b * L + t] = prompts[b][t];
    for (int64_t t = 0; t < C; ++t) {
      ids[b * L + P + t] = completions[b][t];
      source.push_back(b * L + P + t - 1);
      targets.push_back(completions[b][t]);
      slots.push_back(b * Tc + t);
    }
    for (int64_t t = 0; t < P + C; ++t) mask[b * L + t] = 1;
  }
  auto long_opts = at::TensorOptions().dtype(at::kLong);
  auto id_tensor = at::tensor(ids, long_opts).view({B, L}).to(device);
  auto mask_tensor = at::tensor(mask, long_opts).view({B, L}).to(device);
  auto positions = at::arange(L, long_opts.device(device)).expand({B, L});

  auto hidden = forward_hidden(model, id_tensor, positions, mask_tensor);  // (B, L, C)
  auto picked =
      hidden.reshape({B * L, -1}).index_select(0, at::tensor(source, long_opts).to(device));
  at::Tensor entropy;
  auto lp = token_logprobs(model, picked, at::tensor(targets, long_opts).to(device),
                           with_entropy ? &entropy : nullptr);

  auto slot_index = at::tensor(slots, long_opts).to(device);
  auto float_opts = hidden.options().requires_grad(false);
  ScoredBatch out;
  out.logprobs = at::zeros({B * Tc}, float_opts).index_put({slot_index}, lp).view({B, Tc});
  out.mask = at::zeros({B * Tc}, float_opts).index_fill_(0, slot_index, 1.0).view({B, Tc});
  if (with_entropy)
    out.entropy = at::zeros({B * Tc}, float_opts).index_put({slot_index}, entropy).view({B, Tc});
  return out;
}

}  // namespace r1
