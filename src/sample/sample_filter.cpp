#include "sample/sample_filter.h"

#include <random>
#include <set>

namespace r1 {

bool code_in_think(const std::string& text) {
  size_t close = text.find("</think>");
  size_t start = 0;
  if (close == std::string::npos) {
    close = text.size();
  } else {
    size_t open = text.rfind("<think>", close);
    if (open != std::string::npos) start = open + 7;
  }
  size_t fence = text.find("```", start);
  return fence != std::string::npos && fence < close;
}

std::string rejection_reason(const SampleConfig& c, const ScoredSample& s) {
  if (c.drop_truncated && s.truncated) return "truncated";
  if (c.max_tokens > 0 && s.tokens > c.max_tokens) return "too_long";
  if (!(s.accuracy >= c.min_accuracy)) return "wrong";
  if (!(s.reward >= c.min_reward)) return "low_reward";
  if (!c.language.empty() && !(s.language >= c.min_language)) return "mixed_language";
  if (c.drop_code_in_think && code_in_think(s.text)) return "code_in_think";
  return "";
}

std::vector<size_t> choose_kept(const std::string& keep, bool dedupe,
                                const std::vector<ScoredSample>& samples,
                                const std::vector<bool>& passed, uint64_t seed,
                                int64_t* duplicates) {
  std::vector<size_t> candidates;
  std::set<std::string> seen;
  int64_t dup = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!passed[i]) continue;
    if (dedupe && !seen.insert(samples[i].text).second) {
      ++dup;
      continue;
    }
    candidates.push_back(i);
  }
  if (duplicates) *duplicates = dup;
  if (candidates.empty() || keep == "all") return candidates;
  if (keep == "best") {
    size_t best = candidates[0];
    for (size_t i : candidates) {
      const ScoredSample &a = samples[i], &b = samples[best];
      if (a.reward > b.reward || (a.reward == b.reward && a.tokens < b.tokens)) best = i;
    }
    return {best};
  }
  // "random": a stream of its own per prompt, so the pick does not depend on batching.
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL);
  return {candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)]};
}

}  // namespace r1
