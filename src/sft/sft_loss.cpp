#include "sft/sft_loss.h"

#include <ATen/ATen.h>

#include "util/error.h"

namespace r1 {

// B = batch rows, L = longest row, C = hidden, N = trained tokens in the batch.
at::Tensor sft_loss_sum(const Model& model, const std::vector<const SftExample*>& batch) {
  const int64_t B = batch.size();
  int64_t L = 0;
  for (const SftExample* ex : batch) L = std::max<int64_t>(L, ex->ids.size());
  if (L > model.config.max_position_embeddings)
    fail("sft: an example has ", L, " tokens; the model context is ",
         model.config.max_position_embeddings);
  const at::Device device = model.embed_tokens.device();

  // `source` is, for each trained token at position t, the flat index of the
  // hidden state that predicts it (position t - 1).
  std::vector<int64_t> ids(B * L, 0), mask(B * L, 0), source, targets;
  for (int64_t b = 0; b < B; ++b) {
    const SftExample& ex = *batch[b];
    for (size_t t = 0; t < ex.ids.size(); ++t) {
      ids[b * L + t] = ex.ids[t];
      mask[b * L + t] = 1;
      if (ex.targets[t]) {
        source.push_back(b * L + t - 1);
        targets.push_back(ex.ids[t]);
      }
    }
  }
  auto long_opts = at::TensorOptions().dtype(at::kLong);
  auto id_tensor = at::tensor(ids, long_opts).view({B, L}).to(device);
  auto mask_tensor = at::tensor(mask, long_opts).view({B, L}).to(device);
  auto positions = at::arange(L, long_opts.device(device)).expand({B, L});

  auto hidden = forward_hidden(model, id_tensor, positions, mask_tensor);  // (B, L, C)
  auto picked = hidden.reshape({B * L, -1})
                    .index_select(0, at::tensor(source, long_opts).to(device));        // (N, C)
  auto lp = token_logprobs(model, picked, at::tensor(targets, long_opts).to(device));  // (N)
  return -lp.sum();
}

}  // namespace r1
