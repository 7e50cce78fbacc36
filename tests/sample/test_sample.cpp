// r1 sample: keeps exactly the verified, readable samples (crafted completions
// through an injected generator, and the real engine on a tiny model checked
// against its own regeneration), the keep policies, a resumed run after a
// crash mid-batch equals an uninterrupted one, and bad inputs are clear errors.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "../test_helpers.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "sample/rejection_sampling.h"
#include "sample/sample_filter.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

const std::string kTiny = std::string(R1_FIXTURES) + "/tokenizer/tiny";

void expect_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::vector<nlohmann::json> read_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  auto in = open_input(path);
  for_each_line(*in,
                [&](int64_t, const std::string& l) { out.push_back(nlohmann::json::parse(l)); });
  return out;
}

void write_rows(const std::string& path, int n) {
  std::ofstream out(path);
  for (int i = 0; i < n; ++i)
    out << nlohmann::json{{"prompt", "Compute " + std::to_string(i) + " + 1"},
                          {"answer", std::to_string(i + 1)}}
               .dump()
        << "\n";
}

// Four completions per prompt i (answer i + 1), each with a known fate:
//   0: correct and well formed                 -> kept
//   1: wrong answer                            -> wrong
//   2: correct but cut by max_new_tokens       -> truncated
//   3: the same text as 0                      -> duplicate (kept once)
//   4: correct without <think> ("<answer>N</answer>", or "the answer is N" for
//      odd i)                                  -> kept: format scores 0, but
//      format only lowers the total; arithmetic decides correctness
Completion make(const std::string& text, bool truncated) {
  Completion c;
  c.text = text;
  c.tokens.assign(text.size() / 4 + 1, 1);
  c.finish = truncated ? FinishReason::kLength : FinishReason::kStop;
  return c;
}

SampleGenerateFn crafted(const std::vector<nlohmann::json>& rows, int64_t* calls = nullptr) {
  return [rows, calls](const std::vector<GenerateRequest>& requests) {
    if (calls) ++*calls;
    std::vector<std::vector<Completion>> out;
    for (const auto& r : requests) {
      const int64_t i = static_cast<int64_t>(r.seed);  // seed = 0 + prompt index
      const std::string answer = rows[i]["answer"];
      const std::string good = "<think>add one</think> <answer>" + answer + "</answer>";
      std::vector<Completion> comps = {
          make(good, false), make("<think>guess</think> <answer>0</answer>", false),
          make("<think>add</think> <answer>" + answer + "</answer>", true), make(good, false),
          make(i % 2 ? "the answer is " + answer : "<answer>" + answer + "</answer>", false)};
      comps.resize(r.n);
      out.push_back(comps);
    }
    return out;
  };
}

struct SampleRun {
  test::TempDir dir;
  SampleConfig config;
  std::vector<nlohmann::json> rows;
  explicit SampleRun(int n = 6) {
    write_rows(dir.file("train.jsonl"), n);
    rows = read_lines(dir.file("train.jsonl"));
    config.model_path = kTiny;  // the injected generator needs only a tokenizer
    config.data_path = dir.file("train.jsonl");
    config.output_dir = dir.file("out");
    config.k = 5;
    config.max_batch = 10;  // 2 prompts per batch
    config.rewards = {{"arithmetic", 1.0, {}}, {"format", 0.5, {}}};
  }
  SampleOptions options(int64_t* calls = nullptr) const {
    SampleOptions o;
    o.quiet = true;
    o.generate = crafted(rows, calls);
    return o;
  }
};

std::set<std::pair<int64_t, int64_t>> kept_pairs(const std::string& path) {
  std::set<std::pair<int64_t, int64_t>> out;
  for (const auto& l : read_lines(path))
    out.insert({l["index"].get<int64_t>(), l["sample"].get<int64_t>()});
  return out;
}

