// The rollout engine: batched sampling with a KV cache, on the trainer's own
// parameters (the Model is borrowed, never copied, so an optimizer step is
// visible to the next generate call with no weight sync). It works on token
// ids; tokenization is the caller's, except that stop strings need a decoder.
//
// Per wave of up to max_batch sequences: each distinct prompt is prefilled once
// and its KV copied to its n sample rows (GRPO's G samples of one question);
// then one decode step per token for all live rows; finished rows leave the
// batch so they stop costing compute, and sequences still waiting take their
// slots (continuous batching) while the wave's cache has room for them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "model/transformer.h"

namespace r1 {

struct GenerateRequest {
  std::vector<int64_t> prompt;  // token ids
  int64_t n = 1;                // samples of this prompt
  uint64_t seed = 0;            // sample i uses sample_seed(seed, i)
};

enum class FinishReason { kStop, kLength };
const char* finish_reason_name(FinishReason reason);

struct Completion {
  std::vector<int64_t> tokens;  // generated ids (a stop token id is included)
  std::vector<float> logprobs;  // log pi(token) at temperature 1, unfiltered: what GRPO needs
  std::vector<float> sampling_logprobs;  // under the distribution actually sampled from
  FinishReason finish = FinishReason::kLength;
  std::string text;  // decoded (only when GenerateOptions::decode is set)
};

struct GenerateOptions {
  int64_t max_batch = 64;  // sequences decoded together
  // ids -> text; required for stop strings and to fill Completion::text.
  std::function<std::string(const std::vector<int64_t>&)> decode;
  // Called after every sampled token (request index, sample index, token): streaming.
  std::function<void(size_t, int64_t, int64_t)> on_token;
};

// Returns, for each request, its n completions (in sample order).
std::vector<std::vector<Completion>> generate(const Model& model,
                                              const std::vector<GenerateRequest>& requests,
                                              const SamplingParams& params,
                                              const GenerateOptions& options = {});

}  // namespace r1
