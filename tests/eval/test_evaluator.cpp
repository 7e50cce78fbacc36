// r1 eval end to end on a tiny random model: the summary has every field, a
// resumed run skips finished questions and matches an uninterrupted one, a
// line cut short by a kill is redone, and benchmark fields are found in the
// GSM8K, AIME and MATH layouts.
#include "eval/evaluator.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>

#include "../test_helpers.h"
#include "data/synthetic.h"
#include "model/checkpoint.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

const std::string kTokenizer = std::string(R1_FIXTURES) + "/tokenizer/tiny";

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct TinyEval {
  test::TempDir dir;
  EvalConfig config;
  explicit TinyEval(const std::vector<nlohmann::json>& rows) {
    ModelConfig c = default_config("qwen2");
    c.vocab_size = 600;
    SaveOptions save;
    save.copy_from_dir = kTokenizer;
    Model model = init_model(c, 3);
    save_model(model, dir.file("model"), save);
    std::ofstream data(dir.file("bench.jsonl"));
    for (const auto& r : rows) data << r.dump() << "\n";
    config.model_dir = dir.file("model");
    config.data_path = dir.file("bench.jsonl");
    config.out_dir = dir.file("out");
    config.k = 4;
    config.max_batch = 4;  // one question per generate call, as in a resumed run
    config.max_new_tokens = 6;
    config.prompt.template_name = "raw";
    config.quiet = true;
  }
};

TEST(Eval, SummaryHasEveryField) {
  TinyEval e(generate_arithmetic({}, 5, 1, Split::kTest));
  nlohmann::json s = run_eval(e.config);
  for (const char* key : {"model", "data", "k", "temperature", "top_p", "max_new_tokens",
                          "template", "reward", "questions", "pass@1", "cons@4", "pass@k",
                          "mean_response_tokens", "think_fraction", "truncated_fraction"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["reward"], "arithmetic");  // found from the rows
  EXPECT_EQ(s["questions"], 5);
  EXPECT_EQ(s["pass@k"].size(), 3u);  // 1, 2, 4
  EXPECT_GT(s["mean_response_tokens"].get<double>(), 0);
  EXPECT_LE(s["mean_response_tokens"].get<double>(), 6);
  EXPECT_EQ(nlohmann::json::parse(read_file(e.dir.file("out/summary.json"))), s);
  auto lines = lines_of(e.dir.file("out/questions.jsonl"));
  ASSERT_EQ(lines.size(), 5u);
  auto q = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(q["index"], 0);
  EXPECT_EQ(q["n"], 4);
  EXPECT_EQ(q["samples"].size(), 4u);
  for (const char* key : {"question", "gold", "correct", "pass@1", "cons_answer", "cons_correct"})
    EXPECT_TRUE(q.contains(key)) << key;
  for (const char* key : {"text", "answer", "reward", "tokens", "finish", "thinks"})
    EXPECT_TRUE(q["samples"][0].contains(key)) << key;
}

TEST(Eval, ResumeSkipsDoneQuestionsAndMatchesOneRun) {
  auto rows = generate_countdown({}, 5, 1, Split::kTest);
  TinyEval whole(rows);
  run_eval(whole.config);

  TinyEval parts(rows);
  parts.config.limit = 2;
  EXPECT_EQ(run_eval(parts.config)["questions"], 2);
  // A kill in the middle of a line: that question is redone.
  { std::ofstream(parts.dir.file("out/questions.jsonl"), std::ios::app) << "{\"index\": 2, \"n"; }
  parts.config.limit = 0;
  nlohmann::json s = run_eval(parts.config);
  EXPECT_EQ(s["reward"], "countdown");
  EXPECT_EQ(lines_of(parts.dir.file("out/questions.jsonl")),
            lines_of(whole.dir.file("out/questions.jsonl")));

  // Done questions are not generated again: an edited line survives a re-run.
  auto lines = lines_of(parts.dir.file("out/questions.jsonl"));
  auto q = nlohmann::json::parse(lines[0]);
  q["correct"] = 4;
  q["cons_correct"] = true;
  lines[0] = q.dump();
  {
    std::ofstream out(parts.dir.file("out/questions.jsonl"), std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  s = run_eval(parts.config);
  EXPECT_EQ(nlohmann::json::parse(lines_of(parts.dir.file("out/questions.jsonl"))[0])["correct"],
            4);
  EXPECT_GE(s["pass@1"].get<double>(), 0.2);  // question 0 now counts as solved

  // Other settings in the same dir are an error, not a silent mix.
  parts.config.k = 8;
  EXPECT_THROW(run_eval(parts.config), Error);
}

TEST(Eval, AFailedStartDoesNotLockTheOutputDir) {
  TinyEval e(generate_arithmetic({}, 2, 1, Split::kTest));
  const std::string model = e.config.model_dir;
  e.config.prompt.template_name = "nope";
  EXPECT_THROW(run_eval(e.config), Error);
  e.config.prompt.template_name = "raw";
  e.config.model_dir = e.dir.file("missing");
  EXPECT_THROW(run_eval(e.config), Error);  // after config.json, before any question
  e.config.model_dir = model;
  EXPECT_EQ(run_eval(e.config)["questions"], 2);
}

TEST(Eval, FindsGsm8kAimeAndMathFields) {
  TinyEval gsm(std::vector<nlohmann::json>{nlohmann::json{
      {"question", "Tom has 3 apples and buys 4. How many?"}, {"answer", "3 + 4 = 7\n#### 7"}}});
  gsm.config.k = 1;
  nlohmann::json s = run_eval(gsm.config);
  EXPECT_EQ(s["reward"], "math");
  EXPECT_EQ(s["prompt_field"], "question");
  auto q = nlohmann::json::parse(lines_of(gsm.dir.file("out/questions.jsonl"))[0]);
  EXPECT_EQ(q["gold"], "7");

  TinyEval aime(std::vector<nlohmann::json>{
      nlohmann::json{{"ID", "2024-I-1"}, {"Problem", "Find x."}, {"Answer", 204}}});
  aime.config.k = 1;
  aime.config.prompt.template_name = "r1_zero";
  s = run_eval(aime.config);
  EXPECT_EQ(s["prompt_field"], "Problem");
  EXPECT_EQ(s["answer_field"], "Answer");
  q = nlohmann::json::parse(lines_of(aime.dir.file("out/questions.jsonl"))[0]);
  EXPECT_EQ(q["gold"], "204");

  TinyEval math(
      std::vector<nlohmann::json>{nlohmann::json{{"problem", "Halve 1."},
                                                 {"level", "Level 1"},
                                                 {"solution", "It is $\\boxed{\\frac{1}{2}}$."}}});
  math.config.k = 1;
  s = run_eval(math.config);
  EXPECT_EQ(s["answer_field"], "solution");
  q = nlohmann::json::parse(lines_of(math.dir.file("out/questions.jsonl"))[0]);
  EXPECT_EQ(q["gold"], "\\frac{1}{2}");

  TinyEval bad(std::vector<nlohmann::json>{nlohmann::json{{"text", "no question here"}}});
  EXPECT_THROW(run_eval(bad.config), Error);
}

}  // namespace
}  // namespace r1
