// Everything an `r1 sample` run (rejection sampling, DeepSeek-R1 §2.3.3;
// teacher traces for distillation, §2.4) is configured by: one struct per
// TOML section, every field with its default and a one-line doc in
// sample_config.cpp's table, rewards as [[rewards]] like r1 train.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/prompt.h"
#include "model/compute.h"
#include "reward/reward.h"
#include "util/config.h"

namespace r1 {

struct SampleConfig {
  // [model]
  std::string model_path;
  ComputeConfig compute;  // model.device, model.precision
  // [data]
  std::string data_path;
  PromptFormat prompt;  // rendered as r1 train and r1 eval render a row (data/prompt.h)
  int64_t limit = 0;    // first N prompts only; 0 = all
  // [sampling] DeepSeek-R1's recommended sampling (temperature 0.6, top-p 0.95).
  int64_t k = 8;  // completions per prompt
  double temperature = 0.6;
  double top_p = 0.95;
  int64_t top_k = 0;
  int64_t max_new_tokens = 1024;
  int64_t max_batch = 64;  // sequences decoded together (k per prompt)
  int64_t seed = 0;        // prompt i samples with seed + i: independent of batching
  // [filter] which verified samples are kept, and R1's readability filters.
  std::string keep = "all";     // all | best | random: of a prompt's passing samples
  std::string accuracy_reward;  // reward deciding correctness; "" = the first [[rewards]]
  double min_accuracy = 1.0;    // that reward's score must be >= this
  double min_reward = -std::numeric_limits<double>::infinity();  // weighted total >= this
  bool drop_truncated = true;       // drop completions cut by max_new_tokens
  int64_t max_tokens = 0;           // drop completions longer than this; 0 = no limit
  std::string language;             // "" = off; en | zh: drop mixed-language chains of thought
  double min_language = 0.95;       // language-consistency score needed when language is set
  bool drop_code_in_think = false;  // drop chains of thought holding ``` code fences
  bool dedupe = true;               // identical completions of one prompt are kept once
  // [output]
  std::string output_dir = "runs/sample";  // samples.jsonl, prompts.jsonl, summary.json
  std::string format = "pair";             // pair {prompt, completion} | messages
  // [[rewards]]
  std::vector<RewardSpec> rewards;

  FieldTable fields();
  // Range and consistency checks; errors name the run file and the key's line.
  void validate() const;
  ConfigOrigin origin;  // filled by the parse_*_config functions

 private:
  void check_values() const;

 public:
};

// From TOML text (`source` names it in errors), then --set overrides.
SampleConfig parse_sample_config(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& overrides);
SampleConfig load_sample_config(const std::string& path, const std::vector<std::string>& overrides);
std::string dump_sample_config(SampleConfig& config);

}  // namespace r1
