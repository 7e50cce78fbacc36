// Choosing the next token from a row of logits: temperature, top-k, top-p,
// min-p and repetition/presence penalties, with one random stream per sequence
// so that a sequence's samples do not depend on what else is in the batch.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace r1 {

struct SamplingParams {
  float temperature = 1.0f;         // 0 = greedy (argmax)
  float top_p = 1.0f;               // nucleus: smallest set with this much mass; 1 = off
  int64_t top_k = 0;                // keep the k most likely tokens; 0 = off
  float min_p = 0.0f;               // drop tokens below min_p x the top probability; 0 = off
  float repetition_penalty = 1.0f;  // CTRL: logits of seen tokens / (or x) this; 1 = off
  float presence_penalty = 0.0f;    // subtracted from logits of generated tokens; 0 = off
  int64_t max_new_tokens = 256;
  std::vector<int64_t> stop_token_ids;    // end of sequence (eos ids)
  std::vector<std::string> stop_strings;  // checked on decoded text
  bool include_stop_string = false;       // keep the matched stop string in `text`

  bool uses_penalties() const { return repetition_penalty != 1.0f || presence_penalty != 0.0f; }
  void validate() const;  // throws Error on out-of-range values
};

// The ids that end a sequence: the tokenizer's eos ids (tokenizer_config,
// generation_config) and the model config's, each once, tokenizer's first.
// Both matter: a chat model's turn ends at <|im_end|>, its documents at
// <|endoftext|>, and either file may list only one of them.
std::vector<int64_t> stop_token_ids(const std::vector<int64_t>& tokenizer_eos,
                                    const std::vector<int64_t>& model_eos);

// A per-sequence random stream (SplitMix-seeded mt19937_64): one uniform per token.
class SequenceRng {
 public:
  explicit SequenceRng(uint64_t seed);
  double uniform();  // [0, 1)

 private:
  std::mt19937_64 engine_;
};

// Derives the seed of sample `index` of a request with seed `seed`.
uint64_t sample_seed(uint64_t seed, uint64_t index);

struct SampledToken {
  int64_t token;
  float sampling_logprob;  // log-prob under the filtered, tempered distribution
};

// Samples from `probs` (length V): softmax(logits / temperature) of one row,
// already computed. `logits` is only read for greedy decoding.
SampledToken sample_from_probs(const float* probs, const float* logits, int64_t V,
                               const SamplingParams& params, SequenceRng& rng,
                               std::vector<int32_t>& scratch);

// Applies repetition/presence penalties in place to one row of logits.
void apply_penalties(float* logits, const std::vector<int64_t>& prompt,
                     const std::vector<int64_t>& generated, const SamplingParams& params);

}  // namespace r1
