// The rollout engine: cached generation equals full recomputation, recorded
// log-probs equal teacher-forced ones, per-request seeds make outputs
// independent of batch composition, and bad requests are clear errors.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/generator.h"
#include "engine/scoring.h"
#include "model/checkpoint.h"
#include "util/error.h"

namespace r1 {
namespace {

Model fixture_model(const std::string& name) {
  return load_model(std::string(R1_FIXTURES) + "/models/" + name, at::kCPU);
}

std::vector<int64_t> random_prompt(int64_t length, int64_t vocab, uint64_t seed) {
  SequenceRng rng(seed);
  std::vector<int64_t> p(length);
  for (auto& t : p) t = 1 + static_cast<int64_t>(rng.uniform() * (vocab - 1));
  return p;
}

// Greedy decoding by recomputing the whole sequence every step (no cache).
std::vector<int64_t> greedy_uncached(const Model& model, std::vector<int64_t> ids, int64_t n) {
  at::NoGradGuard no_grad;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t T = ids.size();
    auto x = at::tensor(ids, at::kLong).view({1, T});
    auto h = forward_hidden(model, x, at::arange(T, at::kLong).view({1, T}), {});
    int64_t next = lm_logits(model, h.select(1, T - 1)).argmax(-1).item<int64_t>();
    out.push_back(next);
    ids.push_back(next);
  }
  return out;
}

class EngineFamilies : public ::testing::TestWithParam<const char*> {};

// 4 rows decode layer by layer; 9 take the fused decode layers
// (model/decode_layers.h, 8 to 64 rows).
TEST_P(EngineFamilies, CachedGreedyEqualsUncachedOnARaggedBatch) {
  Model model = fixture_model(GetParam());
  const int64_t V = model.config.vocab_size;
  for (std::vector<int64_t> lengths :
       {std::vector<int64_t>{5, 1, 12, 8}, std::vector<int64_t>{5, 1, 12, 8, 3, 7, 2, 10, 6}}) {
    std::vector<GenerateRequest> requests;
    for (int64_t len : lengths) requests.push_back({random_prompt(len, V, len), 1, 0});
    SamplingParams params;
    params.temperature = 0.0f;
    params.max_new_tokens = 16;
    auto results = generate(model, requests, params);
    for (size_t q = 0; q < requests.size(); ++q) {
      EXPECT_EQ(results[q][0].tokens, greedy_uncached(model, requests[q].prompt, 16))
          << GetParam() << " request " << q << " of " << requests.size();
      EXPECT_EQ(results[q][0].finish, FinishReason::kLength);
    }
  }
}

TEST_P(EngineFamilies, RecordedLogprobsEqualTeacherForcedOnSampledOutputs) {
  Model model = fixture_model(GetParam());
  const int64_t V = model.config.vocab_size;
  std::vector<GenerateRequest> requests;
  for (int64_t len : {3, 9, 6}) requests.push_back({random_prompt(len, V, 100 + len), 3, 7});
  SamplingParams params;  // temperature 1: sampled, not greedy
  params.max_new_tokens = 20;
  params.stop_token_ids = {5, 9, 17};  // ragged completion lengths
  auto results = generate(model, requests, params);

  std::vector<std::vector<int64_t>> prompts, completions;
  std::vector<float> recorded;
  for (size_t q = 0; q < requests.size(); ++q)
    for (const Completion& c : results[q]) {
      prompts.push_back(requests[q].prompt);
      completions.push_back(c.tokens);
      recorded.insert(recorded.end(), c.logprobs.begin(), c.logprobs.end());
    }
  at::NoGradGuard no_grad;
  ScoredBatch scored = score_completions(model, prompts, completions, /*with_entropy=*/true);
  auto flat = scored.logprobs.masked_select(scored.mask.to(at::kBool));
  auto ours = at::tensor(recorded);
  ASSERT_EQ(flat.numel(), ours.numel());
  EXPECT_LT((flat - ours).abs().max().item<double>(), 1e-5) << GetParam();
  EXPECT_GT(scored.entropy.masked_select(scored.mask.to(at::kBool)).min().item<double>(), 0.0);
  bool mixed = false;
  for (auto& c : completions) mixed |= c.size() != completions[0].size();
  EXPECT_TRUE(mixed) << "test should cover completions of different lengths";
}

INSTANTIATE_TEST_SUITE_P(Families, EngineFamilies,
                         ::testing::Values("qwen2-gqa", "qwen3-qknorm", "llama3-rope", "mistral",
                                           "qwen2-yarn"));

TEST(Engine, SameSeedSameOutputAloneOrInABatchOf32) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  GenerateRequest target{random_prompt(7, V, 1), 2, 1234};
  SamplingParams params;
  params.max_new_tokens = 24;
  params.top_p = 0.9f;
  params.stop_token_ids = {3};
  auto alone = generate(model, {target}, params);

