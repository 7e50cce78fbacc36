// Verifiers for the synthetic reasoning tasks (issue 5 item 4), shared by the
// "countdown" / "arithmetic" rewards and `r1 verify`. The countdown expression
// is parsed by a small recursive-descent parser over integers with exact
// rational arithmetic: it is never executed as code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct CountdownResult {
  std::string expression;  // the equation found in the response ("" if none)
  bool parsed = false;     // it is an arithmetic expression over integers
  bool correct = false;    // uses only the given numbers, each at most once
                           // (exactly once with use_all), and equals the target
};

// TinyZero countdown: combine `numbers` with + - * / and parentheses to reach
// `target`. The equation is the last <answer>...</answer>, else the last
// \boxed{}; a trailing "= target" is allowed. Division must be exact at the end
// (intermediate fractions are fine: (1/2)*4 = 2).
CountdownResult check_countdown(const std::string& response, const std::vector<int64_t>& numbers,
                                int64_t target, bool use_all);

// "-0012" -> "-12", "7,425" -> "7425"; "" if `s` is not an integer (any length).
std::string canonical_integer(const std::string& s);

// Multi-digit arithmetic: the response's final answer (extract_answer) is the
// integer `gold`, compared digit by digit (no overflow at any length).
bool arithmetic_correct(const std::string& response, const std::string& gold,
                        std::string* pred_answer = nullptr);

}  // namespace r1
