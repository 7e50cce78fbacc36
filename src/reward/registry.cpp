// The reward registry: name -> factory. Adding a reward is one line in
// kRewards plus its factory; the trainer and `r1 verify` never special-case one.
#include <cmath>
#include <string>

#include "reward/code_reward.h"
#include "reward/external_reward.h"
#include "reward/rewards.h"
#include "util/error.h"

namespace r1 {
namespace {

struct RewardEntry {
  RewardInfo info;
  RewardFn (*make)(const nlohmann::json& params);
};

// Every reward with what it reads from a dataset row and its params: the one
// place they are documented (`r1 verify --list-rewards` prints it).
const RewardEntry kRewards[] = {
    {{"math",
      "1 if the final answer (\\boxed{} or <answer>) is equivalent to the row's answer, else 0 "
      "(the R1 accuracy reward)",
      {"answer"},
      {{"fallbacks", "false",
        "also read the last $...$, an 'answer is ...' phrase or the last number"}}},
     make_math_reward},
    {{"format",
      "1 for '<think> ... </think> <answer> ... </answer>' (the R1-Zero format), else 0",
      {},
      {{"think_in_prompt", "false", "the prompt already opened <think>"},
       {"require_think", "true", "false: a bare <answer>...</answer> also scores 1"}}},
     make_format_reward},
    {{"think_format",
      "1 for '... </think>' followed by a \\boxed{} answer (chat models), else 0",
      {},
      {{"think_in_prompt", "false", "the prompt already opened <think>"}}},
     make_think_format_reward},
    {{"tag_count",
      "0.25 for each of <think>, </think>, <answer>, </answer> present exactly once",
      {},
      {{"think_in_prompt", "false", "the prompt already opened <think>"}}},
     make_tag_count_reward},
    {{"language",
      "share of the chain of thought's words in the target language (R1's consistency reward)",
      {},
      {{"target", "\"en\"", "en | zh"}}},
     make_language_reward},
    {{"countdown",
      "1 if the answer is an expression of the row's numbers that equals its target",
      {"numbers", "target"},
      {{"format_score", "0.0", "score of a well-formed but wrong expression"},
       {"use_all", "true", "every number must be used exactly once"}}},
     make_countdown_reward},
    {{"arithmetic",
      "1 if the final number equals the row's answer (synthetic tasks)",
      {"answer"},
      {}},
     make_arithmetic_reward},
    {{"code",
      "fraction of the row's tests passed by the completion's last python/cpp block, run in the "
      "sandbox",
      {"tests"},
      {{"workers", "0", "sandboxes at once (0 = one per hardware thread)"},
       {"all_or_none", "false", "1 only when every test passes"},
       {"timeout", "5.0", "wall seconds per test run"},
       {"cpu_seconds", "2.0", "CPU seconds per process"},
       {"memory_mb", "512", "address space per process (MiB)"}}},
     make_code_reward},
    {{"external",
      "scores from a user process speaking JSONL on stdin/stdout",
      {},
      {{"command", "(required)", "the command line, e.g. \"python3 my_reward.py\""},
       {"timeout", "60.0", "seconds to wait for a batch's scores"}}},
     make_external_reward},
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
    if (spec.name == r.info.name) return r.make(spec.params);
  std::string known;
  for (const auto& name : reward_names()) known += (known.empty() ? "" : ", ") + name;
  fail("unknown reward '", spec.name, "' (known: ", known, ")");
}

std::vector<std::string> reward_names() {
  std::vector<std::string> names;
  for (const auto& r : kRewards) names.push_back(r.info.name);
  return names;
}

const RewardInfo& reward_info(const std::string& name) {
  for (const auto& r : kRewards)
    if (name == r.info.name) return r.info;
  make_reward({name, 1.0, {}});  // throws, naming the known rewards
  fail("unknown reward '", name, "'");
}

std::string describe_rewards() {
  std::string out;
  for (const auto& r : kRewards) {
    out += r.info.name + ": " + r.info.summary + "\n";
    if (!r.info.row_fields.empty()) {
      out += "  reads the row's:";
      for (const auto& f : r.info.row_fields) out += " " + f;
      out += "\n";
    }
    for (const auto& p : r.info.params)
      out += "  " + p.name + " = " + p.default_value + "  # " + p.doc + "\n";
  }
  return out;
}

const char* const kRewardsHelp =
    "[[rewards]]  (one table per reward; `r1 verify --list-rewards` lists every reward and param)\n"
    "name = \"math\"\n"
    "weight = 1.0\n"
    "params = { fallbacks = false }  # or the params as keys of the table\n";

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
    if (!std::isfinite(spec.weight))
      fail(source, ": [[rewards]] '", spec.name, "': weight must be finite, got ", spec.weight);
    // Params are the table's other keys, or an inline `params = {...}` table.
    auto set_param = [&](const std::string& key, const nlohmann::json& value) {
      if (spec.params.contains(key))
        fail(source, ": [[rewards]] '", spec.name, "': param '", key, "' is given twice");
      spec.params[key] = value;
    };
    for (const auto& [key, value] : item.items()) {
      if (key == "name" || key == "weight") continue;
      if (key != "params") {
        set_param(key, value);
        continue;
      }
      if (!value.is_object())
        fail(source, ": [[rewards]] '", spec.name, "': params must be a table {key = value}");
      for (const auto& [k, v] : value.items()) set_param(k, v);
    }
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
