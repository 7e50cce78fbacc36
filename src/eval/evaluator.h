// `r1 eval`: k sampled completions per question with the rollout engine,
// scored by a verifier reward, reported as pass@1, cons@k, pass@k and response
// length (docs/design.md §1.5). Resumable: each question's line is appended to
// OUT/questions.jsonl as soon as it is done, and a re-run skips those.
//
// Datasets: the synthetic tasks (prompt + answer, or prompt + numbers +
// target), GSM8K (question / answer ending "#### n"), MATH-500 and AIME
// (problem / answer, any capitalisation), MATH (problem / solution with a
// \boxed{} answer); fields are found automatically.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/prompt.h"
#include "model/compute.h"

namespace r1 {

struct EvalConfig {
  std::string model_dir;
  ComputeConfig compute;  // --device, --precision
  std::string data_path;
  std::string out_dir;  // questions.jsonl, summary.json, config.json
  int64_t k = 16;       // samples per question
  double temperature = 0.6;
  double top_p = 0.95;
  int64_t top_k = 0;  // 0 = off
  int64_t max_new_tokens = 1024;
  // Rendered exactly as r1 train and r1 sample render a row (data/prompt.h).
  PromptFormat prompt;
  std::string reward = "auto";  // math | arithmetic | countdown | auto (from the rows)
  uint64_t seed = 0;            // question i samples with seed + i: independent of batching
  int64_t max_batch = 64;       // sequences decoded together (k per question)
  int64_t limit = 0;            // evaluate the first `limit` questions only; 0 = all
  bool quiet = false;           // no progress lines on stderr
};

// Runs (or resumes) the evaluation and returns the summary also written to
// OUT/summary.json. Throws Error on bad data, config, or an OUT dir that holds
// a run with different settings.
nlohmann::json run_eval(const EvalConfig& config);

// The summary of per-question lines (each with "n", "correct", "cons_correct",
// "samples"[{"tokens", "finish", "thinks"}]): pass@1, cons@n, pass@k for
// k in reported_ks(n), mean response tokens, think and truncation fractions.
nlohmann::json summarize_eval(const std::vector<nlohmann::json>& questions);

}  // namespace r1
