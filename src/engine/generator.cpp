#include "engine/generator.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include "engine/policy_sampler.h"
#include "model/decode_gemm.h"
#include "model/gemm.h"
#include "model/train_ops.h"
#include "util/error.h"

namespace r1 {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAbort:
      return "abort";
  }
  return "?";
}

namespace {

// One sequence being generated.
struct Row {
  size_t request;
  const GenerateRequest* req;  // the caller's, alive until the row finishes
  int64_t sample;
  SequenceRng rng;
  int64_t next_position;
  int64_t limit = 0;  // most tokens it may generate (max_new_tokens, or less near the context)
  // Cache columns [0, this) hold its prompt's keys and values (padding masked
  // before it), the same bits for every row of its request that joined with it.
  int64_t prompt_columns = 0;
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
bool check_finished(Row& row, const SamplingParams& params, const GenerateOptions& options) {
  int64_t last = row.out.tokens.back();
  const auto& stop_ids = params.stop_token_ids;
  if (std::find(stop_ids.begin(), stop_ids.end(), last) != stop_ids.end()) {
    row.out.finish = FinishReason::kStop;
    return true;
  }
  const auto& own_stops = row.req->stop_strings;
  if (!params.stop_strings.empty() || !own_stops.empty()) {
    std::string text = options.decode(row.out.tokens);
    size_t length = 0, own_length = 0;
    size_t at = find_stop(text, params.stop_strings, &length);
    size_t own_at = find_stop(text, own_stops, &own_length);
    if (own_at < at) {
      at = own_at;
      length = own_length;
    }
    if (at != std::string::npos) {
      row.out.finish = FinishReason::kStop;
      row.out.text = text.substr(0, params.include_stop_string ? at + length : at);
      row.has_text = true;
      return true;
    }
  }
  if (static_cast<int64_t>(row.out.tokens.size()) >= row.limit) {
    row.out.finish = FinishReason::kLength;
    return true;
  }
  if (options.cancelled && options.cancelled(row.request)) {
    row.out.finish = FinishReason::kAbort;
    return true;
  }
  return false;
}

// Most tokens a row of `req` may generate when its prompt ends `columns`
// positions into the context.
int64_t row_limit(const GenerateRequest& req, const SamplingParams& params, int64_t context,
                  int64_t columns) {
  int64_t limit = std::min(params.max_new_tokens, context - columns);
  if (req.max_new_tokens > 0) limit = std::min(limit, req.max_new_tokens);
  return limit;
}

// Per-step sampling state for up to R rows, allocated once per wave: the last
// hidden state of each row, and (R, V) float buffers on the CPU when the step
// needs whole-vocabulary tensors; a step uses the first B rows.
struct StepBuffers {
  // Temperature 1 without penalties samples from the policy itself, so one
  // softmax gives both the draw and the recorded log-prob (log of its prob).
  bool sample_the_policy;
  // ... and without filters either, from 8 rows, engine/policy_sampler.h does
  // it without writing any (B, V) tensor.
  bool fused;
  at::Tensor hidden;     // (R, C) final-norm hidden state of each row's last token
  at::Tensor logits;     // model output
  at::Tensor logp;       // log-softmax of logits, when the policy is not what is sampled
  at::Tensor penalized;  // logits after repetition/presence penalties (if any)
  at::Tensor scaled;     // sampling logits / temperature (if not 1 or penalised)
  at::Tensor probs;      // the sampling distribution (temperature > 0)

