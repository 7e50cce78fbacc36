// Synthetic reasoning tasks with exact answers (issue 8 item 1): multi-digit
// arithmetic and countdown, generated from a seed. Rows are what the
// "arithmetic" and "countdown" rewards read; a worked solution can be attached
// as an SFT completion, thinking step by step or answering directly.
//
// Splits: a problem's split is a hash of the problem itself (not of the seed or
// the knobs), so train and test can never share a problem, however each was
// generated. Commutative problems (a+b, b+a) hash as one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1 {

enum class Split { kTrain, kTest };
Split parse_split(const std::string& name);  // "train" | "test"

struct ArithmeticOptions {
  int min_digits = 3;       // digits of each operand, drawn uniformly in [min, max]
  int max_digits = 5;       // at most 9, so products fit in 64 bits
  std::string ops = "+-*";  // operations drawn uniformly; subtraction never goes negative
};

struct CountdownOptions {
  int count = 4;         // numbers given (2..6)
  int max_value = 100;   // numbers drawn from 1..max_value
  int max_target = 100;  // target drawn from 1..max_target, kept only if solvable
  bool use_all = false;  // solvable using every number exactly once (TinyZero's rule);
                         // else each at most once (the "countdown" reward's default)
};

struct SolutionOptions {
  bool enabled = false;         // add "completion"
  double think_fraction = 1.0;  // share of rows whose completion reasons in <think>...</think>;
                                // the rest answer directly: "<answer>N</answer>"
};

// The fraction of all problems hashed into the test split.
constexpr double kTestFraction = 0.1;

// Which split a problem key falls in; keys come from the generators below.
Split split_of(const std::string& problem_key);

// `n` distinct problems of `split`, deterministic for `seed`. Throws Error if
// the knobs are out of range or allow fewer than `n` distinct problems.
// Arithmetic rows: {"task", "prompt", "answer": "12345"[, "completion"]}.
std::vector<nlohmann::json> generate_arithmetic(const ArithmeticOptions& options, int64_t n,
                                                uint64_t seed, Split split,
                                                const SolutionOptions& solution = {});
// Countdown rows: {"task", "prompt", "numbers": [...], "target", "solution": "(a-b)*c"
// [, "completion"]}; every row is solvable (the solver found "solution").
std::vector<nlohmann::json> generate_countdown(const CountdownOptions& options, int64_t n,
                                               uint64_t seed, Split split,
                                               const SolutionOptions& solution = {});

// The worked steps for a op b, as the inside of <think>: column by column with
// carries (+), borrows (-), or one partial product per digit of b (*).
std::string arithmetic_steps(int64_t a, char op, int64_t b);

// A countdown solution: the fewest operations reaching `target` from `numbers`
// (positive integer intermediates, exact division). Empty expression if none.
struct CountdownSolution {
  std::string expression;          // "(75-25)*2+3"
  std::vector<std::string> steps;  // "75-25=50", "50*2=100", "100+3=103"
};
CountdownSolution solve_countdown(const std::vector<int64_t>& numbers, int64_t target,
                                  bool use_all);

}  // namespace r1
