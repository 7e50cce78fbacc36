// pass@k and cons@k; see pass_at_k.h.
#include "eval/pass_at_k.h"

#include <map>

#include "util/error.h"

namespace r1 {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n)
    fail("pass@k needs 0 <= c <= n and 1 <= k <= n, got n=", n, " c=", c, " k=", k);
  if (n - c < k) return 1.0;  // every k-subset holds a correct sample
  double all_wrong = 1.0;     // C(n-c, k) / C(n, k)
  for (int64_t i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - all_wrong;
}

int64_t majority_vote(const std::vector<std::string>& keys) {
  std::map<std::string, std::pair<int64_t, int64_t>> votes;  // key -> (count, first index)
  for (int64_t i = 0; i < static_cast<int64_t>(keys.size()); ++i) {
    if (keys[i].empty()) continue;
    auto [it, added] = votes.try_emplace(keys[i], 0, i);
    ++it->second.first;
  }
  int64_t best = -1, best_count = 0;
  for (const auto& [key, v] : votes)
    if (v.first > best_count || (v.first == best_count && v.second < best))
      best = v.second, best_count = v.first;
  return best;
}

std::vector<int64_t> reported_ks(int64_t n) {
  std::vector<int64_t> ks;
  for (int64_t k = 1; k < n; k *= 2) ks.push_back(k);
  if (n >= 1) ks.push_back(n);
  return ks;
}

}  // namespace r1
