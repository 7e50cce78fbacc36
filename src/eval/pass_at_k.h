// Evaluation metrics over k samples per question (docs/design.md §1.5), as pure
// functions: pass@k by the unbiased estimator and cons@k by majority vote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

// Unbiased pass@k from n samples of which c are correct (Chen et al. 2021,
// "Evaluating Large Language Models Trained on Code"): 1 - C(n-c, k) / C(n, k),
// computed as 1 - prod_{i=n-c+1..n} (1 - k/i), which never forms a binomial
// coefficient (those overflow a double for n beyond ~1000). Throws Error unless
// 0 <= c <= n and 1 <= k <= n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

// The sample whose answer wins a majority vote over `keys` (one per sample,
// e.g. canonical_answer_key of each extracted answer, so equivalent answers
// vote together). Empty keys (no answer found) do not vote. Ties go to the
// answer whose first vote came earliest in sample order, which is
// deterministic for a seed. Returns the index of that first voter, or -1 if
// no sample has an answer.
int64_t majority_vote(const std::vector<std::string>& keys);

// The k values reported for n samples: 1, 2, 4, ... below n, and n.
std::vector<int64_t> reported_ks(int64_t n);

}  // namespace r1
