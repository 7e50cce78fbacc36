// The GRPO loop end to end on a tiny model: it learns a toy verifiable task
// from reward alone, resumes to the same result as an uninterrupted run, and
// rejects bad configs and datasets with errors that name the problem.
#include "rl/trainer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include "../test_helpers.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"
#include "util/run_dir.h"

namespace r1 {
namespace {

using test::error_of;

const std::string kTokenizer = std::string(R1_FIXTURES) + "/tokenizer/tiny";

// A fresh tiny Qwen2 with the tiny tokenizer, and a dataset of `n` questions.
struct TinyRun {
  test::TempDir dir;
  TrainConfig config;
  explicit TinyRun(int n = 32) {
    ModelConfig c = default_config("qwen2");
    c.vocab_size = 600;
    Model model = init_model(c, 3);
    SaveOptions save;
    save.copy_from_dir = kTokenizer;
    save_model(model, dir.file("model"), save);
    std::ofstream data(dir.file("train.jsonl"));
    for (int i = 0; i < n; ++i)
      data << "{\"prompt\": \"q" << i << "\", \"answer\": \"" << i << "\"}\n";
    config.model_path = dir.file("model");
    config.data_path = dir.file("train.jsonl");
    config.prompt.template_name = "raw";
    config.output_dir = dir.file("run");
    config.group_size = 8;
    config.questions_per_step = 8;
    config.max_new_tokens = 4;
    config.lr = 1e-2;
    config.rewards = {{"starts_with_digit", 1.0, {}}};
  }
};

// Reward 1 when the completion starts with a decimal digit: about 2% of a
// random model's first tokens, so there is signal, but far from solved.
std::pair<RewardSpec, RewardFn> digit_reward() {
  return {{"starts_with_digit", 1.0, {}}, [](const std::vector<RewardInput>& in) {
            std::vector<double> out;
            for (const auto& x : in)
              out.push_back(!x.completion.empty() &&
                                    std::isdigit(static_cast<unsigned char>(x.completion[0]))
                                ? 1.0
                                : 0.0);
            return out;
          }};
}

TrainOptions quiet_with_digit_reward() {
  TrainOptions o;
  o.quiet = true;
  o.rewards = {digit_reward()};
  return o;
}

TEST(Trainer, LearnsAToyTaskFromRewardAlone) {
  TinyRun s;
  s.config.steps = 60;
  auto metrics = train_grpo(s.config, quiet_with_digit_reward());
  ASSERT_EQ(metrics.size(), 60u);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) first += metrics[i]["reward"].get<double>() / 5;
  for (int i = 55; i < 60; ++i) last += metrics[i]["reward"].get<double>() / 5;
  EXPECT_LT(first, 0.3) << "starts near chance";
  EXPECT_GT(last, 0.9) << "learned from reward alone";
  EXPECT_TRUE(file_exists(s.dir.file("run/checkpoints/step-60/model.safetensors")));
  EXPECT_TRUE(file_exists(s.dir.file("run/config.toml")));
}

// Reward 1 when the completion closes a <think> block: the thinking fraction
// the trainer reports must be exactly its mean, and it is learnable.
TEST(Trainer, ReportsThinkFractionAndSampledHeldOutAccuracy) {
  TinyRun s;
  s.config.steps = 40;
  s.config.max_new_tokens = 6;
  s.config.eval_path = s.config.data_path;
  s.config.eval_every = 40;
  s.config.eval_size = 5;
  s.config.eval_samples = 4;
  s.config.eval_temperature = 1.0;
  s.config.rewards = {{"closes_think", 1.0, {}}};
  TrainOptions o;
  o.quiet = true;
  o.rewards = {{{"closes_think", 1.0, {}}, [](const std::vector<RewardInput>& in) {
                  std::vector<double> out;
                  for (const auto& x : in)
                    out.push_back(x.completion.find("</think>") != std::string::npos ? 1.0 : 0.0);
                  return out;
                }}};
  auto metrics = train_grpo(s.config, o);
  ASSERT_EQ(metrics.size(), 41u) << "step 0 (held-out accuracy of the start) + 40 steps";
  EXPECT_LT(metrics[0]["eval_accuracy"].get<double>(), 0.3);
  for (size_t i = 1; i < metrics.size(); ++i) {
    const auto& m = metrics[i];
    EXPECT_DOUBLE_EQ(m["think_fraction"].get<double>(), m["rewards"]["closes_think"].get<double>());
  }
  EXPECT_GT(metrics.back()["think_fraction"].get<double>(), 0.8) << "learned to close a think";
  // 5 questions x 4 samples: pass@1 is a multiple of 1/20, and high once learned.
  double eval = metrics.back()["eval_accuracy"].get<double>();
  EXPECT_NEAR(eval * 20, std::round(eval * 20), 1e-9);
  EXPECT_GT(eval, 0.6);
}

// Metrics without wall-clock fields.
nlohmann::json comparable(nlohmann::json m) {
  m.erase("time");
  m.erase("tokens_per_second");
  return m;
}

TEST(Trainer, ResumedRunEqualsUninterruptedRun) {
  TinyRun a, b;
  for (TinyRun* s : {&a, &b}) {
    s->config.steps = 6;
    s->config.checkpoints.every = 3;
    s->config.num_iterations = 2;  // exercises pi_old and optimizer state
    s->config.loss.beta = 0.01;    // and the reference model
  }
  auto full = train_grpo(a.config, quiet_with_digit_reward());

  TrainOptions interrupted = quiet_with_digit_reward();
  interrupted.stop_after = 4;  // checkpoints at 3 and (on interruption) 4
  train_grpo(b.config, interrupted);
  TrainOptions resume = quiet_with_digit_reward();
  resume.resume = true;
  train_grpo(b.config, resume);

  std::vector<nlohmann::json> logged;
  auto in = open_input(b.dir.file("run/metrics.jsonl"));
  for_each_line(*in,
                [&](int64_t, const std::string& l) { logged.push_back(nlohmann::json::parse(l)); });
  ASSERT_EQ(logged.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i)
    EXPECT_EQ(comparable(logged[i]), comparable(full[i])) << i;

  Model wa = load_model(a.dir.file("run/checkpoints/step-6"), at::kCPU);
  Model wb = load_model(b.dir.file("run/checkpoints/step-6"), at::kCPU);
  auto pa = wa.parameters(), pb = wb.parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].equal(pb[i])) << i;
  EXPECT_FALSE(pa[1].equal(init_model(wa.config, 3).parameters()[1])) << "training changed weights";
}