  std::vector<GenerateRequest> crowd;
  for (int i = 0; i < 15; ++i)
    crowd.push_back({random_prompt(2 + i % 9, V, 50 + i), 2, uint64_t(i)});
  crowd.insert(crowd.begin() + 6, target);  // 32 sequences in all
  auto together = generate(model, crowd, params);
  for (int s = 0; s < 2; ++s) EXPECT_EQ(alone[0][s].tokens, together[6][s].tokens);
  EXPECT_NE(alone[0][0].tokens, alone[0][1].tokens) << "samples of one prompt must differ";

  GenerateOptions small;
  small.max_batch = 3;  // the same requests split over many waves
  auto waves = generate(model, crowd, params, small);
  for (size_t q = 0; q < crowd.size(); ++q)
    for (int s = 0; s < 2; ++s) EXPECT_EQ(waves[q][s].tokens, together[q][s].tokens);
}

// A tiny model's requests are split into one group per thread, each
// generated on its own thread: the same tokens as on one thread, and the same
// log-probs up to kernel rounding.
TEST(Engine, OneGroupPerThreadGivesTheSameOutput) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < 7; ++i)
    requests.push_back({random_prompt(2 + i % 5, V, 90 + i), 3, uint64_t(i)});
  SamplingParams params;
  params.max_new_tokens = 20;
  params.stop_token_ids = {3};
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto one = generate(model, requests, params);
  at::set_num_threads(2);
  auto split = generate(model, requests, params);
  at::set_num_threads(threads);
  for (size_t q = 0; q < requests.size(); ++q)
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(split[q][s].tokens, one[q][s].tokens) << "request " << q << " sample " << s;
      ASSERT_EQ(split[q][s].logprobs.size(), one[q][s].logprobs.size());
      for (size_t t = 0; t < one[q][s].logprobs.size(); ++t)
        EXPECT_NEAR(split[q][s].logprobs[t], one[q][s].logprobs[t], 1e-5);
    }
}

TEST(Engine, FinishedSlotsAreRefilledWithWaitingRequests) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  std::vector<GenerateRequest> requests;
  for (uint64_t i = 0; i < 4; ++i) requests.push_back({random_prompt(6, V, 70 + i), 1, 0});
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_new_tokens = 12;
  auto free_run = generate(model, requests, params);
  // A stop id that ends request 0 within 3 tokens and never appears in request 1.
  const auto& first = free_run[0][0].tokens;
  const auto& second = free_run[1][0].tokens;
  int64_t stop = -1;
  for (int i = 0; i < 3 && stop < 0; ++i)
    if (std::find(second.begin(), second.end(), first[i]) == second.end()) stop = first[i];
  if (stop < 0) GTEST_SKIP() << "no early stop id separates requests 0 and 1";
  params.stop_token_ids = {stop};
  auto one_batch = generate(model, requests, params);

  GenerateOptions two_slots;
  two_slots.max_batch = 2;
  std::vector<size_t> order;  // request of each emitted token, in emission order
  two_slots.on_token = [&](size_t request, int64_t, int64_t, float) { order.push_back(request); };
  auto refilled = generate(model, requests, params, two_slots);
  for (size_t q = 0; q < requests.size(); ++q)
    EXPECT_EQ(refilled[q][0].tokens, one_batch[q][0].tokens) << "request " << q;
  // Request 2 took request 0's slot while request 1 was still generating.
  auto first_of_2 = std::find(order.begin(), order.end(), size_t(2)) - order.begin();
  auto last_of_1 = order.rend() - std::find(order.rbegin(), order.rend(), size_t(1)) - 1;
  EXPECT_LT(first_of_2, last_of_1);
}

