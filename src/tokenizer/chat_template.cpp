#include "tokenizer/chat_template.h"

#include <nlohmann/json.hpp>

#include "tokenizer/jinja.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace r1 {

namespace {

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

ChatFamily recognise(const std::string& jinja) {
  if (contains(jinja, "<｜User｜>") && contains(jinja, "<｜Assistant｜>"))
    return ChatFamily::kDeepSeekR1;
  if (contains(jinja, "<|start_header_id|>")) return ChatFamily::kLlama3;
  if (contains(jinja, "<|im_start|>"))
    return contains(jinja, "reasoning_content") ? ChatFamily::kQwen3 : ChatFamily::kChatML;
  return ChatFamily::kOther;
}

}  // namespace

ChatTemplate ChatTemplate::from_jinja(const std::string& jinja, const std::string& bos_token,
                                      const std::string& eos_token, const std::string& pad_token,
                                      const std::string& source) {
  ChatTemplate t;
  t.template_ = std::make_shared<const jinja::Template>(jinja, source);
  t.family_ = recognise(jinja);
  t.bos_ = bos_token;
  t.eos_ = eos_token;
  t.pad_ = pad_token;
  return t;
}

ChatTemplate ChatTemplate::of(const Tokenizer& tok) {
  if (tok.chat_template().empty())
    fail("the tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja)");
  const SpecialTokens& s = tok.special();
  return from_jinja(tok.chat_template(), s.bos_token, s.eos_token, s.pad_token,
                    tok.chat_template_source());
}

const char* ChatTemplate::family_name() const {
  switch (family_) {
    case ChatFamily::kQwen3:
      return "qwen3";
    case ChatFamily::kChatML:
      return "chatml";
    case ChatFamily::kLlama3:
      return "llama3";
    case ChatFamily::kDeepSeekR1:
      return "deepseek-r1";
    case ChatFamily::kOther:
      return "other";
  }
  return "?";
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 const ChatOptions& o) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& m : messages) {
    nlohmann::ordered_json j = {{"role", m.role}, {"content", m.content}};
    if (m.reasoning_content) j["reasoning_content"] = *m.reasoning_content;
    list.push_back(j);
  }
  return render_json(list, o);
}

std::string ChatTemplate::render_json(const nlohmann::ordered_json& messages, const ChatOptions& o,
                                      const nlohmann::ordered_json* tools) const {
  if (!messages.is_array()) fail("chat messages must be a JSON array");
  // The variables transformers passes: messages, tools, add_generation_prompt,
  // the special tokens that are set, and the caller's extras.
  nlohmann::ordered_json ctx;
  ctx["messages"] = messages;
  if (tools) ctx["tools"] = *tools;
  ctx["add_generation_prompt"] = o.add_generation_prompt;
  if (!bos_.empty()) ctx["bos_token"] = bos_;
  if (!eos_.empty()) ctx["eos_token"] = eos_;
  if (!pad_.empty()) ctx["pad_token"] = pad_;
  if (o.enable_thinking) ctx["enable_thinking"] = *o.enable_thinking;
  for (const auto& [k, v] : o.variables) ctx[k] = v;
  if (o.kwargs)
    for (const auto& [k, v] : o.kwargs->items()) ctx[k] = v;
  return template_->render(ctx);
}

std::string render_r1_zero(const std::string& question) {
  return "A conversation between User and Assistant. The user asks a question, and the Assistant "
         "solves it. The assistant first thinks about the reasoning process in the mind and then "
         "provides the user with the answer. The reasoning process and answer are enclosed within "
         "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
         "process here </think> <answer> answer here </answer>. User: " +
         question + ". Assistant:";
}

std::string render_question(const std::string& template_name, const std::string& question,
                            const Tokenizer& tok) {
  if (template_name == "r1_zero") return render_r1_zero(question);
  if (template_name == "chat") return ChatTemplate::of(tok).render({{"user", question, {}}}, {});
  if (template_name == "raw") return question;
  fail("unknown prompt template '", template_name, "' (r1_zero, chat, raw)");
}

}  // namespace r1
