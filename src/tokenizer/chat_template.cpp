#include "tokenizer/chat_template.h"

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Python's str.isspace() for one code point (Jinja's `trim` is str.strip()).
bool is_python_space(uint32_t c) {
  return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::string python_strip(const std::string& s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    size_t i = begin;
    if (utf8::valid_length(s, i) == 0 || !is_python_space(utf8::next(s, i))) break;
    begin = i;
  }
  while (end > begin) {
    size_t c = end - 1;
    while (c > begin && (static_cast<uint8_t>(s[c]) & 0xC0) == 0x80) --c;
    size_t i = c;
    if (utf8::valid_length(s, i) == 0 || !is_python_space(utf8::next(s, i))) break;
    end = c;
  }
  return s.substr(begin, end - begin);
}

std::string lstrip_nl(const std::string& s) {
  const size_t b = s.find_first_not_of('\n');
  return b == std::string::npos ? "" : s.substr(b);
}

std::string rstrip_nl(const std::string& s) {
  const size_t e = s.find_last_not_of('\n');
  return e == std::string::npos ? "" : s.substr(0, e + 1);
}

std::string strip_nl(const std::string& s) {
  return lstrip_nl(rstrip_nl(s));
}

// Python's s.split(sep)[0] and s.split(sep)[-1].
std::string before_first(const std::string& s, const std::string& sep) {
  const size_t p = s.find(sep);
  return p == std::string::npos ? s : s.substr(0, p);
}
std::string after_last(const std::string& s, const std::string& sep) {
  const size_t p = s.rfind(sep);
  return p == std::string::npos ? s : s.substr(p + sep.size());
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

void check_roles(const std::vector<ChatMessage>& messages, const char* family, bool allow_tool) {
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& r = messages[i].role;
    if (r == "system" || r == "user" || r == "assistant" || (allow_tool && r == "tool")) continue;
    fail("chat message ", i, " has role \"", r, "\", which the ", family,
         " template does not support here");
  }
}

// The literal default system prompt of a ChatML template, e.g. Qwen2.5's
// {{- '<|im_start|>system\nYou are Qwen, ...<|im_end|>\n' }}.
std::string chatml_default_system(const std::string& jinja) {
  const std::string open = "'<|im_start|>system\\n";
  size_t p = 0;
  while ((p = jinja.find(open, p)) != std::string::npos) {
    p += open.size();
    const size_t end = jinja.find("<|im_end|>", p);
    if (end == std::string::npos) break;
    const std::string body = jinja.substr(p, end - p);
    if (body.find('\'') != std::string::npos || body.find('+') != std::string::npos) continue;
    std::string out;  // undo the Jinja string escapes
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) {
        const char c = body[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        out += body[i];
      }
    }
    return out;
  }
  return "";
}

}  // namespace

ChatTemplate ChatTemplate::from_jinja(const std::string& jinja, const std::string& bos_token,
                                      const std::string& eos_token) {
  ChatTemplate t;
  t.bos_ = bos_token;
  t.eos_ = eos_token;
  if (contains(jinja, "<｜User｜>") && contains(jinja, "<｜Assistant｜>")) {
    if (contains(jinja, "is_last_user"))
      fail("chat template: the DeepSeek-R1-0528 template (is_last_user) is not supported yet");
    t.family_ = ChatFamily::kDeepSeekR1;
    t.strip_think_ = contains(jinja, "split('</think>')");
    t.think_in_prompt_ = contains(jinja, "<｜Assistant｜><think>\\n");
    t.join_systems_ = contains(jinja, "is_first_sp");
  } else if (contains(jinja, "<|start_header_id|>")) {
    if (contains(jinja, "Cutting Knowledge Date"))
      fail(
          "chat template: Llama 3.1+ templates (with \"Cutting Knowledge Date\") are not supported "
          "yet; only the Llama 3 template");
    t.family_ = ChatFamily::kLlama3;
  } else if (contains(jinja, "<|im_start|>")) {
    if (contains(jinja, "reasoning_content") && contains(jinja, "last_query_index")) {
      t.family_ = ChatFamily::kQwen3;
    } else if (contains(jinja, "</think>")) {
      fail("chat template: a ChatML template with <think> handling that is not Qwen3's");
    } else {
      t.family_ = ChatFamily::kChatML;
      t.default_system_ = chatml_default_system(jinja);
    }
  } else {
    fail(
        "chat template not recognised (supported families: Qwen3, Qwen2/2.5 ChatML, Llama 3, "
        "DeepSeek-R1); its first line is: ",
        jinja.substr(0, std::min<size_t>(jinja.find('\n'), 120)));
  }
  return t;
}