TEST(Engine, StopTokenEndsTheSequenceAndIsKept) {
  Model model = fixture_model("qwen3-qknorm");
  auto prompt = random_prompt(4, model.config.vocab_size, 9);
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_new_tokens = 8;
  auto free_run = generate(model, {{prompt, 1, 0}}, params)[0][0].tokens;
  params.stop_token_ids = {free_run[2]};
  auto stopped = generate(model, {{prompt, 1, 0}}, params)[0][0];
  auto first = std::find(free_run.begin(), free_run.end(), free_run[2]) - free_run.begin();
  EXPECT_EQ(stopped.tokens, std::vector<int64_t>(free_run.begin(), free_run.begin() + first + 1));
  EXPECT_EQ(stopped.finish, FinishReason::kStop);
}

TEST(Engine, StopStringsCutTheText) {
  Model model = fixture_model("qwen2-gqa");
  GenerateOptions options;
  options.decode = [](const std::vector<int64_t>& ids) {  // a toy detokenizer
    std::string s;
    for (int64_t id : ids) s += static_cast<char>('a' + id % 26);
    return s;
  };
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_new_tokens = 12;
  auto prompt = random_prompt(5, model.config.vocab_size, 4);
  std::string full = generate(model, {{prompt, 1, 0}}, params, options)[0][0].text;
  ASSERT_EQ(full.size(), 12u);
  params.stop_strings = {full.substr(4, 2)};
  Completion c = generate(model, {{prompt, 1, 0}}, params, options)[0][0];
  size_t at = full.find(full.substr(4, 2));
  EXPECT_EQ(c.text, full.substr(0, at));
  EXPECT_EQ(c.finish, FinishReason::kStop);
  params.include_stop_string = true;
  EXPECT_EQ(generate(model, {{prompt, 1, 0}}, params, options)[0][0].text, full.substr(0, at + 2));
}

TEST(Engine, BadRequestsAreClearErrors) {
  Model model = fixture_model("qwen2-gqa");
  SamplingParams params;
  auto message = [&](std::vector<GenerateRequest> r, SamplingParams p) -> std::string {
    try {
      generate(model, r, p);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  std::vector<int64_t> too_long(model.config.max_position_embeddings, 1);
  EXPECT_NE(message({{too_long, 1, 0}}, params).find("model context is 256"), std::string::npos);
  EXPECT_NE(message({{{}, 1, 0}}, params).find("empty"), std::string::npos);
  EXPECT_NE(message({{{1, 999}, 1, 0}}, params).find("outside the vocabulary"), std::string::npos);
  SamplingParams zero = params;
  zero.max_new_tokens = 0;
  EXPECT_NE(message({{{1, 2}, 1, 0}}, zero).find("max_new_tokens"), std::string::npos);
  SamplingParams bad_p = params;
  bad_p.top_p = 0.0f;
  EXPECT_NE(message({{{1, 2}, 1, 0}}, bad_p).find("top_p"), std::string::npos);
  SamplingParams stops = params;
  stops.stop_strings = {"x"};
  EXPECT_NE(message({{{1, 2}, 1, 0}}, stops).find("tokenizer"), std::string::npos);
}

TEST(Engine, GenerationNeverRunsPastTheContext) {
  Model model = fixture_model("qwen2-gqa");  // context 256
  SamplingParams params;
  params.max_new_tokens = 1000;
  auto c = generate(model, {{std::vector<int64_t>(250, 3), 1, 0}}, params)[0][0];
  EXPECT_EQ(c.tokens.size(), 6u);
  EXPECT_EQ(c.finish, FinishReason::kLength);
}

// r1 serve's engine: requests handed in one per step join the running wave
// (continuous batching), each gets exactly what generate gives it alone
// (per-request seeds, max_new_tokens and stop strings), and the results come
// through on_token / on_finish.
using Key = std::pair<size_t, int64_t>;  // (request, sample)

TEST(Engine, FedRequestsJoinTheRunningWaveAndMatchGenerate) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < 6; ++i)
    requests.push_back({random_prompt(3 + i % 3, V, 300 + i), 2, uint64_t(40 + i)});
  requests[1].max_new_tokens = 5;
  SamplingParams params;
  params.max_new_tokens = 14;
  params.top_p = 0.95f;
  params.stop_token_ids = {3};
  std::vector<std::vector<Completion>> expected;
  for (const auto& r : requests) expected.push_back(generate(model, {r}, params)[0]);

  size_t handed = 0, calls = 0;
  std::map<Key, Completion> got;
  std::map<Key, std::vector<int64_t>> streamed;
  std::vector<size_t> order;  // request of each emitted token
  GenerateOptions options;
  options.max_batch = 16;
  options.on_token = [&](size_t id, int64_t s, int64_t token, float) {
    streamed[Key(id, s)].push_back(token);
    order.push_back(id);
  };
  options.on_finish = [&](size_t id, int64_t s, const Completion& c) { got[Key(id, s)] = c; };
  generate_fed(model, params, options, [&] {
    ++calls;
    std::vector<FedRequest> feed;
    if (handed < requests.size()) feed.push_back({handed, &requests[handed]}), ++handed;
    return feed;
  });
  ASSERT_EQ(handed, requests.size());
  EXPECT_GT(calls, requests.size());
  for (size_t q = 0; q < requests.size(); ++q)
    for (int64_t s = 0; s < 2; ++s) {
      ASSERT_TRUE(got.count({q, s})) << "request " << q << " sample " << s;
      EXPECT_EQ(got[Key(q, s)].tokens, expected[q][s].tokens) << "request " << q << " sample " << s;
      EXPECT_EQ(streamed[Key(q, s)], expected[q][s].tokens);
    }
  EXPECT_LE(got[Key(1, 0)].tokens.size(), 5u);
  // Request 5 was generating while request 0 still was: one wave, not one after another.
  auto first_of_5 = std::find(order.begin(), order.end(), size_t(5)) - order.begin();
  auto last_of_0 = order.rend() - std::find(order.rbegin(), order.rend(), size_t(0)) - 1;
  EXPECT_LT(first_of_5, last_of_0);
}

