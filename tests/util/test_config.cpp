// The config reader: unknown keys name the closest known key (and the peers'
// names), --print-config output reads back to the same config, reward params
// as keys or as an inline table.
#include <gtest/gtest.h>

#include <limits>

#include "../test_helpers.h"
#include "reward/reward.h"
#include "rl/train_config.h"
#include "sample/sample_config.h"
#include "sft/sft_config.h"
#include "util/config.h"
#include "util/error.h"

namespace r1 {
namespace {

using test::error_of;

TEST(Config, UnknownKeysSuggestTheKnownOne) {
  auto parse = [](const std::string& text) {
    return error_of([&] { parse_train_config(text, "run.toml", {}); });
  };
  // The names TRL users bring, in the section they guess or at the top.
  EXPECT_NE(parse("[rollout]\nnum_generations = 8\n").find("did you mean 'rollout.group_size'"),
            std::string::npos);
  EXPECT_NE(parse("learning_rate = 1e-6\n").find("did you mean 'optim.lr'"), std::string::npos);
  EXPECT_NE(parse("[train]\nmax_steps = 3\nsave_steps = 5\n").find("train.checkpoint_every"),
            std::string::npos);
  EXPECT_NE(parse("[rl]\nmax_completion_length = 64\n").find("rollout.max_new_tokens"),
            std::string::npos);
  EXPECT_NE(parse("[optim]\nwarmup_ratio = 0.1\n").find("optim.warmup_steps"), std::string::npos);
  // A typo: the closest key, with the file and line.
  std::string typo = parse("[model]\npath = \"m\"\n[rollout]\ngroup_sise = 4\n");
  EXPECT_NE(typo.find("run.toml:4: unknown key 'rollout.group_sise'"), std::string::npos) << typo;
  EXPECT_NE(typo.find("did you mean 'rollout.group_size'"), std::string::npos) << typo;
  // Nothing close: no guess.
  EXPECT_EQ(parse("[zzz]\nqqqqqqqq = 1\n").find("did you mean"), std::string::npos);
  EXPECT_NE(error_of([] {
              parse_train_config("", "x", {"rollout.num_generations=8"});
            }).find("rollout.group_size"),
            std::string::npos);
}

// A range error found at validate() names the run file and the line of the
// key (or that --set gave it); a setting left at its default names the file.
// Dr. GRPO's constant normaliser is the sampler's completion limit (TRL's
// max_completion_length), whatever rollout.max_new_tokens says.
TEST(Config, DrGrpoNormalisesByTheRolloutCompletionLimit) {
  for (int64_t limit : {24, 128, 1024}) {
    TrainConfig c = parse_train_config("[rl]\nloss_type = \"dr_grpo\"\n", "run.toml",
                                       {"rollout.max_new_tokens=" + std::to_string(limit)});
    EXPECT_EQ(c.loss_config().max_completion_length, limit);
    EXPECT_EQ(c.loss_config().loss_type, "dr_grpo");
  }
}

TEST(Config, RangeErrorsNameTheFileAndLine) {
  const std::string rewards = "[[rewards]]\nname = \"accuracy\"\n";
  auto train_error = [&](const std::string& text, const std::vector<std::string>& set = {}) {
    return error_of([&] { parse_train_config(text + rewards, "runs/grpo.toml", set).validate(); });
  };
  const std::string base = "[model]\npath = \"m\"\n[data]\npath = \"d.jsonl\"\n";
  std::string e = train_error(base + "[optim]\nlr = inf\n");
  EXPECT_EQ(e.find("runs/grpo.toml:6: optim.lr = inf: must be"), 0u) << e;
  e = train_error(base + "[optim]\nlr = 1e-6\nmin_lr_ratio = -3\n");
  EXPECT_EQ(e.find("runs/grpo.toml:7: optim.min_lr_ratio = -3"), 0u) << e;
  e = train_error(base + "[rl]\nbeta = inf\n");
  EXPECT_EQ(e.find("runs/grpo.toml:6: rl.beta"), 0u) << e;
  e = train_error(base, {"optim.adam_beta2=2.0"});
  EXPECT_EQ(e.find("runs/grpo.toml (--set): optim.adam_beta2 = 2"), 0u) << e;
  e = train_error("[data]\npath = \"d.jsonl\"\n");  // model.path never set
  EXPECT_EQ(e.find("runs/grpo.toml: model.path is required"), 0u) << e;

  e = error_of([] {
    parse_sft_config("[model]\npath = \"m\"\n[data]\npath = \"d\"\n[optim]\nmax_grad_norm = -1\n",
                     "sft.toml", {})
        .validate();
  });
  EXPECT_EQ(e.find("sft.toml:6: optim.max_grad_norm = -1"), 0u) << e;
  e = error_of(
      [] { parse_sample_config("[sampling]\ntemperature = -1\n", "sample.toml", {}).validate(); });
  EXPECT_NE(e.find("sample.toml"), std::string::npos) << e;
}

TEST(Config, OldNamesStillRead) {
  TrainConfig c = parse_train_config("[train]\nsteps = 7\n", "run.toml", {});
  EXPECT_EQ(c.steps, 7);
  EXPECT_EQ(parse_train_config("", "x", {"train.max_steps=9"}).steps, 9);
}

TEST(Config, SftAndGrpoShareNamesAndDefaults) {
  TrainConfig grpo;
  SftConfig sft;
  EXPECT_EQ(grpo.adam_beta1, sft.adam_beta1);
  EXPECT_EQ(grpo.adam_beta2, sft.adam_beta2);
  EXPECT_EQ(grpo.weight_decay, sft.weight_decay);
  EXPECT_EQ(grpo.max_grad_norm, sft.max_grad_norm);
  EXPECT_EQ(grpo.checkpoints.every, sft.checkpoints.every);
  EXPECT_GT(grpo.checkpoints.every, 0) << "a crash must not lose the whole run";
  EXPECT_EQ(grpo.checkpoints.save_dtype, "bfloat16");
  auto keys = [](FieldTable t) {
    std::set<std::string> out;
    for (const auto& f : t) out.insert(f.key);
    return out;
  };
  auto g = keys(grpo.fields()), s = keys(sft.fields());
  for (const char* key : {"train.max_steps", "train.seed", "train.output_dir",
                          "train.checkpoint_every", "train.save_total_limit", "train.save_dtype",
                          "optim.lr", "optim.adam_beta2", "optim.warmup_steps", "optim.schedule"}) {
    EXPECT_TRUE(g.count(key)) << key;
    EXPECT_TRUE(s.count(key)) << key;
  }
}

// Every value a config can hold survives dump -> parse -> dump unchanged:
// strings with quotes and backslashes, -inf, tables, reward params.
TEST(Config, PrintedConfigReadsBackEqual) {
  TrainConfig t = parse_train_config(
      "[data]\nsystem_prompt = \"say \\\"hi\\\" \\\\ then\\nthink\"\n"
      "chat_template_kwargs = { enable_thinking = false, depth = 2 }\ntemplate = \"chat\"\n"
      "[optim]\nlr = 3.0000000000000001e-06\n"
      "[[rewards]]\nname = \"math\"\nparams = { fallbacks = true }\n"
      "[[rewards]]\nname = \"format\"\nweight = 0.25\nrequire_think = false\n",
      "run.toml", {});
  ASSERT_EQ(t.rewards.size(), 2u);
  EXPECT_EQ(t.rewards[0].params["fallbacks"], true);
  EXPECT_EQ(t.rewards[1].params["require_think"], false);
  EXPECT_EQ(t.prompt.chat_template_kwargs["enable_thinking"], false);
  const std::string once = dump_train_config(t);
  TrainConfig back = parse_train_config(once, "printed", {});
  EXPECT_EQ(dump_train_config(back), once);
  EXPECT_EQ(back.prompt.system_prompt, t.prompt.system_prompt);
  EXPECT_EQ(back.lr, t.lr);

  // Defaults, for every command with a run file.
  TrainConfig td;
  EXPECT_EQ(dump_train_config(
                *std::make_unique<TrainConfig>(parse_train_config(dump_train_config(td), "d", {}))),
            dump_train_config(td));
  EXPECT_NE(dump_train_config(td).find("# [[rewards]]"), std::string::npos)
      << "an empty reward list is documented in comments";
  SftConfig sd;
  EXPECT_EQ(
      dump_sft_config(*std::make_unique<SftConfig>(parse_sft_config(dump_sft_config(sd), "d", {}))),
      dump_sft_config(sd));
  SampleConfig pd;
  ASSERT_EQ(pd.min_reward, -std::numeric_limits<double>::infinity());
  SampleConfig pback = parse_sample_config(dump_sample_config(pd), "d", {});
  EXPECT_EQ(pback.min_reward, pd.min_reward);
  EXPECT_EQ(dump_sample_config(pback), dump_sample_config(pd));
}

TEST(Config, TomlValuesAreTomlNotJson) {
  EXPECT_EQ(toml_value(nlohmann::json::parse(R"({"a": true, "b c": [1, 2.5, "x"]})")),
            "{ a = true, \"b c\" = [1, 2.5, \"x\"] }");
  EXPECT_EQ(toml_value(0.1), "0.1");
  EXPECT_EQ(toml_value(3.0), "3.0");
  EXPECT_EQ(toml_value(std::string("a\x01")), "\"a\\u0001\"");
}

TEST(Config, RewardParamsGivenTwiceOrBadlyAreErrors) {
  EXPECT_NE(error_of([] {
              parse_train_config(
                  "[[rewards]]\nname = \"math\"\nfallbacks = true\n"
                  "params = { fallbacks = false }\n",
                  "run.toml", {});
            }).find("param 'fallbacks' is given twice"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_train_config("[[rewards]]\nname = \"math\"\nparams = 3\n", "r", {});
            }).find("params must be a table"),
            std::string::npos);
}

TEST(Config, SetTakesAnyTextAsAString) {
  TrainConfig c = parse_train_config("", "x", {"model.path=a\"b", "data.path=/x/y z"});
  EXPECT_EQ(c.model_path, "a\"b");
  EXPECT_EQ(c.data_path, "/x/y z");
  c = parse_train_config("", "x", {"data.chat_template_kwargs={ enable_thinking = false }"});
  EXPECT_EQ(c.prompt.chat_template_kwargs, nlohmann::json({{"enable_thinking", false}}));
}

TEST(Config, EveryRewardIsDocumented) {
  const std::string text = describe_rewards();
  for (const auto& name : reward_names()) {
    EXPECT_NE(text.find(name + ": "), std::string::npos) << name;
    // Every param a reward accepts is listed: building it with the listed
    // param (at its documented default where it parses) must not be rejected
    // as unknown.
    for (const auto& p : reward_info(name).params) {
      nlohmann::json params = {{p.name, nlohmann::json::parse(p.default_value, nullptr, false)}};
      if (params[p.name].is_discarded()) continue;  // "(required)"
      std::string err = error_of([&] { make_reward({name, 1.0, params}); });
      EXPECT_EQ(err.find("unknown param"), std::string::npos) << name << " " << p.name << err;
      EXPECT_EQ(err.find("bad param"), std::string::npos) << name << " " << p.name << err;
    }
  }
  EXPECT_EQ(reward_info("math").row_fields, std::vector<std::string>{"answer"});
}

}  // namespace
}  // namespace r1
