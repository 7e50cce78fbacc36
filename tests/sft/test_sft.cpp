// SFT end to end on a tiny model: the loss mask is checked token by token on
// hand-written renderings, batching never changes the loss, a tiny model
// memorises a small dataset, a resumed run equals an uninterrupted one, and
// bad rows and configs are errors that name the file and line.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <set>

#include "../test_helpers.h"
#include "engine/scoring.h"
#include "model/checkpoint.h"
#include "model/logit_ops.h"
#include "sft/sft_data.h"
#include "sft/sft_loss.h"
#include "sft/sft_trainer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

const std::string kTiny = std::string(R1_FIXTURES) + "/tokenizer/tiny";
const std::string kQwen3 = std::string(R1_SHARED) + "/tokenizers/qwen3";

// Runs of (text, trained?) concatenated, each run tokenized on its own.
SftExample expected(const Tokenizer& tok, const std::vector<std::pair<std::string, bool>>& runs) {
  SftExample ex;
  for (const auto& [text, trained] : runs)
    for (int64_t id : tok.encode(text)) {
      ex.ids.push_back(id);
      ex.targets.push_back(trained);
    }
  return ex;
}

std::string trained_text(const Tokenizer& tok, const SftExample& ex) {
  std::vector<int64_t> ids;
  for (size_t t = 0; t < ex.ids.size(); ++t)
    if (ex.targets[t]) ids.push_back(ex.ids[t]);
  return tok.decode(ids);
}

void expect_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(SftData, ConversationMaskCoversExactlyTheAssistantTurns) {
  Tokenizer tok = Tokenizer::load(kTiny);
  SftEncoder enc(tok, {});
  auto row = nlohmann::json::parse(R"({"messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "What is 2+3?"},
      {"role": "assistant", "content": "5"},
      {"role": "user", "content": "And 2+4?"},
      {"role": "assistant", "content": "6, since 2+4 = 6."}]})");
  SftExample got = enc.encode(row, "x:1");
  // The tiny tokenizer's ChatML template, written out by hand.
  SftExample want = expected(
      tok, {{"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
             "<|im_start|>assistant\n",
             false},
            {"5<|im_end|>\n", true},
            {"<|im_start|>user\nAnd 2+4?<|im_end|>\n<|im_start|>assistant\n", false},
            {"6, since 2+4 = 6.<|im_end|>\n", true}});
  ASSERT_EQ(got.ids.size(), want.ids.size());
  for (size_t t = 0; t < got.ids.size(); ++t) {
    EXPECT_EQ(got.ids[t], want.ids[t]) << "token " << t;
    EXPECT_EQ(got.targets[t], want.targets[t])
        << "token " << t << " '" << tok.decode({got.ids[t]}) << "'";
  }
  EXPECT_EQ(trained_text(tok, got), "5<|im_end|>\n6, since 2+4 = 6.<|im_end|>\n");
}

TEST(SftData, PromptCompletionPairs) {
  Tokenizer tok = Tokenizer::load(kTiny);
  auto row = nlohmann::json::parse(R"({"prompt": "2+3=", "completion": " 5"})");
  const int64_t eos = tok.special().eos_id;

  SftFormat raw;
  raw.template_name = "raw";
  SftExample got = SftEncoder(tok, raw).encode(row, "x:1");
  SftExample want = expected(tok, {{"2+3=", false}, {" 5", true}});
  want.ids.push_back(eos);
  want.targets.push_back(1);
  EXPECT_EQ(got.ids, want.ids);
  EXPECT_EQ(got.targets, want.targets);

  SftFormat r1_zero;
  r1_zero.template_name = "r1_zero";
  got = SftEncoder(tok, r1_zero).encode(row, "x:1");
  EXPECT_EQ(tok.decode(got.ids), render_r1_zero("2+3=") + " 5<|endoftext|>");
  EXPECT_EQ(trained_text(tok, got), " 5<|endoftext|>");
  // The same pair written as a conversation renders identically.
  auto conv = nlohmann::json::parse(
      R"({"messages": [{"role": "user", "content": "2+3="},
                       {"role": "assistant", "content": " 5"}]})");
  EXPECT_EQ(SftEncoder(tok, r1_zero).encode(conv, "x:1").ids, got.ids);

  // With the chat template a pair is the conversation [user, assistant].
  got = SftEncoder(tok, {}).encode(row, "x:1");
  EXPECT_EQ(tok.decode(got.ids),
            "<|im_start|>user\n2+3=<|im_end|>\n<|im_start|>assistant\n 5"
            "<|im_end|>\n");
  EXPECT_EQ(trained_text(tok, got), " 5<|im_end|>\n");
}

