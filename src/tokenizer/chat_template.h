// Chat prompts as `tokenizer.apply_chat_template(messages, add_generation_prompt)`
// renders them. Rather than interpret Jinja, the model's chat_template is
// recognised by family and rendered natively; the families (and the details
// read from the template text) are those r1cpp users bring: Qwen3 (<think>
// handling), Qwen2/2.5 ChatML (default system prompt), Llama 3 and
// DeepSeek-R1 / R1-Distill. An unrecognised template is an error, never a guess.
// Also the R1-Zero plain-text template for base models (DESIGN.md §1.3).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace r1 {

class Tokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (and "tool" for Qwen3)
  std::string content;
  std::optional<std::string> reasoning_content;  // Qwen3: an assistant turn's thinking
};

struct ChatOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // Qwen3: false adds an empty <think></think>
};

enum class ChatFamily { kQwen3, kChatML, kLlama3, kDeepSeekR1 };

class ChatTemplate {
 public:
  // Recognises `jinja` (a tokenizer_config.json chat_template); bos/eos are
  // the tokenizer's texts for {{ bos_token }} / {{ eos_token }}. Throws Error.
  static ChatTemplate from_jinja(const std::string& jinja, const std::string& bos_token,
                                 const std::string& eos_token);
  // The template of a loaded tokenizer (Error if it has none).
  static ChatTemplate of(const Tokenizer& tok);

  std::string render(const std::vector<ChatMessage>& messages, const ChatOptions& options) const;
  ChatFamily family() const { return family_; }
  const char* family_name() const;

 private:
  std::string render_qwen3(const std::vector<ChatMessage>& m, const ChatOptions& o) const;
  std::string render_chatml(const std::vector<ChatMessage>& m, const ChatOptions& o) const;
  std::string render_llama3(const std::vector<ChatMessage>& m, const ChatOptions& o) const;
  std::string render_deepseek(const std::vector<ChatMessage>& m, const ChatOptions& o) const;

  ChatFamily family_ = ChatFamily::kChatML;
  std::string bos_, eos_;
  std::string default_system_;    // ChatML: system prompt used when none is given
  bool strip_think_ = false;      // DeepSeek: drop reasoning before </think> in history
  bool think_in_prompt_ = false;  // DeepSeek: generation prompt opens <think>\n
  bool join_systems_ = false;     // DeepSeek: several system messages joined by \n\n
};

// The R1-Zero prompt: the paper's instruction with `question` as the user turn.
std::string render_r1_zero(const std::string& question);

}  // namespace r1
