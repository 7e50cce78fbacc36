// "math": 1 if the completion's final answer is equivalent to row["answer"],
// else 0 (docs/design.md §1.2, accuracy reward). The answer must be in \boxed{} or
// <answer>...</answer>; param fallbacks (bool, default false) also accepts the
// last $...$, an "answer is ..." phrase or the last number (extract_answer).
#include "reward/math/verify.h"
#include "reward/rewards.h"
#include "util/error.h"

namespace r1 {

RewardFn make_math_reward(const nlohmann::json& params) {
  check_params("math", params, {"fallbacks"});
  bool fallbacks = false;
  if (params.contains("fallbacks")) {
    if (!params["fallbacks"].is_boolean()) fail("reward 'math': fallbacks must be true or false");
    fallbacks = params["fallbacks"].get<bool>();
  }
  return per_item([fallbacks](const RewardInput& in) {
    std::string gold = extract_reference(row_string(in.row, "answer"));
    return answers_equivalent(extract_answer(in.completion, fallbacks), gold) ? 1.0 : 0.0;
  });
}

}  // namespace r1
