// Format rewards (docs/design.md §1.2, issue 5 item 2). All three look only at the
// completion. Param think_in_prompt (bool, default false): the prompt already
// ends with "<think>" (chat templates of R1-style models add it), so the
// completion is scored as if it began with it. "format" also takes
// require_think (bool, default true); false also accepts a bare
// "<answer> ... </answer>", so the format reward stays neutral on whether
// to think and only accuracy can teach it (the embedded R1-Zero demo).
#include <cctype>

#include "reward/rewards.h"
#include "reward/text.h"
#include "util/error.h"

namespace r1 {
namespace {

bool blank(const std::string& s, size_t b, size_t e) {
  for (size_t i = b; i < e && i < s.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

bool bool_param(const std::string& reward, const nlohmann::json& params, const char* name,
                bool fallback) {
  if (!params.contains(name)) return fallback;
  if (!params[name].is_boolean()) fail("reward '", reward, "': ", name, " must be true or false");
  return params[name].get<bool>();
}

// R1-Zero: "<think> ... </think> <answer> ... </answer>" and nothing else
// around the tags but whitespace; each tag exactly once, answer non-empty.
double r1_zero_format(const std::string& c) {
  for (const char* tag : {"<think>", "</think>", "<answer>", "</answer>"})
    if (count_occurrences(c, tag) != 1) return 0.0;
  size_t t0 = c.find("<think>"), t1 = c.find("</think>"), a0 = c.find("<answer>"),
         a1 = c.find("</answer>");
  if (!(t0 < t1 && t1 < a0 && a0 < a1)) return 0.0;
  if (!blank(c, 0, t0) || !blank(c, t1 + 8, a0) || !blank(c, a1 + 9, c.size())) return 0.0;
  return blank(c, a0 + 8, a1) ? 0.0 : 1.0;
}

// "<answer> ... </answer>" alone, non-empty, nothing around it but whitespace.
double bare_answer_format(const std::string& c) {
  if (count_occurrences(c, "<answer>") != 1 || count_occurrences(c, "</answer>") != 1) return 0.0;
  size_t a0 = c.find("<answer>"), a1 = c.find("</answer>");
  if (a1 < a0 || !blank(c, 0, a0) || !blank(c, a1 + 9, c.size())) return 0.0;
  return blank(c, a0 + 8, a1) ? 0.0 : 1.0;
}

// Chat models: reasoning, one "</think>" (at most one "<think>", before it),
// then a final answer in a balanced, non-empty \boxed{}.
double think_format(const std::string& c) {
  if (count_occurrences(c, "</think>") != 1 || count_occurrences(c, "<think>") > 1) return 0.0;
  size_t close = c.find("</think>"), open = c.find("<think>");
  size_t start = open == std::string::npos ? 0 : open + 7;
  if (open != std::string::npos && open > close) return 0.0;
  if (blank(c, start, close)) return 0.0;
  BoxedSpan box = last_boxed(c.substr(close + 8));
  return box.found && box.balanced && !blank(box.content, 0, box.content.size()) ? 1.0 : 0.0;
}

// open-r1's tag_count_reward: 0.25 for each of the four tags present exactly
// once. Unlike open-r1 it does not require newlines around the tags: the
// R1-Zero template itself writes "<think> reasoning </think>" with spaces.
double tag_count(const std::string& c) {
  double score = 0.0;
  for (const char* tag : {"<think>", "</think>", "<answer>", "</answer>"})
    if (count_occurrences(c, tag) == 1) score += 0.25;
  return score;
}

RewardFn make(const std::string& name, const nlohmann::json& params,
              double (*score)(const std::string&)) {
  check_params(name, params, {"think_in_prompt"});
  bool prefix = bool_param(name, params, "think_in_prompt", false);
  return per_item([prefix, score](const RewardInput& in) {
    return score(prefix ? "<think>" + in.completion : in.completion);
  });
}

}  // namespace

RewardFn make_format_reward(const nlohmann::json& params) {
  check_params("format", params, {"think_in_prompt", "require_think"});
  bool prefix = bool_param("format", params, "think_in_prompt", false);
  bool require_think = bool_param("format", params, "require_think", true);
  return per_item([prefix, require_think](const RewardInput& in) {
    const std::string c = prefix ? "<think>" + in.completion : in.completion;
    if (!require_think && !prefix && c.find("think>") == std::string::npos)
      return bare_answer_format(c);
    return r1_zero_format(c);
  });
}
RewardFn make_think_format_reward(const nlohmann::json& params) {
  return make("think_format", params, think_format);
}
RewardFn make_tag_count_reward(const nlohmann::json& params) {
  return make("tag_count", params, tag_count);
}

}  // namespace r1