TEST(Sample, KeepsExactlyTheVerifiedOnes) {
  SampleRun run;
  nlohmann::json s = run_sample(run.config, run.options());
  std::set<std::pair<int64_t, int64_t>> want;
  for (int64_t i = 0; i < 6; ++i) {
    want.insert({i, 0});
    want.insert({i, 4});  // correct; "the answer is N" counts for arithmetic too
  }
  EXPECT_EQ(kept_pairs(run.dir.file("out/samples.jsonl")), want);
  EXPECT_EQ(s["prompts"], 6);
  EXPECT_EQ(s["sampled"], 30);
  EXPECT_EQ(s["passed"], 18);  // 0, 3, 4 of each prompt
  EXPECT_EQ(s["kept"], 12);
  EXPECT_EQ(s["rejected"]["wrong"], 6);
  EXPECT_EQ(s["rejected"]["truncated"], 6);
  EXPECT_EQ(s["rejected"]["duplicate"], 6);

  // SFT-ready pairs with provenance: the raw question (r1 sft renders it with
  // the same template), each reward's value and the weighted total.
  auto lines = read_lines(run.dir.file("out/samples.jsonl"));
  const auto& first = lines[0];
  EXPECT_EQ(first["prompt"], "Compute 0 + 1");
  EXPECT_EQ(first["completion"], "<think>add one</think> <answer>1</answer>");
  EXPECT_EQ(first["answer"], "1");
  EXPECT_EQ(first["model"], kTiny);
  EXPECT_EQ(first["seed"], 0);
  EXPECT_EQ(first["rewards"]["arithmetic"], 1.0);
  EXPECT_EQ(first["rewards"]["format"], 1.0);
  EXPECT_EQ(first["reward"], 1.5);
  EXPECT_EQ(read_lines(run.dir.file("out/prompts.jsonl")).size(), 6u);
}

TEST(Sample, ThresholdOnTotalRewardAndKeepPolicies) {
  {
    SampleRun run;
    run.config.min_reward = 1.5;  // needs the format reward too: drops sample 4 of odd prompts
    nlohmann::json s = run_sample(run.config, run.options());
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t i = 0; i < 6; ++i) want.insert({i, 0});
    EXPECT_EQ(kept_pairs(run.dir.file("out/samples.jsonl")), want);
    EXPECT_EQ(s["rejected"]["low_reward"], 6);
  }
  {
    SampleRun run;
    run.config.keep = "best";  // sample 0 (total 1.5) beats sample 4 (1.0)
    run_sample(run.config, run.options());
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t i = 0; i < 6; ++i) want.insert({i, 0});
    EXPECT_EQ(kept_pairs(run.dir.file("out/samples.jsonl")), want);
  }
  {
    SampleRun run;
    run.config.keep = "random";
    run.config.format = "messages";
    run_sample(run.config, run.options());
    auto lines = read_lines(run.dir.file("out/samples.jsonl"));
    ASSERT_EQ(lines.size(), 6u);
    for (const auto& l : lines) {
      EXPECT_TRUE(l["sample"] == 0 || l["sample"] == 4) << l.dump();
      ASSERT_EQ(l["messages"].size(), 2u);
      EXPECT_EQ(l["messages"][0]["role"], "user");
      EXPECT_EQ(l["messages"][1]["role"], "assistant");
    }
  }
}