TEST(SftData, Qwen3ThinkingTurnAndItsPrefixProblem) {
  Tokenizer tok = Tokenizer::load(kQwen3);
  SftEncoder enc(tok, {});
  auto one = nlohmann::json::parse(R"({"messages": [
      {"role": "user", "content": "2+3?"},
      {"role": "assistant", "content": "5", "reasoning_content": "2 plus 3 is 5."}]})");
  SftExample ex = enc.encode(one, "x:1");
  EXPECT_EQ(tok.decode(ex.ids),
            "<|im_start|>user\n2+3?<|im_end|>\n<|im_start|>assistant\n<think>\n2 plus 3 is 5.\n"
            "</think>\n\n5<|im_end|>\n");
  EXPECT_EQ(trained_text(tok, ex), "<think>\n2 plus 3 is 5.\n</think>\n\n5<|im_end|>\n");

  // Qwen3 drops an earlier turn's reasoning once a later user turn follows,
  // so the first turn's tokens are not in the whole conversation's rendering.
  auto two = nlohmann::json::parse(R"({"messages": [
      {"role": "user", "content": "2+3?"},
      {"role": "assistant", "content": "5", "reasoning_content": "2 plus 3 is 5."},
      {"role": "user", "content": "2+4?"},
      {"role": "assistant", "content": "6"}]})");
  expect_error([&] { enc.encode(two, "data.jsonl:7"); },
               "data.jsonl:7: the chat template renders the conversation up to message 1");
}

TEST(SftData, TemplateThatDropsReasoningIsRejectedAndCanBeReplaced) {
  Tokenizer tok = Tokenizer::load(kTiny);
  auto cases =
      nlohmann::json::parse(read_file(std::string(R1_FIXTURES) + "/tokenizer/chat_templates.json"));
  SftFormat distill;
  for (const auto& c : cases)
    if (c["name"] == "deepseek_r1_distill") distill.chat_template = c["template"];
  ASSERT_FALSE(distill.chat_template.empty());
  auto row = nlohmann::json::parse(R"({"messages": [{"role": "user", "content": "2+3?"},
      {"role": "assistant", "content": "<think>\nadd\n</think>\n\n5"}]})");
  // DeepSeek-R1-Distill's template keeps only the text after </think>.
  expect_error([&] { SftEncoder(tok, distill).encode(row, "d.jsonl:1"); },
               "DeepSeek-R1-Distill drops it from every turn");

  SftFormat plain;
  plain.chat_template =
      "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}";
  SftExample ex = SftEncoder(tok, plain).encode(row, "d.jsonl:1");
  EXPECT_EQ(tok.decode(ex.ids), "[user]2+3?[assistant]<think>\nadd\n</think>\n\n5");
  EXPECT_EQ(trained_text(tok, ex), "<think>\nadd\n</think>\n\n5");
}

