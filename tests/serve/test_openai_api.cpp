// r1 serve's request parsing and stream text, without HTTP or a model:
// what is refused (and with which status), what the sampling settings become,
// vLLM's deepseek_r1 reasoning split, and the hold-back that keeps streamed
// text a prefix of the final, stop-cut text. Torch-free: also runs under ASan.
#include <gtest/gtest.h>

#include "serve/openai_api.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1 {
namespace {

const std::string kModel = std::string(R1_SOURCE_DIR) + "/examples/zero/base";

struct ApiFixture : ::testing::Test {
  Tokenizer tok = Tokenizer::load(kModel);
  ChatTemplate chat = ChatTemplate::of(tok);
  ServeLimits limits{"base", 256, 100, 8, 4};

  ApiRequest parse(const std::string& body, bool is_chat = true) {
    return parse_request(body, is_chat, tok, &chat, limits);
  }
  // The status and message of a refused request.
  std::pair<int, std::string> refusal(const std::string& body, bool is_chat = true) {
    try {
      parse(body, is_chat);
    } catch (const ApiError& e) {
      return {e.status, e.what()};
    }
    return {0, "(accepted)"};
  }
};

TEST_F(ApiFixture, ChatRequestBecomesTheTemplatedPromptAndSettings) {
  ApiRequest r = parse(R"({"model": "base", "messages": [{"role": "user", "content": "hi"}],
      "temperature": 0.5, "top_p": 0.9, "n": 3, "seed": 7, "stop": "x", "max_tokens": 20,
      "logprobs": true, "stream": true, "stream_options": {"include_usage": true}})");
  std::string text = chat.render({{"user", "hi", {}}}, ChatOptions{});
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0], tok.encode(text, false));
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(*r.seed, 7u);
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r.max_tokens, 20);
  EXPECT_TRUE(r.logprobs && r.stream && r.include_usage);
  // Text parts join into one string; without max_tokens a chat gets all the room left.
  ApiRequest parts = parse(R"({"messages": [{"role": "user", "content":
      [{"type": "text", "text": "h"}, {"type": "text", "text": "i"}]}]})");
  EXPECT_EQ(parts.prompts[0], tok.encode(chat.render({{"user", "h\ni", {}}}, {}), false));
  EXPECT_EQ(parts.max_tokens, 100);
}

TEST_F(ApiFixture, CompletionPromptsTakeTextIdsAndLists) {
  ApiRequest one = parse(R"({"prompt": "Compute 1 + 2"})", false);
  EXPECT_EQ(one.prompts[0], tok.encode("Compute 1 + 2", true));
  EXPECT_EQ(one.max_tokens, 16);  // OpenAI's default for completions
  ApiRequest ids = parse(R"({"prompt": [5, 6, 7], "logprobs": 0})", false);
  EXPECT_EQ(ids.prompts[0], (std::vector<int64_t>{5, 6, 7}));
  EXPECT_TRUE(ids.logprobs);
  ApiRequest many = parse(R"({"prompt": ["a", [1, 2]]})", false);
  EXPECT_EQ(many.prompts.size(), 2u);
}

