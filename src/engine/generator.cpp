#include "engine/generator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>

#include "util/error.h"

namespace r1 {

const char* finish_reason_name(FinishReason reason) {
  return reason == FinishReason::kStop ? "stop" : "length";
}

namespace {

// One sequence being generated.
struct Row {
  size_t request;
  int64_t sample;
  SequenceRng rng;
  int64_t next_position;
  Completion out;
  bool done = false;
  bool has_text = false;  // text already cut at a stop string
};

// Finds the first stop string in `text`; returns its offset or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t* length) {
  size_t best = std::string::npos;
  for (const auto& s : stops) {
    size_t at = text.find(s);
    if (at != std::string::npos && at < best) {
      best = at;
      *length = s.size();
    }
  }
  return best;
}

// Decides whether a row just finished, and trims its text at a stop string.
bool check_finished(Row& row, const SamplingParams& params, const GenerateOptions& options,
                    int64_t step_limit) {
  int64_t last = row.out.tokens.back();
  const auto& stop_ids = params.stop_token_ids;
  if (std::find(stop_ids.begin(), stop_ids.end(), last) != stop_ids.end()) {
    row.out.finish = FinishReason::kStop;
    return true;
  }
  if (!params.stop_strings.empty()) {
    std::string text = options.decode(row.out.tokens);
    size_t length = 0;
    size_t at = find_stop(text, params.stop_strings, &length);
    if (at != std::string::npos) {
      row.out.finish = FinishReason::kStop;
      row.out.text = text.substr(0, params.include_stop_string ? at + length : at);
      row.has_text = true;
      return true;
    }
  }
  if (static_cast<int64_t>(row.out.tokens.size()) >= step_limit) {
    row.out.finish = FinishReason::kLength;
    return true;
  }
  return false;
}

void run_wave(const Model& model, const std::vector<GenerateRequest>& requests,
              std::vector<Row>& rows, const SamplingParams& params,
              const GenerateOptions& options) {
  at::NoGradGuard no_grad;
  const at::Device device = model.embed_tokens.device();
  const int64_t V = model.config.vocab_size;

  // Distinct prompts of this wave, left-padded to P.
  std::vector<size_t> prompts;                // request index per prompt slot
  std::map<size_t, int64_t> slot_of_request;  // request -> prompt slot
  for (const Row& r : rows)
    if (slot_of_request.emplace(r.request, prompts.size()).second) prompts.push_back(r.request);
  int64_t P = 0;
  for (size_t q : prompts) P = std::max<int64_t>(P, requests[q].prompt.size());
  const int64_t U = prompts.size(), R = rows.size();
  const int64_t new_tokens =
      std::min(params.max_new_tokens, model.config.max_position_embeddings - P);
  const int64_t capacity = P + new_tokens;

  std::vector<int64_t> ids(U * P, 0), mask(U * P, 0);
  for (int64_t u = 0; u < U; ++u) {
    const auto& prompt = requests[prompts[u]].prompt;
    const int64_t pad = P - static_cast<int64_t>(prompt.size());
    for (size_t t = 0; t < prompt.size(); ++t) {
      ids[u * P + pad + t] = prompt[t];
      mask[u * P + pad + t] = 1;
    }
  }
  auto long_opts = at::TensorOptions().dtype(at::kLong);
  auto prompt_ids = at::tensor(ids, long_opts).view({U, P}).to(device);
  auto prompt_mask = at::tensor(mask, long_opts).view({U, P}).to(device);

  // Prefill each distinct prompt once, then copy its KV to its sample rows.
  KVCache prefill = make_kv_cache(model, U, P);
  auto hidden =
      forward_hidden(model, prompt_ids, positions_from_mask(prompt_mask), prompt_mask, &prefill);
  std::vector<int64_t> slot(R);
  for (int64_t i = 0; i < R; ++i) slot[i] = slot_of_request[rows[i].request];
  auto row_slot = at::tensor(slot, long_opts).to(device);
  KVCache cache = make_kv_cache(model, R, capacity);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l].narrow(2, 0, P).copy_(prefill.keys[l].index_select(0, row_slot));
    cache.values[l].narrow(2, 0, P).copy_(prefill.values[l].index_select(0, row_slot));
  }
  cache.length = P;
  prefill = KVCache();
  auto key_mask = at::zeros({R, capacity}, long_opts.device(device));
  key_mask.narrow(1, 0, P).copy_(prompt_mask.index_select(0, row_slot));
  auto logits = lm_logits(model, hidden.select(1, P - 1)).index_select(0, row_slot);  // (R, V)

  std::vector<int64_t> live(R);  // batch position -> row index
  for (int64_t i = 0; i < R; ++i) live[i] = i;
  std::vector<int32_t> scratch;
  std::vector<float> penalized;

  for (int64_t step = 0; step < new_tokens; ++step) {
    // logprob under the policy itself (temperature 1, no filtering): the
    // quantity GRPO's ratio uses; the sampling distribution is separate.
    auto lse = at::logsumexp(logits, 1).to(at::kCPU).contiguous();
    auto logits_cpu = logits.to(at::kCPU).contiguous();
    at::Tensor sampling_logits = logits_cpu;
    if (params.uses_penalties()) {
      sampling_logits = logits_cpu.clone();
      for (size_t b = 0; b < live.size(); ++b) {
        const Row& row = rows[live[b]];
        apply_penalties(sampling_logits.data_ptr<float>() + b * V, requests[row.request].prompt,
                        row.out.tokens, params);
      }
    }
    at::Tensor probs;
    if (params.temperature > 0.0f)
      probs = at::softmax(sampling_logits / params.temperature, 1).contiguous();

    std::vector<int64_t> next(live.size());
    bool any_finished = false;
    for (size_t b = 0; b < live.size(); ++b) {
      Row& row = rows[live[b]];
      const float* row_logits = sampling_logits.data_ptr<float>() + b * V;
      const float* row_probs = probs.defined() ? probs.data_ptr<float>() + b * V : nullptr;
      SampledToken s = sample_from_probs(row_probs, row_logits, V, params, row.rng, scratch);
      next[b] = s.token;
      row.out.tokens.push_back(s.token);
      row.out.logprobs.push_back(logits_cpu.data_ptr<float>()[b * V + s.token] -
                                 lse.data_ptr<float>()[b]);
      row.out.sampling_logprobs.push_back(s.sampling_logprob);
      if (options.on_token) options.on_token(row.request, row.sample, s.token);
      row.done = check_finished(row, params, options, new_tokens);
      any_finished |= row.done;
    }

    // Drop finished rows from the batch: they stop costing compute.
    if (any_finished) {
      std::vector<int64_t> keep_batch, keep_rows;
      for (size_t b = 0; b < live.size(); ++b) {
        if (!rows[live[b]].done) {
          keep_batch.push_back(static_cast<int64_t>(b));
          keep_rows.push_back(live[b]);
        }
      }
      if (keep_rows.empty()) break;
      auto index = at::tensor(keep_batch, long_opts).to(device);
      for (size_t l = 0; l < cache.keys.size(); ++l) {
        cache.keys[l] = cache.keys[l].index_select(0, index);
        cache.values[l] = cache.values[l].index_select(0, index);
      }
      key_mask = key_mask.index_select(0, index);
      std::vector<int64_t> kept_next;
      for (int64_t b : keep_batch) kept_next.push_back(next[b]);
      next = kept_next;
      live = keep_rows;
    }

    const int64_t B = live.size();
    std::vector<int64_t> positions(B);
    for (int64_t b = 0; b < B; ++b) positions[b] = rows[live[b]].next_position++;
    key_mask.select(1, cache.length).fill_(1);
    auto step_ids = at::tensor(next, long_opts).view({B, 1}).to(device);
    auto step_pos = at::tensor(positions, long_opts).view({B, 1}).to(device);
    auto h =
        forward_hidden(model, step_ids, step_pos, key_mask.narrow(1, 0, cache.length + 1), &cache);
    logits = lm_logits(model, h.select(1, 0));  // (B, V)
  }
}

}  // namespace

