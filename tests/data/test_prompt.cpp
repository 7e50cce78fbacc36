// One prompt builder for r1 train, eval and sample: field resolution, load-time
// checks naming file:line and the reward that needs a field, conversational
// rows, system prompts, instructions and chat_template_kwargs, on the real
// Qwen3 tokenizer and chat template.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../test_helpers.h"
#include "data/prompt.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace r1 {
namespace {

using test::error_of;

const std::string kQwen3 = std::string(R1_SHARED) + "/tokenizers/qwen3";

Dataset rows_of(const test::TempDir& dir, const std::string& text) {
  std::ofstream(dir.file("d.jsonl")) << text;
  return load_jsonl(dir.file("d.jsonl"), {});
}

TEST(Prompt, FieldsAreFoundOrNamedWithTheRewardThatNeedsThem) {
  test::TempDir dir;
  PromptFormat f;
  Dataset gsm = rows_of(dir, R"({"question": "1+1?", "answer": "so 2\n#### 2"})"
                             "\n");
  PromptFields got = resolve_prompt_fields(f, gsm, {"math"});
  EXPECT_EQ(got.prompt, "question");
  EXPECT_EQ(got.answer, "answer");
  Dataset math = rows_of(dir, R"({"Problem": "x?", "solution": "\\boxed{3}"})"
                              "\n");
  EXPECT_EQ(resolve_prompt_fields(f, math, {"math"}).answer, "solution");

  // A reward whose field the rows lack fails at load, naming file:line, field, reward.
  Dataset renamed = rows_of(dir, "{\"prompt\": \"a\", \"gold\": \"1\"}\n");
  std::string e = error_of([&] { resolve_prompt_fields(f, renamed, {"math"}); });
  EXPECT_NE(e.find("d.jsonl:1"), std::string::npos) << e;
  EXPECT_NE(e.find("reward 'math'"), std::string::npos) << e;
  EXPECT_NE(e.find("data.answer_field"), std::string::npos) << e;
  f.answer_field = "gold";
  EXPECT_EQ(resolve_prompt_fields(f, renamed, {"math"}).answer, "gold");
  EXPECT_NO_THROW(resolve_prompt_fields(PromptFormat{}, renamed, {"format"}));

  Dataset third_missing = rows_of(dir,
                                  "{\"prompt\": \"a\", \"gold\": \"1\"}\n{\"prompt\": \"b\", "
                                  "\"gold\": 2}\n{\"prompt\": \"c\"}\n");
  e = error_of([&] { resolve_prompt_fields(f, third_missing, {"math"}); });
  EXPECT_NE(e.find("d.jsonl:3: missing field 'gold', which reward 'math' reads"), std::string::npos)
      << e;
  Dataset countdown = rows_of(dir, "{\"prompt\": \"a\", \"numbers\": [1, 2]}\n");
  e = error_of([&] { resolve_prompt_fields(PromptFormat{}, countdown, {"countdown"}); });
  EXPECT_NE(e.find("missing field 'target', which reward 'countdown' reads"), std::string::npos)
      << e;
}

TEST(Prompt, BadPromptsFailAtLoadWithFileAndLine) {
  test::TempDir dir;
  PromptFormat f;
  for (const char* row : {R"({"prompt": null})", R"({"prompt": ["x"]})", R"({"prompt": ""})",
                          R"({"prompt": 3})", R"({"prompt": [{"role": "user"}]})"}) {
    Dataset d = rows_of(dir, std::string("{\"prompt\": \"ok\"}\n") + row + "\n");
    f.template_name = "chat";
    std::string e = error_of([&] { resolve_prompt_fields(f, d, {}); });
    EXPECT_NE(e.find("d.jsonl:2: field 'prompt'"), std::string::npos) << row << " -> " << e;
  }
  f.template_name = "r1_zero";
  Dataset conv = rows_of(dir, R"({"prompt": [{"role": "user", "content": "hi"}]})"
                              "\n");
  EXPECT_NE(error_of([&] { resolve_prompt_fields(f, conv, {}); }).find("data.template = \"chat\""),
            std::string::npos);
}

TEST(Prompt, ChatRowsSystemPromptInstructionAndTemplateKwargs) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(kQwen3);
  PromptFormat f;
  f.template_name = "chat";
  f.system_prompt = "You are terse.";
  f.instruction = "boxed";
  f.chat_template_kwargs = {{"enable_thinking", false}};
  Dataset d = rows_of(
      dir,
      R"({"prompt": "What is 2+2?"})"
      "\n"
      R"({"prompt": [{"role": "system", "content": "Mine."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "2+2?"}]})"
      "\n");
  PromptBuilder b(f, resolve_prompt_fields(f, d, {}), tok);
  // What transformers' apply_chat_template(messages, add_generation_prompt=True,
  // enable_thinking=False) renders for Qwen3.
  EXPECT_EQ(b.render(d.rows[0]),
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?\n"
            "Please reason step by step, and put your final answer within \\boxed{}."
            "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  const std::string conv = b.render(d.rows[1]);
  EXPECT_EQ(conv.find("You are terse."), std::string::npos) << "the row's own system turn wins";
  EXPECT_NE(conv.find("<|im_start|>system\nMine.<|im_end|>"), std::string::npos);
  EXPECT_NE(conv.find("2+2?\nPlease reason"), std::string::npos) << "instruction on the last turn";
  EXPECT_EQ(conv.find("Hi\nPlease"), std::string::npos);
  // A chat prompt holds its own special tokens: encode adds no BOS.
  EXPECT_EQ(b.encode("<|im_start|>").size(), 1u);

  f.chat_template_kwargs = nlohmann::json::object();
  PromptBuilder thinking(f, resolve_prompt_fields(f, d, {}), tok);
  EXPECT_EQ(thinking.render(d.rows[0]).find("<think>"), std::string::npos)
      << "enable_thinking unset: Qwen3's template opens no empty think block";
}

TEST(Prompt, PlainTemplatesAndTheAnswerTheRewardsSee) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(kQwen3);
  Dataset d = rows_of(dir, R"({"problem": "x+1=2", "solution": "so \\boxed{1}"})"
                           "\n");
  PromptFormat f;
  f.instruction = "Answer briefly.";
  PromptBuilder r1_zero(f, resolve_prompt_fields(f, d, {"math"}), tok);
  const std::string p = r1_zero.render(d.rows[0]);
  EXPECT_NE(p.find("User: x+1=2\nAnswer briefly.. Assistant:"), std::string::npos) << p;
  EXPECT_EQ(r1_zero.reward_row(d.rows[0])["answer"], "so \\boxed{1}");
  f.template_name = "raw";
  EXPECT_EQ(PromptBuilder(f, resolve_prompt_fields(f, d, {}), tok).render(d.rows[0]),
            "x+1=2\nAnswer briefly.");
  f.system_prompt = "S";
  EXPECT_NE(error_of([&] { f.validate(); }).find("data.system_prompt needs"), std::string::npos);
}

