// run_sample: templating, generation in batches of prompts, scoring, the
// filters, and the two append-only files that make a run resumable.
#include "sample/rejection_sampling.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "data/dataset.h"
#include "data/prompt.h"
#include "dist/data_parallel.h"
#include "dist/process_group.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "sample/sample_filter.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"
#include "util/run_dir.h"

namespace r1 {
namespace {

// Appends lines and makes them durable: fsync before the prompts that
// produced them are recorded as done.
class Appender {
 public:
  explicit Appender(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "a")) {
    if (!f_) fail(path, ": cannot open for appending");
  }
  ~Appender() { std::fclose(f_); }
  void line(const nlohmann::json& j) {
    std::string s = j.dump() + "\n";
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) fail(path_, ": write failed");
  }
  void commit() {
    if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) fail(path_, ": write failed");
  }

 private:
  std::string path_;
  FILE* f_;
};

// Config fields that change which samples are written; a resumed run must
// match them (max_batch, limit and the output dir do not change results).
nlohmann::json settings(SampleConfig& c) {
  nlohmann::json s = nlohmann::json::object();
  for (const Field& f : c.fields()) {
    if (f.key == "sampling.max_batch" || f.key == "data.limit" || f.key == "output.dir") continue;
    std::visit([&](auto* ptr) { s[f.key] = *ptr; }, f.value);
  }
  if (c.min_reward == -std::numeric_limits<double>::infinity()) s["filter.min_reward"] = "-inf";
  nlohmann::json rewards = nlohmann::json::array();
  for (const auto& r : c.rewards)
    rewards.push_back({{"name", r.name}, {"weight", r.weight}, {"params", r.params}});
  s["rewards"] = rewards;
  return s;
}

// The checkpoint step of a model dir written by r1 train / r1 sft, or -1.
int64_t model_step(const std::string& dir) {
  const std::string path = dir + "/trainer_state.json";
  if (!file_exists(path)) return -1;
  try {
    return nlohmann::json::parse(read_file(path)).value("step", int64_t{-1});
  } catch (const nlohmann::json::exception&) {
    return -1;
  }
}

nlohmann::json summarize(const std::vector<nlohmann::json>& prompts) {
  int64_t sampled = 0, passed = 0, kept = 0, with_kept = 0;
  double reward = 0;
  std::map<std::string, int64_t> rejected;
  for (const auto& p : prompts) {
    sampled += p["sampled"].get<int64_t>();
    passed += p["passed"].get<int64_t>();
    kept += p["kept"].get<int64_t>();
    with_kept += p["kept"].get<int64_t>() > 0;
    reward += p["mean_reward"].get<double>() * p["sampled"].get<double>();
    for (const auto& [reason, n] : p["rejected"].items()) rejected[reason] += n.get<int64_t>();
  }
  return {{"prompts", prompts.size()},
          {"sampled", sampled},
          {"passed", passed},
          {"kept", kept},
          {"prompts_with_kept", with_kept},
          {"pass_rate", sampled ? static_cast<double>(passed) / sampled : 0.0},
          {"mean_reward", sampled ? reward / sampled : 0.0},
          {"rejected", rejected}};
}

}  // namespace

