// Sampling from the policy itself (temperature 1, no filters, no penalties:
// what a GRPO rollout does) straight from the last hidden states. The LM head
// product runs block by block over the vocabulary and each block is reduced to
// softmax statistics while it is still in cache, so no (B, V) logits or
// probabilities are ever written: at 64 rows and Qwen's 151,936 tokens those
// were 39 MB each per step, written and read back by the softmax and the draw.
//
// B = rows, C = hidden size, V = vocabulary.
#pragma once

#include <ATen/core/Tensor.h>

#include "engine/sampler.h"

namespace r1 {

// hidden (B, C) fp32 and lm_head (V, C) fp32 or bf16 (a bf16 working copy:
// its products round the hidden rows to bf16 and sum in fp32, C even), on
// the CPU, rows contiguous. Draws
// token b from softmax(hidden[b] lm_head^T) with rngs[b] (one uniform each)
// and returns it with its log-prob, logit - logsumexp(logits) (policy and
// sampling distribution are the same here).
void sample_policy(const at::Tensor& hidden, const at::Tensor& lm_head, SequenceRng* const* rngs,
                   SampledToken* out);

// True when sample_policy can run on these tensors.
bool can_sample_policy(const at::Tensor& hidden, const at::Tensor& lm_head);

}  // namespace r1
