// The reward registry: name -> factory. Adding a reward is one line in
// kRewards plus its factory; the trainer and `r1 verify` never special-case one.
#include <string>

#include "reward/code_reward.h"
#include "reward/external_reward.h"
#include "reward/rewards.h"
#include "util/error.h"

namespace r1 {
namespace {

struct RewardEntry {
  const char* name;
  RewardFn (*make)(const nlohmann::json& params);
};

const RewardEntry kRewards[] = {
    {"math", make_math_reward},
    {"format", make_format_reward},
    {"think_format", make_think_format_reward},
    {"tag_count", make_tag_count_reward},
    {"language", make_language_reward},
    {"countdown", make_countdown_reward},
    {"arithmetic", make_arithmetic_reward},
    {"code", make_code_reward},          // row: tests; runs in reward/sandbox
    {"external", make_external_reward},  // params: command; a user process, JSONL
};

}  // namespace

RewardFn per_item(std::function<double(const RewardInput&)> score) {
  return [score = std::move(score)](const std::vector<RewardInput>& batch) {
    std::vector<double> out;
    out.reserve(batch.size());
    for (const auto& in : batch) out.push_back(score(in));
    return out;
  };
}

void check_params(const std::string& reward, const nlohmann::json& params,
                  std::initializer_list<const char*> known) {
  if (params.is_null()) return;  // RewardSpec{name, weight, {}}: no params
  if (!params.is_object())
    fail("reward '", reward, "': params must be a table, got ", params.dump());
  for (const auto& [key, value] : params.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (ok) continue;
    std::string list;
    for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
    fail("reward '", reward, "': unknown param '", key, "' (known: ", list.empty() ? "none" : list,
         ")");
  }
}

std::string row_string(const nlohmann::json& row, const char* key) {
  if (!row.is_object() || !row.contains(key)) return "";
  const auto& v = row[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

RewardFn make_reward(const RewardSpec& spec) {
  for (const auto& r : kRewards)
    if (spec.name == r.name) return r.make(spec.params);
  std::string known;
  for (const auto& name : reward_names()) known += (known.empty() ? "" : ", ") + name;
  fail("unknown reward '", spec.name, "' (known: ", known, ")");
}

std::vector<std::string> reward_names() {
  std::vector<std::string> names;
  for (const auto& r : kRewards) names.emplace_back(r.name);
  return names;
}

std::vector<RewardSpec> parse_reward_specs(const nlohmann::json& items, const std::string& source) {
  std::vector<RewardSpec> specs;
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string())
      fail(source, ": each [[rewards]] needs name = \"...\"");
    RewardSpec spec;
    spec.name = item["name"];
    if (item.contains("weight") && !item["weight"].is_number())
      fail(source, ": [[rewards]] '", spec.name, "': weight must be a number");
    spec.weight = item.value("weight", 1.0);
    for (const auto& [key, value] : item.items())
      if (key != "name" && key != "weight") spec.params[key] = value;
    specs.push_back(spec);
  }
  return specs;
}

nlohmann::json reward_specs_to_tables(const std::vector<RewardSpec>& specs) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& r : specs) {
    nlohmann::json item = r.params;
    item["name"] = r.name;
    item["weight"] = r.weight;
    tables.push_back(item);
  }
  return tables;
}

}  // namespace r1