TEST(SftData, BadRowsNameFileAndLine) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(kTiny);
  SftEncoder enc(tok, {});
  auto check = [&](const std::string& second_line, const std::string& needle) {
    std::ofstream(dir.file("d.jsonl")) << R"({"prompt": "a", "completion": "b"})"
                                       << "\n"
                                       << second_line << "\n";
    expect_error([&] { encode_dataset(load_jsonl(dir.file("d.jsonl"), {}), enc, 0, 2); },
                 dir.file("d.jsonl") + ":2: " + needle);
  };
  check(R"({"prompt": "a"})", "needs 'messages' or 'prompt' and 'completion'");
  check(R"({"question": "a", "answer": "b"})", "needs 'messages' or 'prompt' and 'completion'");
  check(R"({"messages": [{"role": "user", "content": "hi"}]})",
        "conversation has no assistant turn");
  check(R"({"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]})",
        "messages[0]: missing field 'content'");
  check(R"({"messages": []})", "'messages' must be a non-empty list");
  check(R"({"prompt": 3, "completion": "b"})", "field 'prompt' must be a string");
  SftFormat raw;
  raw.template_name = "raw";
  expect_error(
      [&] {
        SftEncoder(tok, raw).encode(nlohmann::json::parse(R"({"messages": [
            {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
            {"role": "assistant", "content": "a"}]})"),
                                    "f:3");
      },
      "f:3: data.template = raw takes a conversation of exactly one user and one assistant");
}

TEST(SftData, TruncationIsCountedAndEmptyExamplesDropped) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(kTiny);
  SftFormat raw;
  raw.template_name = "raw";
  std::ofstream(dir.file("d.jsonl")) << R"({"prompt": "a", "completion": "b"})"
                                     << "\n"
                                     << R"({"prompt": "a long prompt here", "completion": "b"})"
                                     << "\n"
                                     << R"({"prompt": "ab", "completion": "c d e f g h"})"
                                     << "\n";
  SftData d = encode_dataset(load_jsonl(dir.file("d.jsonl"), {}), SftEncoder(tok, raw), 4, 1);
  EXPECT_EQ(d.truncated, 2);
  EXPECT_EQ(d.dropped, 1);  // the long prompt leaves no completion token
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[1].ids.size(), 4u);
}

TEST(SftData, PlanCoversEachExampleOncePerEpochAndBucketsByLength) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 103; ++i) lengths.push_back(1 + (i * 37) % 200);
  auto padding = [&](const std::vector<std::vector<int64_t>>& steps) {
    double real = 0, padded = 0;
    for (const auto& s : steps)
      for (const auto& mb : micro_batches(s, lengths, 400)) {
        for (int64_t i : mb) real += lengths[i];
        padded += mb.size() * lengths[mb[0]];
        EXPECT_TRUE(mb.size() == 1 || mb.size() * lengths[mb[0]] <= 400);
      }
    return 1 - real / padded;
  };
  for (int64_t window : {1, 4}) {
    auto steps = plan_epoch(lengths, 8, window, true, 5, 2);
    ASSERT_EQ(steps.size(), 13u);  // ceil(103 / 8)
    std::multiset<int64_t> seen;
    for (const auto& s : steps) {
      EXPECT_LE(s.size(), 8u);
      seen.insert(s.begin(), s.end());
    }
    EXPECT_EQ(seen.size(), 103u);
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 103u);
    EXPECT_EQ(steps, plan_epoch(lengths, 8, window, true, 5, 2)) << "seeded";
    EXPECT_NE(steps, plan_epoch(lengths, 8, window, true, 5, 3)) << "reshuffled per epoch";
  }
  EXPECT_LT(padding(plan_epoch(lengths, 8, 13, true, 5, 0)),
            padding(plan_epoch(lengths, 8, 1, true, 5, 0)) / 3);
}

// A fresh tiny Qwen2 saved with the tiny tokenizer.
std::string save_tiny_model(const test::TempDir& dir) {
  ModelConfig c = default_config("qwen2");
  c.vocab_size = 600;
  Model model = init_model(c, 3);
  SaveOptions save;
  save.copy_from_dir = kTiny;
  save_model(model, dir.file("model"), save);
  return dir.file("model");
}

std::vector<SftExample> pair_examples(const Tokenizer& tok, int n) {
  SftFormat raw;
  raw.template_name = "raw";
  SftEncoder enc(tok, raw);
  std::vector<SftExample> out;
  for (int i = 0; i < n; ++i) {
    nlohmann::json row = {{"prompt", "question " + std::string(i % 5 + 1, 'q')},
                          {"completion", " answer " + std::to_string(i * 7919)}};
    out.push_back(enc.encode(row, "x"));
  }
  return out;
}