// A damaged or foreign checkpoint is an Error naming the file and the key,
// never a segfault (data_position -5 read out of bounds), a libtorch stack
// trace (optimizer.pt) or a silently chosen copy (step-13-backup).
TEST(Trainer, DamagedCheckpointsAreClearErrors) {
  TinyRun r;
  r.config.steps = 2;
  r.config.checkpoints.every = 1;
  train_grpo(r.config, quiet_with_digit_reward());
  const std::string ckpts = r.dir.file("run/checkpoints");
  const std::string state = ckpts + "/step-2/trainer_state.json";
  const std::string good_state = read_file(state);
  for (const char* copy : {"step-13-backup", "step-abc", "step-99.tmp", "step--1"})
    std::filesystem::copy(ckpts + "/step-1", ckpts + "/" + copy);
  EXPECT_EQ(latest_checkpoint(r.dir.file("run")), ckpts + "/step-2");

  TrainOptions resume = quiet_with_digit_reward();
  resume.resume = true;
  auto resume_error = [&] {
    try {
      train_grpo(r.config, resume);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::pair<std::string, std::string> states[] = {
      {R"({"step": 2, "updates": 2, "data_position": -5})", "'data_position' must be a whole"},
      {R"({"step": 2, "updates": 2})", "missing 'data_position'"},
      {R"({"step": 2, "updates": "2", "data_position": 16})", "'updates' must be a whole"},
      {R"({"step": 2, "updates": 2, "data_position": 1e300})", "'data_position' must be a whole"},
      {R"({"step": 7, "updates": 2, "data_position": 16})", "'step' is 7 but the directory is"},
      {R"([1, 2])", "not a JSON object"},
      {R"({"step": 2,)", "not valid JSON"},
  };
  for (const auto& [text, expected] : states) {
    write_file_atomic(state, text);
    const std::string msg = resume_error();
    EXPECT_NE(msg.find(state + ": "), std::string::npos) << text << " -> " << msg;
    EXPECT_NE(msg.find(expected), std::string::npos) << text << " -> " << msg;
  }
  write_file_atomic(state, good_state);

  const std::string optimizer = ckpts + "/step-2/resume/optimizer.pt";
  const std::string good_optimizer = read_file(optimizer);
  write_file_atomic(optimizer, "not a torch archive");
  std::string msg = resume_error();
  EXPECT_NE(msg.find(optimizer + ": not an optimizer state"), std::string::npos) << msg;
  write_file_atomic(optimizer, good_optimizer.substr(0, good_optimizer.size() / 2));
  msg = resume_error();
  EXPECT_NE(msg.find(optimizer + ": "), std::string::npos) << msg;
  write_file_atomic(optimizer, good_optimizer);
  EXPECT_EQ(resume_error(), "(no error)") << "an intact checkpoint resumes";
}

// Numbers outside their range once trained NaN weights (lr = inf, beta = inf),
// ran gradient ascent (min_lr_ratio < 0) or reached libtorch's stack traces
// (adam_beta1 = 1): each is now an Error naming the key.
TEST(Trainer, OutOfRangeNumbersAreRejectedAtLoad) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const std::vector<std::pair<std::function<void(TrainConfig&)>, std::string>> cases = {
      {[&](TrainConfig& c) { c.lr = inf; }, "optim.lr = inf"},
      {[&](TrainConfig& c) { c.lr = 1e30; }, "optim.lr = 1e+30"},
      {[&](TrainConfig& c) { c.lr = -1e-6; }, "optim.lr = -1e-06"},
      {[&](TrainConfig& c) { c.loss.beta = inf; }, "rl.beta"},
      {[&](TrainConfig& c) { c.min_lr_ratio = -3; }, "optim.min_lr_ratio = -3"},
      {[&](TrainConfig& c) { c.max_grad_norm = -1; }, "optim.max_grad_norm = -1"},
      {[&](TrainConfig& c) { c.adam_beta1 = 1; }, "optim.adam_beta1 = 1"},
      {[&](TrainConfig& c) { c.adam_beta2 = 2; }, "optim.adam_beta2 = 2"},
      {[&](TrainConfig& c) { c.weight_decay = -0.1; }, "optim.weight_decay = -0.1"},
      {[&](TrainConfig& c) { c.eval_size = 0; }, "data.eval_size must be >= 1"},
      {[&](TrainConfig& c) { c.top_p = nan; }, "rollout.top_p = nan"},
      {[&](TrainConfig& c) { c.rewards[0].weight = nan; }, "weight = nan"},
  };
  for (const auto& [change, expected] : cases) {
    TinyRun r(4);
    change(r.config);
    TrainOptions o;
    o.quiet = true;
    try {
      train_grpo(r.config, o);
      ADD_FAILURE() << "no error for " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(r.dir.file("run/checkpoints"))) << expected;
  }
}

// A step whose gradient is not finite stops the run before the update and
// writes no checkpoint (rewards of 1e300 overflow float32 advantages).
TEST(Trainer, NonFiniteGradientStopsWithoutACheckpoint) {
  TinyRun r;
  r.config.steps = 3;
  r.config.checkpoints.every = 1;
  r.config.scale_rewards = "none";
  TrainOptions o;
  o.quiet = true;
  o.rewards = {{{"huge", 1.0, {}}, [](const std::vector<RewardInput>& in) {
                  std::vector<double> out;
                  for (size_t i = 0; i < in.size(); ++i) out.push_back(i % 2 ? 1e300 : 0.0);
                  return out;
                }}};
  try {
    train_grpo(r.config, o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 1: the gradient norm is"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(r.dir.file("run/checkpoints")));
}

// How a step's rollouts are cut into micro-batches changes only the order of
// floating-point sums: with a token cap (2-3 sequences per forward) or 16
// sequences per forward, the accumulated gradient of a step (its norm, taken
// before the optimizer step) is the one of a single forward. Mini-batches that
// are not a multiple of the micro-batch size, with pi_old and the reference
// scored per micro-batch, train.
TEST(Trainer, MicroBatchingByTokensOrSequencesGivesTheSameGradient) {
  TinyRun whole, tokens, sixteen;
  for (TinyRun* s : {&whole, &tokens, &sixteen}) {
    s->config.steps = 1;
    s->config.loss.beta = 0.01;
    s->config.max_grad_norm = 1e9;  // the norm is logged, nothing clipped
  }
  whole.config.micro_batch_size = 64;
  tokens.config.micro_batch_size = 64;
  tokens.config.micro_batch_tokens = 20;  // prompts of 2-3 tokens + 4 new
  sixteen.config.micro_batch_size = 16;
  const double norm = train_grpo(whole.config, quiet_with_digit_reward())[0]["grad_norm"];
  EXPECT_GT(norm, 0.0);
  for (TinyRun* s : {&tokens, &sixteen})
    EXPECT_NEAR(train_grpo(s->config, quiet_with_digit_reward())[0]["grad_norm"].get<double>(),
                norm, 1e-5 * norm);

  TinyRun uneven;
  uneven.config.steps = 2;
  uneven.config.num_iterations = 2;
  uneven.config.loss.beta = 0.01;
  uneven.config.mini_batch_size = 24;  // 64 rollouts: 24 + 24 + 16
  uneven.config.micro_batch_size = 16;
  EXPECT_EQ(train_grpo(uneven.config, quiet_with_digit_reward()).size(), 2u);

  TrainConfig bad = whole.config;
  bad.micro_batch_tokens = -1;
  EXPECT_THROW(bad.validate(), Error);
}

// One pass (mu = 1) over a batch cut into several optimizer steps: after the
// first step the policy has moved, and the later mini-batches' ratio is to the
// policy that sampled them (pi_old scored before any update, as TRL does when
// steps_per_generation exceeds gradient_accumulation_steps, and veRL always),
// so it moves off 1 and clips; one mini-batch keeps rho = 1 exactly.
TEST(Trainer, LaterMiniBatchesTakeTheirRatioToThePolicyThatSampled) {
  TinyRun whole, minis;
  for (TinyRun* s : {&whole, &minis}) {
    s->config.steps = 1;
    s->config.lr = 0.05;
  }
  minis.config.mini_batch_size = 16;  // 64 rollouts: four optimizer steps
  const auto one = train_grpo(whole.config, quiet_with_digit_reward())[0];
  EXPECT_EQ(one["ratio_mean"].get<double>(), 1.0);
  EXPECT_EQ(one["clip_low"].get<double>() + one["clip_high"].get<double>(), 0.0);
  const auto four = train_grpo(minis.config, quiet_with_digit_reward())[0];
  EXPECT_GT(std::abs(four["ratio_mean"].get<double>() - 1.0), 1e-3) << four.dump();
  EXPECT_GT(four["clip_low"].get<double>() + four["clip_high"].get<double>(), 0.0) << four.dump();
}

// Every loss type, bound, estimator and entropy control of docs/grpo-algorithms.md by
// its run-file name: two steps on the tiny model, a finite non-zero gradient, and the
// metrics each one adds.
TEST(Trainer, EveryVariantRunsByName) {
  const std::vector<std::vector<std::string>> variants = {
      {"rl.loss_type=cispo", "rl.epsilon_high=5.0"},
      {"rl.loss_type=sapo"},
      {"rl.loss_type=dapo", "rl.delta=1.5", "rl.epsilon_high=0.28"},
      {"rl.loss_type=bnpo", "rl.clip_ratio_c=3.0", "rl.num_iterations=2"},
      {"rl.top_entropy_quantile=0.2", "rl.entropy_coef=0.01"},
      {"rl.advantage_estimator=rloo"},
      {"rl.advantage_estimator=reinforce_plus_plus", "rl.kl_reward_coef=0.01"},
      {"rl.advantage_estimator=reinforce_plus_plus_baseline"},
      {"rl.advantage_estimator=remax"},
  };
  for (const auto& sets : variants) {
    std::string name;
    for (const auto& s : sets) name += s + " ";
    SCOPED_TRACE(name);
    TinyRun s;
    TrainConfig c = s.config;
    FieldTable table = c.fields();
    for (const auto& set : sets) apply_override(table, set);
    c.steps = 2;
    const auto metrics = train_grpo(c, quiet_with_digit_reward());
    ASSERT_EQ(metrics.size(), 2u);
    for (const auto& m : metrics) {
      EXPECT_TRUE(std::isfinite(m["grad_norm"].get<double>()));
      EXPECT_TRUE(std::isfinite(m["entropy"].get<double>()));
    }
    EXPECT_GT(metrics[0]["grad_norm"].get<double>() + metrics[1]["grad_norm"].get<double>(), 0);
    if (c.loss.clip_ratio_c > 0) {
      EXPECT_TRUE(metrics[0].contains("clip_dual"));
    }
    if (c.loss.top_entropy_quantile < 1) {
      // The 0.8 quantile keeps about a fifth of the tokens (ties keep more).
      EXPECT_GT(metrics[0]["entropy_kept"].get<double>(), 0.0);
      EXPECT_LT(metrics[0]["entropy_kept"].get<double>(), 0.5);
    }
  }
}

// Token-level advantages (REINFORCE++ with the KL in the reward) and the entropy controls
// are cut per micro-batch too: the gradient does not depend on how the batch is split.
TEST(Trainer, TokenLevelAdvantagesAreMicroBatchedExactly) {
  TinyRun whole, split;
  for (TinyRun* s : {&whole, &split}) {
    s->config.steps = 1;
    s->config.advantage_estimator = "reinforce_plus_plus";
    s->config.kl_reward_coef = 0.05;
    s->config.loss.loss_type = "dapo";
    s->config.loss.entropy_coef = 0.01;
    s->config.max_grad_norm = 1e9;
  }
  whole.config.micro_batch_size = 64;
  split.config.micro_batch_size = 16;
  const double norm = train_grpo(whole.config, quiet_with_digit_reward())[0]["grad_norm"];
  EXPECT_GT(norm, 0.0);
  EXPECT_NEAR(train_grpo(split.config, quiet_with_digit_reward())[0]["grad_norm"].get<double>(),
              norm, 1e-5 * norm);
}

// Reference sync (TRL's ref_model_mixup_alpha), here every step: ref =
// alpha * policy + (1 - alpha) * ref, so each checkpointed reference is that
// average of the policy at its step and the reference before; alpha = 1 makes
// it the policy.
TEST(Trainer, ReferenceSyncMixesThePolicyIn) {
  for (double alpha : {0.25, 1.0}) {
    TinyRun s;
    s.config.steps = 2;
    s.config.checkpoints.every = 1;
    s.config.checkpoints.save_dtype = "float32";
    s.config.checkpoints.keep_resume_state = "all";
    s.config.loss.beta = 0.01;
    s.config.ref_reset_every = 1;
    s.config.ref_mixup_alpha = alpha;
    train_grpo(s.config, quiet_with_digit_reward());
    auto params = [](const std::string& dir) {
      std::map<std::string, at::Tensor> out;
      Model m = load_model(dir, at::kCPU);
      for (auto& [name, t] : m.named_parameters()) out[name] = *t;
      return out;
    };
    auto before = params(s.config.model_path);
    for (const char* step : {"step-1", "step-2"}) {
      const std::string dir = s.dir.file("run/checkpoints/") + step;
      auto policy = params(dir);
      auto ref = load_safetensors(dir + "/resume/reference.safetensors");
      for (auto& [name, p] : policy) {
        auto want = alpha * p + (1 - alpha) * before[name];
        EXPECT_TRUE(at::allclose(ref.at(name), want, 1e-5, 1e-6)) << step << " " << name;
      }
      before = ref;
    }
  }
}

TEST(Trainer, BadConfigsAreClearErrors) {
  test::TempDir dir;
  auto write = [&](const std::string& text) {
    std::ofstream(dir.file("run.toml")) << text;
    return dir.file("run.toml");
  };
  std::string msg = error_of([&] { load_train_config(write("[rl]\nbeta_typo = 1\n"), {}); });
  EXPECT_NE(msg.find("unknown key 'rl.beta_typo'"), std::string::npos) << msg;
  msg = error_of([&] { load_train_config(write("[rl]\nbeta = \"high\"\n"), {}); });
  EXPECT_NE(msg.find("'rl.beta' must be a number"), std::string::npos) << msg;
  msg = error_of([&] { load_train_config(write("[rl\nbeta = 1\n"), {}); });
  EXPECT_NE(msg.find("run.toml:1"), std::string::npos) << msg;
  msg = error_of([&] { load_train_config(write(""), {"rl.nope=1"}); });
  EXPECT_NE(msg.find("unknown key 'rl.nope'"), std::string::npos) << msg;

  TrainConfig c =
      load_train_config(write("[rl]\nloss_type = \"dapo\"\n[[rewards]]\nname = \"math\"\n"),
                        {"rl.beta=0.001", "train.output_dir=out"});
  EXPECT_EQ(c.loss.loss_type, "dapo");
  EXPECT_DOUBLE_EQ(c.loss.beta, 0.001);
  EXPECT_EQ(c.output_dir, "out");
  ASSERT_EQ(c.rewards.size(), 1u);
  // The resolved config reads back to the same values.
  TrainConfig again = load_train_config(write(dump_train_config(c)), {});
  EXPECT_EQ(again.loss.loss_type, "dapo");
  EXPECT_EQ(again.rewards[0].name, "math");
  c.loss.loss_type = "ppo";
  c.model_path = "m";
  c.data_path = "d";
  EXPECT_NE(error_of([&] { c.validate(); }).find("rl.loss_type"), std::string::npos);
  c.loss.loss_type = "grpo";
  c.advantage_estimator = "ppo";
  EXPECT_NE(error_of([&] { c.validate(); }).find("rl.advantage_estimator: unknown 'ppo'"),
            std::string::npos);
  c.advantage_estimator = "rloo";
  c.kl_reward_coef = -1;
  EXPECT_NE(error_of([&] { c.validate(); }).find("rl.kl_reward_coef"), std::string::npos);
  c.kl_reward_coef = 0;
  c.ref_mixup_alpha = 0;
  EXPECT_NE(error_of([&] { c.validate(); }).find("rl.ref_mixup_alpha must be in (0, 1]"),
            std::string::npos);
}

TEST(Trainer, BadDatasetLinesNameFileAndLine) {
  TinyRun s;
  std::ofstream(s.dir.file("bad.jsonl")) << "{\"prompt\": \"a\"}\n{\"prompt\": \n";
  s.config.data_path = s.dir.file("bad.jsonl");
  std::string msg = error_of([&] { train_grpo(s.config, quiet_with_digit_reward()); });
  EXPECT_NE(msg.find("bad.jsonl:2: not valid JSON"), std::string::npos) << msg;
  std::ofstream(s.dir.file("nofield.jsonl")) << "{\"question\": \"a\"}\n{\"text\": \"b\"}\n";
  s.config.data_path = s.dir.file("nofield.jsonl");
  msg = error_of([&] { train_grpo(s.config, quiet_with_digit_reward()); });
  EXPECT_NE(msg.find("nofield.jsonl:2: missing field 'question'"), std::string::npos)
      << "the field found in the first row, checked in every row before training: " << msg;
  s.config.prompt.prompt_field = "prompt";
  msg = error_of([&] { train_grpo(s.config, quiet_with_digit_reward()); });
  EXPECT_NE(msg.find("nofield.jsonl:1: missing field 'prompt'"), std::string::npos) << msg;
}

// The engine's log-probs against the trainer's pi_old, every step: the fp32 engine (KV
// cache, fused sampler) and the training forward agree to rounding, and an engine whose
// log-probs are off by a known 0.5 nats is measured as exactly that.
TEST(Trainer, LogsTheRolloutVsTrainerLogprobMismatch) {
  TinyRun s;
  s.config.steps = 2;
  auto metrics = train_grpo(s.config, quiet_with_digit_reward());
  for (const auto& m : metrics) {
    ASSERT_TRUE(m.contains("rollout_mismatch")) << m.dump();
    const auto& d = m["rollout_mismatch"];
    std::printf("fp32 engine vs trainer: mean |d logp| %.3g, max %.3g, k3 %.3g\n",
                d["logprob_diff_mean"].get<double>(), d["logprob_diff_max"].get<double>(),
                d["k3_kl"].get<double>());
    EXPECT_LT(d["logprob_diff_mean"].get<double>(), 1e-5);
    EXPECT_LT(d["logprob_diff_max"].get<double>(), 1e-4);
    EXPECT_LT(d["k3_kl"].get<double>(), 1e-10);
    EXPECT_FALSE(m.contains("rollout_correction")) << "rl.rollout_correction = none";
  }
  TinyRun off;
  off.config.steps = 2;
  off.config.mini_batch_size = 24;  // pi_old scored before the first of three updates
  off.config.micro_batch_size = 16;
  TrainOptions o = quiet_with_digit_reward();
  o.on_rollout = [](Completion& c) {
    for (float& lp : c.logprobs) lp -= 0.5f;
  };
  for (const auto& m : train_grpo(off.config, o)) {
    const auto& d = m["rollout_mismatch"];
    EXPECT_NEAR(d["logprob_diff_mean"].get<double>(), 0.5, 1e-3);
    EXPECT_NEAR(d["logprob_diff_max"].get<double>(), 0.5, 1e-3);
    EXPECT_NEAR(d["k3_kl"].get<double>(), std::exp(0.5) - 1.5, 1e-3);
  }
}

// Every rollout-correction mode by its run-file name on an engine 0.5 nats below the
// trainer (every ratio pi_old / mu is e^0.5 = 1.65 per token, more per sequence), cap
// 1.5: truncation multiplies the whole first-step gradient by exactly 1.5, masking drops
// every token and leaves no gradient at all; a faithful engine is left alone. Several
// mini-batches and mu = 2 take pi_old from a forward of its own.
TEST(Trainer, RolloutCorrectionTruncatesOrMasksByMode) {
  TrainOptions shifted = quiet_with_digit_reward();
  shifted.on_rollout = [](Completion& c) {
    for (float& lp : c.logprobs) lp -= 0.5f;
  };
  auto run = [&](const std::vector<std::string>& sets, const TrainOptions& o) {
    TinyRun s;
    s.config.steps = 1;
    s.config.max_grad_norm = 1e9;  // the norm is logged, nothing clipped
    FieldTable table = s.config.fields();
    for (const auto& set : sets) apply_override(table, set);
    return train_grpo(s.config, o)[0];
  };
  const double plain = run({}, shifted)["grad_norm"];
  EXPECT_GT(plain, 0);
  struct Case {
    std::vector<std::string> sets;
    const char* fraction;
    double weight;
    bool one_update;  // the logged gradient is the first update's, as in `plain`
  };
  const std::vector<Case> cases = {
      {{"rl.rollout_correction=token_truncate"}, "truncated_fraction", 1.5, true},
      {{"rl.rollout_correction=sequence_truncate", "optim.mini_batch_size=24",
        "optim.micro_batch_size=16"},
       "truncated_fraction",
       1.5,
       false},
      {{"rl.rollout_correction=token_mask"}, "masked_fraction", 0, true},
      {{"rl.rollout_correction=sequence_mask", "rl.num_iterations=2"}, "masked_fraction", 0, false},
  };
  for (const Case& c : cases) {
    std::vector<std::string> sets = c.sets;
    sets.push_back("rl.rollout_correction_cap=1.5");
    SCOPED_TRACE(sets[0]);
    const auto m = run(sets, shifted);
    ASSERT_TRUE(m.contains("rollout_correction")) << m.dump();
    const auto& rc = m["rollout_correction"];
    EXPECT_DOUBLE_EQ(rc[c.fraction].get<double>(), 1.0);
    EXPECT_NEAR(rc["weight_mean"].get<double>(), c.weight, 1e-6);
    EXPECT_GE(rc["ratio_max"].get<double>(), std::exp(0.5) * 0.999);
    if (c.one_update) {
      EXPECT_NEAR(m["grad_norm"].get<double>(), c.weight * plain, 1e-4 * plain);
    }
    if (c.weight == 0) {
      EXPECT_EQ(m["grad_norm"].get<double>(), 0.0) << "every token masked";
    }
  }
  const auto faithful = run({"rl.rollout_correction=token_truncate"}, quiet_with_digit_reward());
  EXPECT_NEAR(faithful["rollout_correction"]["weight_mean"].get<double>(), 1.0, 1e-4);
  EXPECT_EQ(faithful["rollout_correction"]["truncated_fraction"].get<double>(), 0.0);
  std::string msg = error_of([&] { run({"rl.rollout_correction=tis"}, shifted); });
  EXPECT_NE(msg.find("rl.rollout_correction: unknown 'tis'"), std::string::npos) << msg;
  TrainConfig peer;
  FieldTable table = peer.fields();
  msg = error_of([&] { apply_override(table, "vllm_importance_sampling_mode=token_mask"); });
  EXPECT_NE(msg.find("rl.rollout_correction"), std::string::npos) << msg;
}

}  // namespace
}  // namespace r1
