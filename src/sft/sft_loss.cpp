#include "sft/sft_loss.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "model/logit_ops.h"
#include "util/error.h"

namespace r1 {

namespace {

// B = batch rows, L = longest row, C = hidden, N = trained tokens in the batch,
// V = vocabulary.
struct PaddedBatch {
  at::Tensor ids, mask, positions;  // (B, L) each
  at::Tensor source;                // (N) flat index of the hidden state predicting each target
  at::Tensor targets;               // (N)
};

PaddedBatch pad_batch(const Model& model, const std::vector<const SftExample*>& batch) {
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
  return {at::tensor(ids, long_opts).view({B, L}).to(device),
          at::tensor(mask, long_opts).view({B, L}).to(device),
          at::arange(L, long_opts.device(device)).expand({B, L}),
          at::tensor(source, long_opts).to(device), at::tensor(targets, long_opts).to(device)};
}

// Hidden states of the positions that predict trained tokens, (N, C).
at::Tensor picked_hidden(const Model& model, const PaddedBatch& p) {
  auto hidden = forward_hidden(model, p.ids, p.positions, p.mask);  // (B, L, C)
  return hidden.reshape({p.ids.numel(), -1}).index_select(0, p.source);
}

}  // namespace

at::Tensor sft_loss_sum(const Model& model, const std::vector<const SftExample*>& batch) {
  PaddedBatch p = pad_batch(model, batch);
  auto lp = token_logprobs(model, picked_hidden(model, p), p.targets);  // (N)
  return -lp.sum();
}

SftLossSums sft_distill_loss_sums(const Model& student, const Model& teacher,
                                  const std::vector<const SftExample*>& batch, double temperature) {
  PaddedBatch p = pad_batch(student, batch);
  at::Tensor teacher_hidden;
  {
    at::NoGradGuard no_grad;
    teacher_hidden = picked_hidden(teacher, p);  // (N, Ct)
  }
  // Both terms from one pass over each row's logits, chunked: neither model's
  // (N, V) logits are held (model/logit_ops.h distill_terms).
  ops::DistillTerms terms =
      ops::distill_terms(picked_hidden(student, p), student.lm_head, teacher_hidden,
                         teacher.lm_head, p.targets, temperature);
  return {-terms.logprob.sum(), terms.kd.sum()};
}

}  // namespace r1