TEST(Engine, CancelledRequestsStopAtTheNextStep) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  std::vector<GenerateRequest> requests = {{random_prompt(4, V, 1), 3, 1},
                                           {random_prompt(4, V, 2), 1, 2}};
  SamplingParams params;
  params.max_new_tokens = 40;
  std::map<Key, Completion> got;
  bool fed = false;
  GenerateOptions options;
  options.on_finish = [&](size_t id, int64_t s, const Completion& c) { got[Key(id, s)] = c; };
  options.cancelled = [](size_t id) { return id == 0; };  // request 0's client left at once
  generate_fed(model, params, options, [&] {
    std::vector<FedRequest> feed;
    if (!fed) feed = {{0, &requests[0]}, {1, &requests[1]}};
    fed = true;
    return feed;
  });
  for (int64_t s = 0; s < 3; ++s) {
    EXPECT_EQ(got[Key(0, s)].finish, FinishReason::kAbort);
    EXPECT_EQ(got[Key(0, s)].tokens.size(), 1u);
  }
  EXPECT_EQ(got[Key(1, 0)].tokens.size(), 40u);
  EXPECT_EQ(got[Key(1, 0)].finish, FinishReason::kLength);
}

TEST(Engine, PerRequestStopStringsCutOnlyTheirRequest) {
  Model model = fixture_model("qwen2-gqa");
  const int64_t V = model.config.vocab_size;
  GenerateRequest plain{random_prompt(5, V, 9), 1, 0};
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_new_tokens = 12;
  GenerateOptions options;
  // Token ids as text, so a stop string can name one.
  options.decode = [](const std::vector<int64_t>& ids) {
    std::string s;
    for (int64_t id : ids) s += "<" + std::to_string(id) + ">";
    return s;
  };
  auto free_run = generate(model, {plain}, params, options)[0][0];
  GenerateRequest stopped = plain;
  stopped.stop_strings = {"<" + std::to_string(free_run.tokens[3]) + ">"};
  auto both = generate(model, {plain, stopped}, params, options);
  EXPECT_EQ(both[0][0].tokens, free_run.tokens);
  EXPECT_EQ(both[1][0].finish, FinishReason::kStop);
  EXPECT_EQ(both[1][0].text,
            options.decode(std::vector<int64_t>(
                free_run.tokens.begin(),
                std::find(free_run.tokens.begin(), free_run.tokens.end(), free_run.tokens[3]))));
}

}  // namespace
}  // namespace r1
