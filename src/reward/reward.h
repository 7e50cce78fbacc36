// The one interface every reward implements. A reward is a pure function of
// (prompt, completion, dataset row) -> score; it scores a batch at a time so
// rewards that run programs or talk to a process can work in parallel. The
// trainer never special-cases a reward: it asks the registry for them by name
// (run config: rewards = [{name = "math", weight = 1.0}, ...]) and sums
// weight * score, logging each reward separately.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1 {

struct RewardInput {
  std::string prompt;      // the text the model was given (after templating)
  std::string completion;  // the model's generated text
  nlohmann::json row;      // the dataset line: "answer", "tests", "numbers", "target", ...
};

// Scores for a batch, one per input, same order. Never throws on model output
// (bad output scores 0); throws Error only for misconfiguration.
using RewardFn = std::function<std::vector<double>(const std::vector<RewardInput>&)>;

struct RewardSpec {
  std::string name;                                  // registry name: "math", "format", ...
  double weight = 1.0;                               // weight in the summed reward
  nlohmann::json params = nlohmann::json::object();  // reward-specific options
};

// Builds a reward from the registry (reward/registry.cpp); unknown names are
// an Error listing the known ones.
RewardFn make_reward(const RewardSpec& spec);

// A run file's [[rewards]] tables ({name, weight, any params...}) as specs,
// and back; `source` names the file in errors.
std::vector<RewardSpec> parse_reward_specs(const nlohmann::json& items, const std::string& source);
nlohmann::json reward_specs_to_tables(const std::vector<RewardSpec>& specs);
std::vector<std::string> reward_names();

// What a reward is, what it reads from a dataset row and its params (each
// with its default), from the registry.
struct RewardParamInfo {
  std::string name, default_value, doc;
};
struct RewardInfo {
  std::string name, summary;
  std::vector<std::string> row_fields;  // the row fields it scores against ("answer")
  std::vector<RewardParamInfo> params;
};
const RewardInfo& reward_info(const std::string& name);  // Error for an unknown name
// Every reward, its row fields and params, as text (r1 verify --list-rewards).
std::string describe_rewards();
// How a run file lists its rewards: printed, commented, by --print-config
// where a config has none.
extern const char* const kRewardsHelp;

}  // namespace r1
