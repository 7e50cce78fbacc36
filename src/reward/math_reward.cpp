// "math": 1 if the completion's final answer (extract_answer) is equivalent
// to row["answer"], else 0 (DESIGN.md §1.2, accuracy reward).
#include "reward/math/verify.h"
#include "reward/rewards.h"

namespace r1 {

RewardFn make_math_reward(const nlohmann::json& params) {
  check_params("math", params, {});
  return per_item([](const RewardInput& in) {
    std::string gold = extract_reference(row_string(in.row, "answer"));
    return answers_equivalent(extract_answer(in.completion), gold) ? 1.0 : 0.0;
  });
}

}  // namespace r1