TEST(SftLoss, BatchingDoesNotChangeLossOrGradient) {
  test::TempDir dir;
  Model model = load_model(save_tiny_model(dir), at::kCPU);
  Tokenizer tok = Tokenizer::load(kTiny);
  auto examples = pair_examples(tok, 12);
  std::vector<int64_t> lengths, all(examples.size());
  std::iota(all.begin(), all.end(), 0);
  double targets = 0;
  for (const auto& ex : examples) {
    lengths.push_back(ex.ids.size());
    targets += ex.num_targets();
  }
  for (auto& p : model.parameters()) p.requires_grad_(true);
  auto step = [&](int64_t budget) {
    for (auto& p : model.parameters()) p.mutable_grad() = at::Tensor();
    double loss = 0;
    auto micro = micro_batches(all, lengths, budget);
    for (const auto& mb : micro) {
      std::vector<const SftExample*> batch;
      for (int64_t i : mb) batch.push_back(&examples[i]);
      auto l = sft_loss_sum(model, batch) / targets;
      l.backward();
      loss += l.item<double>();
    }
    return std::make_pair(loss, model.embed_tokens.grad().clone());
  };
  // One padded batch in dataset order vs length-sorted micro-batches.
  std::vector<const SftExample*> plain;
  for (const auto& ex : examples) plain.push_back(&ex);
  for (auto& p : model.parameters()) p.mutable_grad() = at::Tensor();
  auto plain_loss = sft_loss_sum(model, plain) / targets;
  plain_loss.backward();
  auto plain_grad = model.embed_tokens.grad().clone();
  for (int64_t budget : {1, 40, 100000}) {
    auto [loss, grad] = step(budget);
    EXPECT_NEAR(loss, plain_loss.item<double>(), 1e-5) << "budget " << budget;
    EXPECT_TRUE(at::allclose(grad, plain_grad, 1e-4, 1e-6)) << "budget " << budget;
  }

  // Against the engine's scorer on the same (prompt, completion) split.
  at::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> prompts, completions;
  for (const auto& ex : examples) {
    size_t p = std::find(ex.targets.begin(), ex.targets.end(), 1) - ex.targets.begin();
    prompts.emplace_back(ex.ids.begin(), ex.ids.begin() + p);
    completions.emplace_back(ex.ids.begin() + p, ex.ids.end());
  }
  auto scored = score_completions(model, prompts, completions);
  EXPECT_NEAR(-(scored.logprobs * scored.mask).sum().item<double>() / targets,
              plain_loss.item<double>(), 1e-5);
}

// A tiny model and `n` prompt/completion pairs in a run config.
struct TinyRun {
  test::TempDir dir;
  SftConfig config;
  explicit TinyRun(int n = 8) {
    config.model_path = save_tiny_model(dir);
    std::ofstream data(dir.file("train.jsonl"));
    for (int i = 0; i < n; ++i)
      data << nlohmann::json{{"prompt", "q" + std::to_string(i)},
                             {"completion", "a" + std::to_string(i * 37 % 101)}}
                  .dump()
           << "\n";
    config.data_path = dir.file("train.jsonl");
    config.output_dir = dir.file("run");
    config.batch_size = 4;
    config.micro_batch_tokens = 40;
    config.schedule = {3e-3, "cosine", 5, 0.1};
  }
};

SftOptions quiet() {
  SftOptions o;
  o.quiet = true;
  return o;
}