  StepBuffers(const Model& model, int64_t R, const SamplingParams& params)
      : sample_the_policy(params.temperature == 1.0f && !params.uses_penalties()) {
    const int64_t V = model.config.vocab_size;
    auto opts = model.embed_tokens.options().dtype(activation_dtype(model)).requires_grad(false);
    hidden = at::empty({R, model.config.hidden_size}, opts);
    const bool filtered = params.top_k > 0 || params.top_p < 1.0f || params.min_p > 0.0f;
    // Below 8 rows a matrix-vector product and one softmax are faster (11.5 vs
    // 13.1 ms per step at one row, hidden 384): waves that small (r1 generate
    // of one prompt) keep them.
    // A bf16 LM head has no faster path at any row count (policy_sampler.h).
    const bool enough_rows =
        R >= kDecodeGemmMinRows || model.lm_head.scalar_type() == at::kBFloat16;
    fused = sample_the_policy && !filtered && enough_rows &&
            ops::kernels() == ops::Kernels::kFused && can_sample_policy(hidden, model.lm_head);
    if (fused) return;
    opts = at::TensorOptions().dtype(at::kFloat);
    logits = at::empty({R, V}, opts);
    if (!sample_the_policy) logp = at::empty({R, V}, opts);
    if (params.uses_penalties()) penalized = at::empty({R, V}, opts);
    if (params.temperature > 0.0f) probs = at::empty({R, V}, opts);
    if (params.temperature > 0.0f && !sample_the_policy) scaled = at::empty({R, V}, opts);
  }
};

// out (B, V) = hidden (B, C) x lm_head^T, written in place (a fresh (B, V)
// tensor every step would be page-faulted in anew). One row goes through
// matrix-vector BLAS (GEMM would first pack the whole LM head), several through
// model/gemm.h.
void lm_head_into(const Model& model, const at::Tensor& hidden, at::Tensor out) {
  const at::Tensor& w = model.lm_head;  // (V, C)
  const int64_t B = hidden.size(0), C = hidden.size(1), V = w.size(0);
  if (!ops::fused_dtype(hidden) || hidden.scalar_type() != at::kFloat ||
      w.scalar_type() != at::kFloat || !w.is_contiguous() || hidden.stride(1) != 1) {
    out.copy_(lm_logits(model, hidden));
  } else if (B == 1) {
    auto row = out.view({V});
    at::mv_out(row, w, hidden.reshape({C}));
  } else if (B <= 16) {
    // (W h^T)^T: oneDNN packs the weight matrix for h W^T, which costs more than
    // the product itself at a few rows (1.4x on the LM head at 8 rows).
    auto transposed = at::empty({V, B}, out.options());
    gemm<float>(false, true, V, B, C, 1.0f, w.data_ptr<float>(), C, hidden.data_ptr<float>(),
                hidden.stride(0), 0.0f, transposed.data_ptr<float>(), B);
    out.copy_(transposed.t());
  } else {
    gemm<float>(false, true, B, V, C, 1.0f, hidden.data_ptr<float>(), hidden.stride(0),
                w.data_ptr<float>(), C, 0.0f, out.data_ptr<float>(), V);
  }
}

// Samples the next token of the first B rows of buffers.hidden (batch position
// b is row live[b]) and records each token's policy log-prob: the log-softmax
// at temperature 1 without penalties or filters, what GRPO's ratio needs.
// Whole-vocabulary passes are vectorised torch kernels into the wave's
// buffers; the per-row draw runs in parallel over rows (each row owns its
// random stream).
void sample_step(const Model& model, StepBuffers& buf, int64_t B, const SamplingParams& params,
                 std::vector<Row>& rows, const std::vector<int64_t>& live,
                 std::vector<SampledToken>& sampled, std::vector<float>& policy_logprobs) {
  const int64_t V = model.config.vocab_size;
  auto hidden = buf.hidden.narrow(0, 0, B);
  if (buf.fused) {
    std::vector<SequenceRng*> rngs(B);
    for (int64_t b = 0; b < B; ++b) rngs[b] = &rows[live[b]].rng;
    sample_policy(hidden, model.lm_head, rngs.data(), sampled.data());
    for (int64_t b = 0; b < B; ++b) policy_logprobs[b] = sampled[b].sampling_logprob;
    return;
  }
  auto logits = buf.logits.narrow(0, 0, B);
  lm_head_into(model, hidden, logits);
  if (buf.sample_the_policy) {
    auto probs = buf.probs.narrow(0, 0, B);
    at::_softmax_out(probs, logits, 1, false);
    const float* probs_ptr = probs.data_ptr<float>();
    at::parallel_for(0, B, parallel_grain(B, V), [&](int64_t begin, int64_t end) {
      std::vector<int32_t> scratch;
      for (int64_t b = begin; b < end; ++b)
        sampled[b] =
            sample_from_probs(probs_ptr + b * V, nullptr, V, params, rows[live[b]].rng, scratch);
    });
    for (int64_t b = 0; b < B; ++b)
      policy_logprobs[b] = std::log(probs_ptr[b * V + sampled[b].token]);
    return;
  }

  auto logp = buf.logp.narrow(0, 0, B);
  at::_log_softmax_out(logp, logits, 1, false);
  at::Tensor sampling_logits = logits;
  if (params.uses_penalties()) {
    sampling_logits = buf.penalized.narrow(0, 0, B);
    sampling_logits.copy_(logits);
    for (int64_t b = 0; b < B; ++b) {
      const Row& row = rows[live[b]];
      apply_penalties(sampling_logits.data_ptr<float>() + b * V, row.req->prompt, row.out.tokens,
                      params);
    }
  }
  at::Tensor probs;
  if (params.temperature > 0.0f) {
    probs = buf.probs.narrow(0, 0, B);
    auto scaled = buf.scaled.narrow(0, 0, B);
    at::div_out(scaled, sampling_logits, params.temperature);
    at::_softmax_out(probs, scaled, 1, false);
  }
  const float* logits_ptr = sampling_logits.data_ptr<float>();
  const float* probs_ptr = probs.defined() ? probs.data_ptr<float>() : nullptr;
  at::parallel_for(0, B, parallel_grain(B, V), [&](int64_t begin, int64_t end) {
    std::vector<int32_t> scratch;
    for (int64_t b = begin; b < end; ++b)
      sampled[b] = sample_from_probs(probs_ptr ? probs_ptr + b * V : nullptr, logits_ptr + b * V, V,
                                     params, rows[live[b]].rng, scratch);
  });
  const float* logp_ptr = logp.data_ptr<float>();
  for (int64_t b = 0; b < B; ++b) policy_logprobs[b] = logp_ptr[b * V + sampled[b].token];
}

// FLOPs of the largest product in a decode step of `rows` sequences: the LM
// head, gate|up or q|k|v.
double largest_step_flops(const ModelConfig& c, int64_t rows) {
  const int64_t widest =
      std::max({c.vocab_size, 2 * c.intermediate_size,
                (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim});
  return 2.0 * rows * c.hidden_size * widest;
}

// The rows of one request that joined the batch together hold the same
// prompt columns: each reads them from the first such row in the decode
// attention (model/decode_attention.h SharedColumns), so a GRPO group's prompt
// is read from memory once a step rather than once per sample.
void share_prompt_columns(const std::vector<Row>& rows, const std::vector<int64_t>& live,
                          KVCache& cache) {
  std::map<std::pair<size_t, int64_t>, int64_t> first;  // (request, columns) -> batch row
  cache.shared.resize(live.size());
  for (size_t b = 0; b < live.size(); ++b) {
    const Row& row = rows[live[b]];
    const auto key = std::make_pair(row.request, row.prompt_columns);
    cache.shared[b] = {first.emplace(key, b).first->second, row.prompt_columns};
  }
}

// Generates `rows` (one slot each) to the end; as rows finish, rows from the
// front of `waiting` take their slots and are appended to `rows`. `refill`, if
// set, may add rows to `waiting` between steps (generate_fed); the wave then
// has options.max_batch slots however few rows it starts with.
void run_wave(const Model& model, std::vector<Row>& rows, std::deque<Row>& waiting,
              const SamplingParams& params, const GenerateOptions& options,
              const std::function<void()>& refill) {
  at::NoGradGuard no_grad;
  const at::Device device = model.embed_tokens.device();
  const int64_t context = model.config.max_position_embeddings;
  const int64_t R0 = rows.size(), R = refill ? std::max(R0, options.max_batch) : R0;
  // A decode step of a tiny model is dozens of passes of a few microseconds;
  // waking a second thread for each costs more than it saves (model/gemm.h).
  SerialScope serial(largest_step_flops(model.config, R) < kParallelMinFlops);

  // Distinct prompts of this wave, left-padded to P.
  std::vector<const GenerateRequest*> prompts;  // request per prompt slot
  std::map<size_t, int64_t> slot_of_request;    // request -> prompt slot
  for (const Row& r : rows)
    if (slot_of_request.emplace(r.request, prompts.size()).second) prompts.push_back(r.req);
  int64_t P = 0;
  for (const GenerateRequest* q : prompts) P = std::max<int64_t>(P, q->prompt.size());
  const int64_t U = prompts.size();
  const int64_t new_tokens = std::min(params.max_new_tokens, context - P);
  // Columns beyond the wave's own let rows that join later (continuous
  // batching) fit: a row joining at column L needs L + its new tokens.
  const int64_t capacity = P + new_tokens + (waiting.empty() && !refill ? 0 : new_tokens / 2);
  for (Row& r : rows) {
    r.limit = row_limit(*r.req, params, context, P);
    r.prompt_columns = P;
  }

  std::vector<int64_t> ids(U * P, 0), mask(U * P, 0);
  for (int64_t u = 0; u < U; ++u) {
    const auto& prompt = prompts[u]->prompt;
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
  std::vector<int64_t> slot(R0);
  for (int64_t i = 0; i < R0; ++i) slot[i] = slot_of_request[rows[i].request];
  auto row_slot = at::tensor(slot, long_opts).to(device);
  KVCache cache = make_kv_cache(model, R, capacity);
  // The live rows are always the first B of these (R, ...) buffers, so a
  // decode step allocates nothing the size of the cache or the vocabulary.
  const std::vector<at::Tensor> all_keys = cache.keys, all_values = cache.values;
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l] = all_keys[l].narrow(0, 0, R0);
    cache.values[l] = all_values[l].narrow(0, 0, R0);
    cache.keys[l].narrow(2, 0, P).copy_(prefill.keys[l].index_select(0, row_slot));
    cache.values[l].narrow(2, 0, P).copy_(prefill.values[l].index_select(0, row_slot));
  }
  cache.length = P;
  prefill = KVCache();
  auto key_mask = at::zeros({R, capacity}, long_opts.device(device));
  key_mask.narrow(0, 0, R0).narrow(1, 0, P).copy_(prompt_mask.index_select(0, row_slot));
  StepBuffers buffers(model, R, params);
  buffers.hidden.narrow(0, 0, R0).copy_(hidden.select(1, P - 1).index_select(0, row_slot));

  std::vector<int64_t> live(R0);  // batch position -> row index
  for (int64_t i = 0; i < R0; ++i) live[i] = i;
  std::vector<int64_t> next(R);
  std::vector<SampledToken> sampled(R);
  std::vector<float> policy_logprobs(R);

  while (!live.empty()) {
    int64_t B = live.size();
    sample_step(model, buffers, B, params, rows, live, sampled, policy_logprobs);
    bool any_finished = false;
    for (int64_t b = 0; b < B; ++b) {
      Row& row = rows[live[b]];
      next[b] = sampled[b].token;
      row.out.tokens.push_back(sampled[b].token);
      row.out.logprobs.push_back(policy_logprobs[b]);
      row.out.sampling_logprobs.push_back(sampled[b].sampling_logprob);
      if (options.on_token)
        options.on_token(row.request, row.sample, sampled[b].token, policy_logprobs[b]);
      row.done = check_finished(row, params, options);
      if (row.done && options.on_finish) {
        if (options.decode && !row.has_text) row.out.text = options.decode(row.out.tokens);
        row.has_text = true;
        options.on_finish(row.request, row.sample, row.out);
      }
      any_finished |= row.done;
    }

    // Finished rows leave the batch so they stop costing compute: the last
    // live row moves into each hole, so one row's cache is copied per finished
    // row rather than the whole batch shifted.
    if (any_finished) {
      for (int64_t b = 0; b < B;) {
        if (!rows[live[b]].done) {
          ++b;
          continue;
        }
        if (b != --B) {
          live[b] = live[B];
          next[b] = next[B];
          for (size_t l = 0; l < all_keys.size(); ++l) {
            all_keys[l][b]
                .narrow(1, 0, cache.length)
                .copy_(all_keys[l][B].narrow(1, 0, cache.length));
            all_values[l][b]
                .narrow(1, 0, cache.length)
                .copy_(all_values[l][B].narrow(1, 0, cache.length));
          }
          key_mask[b].copy_(key_mask[B]);
        }
      }
      live.resize(B);
      if (B == 0) break;
      for (size_t l = 0; l < all_keys.size(); ++l) {
        cache.keys[l] = all_keys[l].narrow(0, 0, B);
        cache.values[l] = all_values[l].narrow(0, 0, B);
      }
    }

    std::vector<int64_t> positions(B);
    for (int64_t b = 0; b < B; ++b) positions[b] = rows[live[b]].next_position++;
    key_mask.select(1, cache.length).fill_(1);
    share_prompt_columns(rows, live, cache);
    auto step_ids = at::tensor(std::vector<int64_t>(next.begin(), next.begin() + B), long_opts)
                        .view({B, 1})
                        .to(device);
    auto step_pos = at::tensor(positions, long_opts).view({B, 1}).to(device);
    auto h = forward_hidden(model, step_ids, step_pos,
                            key_mask.narrow(0, 0, B).narrow(1, 0, cache.length + 1), &cache);
    buffers.hidden.narrow(0, 0, B).copy_(h.select(1, 0));

    // Continuous batching: waiting rows take the free slots. Their prompt is
    // prefilled once per request and its KV placed right-aligned before the
    // column their first token will take (cache.length), earlier columns
    // masked; they sample that token with everyone else next step.
    const int64_t B_before = B;
    if (refill && B < R && waiting.empty()) refill();
    while (B < R && !waiting.empty()) {
      const size_t q = waiting.front().request;
      const auto& prompt = waiting.front().req->prompt;
      const int64_t p = prompt.size(), L = cache.length;
      const int64_t limit = row_limit(*waiting.front().req, params, context, p);
      if (p > L || L + limit > capacity) break;
      KVCache fresh = make_kv_cache(model, 1, p);
      auto ids = at::tensor(prompt, long_opts).view({1, p}).to(device);
      auto hidden_q = forward_hidden(
          model, ids, at::arange(p, long_opts.device(device)).view({1, p}), at::Tensor(), &fresh);
      auto last_hidden = hidden_q.select(1, p - 1);  // (1, C)
      while (B < R && !waiting.empty() && waiting.front().request == q) {
        rows.push_back(std::move(waiting.front()));
        waiting.pop_front();
        rows.back().limit = limit;
        rows.back().prompt_columns = L;
        live.push_back(static_cast<int64_t>(rows.size()) - 1);
        for (size_t l = 0; l < all_keys.size(); ++l) {
          all_keys[l][B].narrow(1, L - p, p).copy_(fresh.keys[l][0]);
          all_values[l][B].narrow(1, L - p, p).copy_(fresh.values[l][0]);
        }
        key_mask[B].zero_();
        key_mask[B].narrow(0, L - p, p).fill_(1);
        buffers.hidden[B].copy_(last_hidden[0]);
        ++B;
      }
    }
    if (B != B_before)
      for (size_t l = 0; l < all_keys.size(); ++l) {
        cache.keys[l] = all_keys[l].narrow(0, 0, B);
        cache.values[l] = all_values[l].narrow(0, 0, B);
      }
  }
}

}  // namespace

void check_request(const Model& model, const GenerateRequest& request, const std::string& name) {
  const auto& prompt = request.prompt;
  if (prompt.empty()) fail(name, " is empty");
  if (static_cast<int64_t>(prompt.size()) >= model.config.max_position_embeddings)
    fail(name, " has ", prompt.size(), " tokens; the model context is ",
         model.config.max_position_embeddings, " (no room to generate)");
  if (request.n <= 0) fail(name, ": n must be > 0");
  for (int64_t id : prompt)
    if (id < 0 || id >= model.config.vocab_size)
      fail(name, ": token id ", id, " is outside the vocabulary");
}

namespace {

void check_options(const SamplingParams& params, const GenerateOptions& options,
                   bool own_stop_strings) {
  params.validate();
  if ((!params.stop_strings.empty() || own_stop_strings) && !options.decode)
    fail("stop strings need a tokenizer to decode the output");
  if (options.max_batch <= 0) fail("max_batch must be > 0");
}

void push_rows(size_t id, const GenerateRequest& request, std::deque<Row>& waiting) {
  for (int64_t i = 0; i < request.n; ++i)
    waiting.push_back(Row{id,
                          &request,
                          i,
                          SequenceRng(sample_seed(request.seed, i)),
                          static_cast<int64_t>(request.prompt.size()),
                          0,
                          0,
                          {}});
}

}  // namespace

std::vector<std::vector<Completion>> generate(const Model& model,
                                              const std::vector<GenerateRequest>& requests,
                                              const SamplingParams& params,
                                              const GenerateOptions& options) {
  bool own_stops = false;
  for (size_t q = 0; q < requests.size(); ++q) {
    check_request(model, requests[q], cat("prompt ", q));
    own_stops |= !requests[q].stop_strings.empty();
  }
  check_options(params, options, own_stops);

  std::vector<std::vector<Completion>> results(requests.size());
  std::deque<Row> waiting;
  for (size_t q = 0; q < requests.size(); ++q) {
    results[q].resize(requests[q].n);
    push_rows(q, requests[q], waiting);
  }
  // A tiny model's decode step is too small to share between threads (run_wave
  // runs it on one), so its requests are split into one group per thread
  // instead, each generated on its own thread: inside the parallel region ATen
  // and oneDNN run inline. A row never depends on its batch-mates (its own
  // random stream; the kernels are row-independent), so the output is the
  // same. Streaming (on_token) keeps one group, in order.
  const int64_t rows = waiting.size();
  const bool tiny =
      largest_step_flops(model.config, std::min(rows, options.max_batch)) < kParallelMinFlops;
  const int64_t parts =
      tiny && !options.on_token ? std::min<int64_t>(at::get_num_threads(), requests.size()) : 1;
  // Consecutive requests per group (a request's rows share its prefill),
  // balanced by rows.
  std::vector<std::deque<Row>> groups(parts);
  for (int64_t g = 0, taken = 0; !waiting.empty(); ++taken) {
    if (g + 1 < parts && taken >= rows * (g + 1) / parts && !groups[g].empty() &&
        waiting.front().request != groups[g].back().request)
      ++g;
    groups[g].push_back(std::move(waiting.front()));
    waiting.pop_front();
  }
  auto run_group = [&](std::deque<Row>& queue) {
    while (!queue.empty()) {
      std::vector<Row> wave;
      while (!queue.empty() && static_cast<int64_t>(wave.size()) < options.max_batch) {
        wave.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      run_wave(model, wave, queue, params, options, nullptr);
      for (Row& r : wave) {
        if (options.decode && !r.has_text) r.out.text = options.decode(r.out.tokens);
        results[r.request][r.sample] = std::move(r.out);
      }
    }
  };
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) run_group(groups[g]);
  });
  return results;
}

void generate_fed(const Model& model, const SamplingParams& params, const GenerateOptions& options,
                  const std::function<std::vector<FedRequest>()>& feed) {
  check_options(params, options, /*own_stop_strings=*/false);
  std::deque<Row> waiting;
  auto refill = [&] {
    for (const FedRequest& f : feed()) {
      check_request(model, *f.request, cat("request ", f.id));
      if (!f.request->stop_strings.empty() && !options.decode)
        fail("stop strings need a tokenizer to decode the output");
      push_rows(f.id, *f.request, waiting);
    }
  };
  refill();
  while (!waiting.empty()) {
    std::vector<Row> wave;
    while (!waiting.empty() && static_cast<int64_t>(wave.size()) < options.max_batch) {
      wave.push_back(std::move(waiting.front()));
      waiting.pop_front();
    }
    run_wave(model, wave, waiting, params, options, refill);
    if (waiting.empty()) refill();
  }
}

}  // namespace r1