std::vector<std::vector<Completion>> generate(const Model& model,
                                              const std::vector<GenerateRequest>& requests,
                                              const SamplingParams& params,
                                              const GenerateOptions& options) {
  params.validate();
  if (!params.stop_strings.empty() && !options.decode)
    fail("stop strings need a tokenizer to decode the output");
  if (options.max_batch <= 0) fail("max_batch must be > 0");
  for (size_t q = 0; q < requests.size(); ++q) {
    const auto& prompt = requests[q].prompt;
    if (prompt.empty()) fail("prompt ", q, " is empty");
    if (static_cast<int64_t>(prompt.size()) >= model.config.max_position_embeddings)
      fail("prompt ", q, " has ", prompt.size(), " tokens; the model context is ",
           model.config.max_position_embeddings, " (no room to generate)");
    if (requests[q].n <= 0) fail("request ", q, ": n must be > 0");
    for (int64_t id : prompt)
      if (id < 0 || id >= model.config.vocab_size)
        fail("prompt ", q, ": token id ", id, " is outside the vocabulary");
  }

  std::vector<std::vector<Completion>> results(requests.size());
  std::vector<Row> wave;
  auto flush = [&] {
    if (wave.empty()) return;
    run_wave(model, requests, wave, params, options);
    for (Row& r : wave) {
      if (options.decode && !r.has_text) r.out.text = options.decode(r.out.tokens);
      results[r.request][r.sample] = std::move(r.out);
    }
    wave.clear();
  };
  for (size_t q = 0; q < requests.size(); ++q) {
    results[q].resize(requests[q].n);
    for (int64_t i = 0; i < requests[q].n; ++i) {
      wave.push_back(Row{q,
                         i,
                         SequenceRng(sample_seed(requests[q].seed, i)),
                         static_cast<int64_t>(requests[q].prompt.size()),
                         {}});
      if (static_cast<int64_t>(wave.size()) == options.max_batch) flush();
    }
  }
  flush();
  return results;
}

}  // namespace r1
