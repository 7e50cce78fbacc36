// Before/after of two `r1 eval` runs on the same questions (the R1-Zero demo's
// closing report, issue 8 item 5): their summaries side by side, and one
// question the first run got wrong that the second solves, with the
// completions that show it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace r1 {

struct EvalExample {
  bool found = false;
  std::string question, gold;
  std::string before, after;  // a wrong completion of the first run, a right one of the second
};

struct EvalComparison {
  nlohmann::json before, after;  // summary.json of each run
  EvalExample example;
};

// Reads BEFORE_DIR and AFTER_DIR (each holding summary.json and
// questions.jsonl). The example is the question with the largest gain in
// pass@1, preferring a right completion of the second run that reasons in
// <think>; none if no question improved. Throws Error if a file is missing
// or broken, or the runs did not evaluate the same questions.
EvalComparison compare_evals(const std::string& before_dir, const std::string& after_dir);

}  // namespace r1
