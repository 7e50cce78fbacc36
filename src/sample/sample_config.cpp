#include "sample/sample_config.h"

#include "util/range_check.h"

#include "util/error.h"
#include "util/io.h"

namespace r1 {

FieldTable SampleConfig::fields() {
  FieldTable t = {
      {"model.path", &model_path, "model directory (HF layout, with its tokenizer) to sample"},
      {"data.path", &data_path, "prompts: JSONL file or directory of shards"},
      {"data.limit", &limit, "only the first N prompts (0 = all)"},
      {"sampling.k", &k, "completions sampled per prompt"},
      {"sampling.temperature", &temperature, "sampling temperature"},
      {"sampling.top_p", &top_p, "nucleus sampling mass"},
      {"sampling.top_k", &top_k, "top-k sampling (0 = off)"},
      {"sampling.max_new_tokens", &max_new_tokens, "tokens per completion at most"},
      {"sampling.max_batch", &max_batch, "sequences decoded together"},
      {"sampling.seed", &seed, "prompt i samples with seed + i"},
      {"filter.keep", &keep, "all | best | random: which passing samples of a prompt are kept"},
      {"filter.accuracy_reward", &accuracy_reward,
       "reward that decides correctness ('' = the first [[rewards]])"},
      {"filter.min_accuracy", &min_accuracy, "a sample passes when that reward is >= this"},
      {"filter.min_reward", &min_reward, "and its weighted total reward is >= this"},
      {"filter.drop_truncated", &drop_truncated, "drop completions cut by max_new_tokens"},
      {"filter.max_tokens", &max_tokens, "drop completions longer than N tokens (0 = no limit)"},
      {"filter.language", &language,
       "'' = off; en | zh: drop chains of thought in mixed languages (R1 §2.3.3)"},
      {"filter.min_language", &min_language,
       "language-consistency score (share of CoT words in the language) needed"},
      {"filter.drop_code_in_think", &drop_code_in_think,
       "drop chains of thought holding ``` code blocks"},
      {"filter.dedupe", &dedupe, "keep identical completions of a prompt once"},
      {"output.dir", &output_dir, "samples.jsonl (SFT-ready), prompts.jsonl, summary.json"},
      {"output.format", &format, "pair ({prompt, completion}) | messages ([user, assistant])"},
  };
  add_compute_fields(t, compute);
  add_prompt_fields(t, prompt);
  return t;
}

void SampleConfig::validate() const {
  origin.locate_errors([this] { check_values(); });
}

void SampleConfig::check_values() const {
  if (model_path.empty()) fail("model.path is required");
  if (data_path.empty()) fail("data.path is required");
  prompt.validate();
  if (limit < 0) fail("data.limit must be >= 0");
  if (k < 1) fail("sampling.k must be >= 1");
  if (max_new_tokens < 1) fail("sampling.max_new_tokens must be >= 1");
  if (max_batch < 1) fail("sampling.max_batch must be >= 1");
  if (keep != "all" && keep != "best" && keep != "random")
    fail("filter.keep: unknown '", keep, "' (all, best, random)");
  if (max_tokens < 0) fail("filter.max_tokens must be >= 0");
  require_non_negative("sampling.temperature", temperature);
  require(top_p > 0 && top_p <= 1, "sampling.top_p", top_p, "in (0, 1]");
  if (top_k < 0) fail("sampling.top_k must be >= 0");
  require(!std::isnan(min_accuracy), "filter.min_accuracy", min_accuracy, "a number");
  require(!std::isnan(min_reward), "filter.min_reward", min_reward, "a number");
  for (const auto& r : rewards)
    require(std::isfinite(r.weight), "[[rewards]] '" + r.name + "' weight", r.weight, "finite");
  if (!language.empty() && language != "en" && language != "zh")
    fail("filter.language: unknown '", language, "' ('' = off, en, zh)");
  if (format != "pair" && format != "messages")
    fail("output.format: unknown '", format, "' (pair, messages)");
  if (output_dir.empty()) fail("output.dir is required");
  if (rewards.empty()) fail("no [[rewards]] configured: samples are kept only when verified");
  if (!accuracy_reward.empty()) {
    bool found = false;
    for (const auto& r : rewards) found |= r.name == accuracy_reward;
    if (!found) fail("filter.accuracy_reward '", accuracy_reward, "' is not among the [[rewards]]");
  }
}

SampleConfig parse_sample_config(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& overrides) {
  SampleConfig c;
  FieldTable table = c.fields();
  nlohmann::json lists = apply_toml(table, text, source, {"rewards"}, &c.origin);
  for (const auto& o : overrides) apply_override(table, o, &c.origin);
  if (lists.contains("rewards")) c.rewards = parse_reward_specs(lists["rewards"], source);
  return c;
}

SampleConfig load_sample_config(const std::string& path,
                                const std::vector<std::string>& overrides) {
  SampleConfig c = parse_sample_config(read_file(path), path, overrides);
  for (std::string* input : {&c.model_path, &c.data_path}) resolve_input_path(*input, path);
  return c;
}

std::string dump_sample_config(SampleConfig& config) {
  return dump_toml(config.fields(), {{"rewards", reward_specs_to_tables(config.rewards)}},
                   kRewardsHelp);
}

}  // namespace r1