// Data parallel (docs/distributed.md): rank 0 owns the output directory and
// decides what is left; each rank samples every W-th remaining prompt (same
// seeds as one process) a batch at a time, and rank 0 appends every rank's
// lines of a round in input order.
nlohmann::json run_sample(SampleConfig& c, const SampleOptions& options) {
  dist::ProcessGroup& group = dist::world();
  const int rank = group.rank(), world = group.world_size();
  c.validate();
  Dataset data = load_jsonl(c.data_path, {});
  std::vector<std::string> reward_names;
  if (options.rewards.empty())
    for (const auto& spec : c.rewards) reward_names.push_back(spec.name);
  const PromptFields fields = resolve_prompt_fields(c.prompt, data, reward_names);

  // Rewards first: an unknown name fails before any file is touched.
  std::vector<std::pair<RewardSpec, RewardFn>> rewards = options.rewards;
  if (rewards.empty())
    for (const auto& spec : c.rewards) rewards.emplace_back(spec, make_reward(spec));
  size_t accuracy = 0;
  for (size_t r = 0; r < rewards.size(); ++r)
    if (rewards[r].first.name == c.accuracy_reward) accuracy = r;
  RewardFn language;
  if (!c.language.empty()) language = make_reward({"language", 1.0, {{"target", c.language}}});
  Tokenizer tok = Tokenizer::load(c.model_path);
  PromptBuilder prompt_builder(c.prompt, fields, tok);
  // Prompts against the model's context (an injected generator's model dir
  // may hold only a tokenizer); indices count the rows kept.
  if (const std::string config = c.model_path + "/config.json"; file_exists(config))
    prompt_builder.fit_prompts(data, load_config(config).max_position_embeddings,
                               rank == 0 ? &std::cerr : nullptr);
  const int64_t total = c.limit > 0 ? std::min<int64_t>(c.limit, data.rows.size())
                                    : static_cast<int64_t>(data.rows.size());

  const std::string prompts_path = c.output_dir + "/prompts.jsonl";
  const std::string samples_path = c.output_dir + "/samples.jsonl";
  std::vector<int64_t> todo;
  if (rank == 0) {
    make_dirs(c.output_dir);
    std::vector<nlohmann::json> done = read_appended_jsonl(prompts_path);
    if (!done.empty() && !options.resume)
      fail(c.output_dir, ": holds ", done.size(),
           " prompts of an earlier run; resume it with --resume or choose another output.dir");
    std::set<int64_t> done_index;
    for (const auto& p : done) done_index.insert(p.value("index", int64_t{-1}));
    {
      // Sample lines of prompts not recorded as done are the batch in flight at a crash.
      std::vector<nlohmann::json> lines = read_appended_jsonl(samples_path);
      std::string keep;
      size_t kept = 0;
      for (const auto& l : lines)
        if (done_index.count(l.value("index", int64_t{-1}))) {
          keep += l.dump() + "\n";
          ++kept;
        }
      if (kept != lines.size() || !file_exists(samples_path)) write_file_atomic(samples_path, keep);
    }
    check_same_settings(c.output_dir + "/settings.json", settings(c), !done.empty(),
                        "use another output.dir to start a new run",
                        {{"data.max_prompt_tokens", PromptFormat{}.max_prompt_tokens},
                         {"data.overlong_prompts", PromptFormat{}.overlong_prompts}});
    write_file_atomic(c.output_dir + "/config.toml", dump_sample_config(c));
    for (int64_t i = 0; i < total; ++i)
      if (!done_index.count(i)) todo.push_back(i);
  }
  if (world > 1) todo = dist::rank0_list(group, todo);
  const size_t remaining = todo.size();
  todo = dist::strided_share(todo, rank, world);

  if (remaining > 0) {
    Model model;
    SampleGenerateFn gen = options.generate;
    if (!gen) {
      model = load_model(c.model_path, c.compute.parsed_device(), c.compute.weight_dtype());
      if (tok.vocab_size() > model.config.vocab_size)
        fail("tokenizer has ", tok.vocab_size(), " tokens but the model's vocab_size is ",
             model.config.vocab_size);
      SamplingParams params;
      params.temperature = static_cast<float>(c.temperature);
      params.top_p = static_cast<float>(c.top_p);
      params.top_k = c.top_k;
      params.max_new_tokens = c.max_new_tokens;
      params.stop_token_ids = stop_token_ids(tok.special().eos_ids, model.config.eos_token_ids);
      params.validate();
      GenerateOptions gopts;
      gopts.max_batch = c.max_batch;
      gopts.decode = [&tok](const std::vector<int64_t>& ids) { return tok.decode(ids, true); };
      gen = [&model, params, gopts](const std::vector<GenerateRequest>& requests) {
        at::NoGradGuard no_grad;
        return generate(model, requests, params, gopts);
      };
    }
    const int64_t step = model_step(c.model_path);

    std::unique_ptr<Appender> samples_out, prompts_out;  // rank 0 writes
    if (rank == 0) {
      samples_out = std::make_unique<Appender>(samples_path);
      prompts_out = std::make_unique<Appender>(prompts_path);
    }
    // A batch fills one wave of k-sample rows; a crash loses at most one batch
    // per rank. Every rank runs the same rounds (the last may be empty).
    const size_t chunk = static_cast<size_t>(std::max<int64_t>(1, c.max_batch / c.k));
    const size_t longest_share = (remaining + world - 1) / world;
    const auto start = std::chrono::steady_clock::now();
    int64_t batches = 0, kept_total = 0;
    size_t answered = 0;
    for (size_t first = 0; first < longest_share; first += chunk) {
      const size_t last = std::min(todo.size(), first + chunk);
      std::vector<nlohmann::json> sample_lines, prompt_lines;
      std::vector<GenerateRequest> requests;
      std::vector<nlohmann::json> rows;
      std::vector<std::string> prompts;
      std::vector<const nlohmann::json*> originals;
      for (size_t j = first; j < last; ++j) {
        const nlohmann::json& row = data.rows[todo[j]];
        // As r1 train renders it, so SFT on the output with the same
        // data.template trains on exactly the context the samples were drawn in.
        prompts.push_back(prompt_builder.render(row));
        requests.push_back(
            {prompt_builder.encode(prompts.back()), c.k, static_cast<uint64_t>(c.seed + todo[j])});
        originals.push_back(&row);
        rows.push_back(prompt_builder.reward_row(row));
      }
      std::vector<std::vector<Completion>> results;
      if (!requests.empty()) results = gen(requests);
      if (results.size() != requests.size()) fail("sample: generator returned too few results");

      // Every reward scores the whole batch at once (the code reward runs in parallel).
      std::vector<RewardInput> inputs;
      for (size_t q = 0; q < results.size(); ++q)
        for (const Completion& comp : results[q])
          inputs.push_back({prompts[q], comp.text, rows[q]});
      std::vector<std::vector<double>> scores;  // (reward, sample)
      for (const auto& [spec, fn] : rewards)
        scores.push_back(inputs.empty() ? std::vector<double>() : fn(inputs));
      std::vector<double> lang =
          language && !inputs.empty() ? language(inputs) : std::vector<double>();

      size_t flat = 0;
      for (size_t q = 0; q < results.size(); ++q) {
        const int64_t index = todo[first + q];
        std::vector<ScoredSample> scored;
        std::vector<nlohmann::json> reward_values;
        std::vector<bool> passed;
        std::map<std::string, int64_t> rejected;
        double reward_sum = 0;
        for (const Completion& comp : results[q]) {
          ScoredSample s;
          s.text = comp.text;
          s.tokens = static_cast<int64_t>(comp.tokens.size());
          s.truncated = comp.finish == FinishReason::kLength;
          nlohmann::json values = nlohmann::json::object();
          for (size_t r = 0; r < rewards.size(); ++r) {
            const double v = scores[r][flat];
            s.reward += rewards[r].first.weight * v;
            values[rewards[r].first.name] = v;
          }
          s.accuracy = scores[accuracy][flat];
          if (language) s.language = lang[flat];
          const std::string reason = rejection_reason(c, s);
          if (!reason.empty()) ++rejected[reason];
          passed.push_back(reason.empty());
          reward_sum += s.reward;
          scored.push_back(std::move(s));
          reward_values.push_back(values);
          ++flat;
        }
        int64_t duplicates = 0;
        const auto kept = choose_kept(c.keep, c.dedupe, scored, passed,
                                      static_cast<uint64_t>(c.seed + index), &duplicates);
        if (duplicates) rejected["duplicate"] = duplicates;
        const nlohmann::json& row = rows[q];
        // The context the samples were drawn in: the question with its
        // instruction, or (chat) the whole conversation with its system turn.
        const bool as_pair = c.format == "pair" && c.prompt.system_prompt.empty() &&
                             (*originals[q])[fields.prompt].is_string();
        for (size_t s : kept) {
          nlohmann::json line = nlohmann::json::object();
          if (as_pair) {
            line["prompt"] = prompt_builder.question(*originals[q]);
            line["completion"] = scored[s].text;
          } else {
            nlohmann::json messages =
                nlohmann::json::parse(prompt_builder.messages(*originals[q]).dump());
            messages.push_back({{"role", "assistant"}, {"content", scored[s].text}});
            line["messages"] = messages;
          }
          if (row.contains("answer")) line["answer"] = row["answer"];
          line["index"] = index;
          line["sample"] = s;
          line["seed"] = c.seed + index;
          line["model"] = c.model_path;
          if (step >= 0) line["model_step"] = step;
          line["reward"] = scored[s].reward;
          line["rewards"] = reward_values[s];
          line["tokens"] = scored[s].tokens;
          sample_lines.push_back(std::move(line));
        }
        const int64_t n_passed = std::count(passed.begin(), passed.end(), true);
        prompt_lines.push_back({{"index", index},
                                {"prompt", prompts[q]},
                                {"sampled", scored.size()},
                                {"passed", n_passed},
                                {"kept", kept.size()},
                                {"mean_reward", scored.empty() ? 0.0 : reward_sum / scored.size()},
                                {"rejected", rejected}});
      }
      if (world > 1) {
        sample_lines = dist::gather_by_index(group, sample_lines);
        prompt_lines = dist::gather_by_index(group, prompt_lines);
      }
      kept_total += static_cast<int64_t>(sample_lines.size());
      answered += prompt_lines.size();
      if (rank == 0) {
        for (const auto& line : sample_lines) samples_out->line(line);
        for (const auto& line : prompt_lines) prompts_out->line(line);
        // Samples are durable before their prompts count as done.
        samples_out->commit();
        prompts_out->commit();
      }
      if (!options.quiet && rank == 0) {
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cerr << "sample: " << total - static_cast<int64_t>(remaining - answered) << "/"
                  << total << " prompts, " << kept_total << " samples kept ("
                  << static_cast<int64_t>(secs) << " s)\n";
      }
      if (options.stop_after > 0 && ++batches >= options.stop_after) break;
    }
  }
  if (rank != 0) return nlohmann::json::parse(group.all_gather("")[0]);  // rank 0's summary

  std::vector<nlohmann::json> all = read_appended_jsonl(prompts_path);
  nlohmann::json summary = summarize(all);
  summary["model"] = c.model_path;
  summary["data"] = c.data_path;
  summary["samples"] = samples_path;
  summary["template"] = c.prompt.template_name;
  summary["complete"] = static_cast<int64_t>(all.size()) >= total;
  write_file_atomic(c.output_dir + "/summary.json", summary.dump(2) + "\n");
  if (world > 1) group.all_gather(summary.dump());
  return summary;
}

}  // namespace r1
