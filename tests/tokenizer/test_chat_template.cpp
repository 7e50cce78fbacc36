// Chat templates against transformers' apply_chat_template (fixtures made by
// tools/make_tokenizer_fixtures.py) for Qwen3, Qwen2.5, Llama 3, Llama 3.2,
// DeepSeek-R1-Distill, Llama 2, Mistral v0.2, Zephyr and Gemma (their
// raise_exception on refused conversations included); Jinja feature probes
// rendered by transformers' Jinja
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
      if (c.contains("error")) {  // the template's raise_exception, as in transformers
        EXPECT_THROW(t.render(messages_of(c["messages"]), o), Error) << c["messages"].dump();
        continue;
      }
      EXPECT_EQ(t.render(messages_of(c["messages"]), o), c["expected"].get<std::string>())
          << c["messages"].dump() << " generation prompt: " << o.add_generation_prompt;
    }
  }
  EXPECT_EQ(families, (std::set<std::string>{"qwen3", "chatml", "llama3", "deepseek-r1", "other"}));
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

std::string jinja_error(const std::string& src, const std::string& context = "{}",
                        const jinja::Limits& limits = {}) {
  try {
    jinja::Template(src).render(nlohmann::ordered_json::parse(context), limits);
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

// A template is untrusted input: each of these once crashed, overflowed the
// stack, ran out of memory or ran for minutes. Each must be an Error naming
// the line, quickly.
TEST(Jinja, HostileTemplatesAreBoundedErrors) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  // Whitespace control with nothing inside popped an empty string.
  std::string e = jinja_error("{{-}}");
  EXPECT_TRUE(has(e, "line 1")) << e;
  e = jinja_error("a\n{%-%}");
  EXPECT_TRUE(has(e, "line 2")) << e;
  EXPECT_EQ(jinja::Template("x {{- 'y' -}} z").render(nlohmann::ordered_json::object()), "xyz");
  // Deep nesting overflowed the parser's (and the destructor's) stack.
  e = jinja_error("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}");
  EXPECT_TRUE(has(e, "nested more than")) << e;
  std::string chain = "{{ 1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  e = jinja_error(chain + " }}");
  EXPECT_TRUE(has(e, "nested more than")) << e;
  e = jinja_error("{{ x" + std::string(20000, '|') + " }}");
  EXPECT_TRUE(has(e, "line 1")) << e;
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if 1 %}";
  e = jinja_error(ifs);
  EXPECT_TRUE(has(e, "nested more than")) << e;
  e = jinja_error(std::string(3000, '-') + "1");  // text, not an expression: renders
  EXPECT_EQ(e, "(no error)");
  e = jinja_error("{{ " + std::string(3000, '-') + "1 }}");
  EXPECT_TRUE(has(e, "nested more than")) << e;
  // A macro calling itself recursed until the stack ended.
  e = jinja_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_TRUE(has(e, "nested more than")) << e;
  // range(10^9) allocated 23 GB; string doubling ran for 38 s.
  e = jinja_error("{% for i in range(1000000000) %}{% endfor %}");
  EXPECT_TRUE(has(e, "line 1: a sequence of 1000000000 items (the limit is 262144)")) << e;
  e = jinja_error("{{ range(1e9) }}");
  EXPECT_TRUE(has(e, "range() needs integers")) << e;
  e = jinja_error(
      "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}{{ ns.s|length }}");
  EXPECT_TRUE(has(e, "of more than 16,777,216 bytes")) << e;
  // Values doubling by nesting: the same bound, smaller here to keep the test
  // quick under ASan (at the default a million nodes are built first).
  jinja::Limits mib;
  mib.max_bytes = 1 << 20;
  e = jinja_error(
      "{% set ns = namespace(s='ab') %}{% for i in range(100) %}"
      "{% set ns.s = [ns.s, ns.s] %}{% endfor %}",
      "{}", mib);
  EXPECT_TRUE(has(e, "a value of more than 1,048,576 bytes")) << e;
  e = jinja_error(
      "{% set ns = namespace(a=1) %}{% for i in range(100) %}"
      "{% set ns.a = ns %}{% set ns.b = ns %}{% endfor %}",
      "{}", mib);
  EXPECT_TRUE(has(e, "a value of more than 1,048,576 bytes")) << e;
  e = jinja_error(
      "{% set ns = namespace(a=1) %}{% for i in range(1000) %}"
      "{% set ns.a = [ns.a] %}{% endfor %}{{ ns.a }}");
  EXPECT_TRUE(has(e, "nested more than")) << e;
  e = jinja_error("{{ 'x' * 100000000000 }}");
  EXPECT_TRUE(has(e, "a string of more than")) << e;
  // Numbers that ended in "internal error: stoll / stoul" or a trap.
  e = jinja_error("{{ 123456789012345678901 }}");
  EXPECT_TRUE(has(e, "line 1: integer literal 123456789012345678901 does not fit")) << e;
  e = jinja_error("{{ 1" + std::string(400, '0') + ".5 }}");
  EXPECT_TRUE(has(e, "is out of range")) << e;
  e = jinja_error("\n{{ '\\uZZZZ' }}");
  EXPECT_TRUE(has(e, "line 2: bad \\u escape")) << e;
  e = jinja_error("{{ '\\u12' }}");
  EXPECT_TRUE(has(e, "bad \\u escape")) << e;
  EXPECT_EQ(jinja::Template("{{ '\\u00e9\\x41' }}").render(nlohmann::ordered_json::object()),
            "\u00e9A");
  e = jinja_error("{{ 9223372036854775807 + 1 }}");
  EXPECT_TRUE(has(e, "integer overflow")) << e;
  e = jinja_error("{{ (-9223372036854775807 - 1) // -1 }}");
  EXPECT_TRUE(has(e, "integer overflow")) << e;
  e = jinja_error("{{ -(-9223372036854775807 - 1) }}");
  EXPECT_TRUE(has(e, "integer overflow")) << e;
  e = jinja_error("{{ 10 ** 40 }}");
  EXPECT_TRUE(has(e, "integer overflow")) << e;
  e = jinja_error("{{ (10.0 ** 400) | int }}");
  EXPECT_TRUE(has(e, "64-bit integer")) << e;
  e = jinja_error("{{ 4 is divisibleby 0 }}");
  EXPECT_TRUE(has(e, "divisibleby 0")) << e;
  e = jinja_error("{{ [1,2,3][::9223372036854775807] }}");
  EXPECT_EQ(e, "(no error)");
  EXPECT_EQ(
      jinja::Template("{{ [1,2,3][::9223372036854775807] }}|{{ 'abc'[::-9223372036854775807] }}")
          .render(nlohmann::ordered_json::object()),
      "[1]|c");
  EXPECT_EQ(jinja::Template("{{ range(9223372036854775806, 9223372036854775807) }}")
                .render(nlohmann::ordered_json::object()),
            "[9223372036854775806]");
  e = jinja_error("{{ x|tojson(indent=100000000) }}");
  EXPECT_TRUE(has(e, "indent")) << e;
}