TEST(SftTrainer, MemorisesASmallDataset) {
  TinyRun s;
  s.config.epochs = 150;
  s.config.batch_size = 8;
  auto metrics = train_sft(s.config, quiet());
  ASSERT_EQ(metrics.size(), 150u);
  EXPECT_GT(metrics[0]["loss"].get<double>(), 3.0) << "starts near log(vocab)";
  EXPECT_LT(metrics.back()["loss"].get<double>(), 0.05) << "memorised";
  EXPECT_NEAR(metrics.back()["lr"].get<double>(), 3e-4, 1e-6) << "cosine to min_lr_ratio";
  EXPECT_NEAR(metrics.back()["epoch"].get<double>(), 150.0, 1e-9);
  EXPECT_TRUE(file_exists(s.dir.file("run/checkpoints/step-150/model.safetensors")));
  EXPECT_TRUE(file_exists(s.dir.file("run/checkpoints/step-150/tokenizer.json")));
  EXPECT_TRUE(file_exists(s.dir.file("run/config.toml")));

  // The checkpoint is a model: greedy decoding would reproduce the data.
  Model trained = load_model(s.dir.file("run/checkpoints/step-150"), at::kCPU);
  Tokenizer tok = Tokenizer::load(s.dir.file("run/checkpoints/step-150"));
  SftExample ex = SftEncoder(tok, {}).encode({{"prompt", "q3"}, {"completion", "a10"}}, "x");
  at::NoGradGuard no_grad;
  EXPECT_LT(sft_loss_sum(trained, {&ex}).item<double>() / ex.num_targets(), 0.1);
}

TEST(SftTrainer, ResumeEqualsUninterrupted) {
  TinyRun a, b;
  a.config.epochs = b.config.epochs = 3;
  a.config.checkpoints.every = b.config.checkpoints.every = 2;
  auto full = train_sft(a.config, quiet());
  ASSERT_EQ(full.size(), 6u);

  SftOptions stop = quiet();
  stop.stop_after = 3;
  train_sft(b.config, stop);
  SftOptions resume = quiet();
  resume.resume = true;
  auto rest = train_sft(b.config, resume);
  ASSERT_EQ(rest.size(), 3u);
  for (size_t i = 0; i < rest.size(); ++i)
    EXPECT_EQ(rest[i]["loss"].get<double>(), full[3 + i]["loss"].get<double>()) << i;

  auto wa = load_safetensors(a.dir.file("run/checkpoints/step-6/model.safetensors"));
  auto wb = load_safetensors(b.dir.file("run/checkpoints/step-6/model.safetensors"));
  for (const auto& [name, t] : wa) EXPECT_TRUE(at::equal(t, wb.at(name))) << name;

  std::vector<double> logged;
  auto in = open_input(b.dir.file("run/metrics.jsonl"));
  for_each_line(*in, [&](int64_t, const std::string& line) {
    logged.push_back(nlohmann::json::parse(line)["loss"]);
  });
  ASSERT_EQ(logged.size(), 6u) << "lines past the checkpoint were dropped";
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(logged[i], full[i]["loss"].get<double>());
}

TEST(SftTrainer, BadConfigsAreClearErrors) {
  TinyRun s;
  s.config.max_length = 100000;
  expect_error([&] { train_sft(s.config, quiet()); },
               "data.max_length 100000 exceeds the model context (2048)");
  s.config.max_length = 0;
  s.config.template_name = "alpaca";
  expect_error([&] { train_sft(s.config, quiet()); }, "data.template: unknown 'alpaca'");
  s.config.template_name = "chat";

  // Resuming against a dataset that changed would silently train on a different order.
  s.config.epochs = 1;
  train_sft(s.config, quiet());
  std::ofstream(s.config.data_path, std::ios::app) << R"({"prompt": "x", "completion": "y"})"
                                                   << "\n";
  SftOptions resume = quiet();
  resume.resume = true;
  expect_error([&] { train_sft(s.config, resume); }, "resuming would not continue the same run");
}

