// How a dataset row becomes a prompt, the same for r1 train, r1 eval and r1
// sample, so a row trained on and evaluated gives the model the same text.
// Rows hold the question as a string or as a conversation ([{role, content}],
// TRL's conversational format); the reference answer, wherever the dataset
// keeps it, is handed to the rewards as row["answer"].
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "util/config.h"

namespace r1 {

class ChatTemplate;
class Tokenizer;

struct PromptFormat {
  std::string template_name = "r1_zero";  // r1_zero | chat | raw
  std::string prompt_field;   // "" = the first of prompt, problem, question, messages (any case)
  std::string answer_field;   // "" = the first of answer, solution (any case), if any
  std::string system_prompt;  // chat: a system turn first (unless the row has one)
  // Appended to the question (the last user turn) after a newline. "boxed" is
  // short for R1's math instruction (kBoxedInstruction).
  std::string instruction;
  nlohmann::json chat_template_kwargs = nlohmann::json::object();  // e.g. enable_thinking = false
  // The longest prompt in tokens (0 = the model's context less one position)
  // and what a longer one does: error | skip | truncate_left.
  int64_t max_prompt_tokens = 0;
  std::string overlong_prompts = "error";

  void validate() const;
};

extern const char* const kBoxedInstruction;

// The [data] keys of a PromptFormat, added to a command's field table.
void add_prompt_fields(FieldTable& table, PromptFormat& format);

// The prompt settings of a run file (r1 train or r1 sample TOML): its [data]
// keys that add_prompt_fields names; every other key is ignored.
PromptFormat prompt_format_of_run_file(const std::string& path);

// The field names a dataset uses, found from its first row where the format
// leaves them empty ("" answer: the rows have none).
struct PromptFields {
  std::string prompt, answer;
};

// Resolves the fields and checks every row: the prompt is a non-empty string
// or a list of {role, content} messages, and each reward in `rewards` finds
// the row fields it reads (reward_info). Errors name file:line, the field and
// the reward that needs it.
PromptFields resolve_prompt_fields(const PromptFormat& format, const Dataset& data,
                                   const std::vector<std::string>& rewards);

class PromptBuilder {
 public:
  PromptBuilder(const PromptFormat& format, const PromptFields& fields, const Tokenizer& tok);
  ~PromptBuilder();

  std::string render(const nlohmann::json& row) const;
  // The question of a string-prompt row with the instruction appended.
  std::string question(const nlohmann::json& row) const;
  // The conversation the chat template renders: the row's turns (or its
  // question as one user turn), the system prompt and the instruction added.
  nlohmann::ordered_json messages(const nlohmann::json& row) const;
  // The prompt's ids: a rendered chat template already holds its BOS; plain
  // prompts get the tokenizer's own (as transformers' apply_chat_template /
  // encode do).
  std::vector<int64_t> encode(const std::string& prompt) const;
  // data.max_prompt_tokens and data.overlong_prompts against a model context
  // of `context` positions, on every row before any is drawn: a longer prompt
  // is an Error naming file:line (error), its row leaves `data` (skip; the
  // count is returned and written to `log` unless null: one rank reports), or
  // encode() keeps its last tokens (truncate_left, as TRL's max_prompt_length
  // and veRL's truncation = left).
  int64_t fit_prompts(Dataset& data, int64_t context, std::ostream* log);
  // The row as the rewards see it: the reference answer under "answer".
  nlohmann::json reward_row(const nlohmann::json& row) const;
  const PromptFields& fields() const { return fields_; }

 private:
  PromptFormat format_;
  PromptFields fields_;
  const Tokenizer& tok_;
  std::unique_ptr<ChatTemplate> chat_;  // data.template = chat only
  int64_t truncate_to_ = 0;             // truncate_left: encode() keeps this many (0 = all)
};

}  // namespace r1
