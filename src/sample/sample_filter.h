// Which sampled completions `r1 sample` keeps: a sample passes when it is
// verified (accuracy reward, total reward) and readable (DeepSeek-R1 §2.3.3:
// not over-long, one language in the chain of thought, no code blocks in it);
// then `keep` picks all, the best or one random passing sample per prompt.
// Pure functions, torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sample/sample_config.h"

namespace r1 {

struct ScoredSample {
  std::string text;
  int64_t tokens = 0;
  bool truncated = false;  // cut by max_new_tokens
  double reward = 0;       // weighted total of every reward
  double accuracy = 0;     // the accuracy reward's score
  double language = 1;     // language-consistency score (when filter.language is set)
};

// Why `s` fails the config's checks, or "" if it passes. Reasons, checked in
// this order: truncated, too_long, wrong, low_reward, mixed_language,
// code_in_think.
std::string rejection_reason(const SampleConfig& c, const ScoredSample& s);

// True when the chain of thought (the text before "</think>", after "<think>"
// if present; the whole text without "</think>") holds a ``` fence.
bool code_in_think(const std::string& text);

// The kept samples of one prompt, in sample order, from its samples and
// whether each passed: all passing ones ("all"), the one with the highest
// total reward, ties to the shorter then the earlier ("best"), or one drawn
// uniformly with `seed` ("random"). With `dedupe`, a passing text equal to an
// earlier passing one is not a candidate. `duplicates` receives how many were
// skipped that way.
std::vector<size_t> choose_kept(const std::string& keep, bool dedupe,
                                const std::vector<ScoredSample>& samples,
                                const std::vector<bool>& passed, uint64_t seed,
                                int64_t* duplicates);

}  // namespace r1