// Rows whose prompt is longer than data.max_prompt_tokens (or the model
// context less one): an error naming file:line before anything runs, left
// out with the others' origins kept, or cut to their last tokens.
TEST(Prompt, OverlongPromptsStopTheRunAreLeftOutOrKeepTheirLastTokens) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(kQwen3);
  const std::string rows =
      "{\"prompt\": \"one\"}\n{\"prompt\": \"two\"}\n"
      "{\"prompt\": \"a much longer question that runs on and on\"}\n{\"prompt\": \"four\"}\n";
  PromptFormat f;
  f.template_name = "raw";
  auto builder = [&](const Dataset& d) {
    return PromptBuilder(f, resolve_prompt_fields(f, d, {}), tok);
  };
  auto length = [&](const PromptBuilder& b, const Dataset& d, size_t i) {
    return static_cast<int64_t>(b.encode(b.render(d.rows[i])).size());
  };
  Dataset d = rows_of(dir, rows);
  const int64_t longest = length(builder(d), d, 2), second = length(builder(d), d, 3);
  ASSERT_GT(longest, 8);
  ASSERT_LT(second, 4);

  // The default limit is the context less one: a prompt must leave a position to generate.
  EXPECT_EQ(builder(d).fit_prompts(d, longest + 1, nullptr), 0);
  std::string e = error_of([&] { builder(d).fit_prompts(d, longest, nullptr); });
  EXPECT_NE(e.find("d.jsonl:3: the prompt has " + std::to_string(longest) + " tokens"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("the model context (" + std::to_string(longest) + ") less one"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("data.overlong_prompts"), std::string::npos) << e;
  f.max_prompt_tokens = 4;
  e = error_of([&] { builder(d).fit_prompts(d, 1000, nullptr); });
  EXPECT_NE(e.find("d.jsonl:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("over data.max_prompt_tokens = 4"), std::string::npos) << e;
  e = error_of([&] { builder(d).fit_prompts(d, 4, nullptr); });
  EXPECT_NE(e.find("leaves no room to generate"), std::string::npos) << e;

  f.overlong_prompts = "skip";
  PromptBuilder skipping = builder(d);
  std::ostringstream log;
  EXPECT_EQ(skipping.fit_prompts(d, 1000, &log), 1);
  EXPECT_NE(log.str().find("1 of 4 prompts are over data.max_prompt_tokens = 4"), std::string::npos)
      << log.str();
  ASSERT_EQ(d.rows.size(), 3u);
  EXPECT_EQ(d.rows[2]["prompt"], "four");
  EXPECT_EQ(d.where(2), dir.file("d.jsonl") + ":4");  // errors still name the row's own line
  Dataset all_long = rows_of(dir, "{\"prompt\": \"a much longer question that runs on\"}\n");
  e = error_of([&] { builder(all_long).fit_prompts(all_long, 1000, nullptr); });
  EXPECT_NE(e.find("every prompt is over data.max_prompt_tokens = 4"), std::string::npos) << e;

  f.overlong_prompts = "truncate_left";
  d = rows_of(dir, rows);
  PromptBuilder full = builder(d), cut = builder(d);
  EXPECT_EQ(cut.fit_prompts(d, 1000, nullptr), 0);
  EXPECT_EQ(d.rows.size(), 4u);
  const std::vector<int64_t> whole = full.encode(full.render(d.rows[2]));
  EXPECT_EQ(cut.encode(cut.render(d.rows[2])),
            std::vector<int64_t>(whole.end() - 4, whole.end()));  // the last 4, as TRL keeps
  EXPECT_EQ(cut.encode(cut.render(d.rows[0])), full.encode(full.render(d.rows[0])));

  f.overlong_prompts = "middle";
  EXPECT_NE(error_of([&] { f.validate(); }).find("data.overlong_prompts: unknown 'middle'"),
            std::string::npos);
  f.overlong_prompts = "error";
  f.max_prompt_tokens = -1;
  EXPECT_NE(error_of([&] { f.validate(); }).find("data.max_prompt_tokens must be >= 0"),
            std::string::npos);
}

TEST(Prompt, RunFilesGiveTheirPromptSettings) {
  test::TempDir dir;
  std::ofstream(dir.file("run.toml"))
      << "[model]\npath = \"m\"\n[data]\npath = \"d\"\ntemplate = \"chat\"\n"
         "system_prompt = \"S\"\ninstruction = \"boxed\"\nchat_template_kwargs = "
         "{ enable_thinking = false }\neval_every = 3\n[rollout]\ngroup_size = 4\n";
  PromptFormat f = prompt_format_of_run_file(dir.file("run.toml"));
  EXPECT_EQ(f.template_name, "chat");
  EXPECT_EQ(f.system_prompt, "S");
  EXPECT_EQ(f.instruction, "boxed");
  EXPECT_EQ(f.chat_template_kwargs["enable_thinking"], false);
}

}  // namespace
}  // namespace r1
