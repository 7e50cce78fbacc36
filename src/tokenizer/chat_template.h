// Chat prompts exactly as transformers' `tokenizer.apply_chat_template(messages,
// add_generation_prompt=...)` renders them: the model's own Jinja chat_template
// runs in r1cpp's Jinja interpreter (jinja.h). Checked byte for byte against
// transformers for Qwen3 (<think> handling), Qwen2.5, Llama 3, Llama 3.2 and
// DeepSeek-R1-Distill. Also the R1-Zero plain-text prompt for base models
// (docs/design.md §1.3).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1 {

class Tokenizer;
namespace jinja {
class Template;
}

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool", ...
  std::string content;
  std::optional<std::string> reasoning_content;  // Qwen3: an assistant turn's thinking
};

struct ChatOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // Qwen3: false adds an empty <think></think>
  // Extra string variables for the template (e.g. {"date_string", "26 Jul 2024"}).
  std::vector<std::pair<std::string, std::string>> variables;
  // Template variables of any JSON type (a run's chat_template_kwargs, as
  // transformers' apply_chat_template(**kwargs)); owned by the caller.
  const nlohmann::json* kwargs = nullptr;
};

// Which published template a chat_template is (for messages and logs only;
// rendering never depends on it).
enum class ChatFamily { kQwen3, kChatML, kLlama3, kDeepSeekR1, kOther };

class ChatTemplate {
 public:
  // Parses `jinja` (a tokenizer_config.json chat_template); bos/eos/pad are the
  // tokenizer's texts for {{ bos_token }} etc. Throws Error on a template the
  // interpreter cannot run (naming the construct and line, and `source`, the
  // file the template came from, where given).
  static ChatTemplate from_jinja(const std::string& jinja, const std::string& bos_token,
                                 const std::string& eos_token, const std::string& pad_token = "",
                                 const std::string& source = "");
  // The template of a loaded tokenizer (Error if it has none).
  static ChatTemplate of(const Tokenizer& tok);

  std::string render(const std::vector<ChatMessage>& messages, const ChatOptions& options) const;
  // The same from OpenAI-style JSON: `messages` is an array of message objects
  // (any fields: tool_calls, name, ...); `tools`, if given, an array of tool
  // specs (passed as {{ tools }}).
  std::string render_json(const nlohmann::ordered_json& messages, const ChatOptions& options,
                          const nlohmann::ordered_json* tools = nullptr) const;
  ChatFamily family() const { return family_; }
  const char* family_name() const;

 private:
  std::shared_ptr<const jinja::Template> template_;
  ChatFamily family_ = ChatFamily::kOther;
  std::string bos_, eos_, pad_;
};

// The R1-Zero prompt: the paper's instruction with `question` as the user turn.
std::string render_r1_zero(const std::string& question);

// A question as prompt text under a template name (the data.template of r1
// train, sample and eval): "r1_zero" (render_r1_zero), "chat" (the
// tokenizer's chat template: one user turn, then the assistant's generation
// prompt) or "raw" (the question itself). Throws Error on another name.
std::string render_question(const std::string& template_name, const std::string& question,
                            const Tokenizer& tok);

}  // namespace r1
