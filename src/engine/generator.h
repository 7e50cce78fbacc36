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
// generate_fed does the same for requests that arrive while it runs (r1 serve).
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
  int64_t max_new_tokens = 0;   // 0 = SamplingParams::max_new_tokens (never more than that)
  std::vector<std::string> stop_strings = {};  // this request's, besides SamplingParams'
};

// kAbort: GenerateOptions::cancelled said so (a server's client went away).
enum class FinishReason { kStop, kLength, kAbort };
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
  // Called after every sampled token (request index, sample index, token, its
  // policy log-prob as in Completion::logprobs): streaming.
  std::function<void(size_t, int64_t, int64_t, float)> on_token;
  // Called once per sample as it finishes (request index, sample index, the
  // completion, its text filled when decode is set): generate_fed's results.
  std::function<void(size_t, int64_t, const Completion&)> on_finish;
  // Polled for each live row every step (request index): true stops its rows
  // with FinishReason::kAbort, freeing their slots for others.
  std::function<bool(size_t)> cancelled;
};

// Returns, for each request, its n completions (in sample order).
std::vector<std::vector<Completion>> generate(const Model& model,
                                              const std::vector<GenerateRequest>& requests,
                                              const SamplingParams& params,
                                              const GenerateOptions& options = {});

// A request handed to a running engine: `id` names it in the callbacks; the
// caller keeps `*request` alive until on_finish has run for each of its samples.
struct FedRequest {
  size_t id;
  const GenerateRequest* request;
};

// The engine on requests that arrive while it runs (r1 serve): between decode
// steps, while a wave has free rows (options.max_batch of them), it calls
// `feed`, which returns at once with the requests that may join now (possibly
// none); their rows join the running batch the way waiting rows do in
// generate. Results go out through on_token and on_finish only. Returns when
// no row is live and `feed` gives nothing. A fed request that generate would
// refuse throws Error mid-run: callers check each with check_request first.
void generate_fed(const Model& model, const SamplingParams& params, const GenerateOptions& options,
                  const std::function<std::vector<FedRequest>()>& feed);

// Throws Error if `request` cannot run on `model` (empty prompt, no room left
// in the context, ids outside the vocabulary, n <= 0); `name` starts the message.
void check_request(const Model& model, const GenerateRequest& request, const std::string& name);

}  // namespace r1
