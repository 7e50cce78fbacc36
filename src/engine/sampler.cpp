#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
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

SampledToken sample_from_probs(const float* probs, const float* logits, int64_t V,
                               const SamplingParams& params, SequenceRng& rng,
                               std::vector<int32_t>& scratch) {
  if (params.temperature == 0.0f) {
    int64_t best = std::max_element(logits, logits + V) - logits;
    return {best, 0.0f};
  }
  const bool filtered = params.top_k > 0 || params.top_p < 1.0f || params.min_p > 0.0f;
  if (!filtered) {
    // Inverse CDF over the whole vocabulary: one pass.
    double total = 0;
    for (int64_t i = 0; i < V; ++i) total += probs[i];
    double target = rng.uniform() * total, acc = 0;
    int64_t token = V - 1;
    for (int64_t i = 0; i < V; ++i) {
      acc += probs[i];
      if (acc > target) {
        token = i;
        break;
      }
    }
    while (probs[token] <= 0.0f && token > 0) --token;  // rounding at the very end
    return {token, static_cast<float>(std::log(probs[token] / total))};
  }

  // Candidates: tokens above the min-p floor.
  const float top = *std::max_element(probs, probs + V);
  const float floor = params.min_p * top;
  scratch.clear();
  for (int64_t i = 0; i < V; ++i)
    if (probs[i] > 0.0f && probs[i] >= floor) scratch.push_back(static_cast<int32_t>(i));
  auto by_prob = [&](int32_t a, int32_t b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  };
  size_t keep = scratch.size();
  if (params.top_k > 0 && static_cast<size_t>(params.top_k) < keep) {
    std::nth_element(scratch.begin(), scratch.begin() + params.top_k, scratch.end(), by_prob);
    keep = static_cast<size_t>(params.top_k);
    scratch.resize(keep);
  }
  if (params.top_p < 1.0f) {
    double total = 0;
    for (int32_t t : scratch) total += probs[t];
    const double need = params.top_p * total;
    // The nucleus is usually small: sort a prefix first, the rest only if needed.
    size_t prefix = std::min<size_t>(keep, 512);
    while (true) {
      std::partial_sort(scratch.begin(), scratch.begin() + prefix, scratch.end(), by_prob);
      double acc = 0;
      size_t n = 0;
      while (n < prefix && acc < need) acc += probs[scratch[n++]];
      if (acc >= need || prefix == keep) {
        keep = n;
        break;
      }
      prefix = keep;
    }
    scratch.resize(keep);
  }
  double mass = 0;
  for (int32_t t : scratch) mass += probs[t];
  double target = rng.uniform() * mass, acc = 0;
  int32_t token = scratch.back();
  for (int32_t t : scratch) {
    acc += probs[t];
    if (acc > target) {
      token = t;
      break;
    }
  }
  return {token, static_cast<float>(std::log(probs[token] / mass))};
}

}  // namespace r1
