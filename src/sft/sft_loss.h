// The SFT objective: negative log-likelihood of the trained tokens only
// (assistant turns, completions), teacher-forced. Summed rather than averaged
// so a step split into micro-batches can divide by the step's token count:
// the loss is then a mean over every trained token of the step, independent
// of how the step was batched or padded.
//
// Optional logit distillation (Hinton et al. 2015, "Distilling the Knowledge
// in a Neural Network", §2): on the same trained tokens, the forward KL from a
// teacher's distribution to the student's, both at temperature T, scaled by
// T^2 so its gradient keeps the same size as T changes. The trainer mixes
// (1 - w) * CE + w * KD per token and averages like the CE.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "model/transformer.h"
#include "sft/sft_data.h"

namespace r1 {

// Sum over the examples' trained tokens of -log p(token | prefix), a scalar,
// from one right-padded forward. Autograd follows the caller's mode.
at::Tensor sft_loss_sum(const Model& model, const std::vector<const SftExample*>& batch);

struct SftLossSums {
  at::Tensor ce;  // as sft_loss_sum
  at::Tensor kd;  // sum over the same trained tokens of T^2 KL(p_teacher || p_student),
                  // p = softmax(logits / T); no gradient reaches the teacher
};

// Both sums from one student forward and one teacher forward (no grad) on the
// same batch, without holding either model's (N, V) logits. The models must
// share the vocabulary.
SftLossSums sft_distill_loss_sums(const Model& student, const Model& teacher,
                                  const std::vector<const SftExample*>& batch, double temperature);

}  // namespace r1
