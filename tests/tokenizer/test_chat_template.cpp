// Chat templates against transformers' apply_chat_template (fixtures made by
// tools/make_tokenizer_fixtures.py) for Qwen3, Qwen2.5, Llama 3, Llama 3.2 and
// DeepSeek-R1-Distill; Jinja feature probes rendered by transformers' Jinja
// environment; the R1-Zero prompt; clear errors for what is not supported.
#include "tokenizer/chat_template.h"
#include "tokenizer/jinja.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

using nlohmann::json;

std::vector<ChatMessage> messages_of(const json& j) {
  std::vector<ChatMessage> out;
  for (const auto& m : j) {
    ChatMessage msg{m["role"], m["content"], std::nullopt};
    if (m.contains("reasoning_content")) msg.reasoning_content = m["reasoning_content"];
    out.push_back(msg);
  }
  return out;
}

TEST(ChatTemplate, RendersLikeTransformers) {
  const json all =
      json::parse(read_file(std::string(R1_FIXTURES) + "/tokenizer/chat_templates.json"));
  std::set<std::string> families;
  for (const auto& f : all) {
    const std::string name = f["name"];
    SCOPED_TRACE(name);
    ChatTemplate t = ChatTemplate::from_jinja(f["template"], f["bos_token"], f["eos_token"]);
    families.insert(t.family_name());
    ASSERT_GE(f["cases"].size(), 10u);
    for (const auto& c : f["cases"]) {
      ChatOptions o;
      o.add_generation_prompt = c["add_generation_prompt"];
      if (!c["enable_thinking"].is_null()) o.enable_thinking = c["enable_thinking"].get<bool>();
      for (auto it = f["variables"].begin(); it != f["variables"].end(); ++it)
        o.variables.emplace_back(it.key(), it.value().get<std::string>());
      EXPECT_EQ(t.render(messages_of(c["messages"]), o), c["expected"].get<std::string>())
          << c["messages"].dump() << " generation prompt: " << o.add_generation_prompt;
    }
  }
  EXPECT_EQ(families, (std::set<std::string>{"qwen3", "chatml", "llama3", "deepseek-r1"}));
}

TEST(ChatTemplate, ToolsAndToolCallsRenderLikeTransformers) {
  // ordered: tool specs and arguments keep their key order through tojson.
  const auto all = nlohmann::ordered_json::parse(
      read_file(std::string(R1_FIXTURES) + "/tokenizer/chat_tools.json"));
  ASSERT_GE(all.size(), 3u);
  for (const auto& f : all) {
    SCOPED_TRACE(f["name"].get<std::string>());
    ChatTemplate t = ChatTemplate::from_jinja(f["template"], f["bos_token"], f["eos_token"]);
    ChatOptions o;
    for (auto it = f["variables"].begin(); it != f["variables"].end(); ++it)
      o.variables.emplace_back(it.key(), it.value().get<std::string>());
    for (const auto& c : f["cases"]) {
      o.add_generation_prompt = c["add_generation_prompt"];
      EXPECT_EQ(t.render_json(c["messages"], o, &c["tools"]), c["expected"].get<std::string>())
          << c["messages"].dump();
    }
  }
}

TEST(Jinja, FeatureProbesRenderLikeTransformers) {
  // ordered: tojson keeps dict insertion order, as Python does.
  const auto all = nlohmann::ordered_json::parse(
      read_file(std::string(R1_FIXTURES) + "/tokenizer/jinja_probes.json"));
  ASSERT_GE(all.size(), 15u);
  for (const auto& p : all) {
    const std::string src = p["template"];
    SCOPED_TRACE(src);
    try {
      EXPECT_EQ(jinja::Template(src).render(p["context"]), p["expected"].get<std::string>());
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

std::string jinja_error(const std::string& src, const std::string& context = "{}") {
  try {
    jinja::Template(src).render(nlohmann::ordered_json::parse(context));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Jinja, UnsupportedOrBrokenTemplatesAreClearErrors) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  std::string e = jinja_error("ok\n{% call f() %}x{% endcall %}");
  EXPECT_TRUE(has(e, "line 2: the 'call' statement is not supported")) << e;
  e = jinja_error("{{ x | wordwrap }}");
  EXPECT_TRUE(has(e, "the 'wordwrap' filter is not supported")) << e;
  e = jinja_error("{% if x %}never closed");
  EXPECT_TRUE(has(e, "missing {% endif %}")) << e;
  e = jinja_error("{{ 'unterminated }}");
  EXPECT_TRUE(has(e, "unterminated string") || has(e, "unclosed")) << e;
  e = jinja_error("{{ raise_exception('roles must alternate') }}");
  EXPECT_TRUE(has(e, "chat template raised: roles must alternate")) << e;
  e = jinja_error("{{ 1 + 'a' }}");
  EXPECT_TRUE(has(e, "cannot apply '+'")) << e;
  e = jinja_error("{{ x.y.z }}");
  EXPECT_TRUE(has(e, "of an undefined value")) << e;
}

TEST(ChatTemplate, Qwen3TokenizerCarriesItsTemplate) {
  Tokenizer tok = Tokenizer::load(std::string(R1_SHARED) + "/tokenizers/qwen3");
  ChatTemplate t = ChatTemplate::of(tok);
  EXPECT_EQ(t.family(), ChatFamily::kQwen3);
  const std::string prompt = t.render({{"user", "2+2?", std::nullopt}}, ChatOptions());
  EXPECT_EQ(prompt, "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(tok.encode(prompt), (std::vector<int64_t>{151644, 872, 198, 17, 10, 17, 30, 151645, 198,
                                                      151644, 77091, 198}));
}

TEST(ChatTemplate, TrainedTokenizerTemplateWorks) {
  Tokenizer tok = Tokenizer::load(std::string(R1_FIXTURES) + "/tokenizer/tiny");
  ChatTemplate t = ChatTemplate::of(tok);
  EXPECT_EQ(t.family(), ChatFamily::kChatML);
  ChatOptions o;
  o.add_generation_prompt = false;
  EXPECT_EQ(t.render({{"system", "s", std::nullopt}, {"user", "u", std::nullopt}}, o),
            "<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n");
}

TEST(ChatTemplate, R1ZeroPromptIsThePapers) {
  const std::string p = render_r1_zero("What is 1+1?");
  EXPECT_EQ(p.substr(0, 40), "A conversation between User and Assistan");
  EXPECT_NE(p.find("<think> reasoning process here </think> <answer> answer here </answer>. "
                   "User: What is 1+1?. Assistant:"),
            std::string::npos);
  EXPECT_EQ(p.back(), ':');
}

}  // namespace
}  // namespace r1
