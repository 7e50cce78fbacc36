// The built-in rewards' factories (one per registry entry, see registry.cpp)
// and the helpers they share. Each reward reads only the fields of
// RewardInput::row its comment names, and validates its params once, when it
// is built (a misconfiguration is an Error then, never mid-training).
#pragma once

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "reward/reward.h"

namespace r1 {

// A batch RewardFn from a per-completion scorer.
RewardFn per_item(std::function<double(const RewardInput&)> score);

// Throws Error if `params` is not an object (or null) or has a key outside `known`.
void check_params(const std::string& reward, const nlohmann::json& params,
                  std::initializer_list<const char*> known);

// A string-valued row field ("answer" may be a JSON string or number); "" if absent.
std::string row_string(const nlohmann::json& row, const char* key);

RewardFn make_math_reward(const nlohmann::json& params);          // row: answer
RewardFn make_format_reward(const nlohmann::json& params);        // R1-Zero tags
RewardFn make_think_format_reward(const nlohmann::json& params);  // ...</think> then \boxed{}
RewardFn make_tag_count_reward(const nlohmann::json& params);     // 0.25 per well-counted tag
RewardFn make_language_reward(const nlohmann::json& params);      // params: target
RewardFn make_countdown_reward(const nlohmann::json& params);     // row: numbers, target
RewardFn make_arithmetic_reward(const nlohmann::json& params);    // row: answer

}  // namespace r1
