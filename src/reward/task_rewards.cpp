// "countdown" (row: numbers, target) and "arithmetic" (row: answer) rewards.
// countdown params: format_score (default 0.1: TinyZero's score for a parsed
// equation that is wrong), use_all (default false: each number at most once;
// true: exactly once, as TinyZero requires).
#include "reward/rewards.h"
#include "reward/tasks.h"
#include "util/error.h"

namespace r1 {

RewardFn make_countdown_reward(const nlohmann::json& params) {
  check_params("countdown", params, {"format_score", "use_all"});
  double format_score = 0.1;
  bool use_all = false;
  if (params.contains("format_score")) {
    if (!params["format_score"].is_number())
      fail("reward 'countdown': format_score must be a number");
    format_score = params["format_score"].get<double>();
  }
  if (params.contains("use_all")) {
    if (!params["use_all"].is_boolean()) fail("reward 'countdown': use_all must be true or false");
    use_all = params["use_all"].get<bool>();
  }
  return per_item([format_score, use_all](const RewardInput& in) {
    const auto& row = in.row;
    if (!row.is_object() || !row.contains("numbers") || !row["numbers"].is_array() ||
        !row.contains("target") || !row["target"].is_number_integer())
      fail(
          "reward 'countdown': the dataset row needs \"numbers\" (array of integers) and "
          "\"target\" (integer)");
    std::vector<int64_t> numbers;
    for (const auto& n : row["numbers"]) {
      if (!n.is_number_integer()) fail("reward 'countdown': \"numbers\" must hold integers");
      numbers.push_back(n.get<int64_t>());
    }
    CountdownResult r =
        check_countdown(in.completion, numbers, row["target"].get<int64_t>(), use_all);
    return r.correct ? 1.0 : r.parsed ? format_score : 0.0;
  });
}

RewardFn make_arithmetic_reward(const nlohmann::json& params) {
  check_params("arithmetic", params, {});
  return per_item([](const RewardInput& in) {
    return arithmetic_correct(in.completion, row_string(in.row, "answer")) ? 1.0 : 0.0;
  });
}

}  // namespace r1
