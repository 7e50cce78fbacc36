// run_eval: templating, generation in chunks of questions, scoring, voting,
// and the append-only per-question file that makes a run resumable.
#include "eval/evaluator.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "data/dataset.h"
#include "dist/data_parallel.h"
#include "dist/process_group.h"
#include "engine/generator.h"
#include "eval/pass_at_k.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "reward/math/verify.h"
#include "reward/reward.h"
#include "reward/tasks.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"
#include "util/run_dir.h"

namespace r1 {
namespace {

struct Fields {
  PromptFields data;
  std::string reward;
};

// The reward from the config or, for "auto", from the first row; then the
// prompt and answer fields, every row checked.
Fields resolve_fields(const EvalConfig& c, const Dataset& data) {
  const nlohmann::json& first = data.rows.front();
  Fields f;
  f.reward = c.reward;
  if (f.reward == "auto") {
    bool countdown = first.contains("numbers") && first.contains("target");
    bool arithmetic = first.value("task", "") == "arithmetic";
    f.reward = countdown ? "countdown" : arithmetic ? "arithmetic" : "math";
  }
  if (f.reward != "math" && f.reward != "arithmetic" && f.reward != "countdown")
    fail("unknown eval reward '", f.reward, "' (known: math, arithmetic, countdown, auto)");
  f.data = resolve_prompt_fields(c.prompt, data, {f.reward});
  return f;
}

// The answer a sample votes for, extracted the way its reward reads it, and
// the key that makes equivalent answers vote together.
std::pair<std::string, std::string> vote(const std::string& reward, const std::string& text,
                                         const nlohmann::json& row) {
  if (reward == "countdown") {
    std::vector<int64_t> numbers;
    for (const auto& n : row["numbers"])
      if (n.is_number_integer()) numbers.push_back(n.get<int64_t>());
    int64_t target = row["target"].is_number_integer() ? row["target"].get<int64_t>() : 0;
    std::string e = check_countdown(text, numbers, target, false).expression, key;
    for (char ch : e)
      if (!std::isspace(static_cast<unsigned char>(ch))) key += ch;
    return {e, key};
  }
  // "math" reads only \boxed{} / <answer>; "arithmetic" also falls back.
  std::string answer = extract_answer(text, /*fallbacks=*/reward == "arithmetic");
  return {answer, answer.empty() ? "" : canonical_answer_key(answer)};
}

// docs/design.md §1.5 sampling; generation stops at any of the tokenizer's and the
// model config's end-of-sequence ids.
SamplingParams sampling_params(const EvalConfig& c, const Tokenizer& tok, const Model& model) {
  SamplingParams params;
  params.temperature = static_cast<float>(c.temperature);
  params.top_p = static_cast<float>(c.top_p);
  params.top_k = c.top_k;
  params.max_new_tokens = c.max_new_tokens;
  params.stop_token_ids = stop_token_ids(tok.special().eos_ids, model.config.eos_token_ids);
  params.validate();
  return params;
}

// One question's line: every sample with its answer and reward, the count of
// correct samples (reward 1) and the majority vote.
nlohmann::json question_line(int64_t index, const nlohmann::json& row, const Fields& f,
                             const std::string& prompt, const std::vector<Completion>& completions,
                             const std::vector<double>& scores) {
  nlohmann::json samples = nlohmann::json::array();
  std::vector<std::string> answers, keys;
  int64_t correct = 0;
  for (size_t s = 0; s < completions.size(); ++s) {
    const Completion& comp = completions[s];
    auto [answer, key] = vote(f.reward, comp.text, row);
    answers.push_back(answer);
    keys.push_back(key);
    correct += scores[s] >= 1.0;
    samples.push_back({{"text", comp.text},
                       {"answer", answer},
                       {"reward", scores[s]},
                       {"tokens", comp.tokens.size()},
                       {"finish", finish_reason_name(comp.finish)},
                       {"thinks", comp.text.find("</think>") != std::string::npos}});
  }
  const int64_t winner = majority_vote(keys);
  const int64_t n = static_cast<int64_t>(completions.size());
  const auto& answer = row.contains("answer") ? row["answer"] : nlohmann::json();  // reward_row
  nlohmann::json gold = f.reward == "countdown"
                            ? row["target"]
                            : nlohmann::json(extract_reference(
                                  answer.is_string() ? answer.get<std::string>() : answer.dump()));
  return {{"index", index},
          {"question", row[f.data.prompt]},
          {"prompt", prompt},  // as the model saw it: the same text r1 train renders
          {"gold", gold},
          {"n", n},
          {"correct", correct},
          {"pass@1", static_cast<double>(correct) / n},
          {"cons_answer", winner < 0 ? "" : answers[winner]},
          {"cons_correct", winner >= 0 && scores[winner] >= 1.0},
          {"samples", samples}};
}

// Settings that change results: a resumed run must match them.
nlohmann::json settings(const EvalConfig& c, const Fields& f) {
  return {{"model", c.model_dir},
          {"data", c.data_path},
          {"k", c.k},
          {"temperature", c.temperature},
          {"top_p", c.top_p},
          {"top_k", c.top_k},
          {"max_new_tokens", c.max_new_tokens},
          {"precision", c.compute.precision},
          {"template", c.prompt.template_name},
          {"reward", f.reward},
          {"prompt_field", f.data.prompt},
          {"answer_field", f.data.answer},
          {"system_prompt", c.prompt.system_prompt},
          {"instruction", c.prompt.instruction},
          {"chat_template_kwargs", c.prompt.chat_template_kwargs},
          {"max_prompt_tokens", c.prompt.max_prompt_tokens},
          {"overlong_prompts", c.prompt.overlong_prompts},
          {"seed", c.seed}};
}

}  // namespace

nlohmann::json summarize_eval(const std::vector<nlohmann::json>& questions) {
  nlohmann::json s = nlohmann::json::object();
  s["questions"] = questions.size();
  if (questions.empty()) return s;
  const int64_t n = questions.front()["n"];
  double pass1 = 0, cons = 0, tokens = 0, thinks = 0, truncated = 0;
  const auto ks = reported_ks(n);
  std::vector<double> pass(ks.size(), 0.0);
  int64_t samples = 0;
  for (const auto& q : questions) {
    if (q["n"] != n) fail("eval summary: questions have different sample counts");
    const int64_t c = q["correct"];
    pass1 += static_cast<double>(c) / n;
    cons += q["cons_correct"].get<bool>() ? 1 : 0;
    for (size_t i = 0; i < ks.size(); ++i) pass[i] += pass_at_k(n, c, ks[i]);
    for (const auto& smp : q["samples"]) {
      tokens += smp["tokens"].get<double>();
      thinks += smp["thinks"].get<bool>() ? 1 : 0;
      truncated += smp["finish"] == "length" ? 1 : 0;
      ++samples;
    }
  }
  const double nq = static_cast<double>(questions.size());
  s["k"] = n;
  s["pass@1"] = pass1 / nq;
  s["cons@" + std::to_string(n)] = cons / nq;
  nlohmann::json pk = nlohmann::json::object();
  for (size_t i = 0; i < ks.size(); ++i) pk[std::to_string(ks[i])] = pass[i] / nq;
  s["pass@k"] = pk;
  s["mean_response_tokens"] = samples ? tokens / samples : 0.0;
  s["think_fraction"] = samples ? thinks / samples : 0.0;
  s["truncated_fraction"] = samples ? truncated / samples : 0.0;
  return s;
}

// Data parallel (docs/distributed.md): rank 0 owns the output directory and
// decides what is left to do; each rank answers every W-th remaining question
// (seed + index, as in one process), a chunk at a time, and rank 0 appends
// every rank's lines of a round in input order.
nlohmann::json run_eval(const EvalConfig& c) {
  dist::ProcessGroup& group = dist::world();
  const int rank = group.rank(), world = group.world_size();
  if (c.k < 1) fail("-k must be >= 1, got ", c.k);
  if (c.out_dir.empty()) fail("eval needs an output directory");
  Dataset data = load_jsonl(c.data_path, {});
  const Fields f = resolve_fields(c, data);
  c.prompt.validate();
  Tokenizer tok = Tokenizer::load(c.model_dir);
  PromptBuilder prompts(c.prompt, f.data, tok);
  prompts.fit_prompts(data, load_config(c.model_dir + "/config.json").max_position_embeddings,
                      rank == 0 ? &std::cerr : nullptr);
  const int64_t total = c.limit > 0 ? std::min<int64_t>(c.limit, data.rows.size())
                                    : static_cast<int64_t>(data.rows.size());

  const std::string questions_path = c.out_dir + "/questions.jsonl";
  std::vector<int64_t> todo;
  if (rank == 0) {
    make_dirs(c.out_dir);
    std::vector<nlohmann::json> done = read_appended_jsonl(questions_path);
    check_same_settings(c.out_dir + "/config.json", settings(c, f), !done.empty(),
                        "use another --out to start a new evaluation",
                        {{"max_prompt_tokens", PromptFormat{}.max_prompt_tokens},
                         {"overlong_prompts", PromptFormat{}.overlong_prompts}});
    std::set<int64_t> done_index;
    for (const auto& q : done) done_index.insert(q.value("index", int64_t{-1}));
    for (int64_t i = 0; i < total; ++i)
      if (!done_index.count(i)) todo.push_back(i);
  }
  if (world > 1) todo = dist::rank0_list(group, todo);
  const size_t remaining = todo.size();
  todo = dist::strided_share(todo, rank, world);

  if (remaining > 0) {
    Model model = load_model(c.model_dir, c.compute.parsed_device(), c.compute.weight_dtype());
    if (tok.vocab_size() > model.config.vocab_size)
      fail("tokenizer has ", tok.vocab_size(), " tokens but the model's vocab_size is ",
           model.config.vocab_size);
    const SamplingParams params = sampling_params(c, tok, model);
    GenerateOptions options;
    options.max_batch = c.max_batch;
    options.decode = [&](const std::vector<int64_t>& ids) { return tok.decode(ids, true); };
    RewardFn reward = make_reward({f.reward, 1.0, {}});

    std::ofstream out;
    if (rank == 0) {
      out.open(questions_path, std::ios::app);
      if (!out) fail(questions_path, ": cannot open for appending");
    }
    // A chunk fills one batch of k-sample rows; a kill loses at most one chunk
    // per rank. Every rank runs the same number of rounds (the last ones may
    // be empty) so the gathers pair up.
    const size_t chunk = static_cast<size_t>(std::max<int64_t>(1, c.max_batch / c.k));
    const size_t longest_share = (remaining + world - 1) / world;
    at::NoGradGuard no_grad;
    const auto start = std::chrono::steady_clock::now();
    size_t answered = 0;
    for (size_t first = 0; first < longest_share; first += chunk) {
      const size_t last = std::min(todo.size(), first + chunk);
      std::vector<GenerateRequest> requests;
      std::vector<nlohmann::json> rows;
      std::vector<std::string> texts;
      for (size_t j = first; j < last; ++j) {
        const nlohmann::json& row = data.rows[todo[j]];
        texts.push_back(prompts.render(row));
        requests.push_back(
            {prompts.encode(texts.back()), c.k, c.seed + static_cast<uint64_t>(todo[j])});
        rows.push_back(prompts.reward_row(row));
      }
      std::vector<nlohmann::json> lines;
      if (!requests.empty()) {
        auto results = generate(model, requests, params, options);
        for (size_t q = 0; q < requests.size(); ++q) {
          std::vector<RewardInput> inputs;
          for (const Completion& comp : results[q])
            inputs.push_back({texts[q], comp.text, rows[q]});
          lines.push_back(
              question_line(todo[first + q], rows[q], f, texts[q], results[q], reward(inputs)));
        }
      }
      if (world > 1) lines = dist::gather_by_index(group, lines);
      answered += lines.size();
      if (rank != 0) continue;
      for (const auto& line : lines) out << line.dump() << "\n";
      out.flush();
      if (!out) fail(questions_path, ": write failed");
      if (!c.quiet) {
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cerr << "eval: "
                  << total - static_cast<int64_t>(remaining) + static_cast<int64_t>(answered) << "/"
                  << total << " questions (" << static_cast<int64_t>(secs) << " s)\n";
      }
    }
  }
  if (rank != 0) {
    // Rank 0 writes the summary; the others return its copy.
    const auto all = group.all_gather("");
    return nlohmann::json::parse(all[0]);
  }

  std::vector<nlohmann::json> all = read_appended_jsonl(questions_path);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a["index"].template get<int64_t>() < b["index"].template get<int64_t>();
  });
  all.erase(
      std::remove_if(all.begin(), all.end(),
                     [&](const auto& q) { return q["index"].template get<int64_t>() >= total; }),
      all.end());
  nlohmann::json summary = summarize_eval(all);
  nlohmann::json head = settings(c, f);
  head.update(summary);
  write_file_atomic(c.out_dir + "/summary.json", head.dump(2) + "\n");
  if (world > 1) group.all_gather(head.dump());
  return head;
}

}  // namespace r1
