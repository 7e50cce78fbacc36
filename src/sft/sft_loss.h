// The SFT objective: negative log-likelihood of the trained tokens only
// (assistant turns, completions), teacher-forced. Summed rather than averaged
// so a step split into micro-batches can divide by the step's token count:
// the loss is then a mean over every trained token of the step, independent
// of how the step was batched or padded.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "model/transformer.h"
#include "sft/sft_data.h"

namespace r1 {

// Sum over the examples' trained tokens of -log p(token | prefix), a scalar,
// from one right-padded forward. Autograd follows the caller's mode.
at::Tensor sft_loss_sum(const Model& model, const std::vector<const SftExample*>& batch);

}  // namespace r1