TEST(SampleFilter, ReadabilityFiltersAndChoice) {
  SampleConfig c;
  ScoredSample s;
  s.text = "<think>so ```python\nprint(1)\n``` done</think> <answer>1</answer>";
  s.tokens = 40;
  s.accuracy = 1;
  s.reward = 1;
  EXPECT_EQ(rejection_reason(c, s), "");
  c.drop_code_in_think = true;
  EXPECT_EQ(rejection_reason(c, s), "code_in_think");
  EXPECT_FALSE(code_in_think("<think>plain</think> ```code after the thinking```"));
  EXPECT_TRUE(code_in_think("no closing tag ```x```"));
  c.max_tokens = 39;
  EXPECT_EQ(rejection_reason(c, s), "too_long");
  c.max_tokens = 40;
  c.language = "en";
  s.language = 0.5;
  EXPECT_EQ(rejection_reason(c, s), "mixed_language");
  s.accuracy = 0.5;
  EXPECT_EQ(rejection_reason(c, s), "wrong");

  std::vector<ScoredSample> v(4);
  for (int i = 0; i < 4; ++i) {
    v[i].text = "t" + std::to_string(i % 3);
    v[i].reward = i == 2 ? 2.0 : 1.0;
    v[i].tokens = 10 - i;
  }
  std::vector<bool> passed = {true, true, false, true};
  int64_t dup = 0;
  EXPECT_EQ(choose_kept("all", true, v, passed, 0, &dup), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(dup, 1);  // sample 3 repeats sample 0's text
  EXPECT_EQ(choose_kept("all", false, v, passed, 0, &dup), (std::vector<size_t>{0, 1, 3}));
  EXPECT_EQ(choose_kept("best", false, v, passed, 0, &dup), (std::vector<size_t>{3}));  // shorter
  std::set<size_t> picked;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto r = choose_kept("random", false, v, passed, seed, &dup);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r, choose_kept("random", false, v, passed, seed, &dup)) << "seeded";
    picked.insert(r[0]);
  }
  EXPECT_EQ(picked, (std::set<size_t>{0, 1, 3}));
  EXPECT_TRUE(choose_kept("best", false, v, {false, false, false, false}, 0, &dup).empty());
}

TEST(Sample, ResumeAfterCrashLosesNothingAndDuplicatesNothing) {
  SampleRun full;
  run_sample(full.config, full.options());
  const std::string want = read_file(full.dir.file("out/samples.jsonl"));

  SampleRun cut;
  SampleOptions crash = cut.options();
  crash.stop_after = 1;  // the first batch (prompts 0, 1) is done
  run_sample(cut.config, crash);
  // The crash hit in the middle of the second batch: prompt 2's sample lines
  // were written, one cut short, but prompt 2 was never recorded as done.
  {
    auto lines = read_lines(full.dir.file("out/samples.jsonl"));
    std::ofstream out(cut.dir.file("out/samples.jsonl"), std::ios::app);
    out << lines[4].dump() << "\n" << lines[5].dump().substr(0, 30);
    std::ofstream prompts(cut.dir.file("out/prompts.jsonl"), std::ios::app);
    prompts << "{\"index\": 2, \"samp";
  }
  expect_error([&] { run_sample(cut.config, cut.options()); }, "resume it with --resume");
  SampleOptions resume = cut.options();
  resume.resume = true;
  nlohmann::json s = run_sample(cut.config, resume);
  EXPECT_EQ(read_file(cut.dir.file("out/samples.jsonl")), want);
  EXPECT_EQ(s["prompts"], 6);
  EXPECT_EQ(s["kept"], 12);
  EXPECT_TRUE(s["complete"].get<bool>());

  // Nothing left to do: no generation, same file.
  int64_t calls = 0;
  SampleOptions again = cut.options(&calls);
  again.resume = true;
  run_sample(cut.config, again);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(read_file(cut.dir.file("out/samples.jsonl")), want);

  // Other settings are not mixed into the same output.
  cut.config.temperature = 1.0;
  expect_error([&] { run_sample(cut.config, again); }, "sampling.temperature");
}