TEST(SftTrainer, OutOfRangeNumbersAndNonFiniteLossesStopTheRun) {
  TinyRun s;
  s.config.schedule.lr = std::numeric_limits<double>::infinity();
  expect_error([&] { train_sft(s.config, quiet()); }, "optim.lr = inf");
  s.config.schedule.lr = 1e-3;
  s.config.schedule.min_lr_ratio = -3;
  expect_error([&] { train_sft(s.config, quiet()); }, "optim.min_lr_ratio = -3");
  s.config.schedule.min_lr_ratio = 0.1;
  s.config.adam_beta2 = 2;
  expect_error([&] { train_sft(s.config, quiet()); }, "optim.adam_beta2 = 2");
  s.config.adam_beta2 = 0.999;

  // A NaN weight makes the first loss NaN: no update, no checkpoint of NaN weights.
  const std::string weights = s.config.model_path + "/model.safetensors";
  auto w = load_safetensors(weights);
  w["model.norm.weight"][0] = std::nan("");
  save_safetensors(weights, w);
  s.config.checkpoints.every = 1;
  expect_error([&] { train_sft(s.config, quiet()); }, "step 1: the loss is");
  EXPECT_FALSE(std::filesystem::exists(s.dir.file("run/checkpoints")));
}

// The distillation term against the formula evaluated by hand in double:
// T^2 * sum_v p_t[v] (log p_t[v] - log p_s[v]), p = softmax(logits / T); and
// its gradient against the closed form T * (p_s - p_t). With an identity LM
// head the hidden states are the logits.
TEST(SftDistill, KdLossMatchesHandComputedValueAndGradient) {
  const std::vector<std::vector<double>> s = {{1.0, 2.0, 0.0, -1.5}, {0.5, -1.0, 3.0, 0.25}};
  const std::vector<std::vector<double>> t = {{2.0, 0.0, 1.0, 0.5}, {0.0, 0.0, 0.0, 0.0}};
  for (double T : {1.0, 2.0, 0.5}) {
    double want = 0;
    std::vector<std::vector<double>> want_grad(2, std::vector<double>(4));
    for (int n = 0; n < 2; ++n) {
      double zs = 0, zt = 0;
      for (int v = 0; v < 4; ++v) {
        zs += std::exp(s[n][v] / T);
        zt += std::exp(t[n][v] / T);
      }
      for (int v = 0; v < 4; ++v) {
        const double ps = std::exp(s[n][v] / T) / zs, pt = std::exp(t[n][v] / T) / zt;
        want += T * T * pt * (std::log(pt) - std::log(ps));
        want_grad[n][v] = T * (ps - pt);
      }
    }
    auto opts = at::TensorOptions().dtype(at::kDouble);
    auto student = at::tensor({1.0, 2.0, 0.0, -1.5, 0.5, -1.0, 3.0, 0.25}, opts).view({2, 4});
    auto teacher = at::tensor({2.0, 0.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0}, opts).view({2, 4});
    auto identity = at::eye(4, opts);
    auto targets = at::tensor({1, 2}, at::kLong);
    student.requires_grad_(true);
    auto terms = ops::distill_terms(student, identity, teacher, identity, targets, T);
    EXPECT_NEAR(terms.kd.sum().item<double>(), want, 1e-12) << "T " << T;
    EXPECT_NEAR(terms.logprob[1].item<double>(),
                3.0 - std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(3.0) + std::exp(0.25)),
                1e-12);
    terms.kd.sum().backward();
    for (int n = 0; n < 2; ++n)
      for (int v = 0; v < 4; ++v)
        EXPECT_NEAR(student.grad()[n][v].item<double>(), want_grad[n][v], 1e-12);
    auto same = ops::distill_terms(student, identity, student, identity, targets, T);
    EXPECT_NEAR(same.kd.sum().item<double>(), 0.0, 1e-12) << "KL(p || p)";
  }
}

TEST(SftDistill, LossSumsAgreeWithPlainSftAndVanishForTheSameModel) {
  test::TempDir dir;
  Model model = load_model(save_tiny_model(dir), at::kCPU);
  Tokenizer tok = Tokenizer::load(kTiny);
  auto examples = pair_examples(tok, 5);
  std::vector<const SftExample*> batch;
  for (const auto& ex : examples) batch.push_back(&ex);
  at::NoGradGuard no_grad;
  SftLossSums sums = sft_distill_loss_sums(model, model, batch, 2.0);
  EXPECT_NEAR(sums.ce.item<double>(), sft_loss_sum(model, batch).item<double>(), 1e-4);
  EXPECT_NEAR(sums.kd.item<double>(), 0.0, 1e-5);
  Model other = init_model(model.config, 11);
  EXPECT_GT(sft_distill_loss_sums(model, other, batch, 2.0).kd.item<double>(), 0.01);
}

