#include "engine/sampler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "util/error.h"

namespace r1 {

void SamplingParams::validate() const {
  if (!(temperature >= 0.0f)) fail("temperature must be >= 0, got ", temperature);
  if (!(top_p > 0.0f && top_p <= 1.0f)) fail("top_p must be in (0, 1], got ", top_p);
  if (top_k < 0) fail("top_k must be >= 0, got ", top_k);
  if (!(min_p >= 0.0f && min_p < 1.0f)) fail("min_p must be in [0, 1), got ", min_p);
  if (!(repetition_penalty > 0.0f)) fail("repetition_penalty must be > 0");
  if (max_new_tokens <= 0) fail("max_new_tokens must be > 0, got ", max_new_tokens);
}

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

SequenceRng::SequenceRng(uint64_t seed) : engine_(splitmix64(seed)) {}

double SequenceRng::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

uint64_t sample_seed(uint64_t seed, uint64_t index) {
  return splitmix64(seed ^ splitmix64(index));
}

void apply_penalties(float* logits, const std::vector<int64_t>& prompt,
                     const std::vector<int64_t>& generated, const SamplingParams& params) {
  if (params.repetition_penalty != 1.0f) {
    // CTRL (Keskar et al. 2019), as transformers: every token seen in prompt or output.
    std::unordered_set<int64_t> seen(prompt.begin(), prompt.end());
    seen.insert(generated.begin(), generated.end());
    for (int64_t t : seen) {
      float& l = logits[t];
      l = l > 0 ? l / params.repetition_penalty : l * params.repetition_penalty;
    }
  }
  if (params.presence_penalty != 0.0f) {
    std::unordered_set<int64_t> seen(generated.begin(), generated.end());
    for (int64_t t : seen) logits[t] -= params.presence_penalty;
  }
}

namespace {

// The inverse-CDF walk reads chunk sums first and then one chunk, instead of
// accumulating the whole vocabulary in double, element by element.
constexpr int64_t kChunk = 256;

// Sum of p[0, n) with eight independent float accumulators (the compiler can
// vectorise it; chunk sums are then combined in double).
float chunk_sum(const float* p, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
  float total = 0;
  for (; i < n; ++i) total += p[i];
  for (float a : acc) total += a;
  return total;
}

// Draws token i with probability probs[i] / sum(probs) (probs >= 0, not
// necessarily normalised).
SampledToken sample_unfiltered(const float* probs, int64_t V, SequenceRng& rng) {
  const int64_t chunks = (V + kChunk - 1) / kChunk;
  std::vector<double> sums(chunks);
  double total = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    sums[c] = chunk_sum(probs + c * kChunk, std::min(kChunk, V - c * kChunk));
    total += sums[c];
  }
  const double target = rng.uniform() * total;
  double acc = 0;
  int64_t c = 0;
  while (c + 1 < chunks && acc + sums[c] <= target) acc += sums[c++];
  int64_t token = -1;
  for (int64_t i = c * kChunk; i < std::min(V, (c + 1) * kChunk); ++i) {
    if (probs[i] <= 0.0f) continue;
    token = i;
    acc += probs[i];
    if (acc > target) break;
  }
  // Rounding between the float chunk sums and this walk: the last token with mass.
  for (int64_t i = c * kChunk - 1; token < 0 && i >= 0; --i)
    if (probs[i] > 0.0f) token = i;
  return {token, static_cast<float>(std::log(probs[token] / total))};
}

// Binary exponent of a non-negative float: tokens are bucketed by it so that
// the top-k / top-p cut is located in one pass, and only tokens at or above the
// cut's bucket are sorted (the nucleus is usually a few hundred tokens of 150k).
inline int exponent_bucket(float p) {
  uint32_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  return static_cast<int>(bits >> 23);
}

}  // namespace

SampledToken sample_from_probs(const float* probs, const float* logits, int64_t V,
                               const SamplingParams& params, SequenceRng& rng,
                               std::vector<int32_t>& scratch) {
  if (params.temperature == 0.0f) {
    int64_t best = std::max_element(logits, logits + V) - logits;
    return {best, 0.0f};
  }
  const bool filtered = params.top_k > 0 || params.top_p < 1.0f || params.min_p > 0.0f;
  if (!filtered) return sample_unfiltered(probs, V, rng);

  // Eligible tokens: positive and above the min-p floor; their mass and count
  // per exponent bucket.
  const float floor = params.min_p > 0.0f ? params.min_p * *std::max_element(probs, probs + V) : 0;
  std::array<double, 256> mass{};
  std::array<int64_t, 256> count{};
  for (int64_t i = 0; i < V; ++i) {
    const float p = probs[i];
    if (!(p > 0.0f && p >= floor)) continue;
    const int e = exponent_bucket(p);
    mass[e] += p;
    count[e] += 1;
  }
  // Lowest bucket that can hold a kept token.
  int lowest = 0;
  if (params.top_k > 0) {
    int64_t n = 0;
    for (int e = 255; e >= 0; --e)
      if ((n += count[e]) >= params.top_k) {
        lowest = e;
        break;
      }
  }
  double eligible_mass = 0;
  for (double m : mass) eligible_mass += m;
  if (params.top_p < 1.0f && params.top_k == 0) {
    double acc = 0;
    for (int e = 255; e >= 0; --e)
      if ((acc += mass[e]) >= params.top_p * eligible_mass) {
        lowest = std::max(0, e - 1);  // one bucket of margin for rounding
        break;
      }
  }
  scratch.clear();
  for (int64_t i = 0; i < V; ++i) {
    const float p = probs[i];
    if (p > 0.0f && p >= floor && exponent_bucket(p) >= lowest)
      scratch.push_back(static_cast<int32_t>(i));
  }
  // Most likely first; ties towards the lower id.
  std::sort(scratch.begin(), scratch.end(), [&](int32_t a, int32_t b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  });
  if (params.top_k > 0 && static_cast<size_t>(params.top_k) < scratch.size())
    scratch.resize(params.top_k);
  if (params.top_p < 1.0f) {
    // The nucleus is a fraction of the top-k set's mass, or of all eligible tokens'.
    double total = 0;
    if (params.top_k > 0)
      for (int32_t t : scratch) total += probs[t];
    else
      total = eligible_mass;
    const double need = params.top_p * total;
    double acc = 0;
    size_t n = 0;
    while (n < scratch.size() && acc < need) acc += probs[scratch[n++]];
    scratch.resize(n);
  }
  double kept = 0;
  for (int32_t t : scratch) kept += probs[t];
  const double target = rng.uniform() * kept;
  double acc = 0;
  int32_t token = scratch.back();
  for (int32_t t : scratch) {
    acc += probs[t];
    if (acc > target) {
      token = t;
      break;
    }
  }
  return {token, static_cast<float>(std::log(probs[token] / kept))};
}

std::vector<int64_t> stop_token_ids(const std::vector<int64_t>& tokenizer_eos,
                                    const std::vector<int64_t>& model_eos) {
  std::vector<int64_t> ids;
  for (const auto* list : {&tokenizer_eos, &model_eos})
    for (int64_t id : *list)
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  return ids;
}

}  // namespace r1