TEST_F(ApiFixture, RefusalsCarryTheirStatusAndName) {
  auto expect = [&](const std::string& body, int status, const std::string& words,
                    bool is_chat = true) {
    auto [got, message] = refusal(body, is_chat);
    EXPECT_EQ(got, status) << body << ": " << message;
    EXPECT_NE(message.find(words), std::string::npos) << body << ": " << message;
  };
  const std::string hi = R"("messages": [{"role": "user", "content": "hi"}])";
  expect("{oops", 400, "not valid JSON");
  expect("3", 400, "JSON object");
  expect("{" + hi + R"(, "temprature": 1})", 400, "unknown field 'temprature'");
  expect(R"({"model": "other", )" + hi + "}", 404, "does not exist");
  expect(R"({"messages": []})", 400, "non-empty array");
  expect(R"({"messages": [{"content": "hi"}]})", 400, "role");
  expect("{" + hi + R"(, "n": 9})", 400, "'n' must be in [1, 8]");
  expect("{" + hi + R"(, "temperature": -1})", 400, "temperature");
  expect("{" + hi + R"(, "top_p": 0})", 400, "top_p");
  expect("{" + hi + R"(, "max_tokens": 101})", 400, "at most 100");
  expect("{" + hi + R"(, "stop": [1]})", 400, "stop");
  expect("{" + hi + R"(, "stream_options": {"include_usage": true}})", 400, "stream: true");
  expect("{" + hi + R"(, "top_logprobs": 2})", 400, "not supported");
  expect("{" + hi + R"(, "frequency_penalty": 0.5})", 400, "not supported");
  expect("{" + hi + R"(, "tool_choice": "required"})", 400, "tool_choice");
  expect(R"({"prompt": ")" + std::string(300, '7') + R"("})", 400, "maximum context length", false);
  expect(R"({"prompt": "hi", "max_tokens": 100, "echo": true})", 400, "echo", false);
  expect(R"({"prompt": [1, -2]})", 400, "outside the vocabulary", false);
  expect(R"({"prompt": [1, 2, 3, 4, 5, 6]})", 0, "(accepted)", false);
  expect(R"({"prompt": ["a", "b", "c", "d", "e"]})", 400, "at most 4 prompts", false);
  expect(R"({"prompt": {}})", 400, "prompt", false);
  // A prompt that fits but leaves less room than asked.
  limits.context = 40;
  expect(R"({"prompt": "Compute 1234 + 5678", "max_tokens": 30})", 400, "maximum context length",
         false);
}

TEST_F(ApiFixture, ToolsReachTheTemplate) {
  Tokenizer t = tok;
  ChatTemplate with_tools = ChatTemplate::from_jinja(
      "{% for tool in tools %}[{{ tool.function.name }}]{% endfor %}"
      "{% for m in messages %}{{ m.content }}{% endfor %}",
      "", "");
  ApiRequest r = parse_request(
      R"({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function",
          "function": {"name": "add", "parameters": {}}}], "tool_choice": "auto"})",
      true, tok, &with_tools, limits);
  EXPECT_EQ(r.prompts[0], tok.encode("[add]hi", false));
  ApiRequest none = parse_request(
      R"({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function",
          "function": {"name": "add"}}], "tool_choice": "none"})",
      true, tok, &with_tools, limits);
  EXPECT_EQ(none.prompts[0], tok.encode("hi", false));
}

// vLLM's DeepSeekR1ReasoningParser.extract_reasoning_content, case by case.
TEST(ReasoningSplit, FollowsVllmsDeepSeekR1Parser) {
  auto s = split_reasoning("<think>a</think>b");
  EXPECT_EQ(s.reasoning, "a");
  EXPECT_EQ(*s.content, "b");
  s = split_reasoning("a</think>b");  // the template already opened <think>
  EXPECT_EQ(s.reasoning, "a");
  EXPECT_EQ(*s.content, "b");
  s = split_reasoning("still thinking");  // no </think>: all reasoning, no content
  EXPECT_EQ(s.reasoning, "still thinking");
  EXPECT_FALSE(s.content);
  s = split_reasoning("<think>a</think>");  // empty content is None
  EXPECT_EQ(s.reasoning, "a");
  EXPECT_FALSE(s.content);
}

TEST(StreamText, HoldsBackWhatCouldStillBecomeAStopStringOrTag) {
  StreamText st({"STOP"}, {"</think>"});
  EXPECT_EQ(st.safe_length("abc"), 3u);
  EXPECT_EQ(st.safe_length("abcST"), 3u);  // "ST" may grow into STOP
  EXPECT_EQ(st.safe_length("abcSTx"), 6u);
  EXPECT_EQ(st.safe_length("abcSTxyz</th"), 8u);
  EXPECT_EQ(st.safe_length("abcSTxyz</think>q"), 17u);        // a whole tag goes out
  EXPECT_EQ(st.safe_length("abcSTxyz</think>qSTOPzz"), 17u);  // a whole stop string never
  StreamText utf8({}, {});
  EXPECT_EQ(utf8.safe_length("ab\xEF\xBF\xBD"), 2u);  // an unfinished character waits
  EXPECT_EQ(utf8.safe_length("ab\xC3\xA9"), 4u);
  EXPECT_EQ(utf8.safe_length("a"), 4u);  // never backwards
}

}  // namespace
}  // namespace r1