// A teacher saved next to the TinyRun student: another random init, same tokenizer.
std::string save_teacher(const test::TempDir& dir, int64_t vocab_size) {
  ModelConfig c = default_config("qwen2");
  c.vocab_size = vocab_size;
  c.num_hidden_layers = 1;
  Model teacher = init_model(c, 17);
  SaveOptions save;
  save.copy_from_dir = kTiny;
  save_model(teacher, dir.file("teacher"), save);
  return dir.file("teacher");
}

TEST(SftDistill, ZeroWeightIsPlainSftExactlyAndMixedLossIsLogged) {
  TinyRun plain, zero, mixed;
  for (TinyRun* r : {&plain, &zero, &mixed}) r->config.epochs = 2;
  zero.config.teacher_path = mixed.config.teacher_path = save_teacher(mixed.dir, 600);
  zero.config.kd_weight = 0;
  mixed.config.kd_weight = 0.25;
  mixed.config.kd_temperature = 2.0;
  auto a = train_sft(plain.config, quiet());
  auto b = train_sft(zero.config, quiet());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["loss"].get<double>(), b[i]["loss"].get<double>()) << i;
    EXPECT_FALSE(b[i].contains("kd_loss"));
  }
  auto wa = load_safetensors(plain.dir.file("run/checkpoints/step-4/model.safetensors"));
  auto wb = load_safetensors(zero.dir.file("run/checkpoints/step-4/model.safetensors"));
  for (const auto& [name, t] : wa) EXPECT_TRUE(at::equal(t, wb.at(name))) << name;

  auto m = train_sft(mixed.config, quiet());
  ASSERT_EQ(m.size(), a.size());
  EXPECT_NEAR(m[0]["ce_loss"].get<double>(), a[0]["loss"].get<double>(), 1e-4) << "same start";
  for (const auto& step : m) {
    EXPECT_GT(step["kd_loss"].get<double>(), 0.0);
    EXPECT_NEAR(step["loss"].get<double>(),
                0.75 * step["ce_loss"].get<double>() + 0.25 * step["kd_loss"].get<double>(), 1e-5);
  }
}

TEST(SftDistill, PaddedTeacherVocabularyTrainsOtherTokenizersAreClearErrors) {
  TinyRun s;
  // A teacher LM head padded to more rows than the student's trains (the KL
  // over the rows both have); one with fewer rows than tokens is refused.
  s.config.teacher_path = save_teacher(s.dir, 700);
  EXPECT_NO_THROW(train_sft(s.config, quiet()));
  s.config.teacher_path = save_teacher(s.dir, 100);
  s.config.output_dir += "-small-teacher";
  expect_error([&] { train_sft(s.config, quiet()); },
               "vocab_size 100 is smaller than the tokenizer's");
  s.config.kd_weight = 1.5;
  expect_error([&] { train_sft(s.config, quiet()); }, "distill.kd_weight must be in [0, 1]");

  // Same vocab_size, but two tokens trade ids: the distributions would not line up.
  s.config.kd_weight = 0.5;
  s.config.teacher_path = save_teacher(s.dir, 600);
  const std::string path = s.config.teacher_path + "/tokenizer.json";
  auto tok = nlohmann::json::parse(read_file(path));
  auto& vocab = tok["model"]["vocab"];
  std::swap(vocab["a"], vocab["b"]);
  std::ofstream(path) << tok.dump();
  expect_error([&] { train_sft(s.config, quiet()); },
               "logit distillation needs the same tokenizer");
}

}  // namespace
}  // namespace r1