TEST(Sample, BadInputsAreClearErrors) {
  SampleRun run;
  {
    std::ofstream out(run.dir.file("bad.jsonl"));
    out << "{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"question\": \"b\", \"answer\": \"2\"}\n";
  }
  SampleConfig c = run.config;
  c.data_path = run.dir.file("bad.jsonl");
  expect_error([&] { run_sample(c, run.options()); }, "bad.jsonl:2: missing field 'prompt'");
  c.prompt.prompt_field = "question";
  expect_error([&] { run_sample(c, run.options()); }, "bad.jsonl:1: missing field 'question'");

  c = run.config;
  c.rewards = {{"arithmetc", 1.0, {}}};
  expect_error([&] { run_sample(c, run.options()); }, "unknown reward 'arithmetc' (known: math");
  EXPECT_FALSE(file_exists(run.dir.file("out"))) << "fails before writing anything";
  c.rewards = {};
  expect_error([&] { run_sample(c, run.options()); }, "no [[rewards]]");
  c = run.config;
  c.accuracy_reward = "math";
  expect_error([&] { run_sample(c, run.options()); }, "'math' is not among the [[rewards]]");
  c = run.config;
  c.keep = "first";
  expect_error([&] { run_sample(c, run.options()); }, "filter.keep: unknown 'first'");

  {
    std::ofstream toml(run.dir.file("s.toml"));
    toml << "[filter]\nkeeep = \"all\"\n";
  }
  expect_error([&] { load_sample_config(run.dir.file("s.toml"), {}); },
               "s.toml:2: unknown key 'filter.keeep' (did you mean 'filter.keep'?)");
}

// The real engine on a tiny random model: the kept lines are exactly the
// regenerated samples the reward accepts, in order, with their token counts.
TEST(Sample, EngineSamplesKeptExactlyWhenTheRewardAccepts) {
  test::TempDir dir;
  ModelConfig mc = default_config("qwen2");
  mc.vocab_size = 600;
  Model model = init_model(mc, 5);
  SaveOptions save;
  save.copy_from_dir = kTiny;
  save_model(model, dir.file("model"), save);
  write_rows(dir.file("train.jsonl"), 5);

  SampleConfig c;
  c.model_path = dir.file("model");
  c.data_path = dir.file("train.jsonl");
  c.output_dir = dir.file("out");
  c.k = 6;
  c.max_new_tokens = 8;
  c.max_batch = 12;
  c.temperature = 1.0;
  c.top_p = 1.0;
  c.drop_truncated = false;
  c.dedupe = false;
  c.rewards = {{"even", 1.0, {}}};
  // Deterministic: a completion of an even number of bytes passes.
  RewardFn even = [](const std::vector<RewardInput>& in) {
    std::vector<double> out;
    for (const auto& x : in) out.push_back(x.completion.size() % 2 == 0 ? 1.0 : 0.0);
    return out;
  };
  SampleOptions o;
  o.quiet = true;
  o.rewards = {{c.rewards[0], even}};
  run_sample(c, o);

  Tokenizer tok = Tokenizer::load(kTiny);
  SamplingParams params;
  params.temperature = 1.0f;
  params.max_new_tokens = 8;
  params.stop_token_ids = tok.special().eos_ids;
  for (int64_t id : model.config.eos_token_ids)
    if (std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), id) ==
        params.stop_token_ids.end())
      params.stop_token_ids.push_back(id);
  GenerateOptions g;
  g.decode = [&](const std::vector<int64_t>& ids) { return tok.decode(ids, true); };
  auto rows = read_lines(dir.file("train.jsonl"));
  std::vector<nlohmann::json> want;
  at::NoGradGuard no_grad;
  for (int64_t i = 0; i < 5; ++i) {
    std::string prompt = render_r1_zero(rows[i]["prompt"].get<std::string>());
    auto comps =
        generate(model, {{tok.encode(prompt, true), 6, static_cast<uint64_t>(i)}}, params, g)[0];
    for (size_t s = 0; s < comps.size(); ++s)
      if (comps[s].text.size() % 2 == 0)
        want.push_back({{"index", i},
                        {"sample", s},
                        {"completion", comps[s].text},
                        {"tokens", comps[s].tokens.size()}});
  }
  auto lines = read_lines(dir.file("out/samples.jsonl"));
  ASSERT_EQ(lines.size(), want.size());
  ASSERT_GT(want.size(), 0u);
  for (size_t j = 0; j < want.size(); ++j)
    for (const char* key : {"index", "sample", "completion", "tokens"})
      EXPECT_EQ(lines[j][key], want[j][key]) << "line " << j << " " << key;
}

}  // namespace
}  // namespace r1