ChatTemplate ChatTemplate::of(const Tokenizer& tok) {
  if (tok.chat_template().empty())
    fail("the tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja)");
  return from_jinja(tok.chat_template(), tok.special().bos_token, tok.special().eos_token);
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
  }
  return "?";
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& m, const ChatOptions& o) const {
  switch (family_) {
    case ChatFamily::kQwen3:
      return render_qwen3(m, o);
    case ChatFamily::kChatML:
      return render_chatml(m, o);
    case ChatFamily::kLlama3:
      return render_llama3(m, o);
    case ChatFamily::kDeepSeekR1:
      return render_deepseek(m, o);
  }
  return "";
}

// Qwen3's template: thinking is shown only for assistant turns after the last
// real user query; earlier turns keep just their answer.
std::string ChatTemplate::render_qwen3(const std::vector<ChatMessage>& m,
                                       const ChatOptions& o) const {
  check_roles(m, "Qwen3", true);
  std::string out;
  if (!m.empty() && m[0].role == "system")
    out += "<|im_start|>system\n" + m[0].content + "<|im_end|>\n";
  const int n = static_cast<int>(m.size());
  int last_query = n - 1;
  for (int i = n - 1; i >= 0; --i) {
    const std::string& c = m[i].content;
    if (m[i].role == "user" &&
        !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
      last_query = i;
      break;
    }
  }
  for (int i = 0; i < n; ++i) {
    const ChatMessage& msg = m[i];
    if (msg.role == "user" || (msg.role == "system" && i > 0)) {
      out += "<|im_start|>" + msg.role + "\n" + msg.content + "<|im_end|>\n";
    } else if (msg.role == "assistant") {
      std::string content = msg.content, reasoning;
      if (msg.reasoning_content) {
        reasoning = *msg.reasoning_content;
      } else if (contains(msg.content, "</think>")) {
        content = lstrip_nl(after_last(msg.content, "</think>"));
        reasoning =
            lstrip_nl(after_last(rstrip_nl(before_first(msg.content, "</think>")), "<think>"));
      }
      if (i > last_query && (i == n - 1 || !reasoning.empty())) {
        out += "<|im_start|>assistant\n<think>\n" + strip_nl(reasoning) + "\n</think>\n\n" +
               lstrip_nl(content);
      } else {
        out += "<|im_start|>assistant\n" + content;
      }
      out += "<|im_end|>\n";
    } else if (msg.role == "tool") {
      if (i == 0 || m[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + msg.content + "\n</tool_response>";
      if (i == n - 1 || m[i + 1].role != "tool") out += "<|im_end|>\n";
    }
  }
  if (o.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (o.enable_thinking && !*o.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

// Qwen2/2.5 ChatML: a default system prompt when the conversation has none.
std::string ChatTemplate::render_chatml(const std::vector<ChatMessage>& m,
                                        const ChatOptions& o) const {
  check_roles(m, "ChatML", false);
  std::string out;
  if ((m.empty() || m[0].role != "system") && !default_system_.empty())
    out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
  for (const auto& msg : m) out += "<|im_start|>" + msg.role + "\n" + msg.content + "<|im_end|>\n";
  if (o.add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Llama 3 (Meta-Llama-3-*-Instruct): BOS, header per turn, content trimmed.
std::string ChatTemplate::render_llama3(const std::vector<ChatMessage>& m,
                                        const ChatOptions& o) const {
  check_roles(m, "Llama 3", false);
  std::string out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i == 0) out += bos_;
    out += "<|start_header_id|>" + m[i].role + "<|end_header_id|>\n\n" +
           python_strip(m[i].content) + "<|eot_id|>";
  }
  if (o.add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// DeepSeek-R1 and R1-Distill: the system prompt first (after BOS), then
// <｜User｜>/<｜Assistant｜> turns; history answers lose their reasoning.
std::string ChatTemplate::render_deepseek(const std::vector<ChatMessage>& m,
                                          const ChatOptions& o) const {
  check_roles(m, "DeepSeek-R1", false);
  std::string system;
  bool first_system = true;
  for (const auto& msg : m) {
    if (msg.role != "system") continue;
    if (join_systems_ && !first_system)
      system += "\n\n" + msg.content;
    else
      system = join_systems_ ? system + msg.content : msg.content;
    first_system = false;
  }
  std::string out = bos_ + system;
  for (const auto& msg : m) {
    if (msg.role == "user") {
      out += "<｜User｜>" + msg.content;
    } else if (msg.role == "assistant") {
      std::string content = msg.content;
      if (strip_think_ && contains(content, "</think>")) content = after_last(content, "</think>");
      out += "<｜Assistant｜>" + content + "<｜end▁of▁sentence｜>";
    }
  }
  if (o.add_generation_prompt)
    out += think_in_prompt_ ? "<｜Assistant｜><think>\n" : "<｜Assistant｜>";
  return out;
}

std::string render_r1_zero(const std::string& question) {
  return "A conversation between User and Assistant. The user asks a question, and the Assistant "
         "solves it. The assistant first thinks about the reasoning process in the mind and then "
         "provides the user with the answer. The reasoning process and answer are enclosed within "
         "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
         "process here </think> <answer> answer here </answer>. User: " +
         question + ". Assistant:";
}

}  // namespace r1
