// One prompt builder for r1 train, eval and sample: field resolution, load-time
// checks naming file:line and the reward that needs a field, conversational
// rows, system prompts, instructions and chat_template_kwargs, on the real
// Qwen3 tokenizer and chat template.
#include <gtest/gtest.h>

#include <fstream>

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
