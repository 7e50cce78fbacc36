// SFT examples: JSONL rows -> token ids plus a loss mask that is 1 only on the
// tokens the model should learn to produce (assistant turns, completions), and
// the batch plan that groups examples of similar length so padding does not
// waste compute. Torch-free.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1 {

struct SftExample {
  std::vector<int64_t> ids;      // (T) the whole rendered sequence
  std::vector<uint8_t> targets;  // (T) 1 where the token is trained on; targets[0] is always 0
  int64_t num_targets() const;
};

struct SftFormat {
  std::string template_name = "chat";  // chat | r1_zero | raw
  std::string messages_field = "messages";
  std::string prompt_field = "prompt";
  std::string completion_field = "completion";
  std::string chat_template;       // Jinja source replacing the tokenizer's; "" = the tokenizer's
  std::string chat_template_path;  // where chat_template came from (for messages)
};

// Turns rows into examples. A row holds either a conversation (messages_field:
// [{role, content[, reasoning_content]}], roles system/user/assistant/...) or a
// prompt/completion pair.
//  - chat: the model's chat template renders the conversation (a pair is the
//    conversation [user: prompt, assistant: completion]). Each assistant turn
//    is the text between render(turns before it, add_generation_prompt) and
//    render(turns up to it), as TRL's completion-only loss takes it, so its
//    end-of-turn token is trained on. The template must render every such
//    prefix as a prefix of the whole conversation, or the row is rejected.
//  - r1_zero / raw: the prompt is render_r1_zero(prompt) or the prompt itself;
//    the completion is appended and ends with the tokenizer's eos token. A
//    conversation must then be exactly [user, assistant].
// Each text span is tokenized on its own, as generation sees a prompt and then
// emits the completion token by token.
class SftEncoder {
 public:
  SftEncoder(const Tokenizer& tok, const SftFormat& format);
  // `where` ("file:line") prefixes every error about the row.
  SftExample encode(const nlohmann::json& row, const std::string& where) const;

 private:
  Tokenizer tok_;
  SftFormat format_;
  std::optional<ChatTemplate> chat_;  // only for the chat template

  SftExample encode_chat(const std::vector<ChatMessage>& messages, const std::string& where) const;
  SftExample encode_pair(const std::string& prompt, const std::string& completion,
                         const std::string& where) const;
};

struct SftData {
  std::vector<SftExample> examples;
  int64_t truncated = 0;  // examples cut to max_length
  int64_t dropped = 0;    // of those, left with no trained token (not in `examples`)
};

// Encodes every row (on `threads` threads) and cuts examples to `max_length`
// tokens. The first failing row, in file order, is the error reported.
SftData encode_dataset(const Dataset& data, const SftEncoder& encoder, int64_t max_length,
                       int threads);

// The examples each optimizer step of `epoch` trains on: a seeded shuffle,
// then within windows of `length_window` steps the examples are sorted by
// length, cut into steps of `batch_size`, and the steps of the window shuffled
// again (so long and short steps interleave). ceil(N / batch_size) steps.
std::vector<std::vector<int64_t>> plan_epoch(const std::vector<int64_t>& lengths,
                                             int64_t batch_size, int64_t length_window,
                                             bool shuffle, uint64_t seed, int64_t epoch);

// One step's examples as micro-batches for gradient accumulation: sorted by
// length, each holding as many as fit in `max_tokens` padded tokens (rows x
// longest row), at least one.
std::vector<std::vector<int64_t>> micro_batches(std::vector<int64_t> step,
                                                const std::vector<int64_t>& lengths,
                                                int64_t max_tokens);

}  // namespace r1