TEST(Jinja, LimitsAreTheCallers) {
  const jinja::Template t("{% for i in range(50) %}{{ i }}{% endfor %}");
  jinja::Limits small;
  small.max_steps = 20;
  EXPECT_THROW(t.render(nlohmann::ordered_json::object(), small), Error);
  jinja::Limits tiny_output;
  tiny_output.max_bytes = 40;
  EXPECT_THROW(t.render(nlohmann::ordered_json::object(), tiny_output), Error);
  jinja::Limits no_time;
  no_time.max_seconds = 0;  // checked every 1024 steps
  const jinja::Template slow("{% for i in range(5000) %}{{ i }}{% endfor %}");
  try {
    slow.render(nlohmann::ordered_json::object(), no_time);
    ADD_FAILURE() << "no time limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rendering took more than 0 s"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(t.render(nlohmann::ordered_json::object()).size(), 90u);
}

TEST(Jinja, ErrorsNameTheTemplatesFile) {
  try {
    jinja::Template("{{ x", "models/m/tokenizer_config.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("models/m/tokenizer_config.json: chat template line 1", 0), 0u)
        << e.what();
  }
  const jinja::Template t("\n{{ raise_exception('no') }}", "t.jinja");
  try {
    t.render(nlohmann::ordered_json::object());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "t.jinja: chat template raised: no");
  }
  const Tokenizer tok = Tokenizer::load(std::string(R1_FIXTURES) + "/tokenizer/tiny");
  EXPECT_EQ(tok.chat_template_source(),
            std::string(R1_FIXTURES) + "/tokenizer/tiny/tokenizer_config.json");
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
