#include "rl/trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>

#include "data/dataset.h"
#include "data/prompt.h"
#include "dist/data_parallel.h"
#include "dist/process_group.h"
#include "engine/generator.h"
#include "engine/scoring.h"
#include "model/checkpoint.h"
#include "model/master_weights.h"
#include "model/train_checkpoint.h"
#include "rl/advantages.h"
#include "rl/grpo_loss.h"
#include "rl/rollout_correction.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/io.h"
#include "util/metrics_sink.h"
#include "util/run_dir.h"
#include "util/schedule.h"

namespace r1 {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One sampled completion with everything the update and the logs need.
struct Rollout {
  size_t question;  // index into the step's questions
  int owner = 0;    // the rank that sampled it and computes its gradient
  std::vector<int64_t> prompt_ids, tokens;
  std::vector<float> logprobs;  // the engine's log mu of each token (temperature 1, unfiltered)
  std::string prompt, text;
  bool truncated = false;
  std::vector<double> scores;  // per reward
  double reward = 0;
};

struct Question {
  nlohmann::json row;
  std::string prompt;
  std::vector<int64_t> ids;
};

void set_trainable(Model& model, bool on) {
  for (auto& [name, t] : model.named_parameters()) t->requires_grad_(on);
}

// Checked before anything is built from it (the loss, the tokenizer, the
// data), so that a range error names the run file and line.
TrainConfig& validated(TrainConfig& config) {
  config.validate();
  return config;
}

// Data parallel (docs/distributed.md): every rank reads the same data stream
// and knows every rollout; each samples, scores and back-propagates only the
// questions it owns (a question's G samples stay on one rank), and gradients
// are summed before the same optimizer step on every rank. Rank 0 writes.
class Trainer {
 public:
  Trainer(TrainConfig& config, const TrainOptions& options)
      : c_(validated(config)),
        opt_(options),
        group_(dist::world()),
        rank_(group_.rank()),
        world_(group_.world_size()),
        loss_(config.loss_config()),
        correction_(config.rollout_correction),
        advantages_(config.advantage_estimator_fn()),
        tok_(Tokenizer::load(config.model_path)),
        data_(load_jsonl(config.data_path, {})),
        stream_(data_, static_cast<uint64_t>(config.seed), config.shuffle) {
    if (opt_.rewards.empty()) {
      for (const auto& spec : c_.rewards) rewards_.emplace_back(spec, make_reward(spec));
    } else {
      rewards_ = opt_.rewards;
    }
    eval_reward_ = 0;
    if (!c_.eval_reward.empty()) {
      eval_reward_ = -1;
      for (size_t i = 0; i < rewards_.size(); ++i)
        if (rewards_[i].first.name == c_.eval_reward) eval_reward_ = static_cast<int>(i);
      if (eval_reward_ < 0)
        fail("data.eval_reward '", c_.eval_reward, "' is not a configured reward");
    }
    // Every row is checked now, not when it is drawn: a bad row or a field a
    // reward needs is an error naming file and line before any training.
    std::vector<std::string> reward_names;
    if (opt_.rewards.empty())
      for (const auto& spec : c_.rewards) reward_names.push_back(spec.name);
    prompts_ = std::make_unique<PromptBuilder>(
        c_.prompt, resolve_prompt_fields(c_.prompt, data_, reward_names), tok_);
    if (!c_.eval_path.empty()) {
      eval_ = load_jsonl(c_.eval_path, {});
      std::vector<std::string> eval_rewards;
      if (opt_.rewards.empty()) eval_rewards.push_back(rewards_[eval_reward_].first.name);
      eval_prompts_ = std::make_unique<PromptBuilder>(
          c_.prompt, resolve_prompt_fields(c_.prompt, eval_, eval_rewards), tok_);
    }

    if (rank_ == 0) remove_stale_staging(c_.output_dir + "/checkpoints");
    std::string resume_from = opt_.resume ? latest_checkpoint(c_.output_dir) : "";
    dist::check_same_resume_point(group_, resume_from, c_.output_dir);
    const at::Device device = c_.compute.parsed_device();
    const at::ScalarType dtype = c_.compute.weight_dtype();
    master_ = resume_from.empty() ? load_model(c_.model_path, device)
                                  : load_resume_model(resume_from, device);
    // Prompts against the model's context before the stream draws a row (a
    // resumed run drops the same rows, so its data position still holds).
    const int64_t context = master_.config.max_position_embeddings;
    std::ostream* report = rank_ == 0 ? &std::cerr : nullptr;
    prompts_->fit_prompts(data_, context, report);
    if (eval_prompts_) eval_prompts_->fit_prompts(eval_, context, report);
    set_trainable(master_, true);
    policy_ = working_copy(master_, dtype);
    if (c_.needs_reference()) {
      std::string ref =
          resume_from.empty() ? "" : resume_file(resume_from, "reference.safetensors");
      ref_ = load_model(c_.model_path, device, dtype);
      if (!ref.empty()) {
        auto saved = load_safetensors(ref);
        for (auto& [name, t] : ref_.named_parameters()) {
          auto it = saved.find(name);
          if (it == saved.end()) fail(ref, ": missing tensor '", name, "'");
          if (it->second.sizes() != t->sizes())
            fail(ref, ": tensor '", name, "' has shape ", it->second.sizes(), ", not ", t->sizes());
          *t = it->second.to(device, dtype);
        }
        finalize_model(ref_);
      }
    }
    params_ = master_.parameters();
    dist::broadcast_parameters(group_, params_);
    if (world_ > 1) copy_master_to_working(master_, policy_);
    if (c_.needs_reference()) dist::broadcast_parameters(group_, ref_.parameters());
    optimizer_ =
        std::make_unique<torch::optim::AdamW>(params_, torch::optim::AdamWOptions(c_.lr)
                                                           .betas({c_.adam_beta1, c_.adam_beta2})
                                                           .weight_decay(c_.weight_decay));
    stop_ids_ = stop_token_ids(tok_.special().eos_ids, policy_.config.eos_token_ids);

    if (rank_ == 0) make_dirs(c_.output_dir);
    if (!resume_from.empty()) {
      auto state = read_trainer_state(resume_from, {"step", "updates", "data_position"});
      step_ = state["step"];
      updates_ = state["updates"];
      stream_.seek(state["data_position"]);
      load_optimizer(*optimizer_, resume_file(resume_from, "optimizer.pt"));
      if (rank_ == 0) truncate_metrics();
      log("resumed from " + resume_from);
    } else if (opt_.resume) {
      log("no checkpoint in " + c_.output_dir + "; starting fresh");
    }
    if (rank_ == 0) {
      if (resume_from.empty()) {
        std::ofstream(c_.output_dir + "/metrics.jsonl", std::ios::trunc);
        std::ofstream(c_.output_dir + "/samples.jsonl", std::ios::trunc);
      }
      write_file_atomic(c_.output_dir + "/config.toml", dump_train_config(c_));
      sinks_ = make_metrics_sinks(c_.report_to, c_.output_dir, step_);
    }
    if (world_ > 1) log(cat("data parallel: ", world_, " ranks (this is rank 0)"));
    comm_seconds_ = group_.comm_seconds();
    bytes_reduced_ = group_.bytes_reduced();
  }

  std::vector<nlohmann::json> run() {
    std::vector<nlohmann::json> all;
    const InterruptGuard ctrl_c;
    if (step_ == 0 && c_.eval_every > 0 && eval_.rows.size()) {
      nlohmann::json m = {{"step", 0}, {"eval_accuracy", evaluate()}};
      append_line("metrics.jsonl", m);
      all.push_back(m);
    }
    int64_t ran = 0;
    const auto start = Clock::now();
    while (step_ < c_.steps) {
      ++step_;
      nlohmann::json m = train_step();
      if (c_.eval_every > 0 && eval_.rows.size() && step_ % c_.eval_every == 0)
        m["eval_accuracy"] = evaluate();
      if (c_.ref_reset_every > 0 && c_.needs_reference() && step_ % c_.ref_reset_every == 0)
        sync_reference();
      append_line("metrics.jsonl", m);
      all.push_back(m);
      progress(m, seconds_since(start), ++ran);
      bool last = step_ == c_.steps;
      bool interrupted = dist::any_rank(group_, ctrl_c.requested()) ||
                         (opt_.stop_after > 0 && ran >= opt_.stop_after);
      if (last || interrupted || (c_.checkpoints.every > 0 && step_ % c_.checkpoints.every == 0))
        checkpoint();
      if (interrupted && !last) {
        log(cat("\nstopped at step ", step_, "; resume with --resume"));
        break;
      }
    }
    if (!opt_.quiet && isatty(2)) std::cerr << "\n";
    return all;
  }

 private:
  TrainConfig& c_;
  TrainOptions opt_;
  dist::ProcessGroup& group_;
  const int rank_, world_;
  const GrpoLoss loss_;                 // the policy loss, its variant picked once
  const RolloutCorrection correction_;  // importance weights pi_old / mu, picked once
  const AdvantageFn advantages_;        // the advantage estimator, picked once
  const bool greedy_baseline_ = c_.advantage_estimator == "remax";
  Tokenizer tok_;
  Dataset data_, eval_;
  std::unique_ptr<PromptBuilder> prompts_, eval_prompts_;
  DataStream stream_;
  std::vector<std::pair<RewardSpec, RewardFn>> rewards_;
  int eval_reward_ = 0;
  Model master_;  // fp32: what the optimizer steps and checkpoints hold
  Model policy_;  // the working copy rollouts and forwards run on (model/master_weights.h)
  Model ref_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<int64_t> stop_ids_;
  std::vector<std::unique_ptr<MetricsSink>> sinks_;  // train.report_to
  int64_t step_ = 0, updates_ = 0;
  double comm_seconds_ = 0;     // group_.comm_seconds() at the last step's end
  uint64_t bytes_reduced_ = 0;  // group_.bytes_reduced() likewise

  void log(const std::string& s) {
    if (!opt_.quiet && rank_ == 0) std::cerr << s << "\n";
  }

  void append_line(const std::string& file, const nlohmann::json& j) {
    if (rank_ != 0) return;
    std::ofstream out(c_.output_dir + "/" + file, std::ios::app);
    out << j.dump() << "\n";
    for (auto& sink : sinks_)
      if (file == "metrics.jsonl")
        sink->metrics(j);
      else
        sink->sample(j);
  }

  // On resume, drop lines past the checkpoint so the files match an
  // uninterrupted run.
  void truncate_metrics() {
    for (const char* file : {"metrics.jsonl", "samples.jsonl"})
      truncate_jsonl_after_step(c_.output_dir + "/" + file, step_);
  }

  SamplingParams sampling() const {
    SamplingParams p;
    p.temperature = static_cast<float>(c_.temperature);
    p.top_p = static_cast<float>(c_.top_p);
    p.top_k = c_.top_k;
    p.max_new_tokens = c_.max_new_tokens;
    p.stop_token_ids = stop_ids_;
    return p;
  }

  Question make_question(const nlohmann::json& row, const PromptBuilder& prompts) {
    Question q{prompts.reward_row(row), prompts.render(row), {}};
    q.ids = prompts.encode(q.prompt);
    return q;
  }

  // Samples G completions for each question and scores them.
  std::vector<Rollout> rollouts(const std::vector<Question>& questions, size_t first_index,
                                uint64_t seed_base) {
    std::vector<GenerateRequest> requests;
    for (size_t i = 0; i < questions.size(); ++i)
      requests.push_back({questions[i].ids, c_.group_size, seed_base + first_index + i});
    GenerateOptions gen;
    gen.max_batch = c_.max_batch;
    at::NoGradGuard no_grad;
    auto results = generate(policy_, requests, sampling(), gen);
    std::vector<Rollout> out;
    for (size_t i = 0; i < questions.size(); ++i)
      for (Completion& comp : results[i]) {
        if (opt_.on_rollout) opt_.on_rollout(comp);
        Rollout r;
        r.question = first_index + i;
        r.owner = rank_;
        r.prompt_ids = questions[i].ids;
        r.prompt = questions[i].prompt;
        r.text = tok_.decode(comp.tokens, true);
        r.truncated = comp.finish == FinishReason::kLength;
        if (comp.logprobs.size() != comp.tokens.size())
          fail("rollout engine: ", comp.logprobs.size(), " log-probs for ", comp.tokens.size(),
               " tokens");
        r.tokens = std::move(comp.tokens);
        r.logprobs = std::move(comp.logprobs);
        out.push_back(std::move(r));
      }
    return out;
  }

  void score(std::vector<Rollout>& rollouts, const std::vector<Question>& questions) {
    std::vector<RewardInput> inputs;
    for (const Rollout& r : rollouts)
      inputs.push_back({r.prompt, r.text, questions[r.question].row});
    for (auto& r : rollouts) r.scores.assign(rewards_.size(), 0.0);
    for (size_t k = 0; k < rewards_.size(); ++k) {
      std::vector<double> s = rewards_[k].second(inputs);
      for (size_t i = 0; i < rollouts.size(); ++i) {
        rollouts[i].scores[k] = s[i];
        rollouts[i].reward += rewards_[k].first.weight * s[i];
      }
    }
  }

  // Every rank's rollouts of one sampling round, in global order (rank r's
  // block follows rank r - 1's); each rank sends only what it sampled.
  std::vector<Rollout> gather_rollouts(std::vector<Rollout> mine,
                                       const std::vector<Question>& questions) {
    if (world_ == 1) return mine;
    nlohmann::json rows = nlohmann::json::array();
    for (const Rollout& r : mine)
      rows.push_back({{"q", r.question},
                      {"tokens", r.tokens},
                      {"logprobs", r.logprobs},
                      {"text", r.text},
                      {"truncated", r.truncated},
                      {"scores", r.scores},
                      {"reward", r.reward}});
    const auto bytes = nlohmann::json::to_msgpack(rows);
    std::vector<Rollout> all;
    auto gathered = group_.all_gather(std::string(bytes.begin(), bytes.end()));
    for (int rank = 0; rank < world_; ++rank)
      for (const auto& row : nlohmann::json::from_msgpack(gathered[rank])) {
        Rollout r;
        r.question = row["q"];
        r.owner = rank;
        r.prompt_ids = questions[r.question].ids;
        r.prompt = questions[r.question].prompt;
        r.tokens = row["tokens"].get<std::vector<int64_t>>();
        r.logprobs = row["logprobs"].get<std::vector<float>>();
        r.text = row["text"];
        r.truncated = row["truncated"];
        r.scores = row["scores"].get<std::vector<double>>();
        r.reward = row["reward"];
        all.push_back(std::move(r));
      }
    return all;
  }

  // A micro-batch: rows (ascending rollout indices, all owned by this rank) of
  // one mini-batch [mini_begin, mini_end) of the global rollouts.
  struct MicroBatch {
    std::vector<int64_t> rows;
    int64_t mini_begin, mini_end;
  };

  // Mini-batches of mini_batch_size sequences, each cut into consecutive
  // micro-batches of at most micro_batch_size sequences and (when set)
  // micro_batch_tokens padded tokens: a micro-batch pads its rows to its
  // longest prompt + completion, so the token cap bounds a forward's memory
  // whatever the lengths. A sequence longer than the cap goes alone.
  // Only this rank's rollouts are planned; a mini-batch may have none here.
  std::vector<MicroBatch> plan_micro_batches(const std::vector<Rollout>& rs) const {
    const int64_t N = rs.size();
    const int64_t mini = c_.mini_batch_size > 0 ? std::min(c_.mini_batch_size, N) : N;
    std::vector<MicroBatch> plan;
    for (int64_t mb = 0; mb < N; mb += mini) {
      const int64_t mb_end = std::min(N, mb + mini);
      MicroBatch u{{}, mb, mb_end};
      int64_t longest = 0;
      for (int64_t i = mb; i < mb_end; ++i) {
        if (rs[i].owner != rank_) continue;
        const int64_t length = rs[i].prompt_ids.size() + rs[i].tokens.size();
        const int64_t rows = u.rows.size() + 1, widest = std::max(longest, length);
        const bool full = rows > c_.micro_batch_size ||
                          (c_.micro_batch_tokens > 0 && rows * widest > c_.micro_batch_tokens);
        if (full && !u.rows.empty()) {
          plan.push_back(std::move(u));
          u = MicroBatch{{}, mb, mb_end};
          longest = length;
        } else {
          longest = widest;
        }
        u.rows.push_back(i);
      }
      if (!u.rows.empty()) plan.push_back(std::move(u));
    }
    return plan;
  }

  // The engine's log-probs of the rollouts `rows`, right-padded with 0 to T: (B, T).
  static at::Tensor rollout_logprobs(const std::vector<Rollout>& rs,
                                     const std::vector<int64_t>& rows, int64_t T) {
    at::Tensor out = at::zeros({static_cast<int64_t>(rows.size()), T}, at::kFloat);
    for (size_t j = 0; j < rows.size(); ++j)
      std::copy(rs[rows[j]].logprobs.begin(), rs[rows[j]].logprobs.end(), out[j].data_ptr<float>());
    return out;
  }

  // Teacher-forced log-probs (no grad) of the rollouts `rows` under `model`.
  at::Tensor score_rows(const Model& model, const std::vector<Rollout>& rs,
                        const std::vector<int64_t>& rows) {
    std::vector<std::vector<int64_t>> prompts, completions;
    for (int64_t i : rows) {
      prompts.push_back(rs[i].prompt_ids);
      completions.push_back(rs[i].tokens);
    }
    return score_completions(model, prompts, completions).logprobs;
  }

  nlohmann::json train_step() {
    nlohmann::json m;
    m["step"] = step_;
    const uint64_t seed_base = static_cast<uint64_t>(c_.seed) * 1000003ULL + step_ * 7919ULL;
    auto t0 = Clock::now();

    // 1-2. Questions and rollouts (dynamic sampling keeps only groups with signal).
    std::vector<Question> questions;
    std::vector<Rollout> rs;
    double reward_seconds = 0, zero_std = 0;
    int64_t drawn_groups = 0;
    for (int64_t round = 0; round <= (c_.dynamic_sampling ? c_.max_resample_rounds : 0); ++round) {
      int64_t kept_groups = static_cast<int64_t>(rs.size()) / c_.group_size;
      int64_t need = c_.questions_per_step - kept_groups;
      if (need <= 0) break;
      std::vector<Question> fresh;
      for (int64_t i = 0; i < need; ++i) fresh.push_back(make_question(stream_.next(), *prompts_));
      size_t first = questions.size();
      questions.insert(questions.end(), fresh.begin(), fresh.end());
      // This rank's share of the fresh questions; seeds follow the global index.
      const dist::Share mine = dist::share_of(need, rank_, world_);
      std::vector<Question> owned(fresh.begin() + mine.begin, fresh.begin() + mine.end);
      auto batch = rollouts(owned, first + mine.begin, seed_base);
      auto tr = Clock::now();
      score(batch, questions);
      reward_seconds += seconds_since(tr);
      batch = gather_rollouts(std::move(batch), questions);
      std::vector<double> rewards;
      for (auto& r : batch) rewards.push_back(r.reward);
      auto signal = groups_with_signal(at::tensor(rewards, at::kDouble), c_.group_size);
      drawn_groups += need;
      for (int64_t g = 0; g < need; ++g) {
        bool keep = !c_.dynamic_sampling || signal[g].item<bool>();
        zero_std += signal[g].item<bool>() ? 0 : 1;
        if (keep && static_cast<int64_t>(rs.size()) / c_.group_size < c_.questions_per_step)
          for (int64_t j = 0; j < c_.group_size; ++j)
            rs.push_back(std::move(batch[g * c_.group_size + j]));
      }
    }
    if (rs.empty()) {
      // Every group had equal rewards even after resampling: nothing to learn from.
      m["skipped"] = true;
    }
    const double rollout_seconds = seconds_since(t0) - reward_seconds;
    m["zero_std_fraction"] = zero_std / std::max<int64_t>(1, drawn_groups);

    // 3. pi_old and pi_ref, without autograd. pi_old is a forward of its own when the
    // weights move before the loss sees a micro-batch (mu > 1, or several mini-batches:
    // the second one's ratio is to the policy that sampled it, as in TRL and veRL) or
    // for the KL in the reward; otherwise the loss's own forward is pi_old.
    const int64_t N = rs.size();
    log_reward_metrics(m, rs);
    auto tl = Clock::now();
    const std::vector<MicroBatch> plan = plan_micro_batches(rs);
    // Of the global list: this rank's plan may hold only some of the mini-batches.
    const bool several_minis = N > 0 && c_.mini_batch_size > 0 && c_.mini_batch_size < N;
    const bool score_old = c_.num_iterations > 1 || several_minis;
    const bool need_old = score_old || c_.kl_reward_coef > 0;
    std::vector<at::Tensor> old_lp, ref_lp;  // per micro-batch of the plan
    {
      at::NoGradGuard no_grad;
      for (const MicroBatch& u : plan) {
        if (need_old) old_lp.push_back(score_rows(policy_, rs, u.rows));
        if (c_.needs_reference()) ref_lp.push_back(score_rows(ref_, rs, u.rows));
      }
    }
    const double logprob_seconds = seconds_since(tl);

    // 4. Advantages: (N) one per completion, or (N, T) one per token.
    at::Tensor adv =
        N ? advantages_(advantage_inputs(rs, questions, plan, old_lp, ref_lp)) : at::zeros({0});

    // 5. mu passes of mini-batch updates, micro-batched with gradient accumulation.
    auto tu = Clock::now();
    const int64_t mini = c_.mini_batch_size > 0 ? std::min(c_.mini_batch_size, N) : N;
    GrpoLossStats sum_stats;
    sum_stats.entropy_kept = 0;
    LogprobMismatch mismatch;                 // engine vs trainer, each token once
    RolloutCorrectionStats correction_stats;  // likewise
    double grad_norm = 0, lr = 0, entropy_sum = 0, entropy_tokens = 0;
    int64_t stat_count = 0;
    for (int64_t it = 0; it < c_.num_iterations && N > 0; ++it) {
      size_t k = 0;  // the next micro-batch of the plan
      for (int64_t mb = 0; mb < N; mb += mini) {
        const int64_t mb_end = std::min(N, mb + mini);
        double active = 0;
        for (int64_t i = mb; i < mb_end; ++i)
          if (!(c_.mask_truncated_completions && rs[i].truncated)) active += rs[i].tokens.size();
        optimizer_->zero_grad();
        for (; k < plan.size() && plan[k].mini_begin == mb; ++k) {
          const std::vector<int64_t>& rows = plan[k].rows;
          std::vector<std::vector<int64_t>> prompts, completions;
          for (int64_t i : rows) {
            prompts.push_back(rs[i].prompt_ids);
            completions.push_back(rs[i].tokens);
          }
          ScoredBatch sb = score_completions(policy_, prompts, completions,
                                             /*with_entropy=*/it == 0 || c_.loss.needs_entropy());
          if (it == 0) {
            entropy_sum += (sb.entropy.detach() * sb.mask).sum().item<double>();
            entropy_tokens += sb.mask.sum().item<double>();
          }
          auto mask = sb.mask;
          if (c_.mask_truncated_completions) {
            std::vector<float> keep;
            for (int64_t i : rows) keep.push_back(rs[i].truncated ? 0.0f : 1.0f);
            mask = mask * at::tensor(keep).unsqueeze(1).to(mask.device());
          }
          GrpoLossInputs in;
          in.logprobs = sb.logprobs;
          // One pass over one mini-batch: pi_old is this very forward (rho = 1 exactly),
          // even when pi_old was also scored for the KL in the reward.
          in.old_logprobs = score_old ? old_lp[k] : sb.logprobs.detach();
          // The trainer's pi_old against the engine's log-probs, on every token, and
          // corrected if asked.
          const at::Tensor old = need_old ? old_lp[k] : sb.logprobs.detach();
          const at::Tensor rollout_lp =
              rollout_logprobs(rs, rows, sb.mask.size(1)).to(old.device());
          if (it == 0) mismatch.add(old, rollout_lp, sb.mask);
          in.rollout_weights =
              correction_(old, rollout_lp, mask, it == 0 ? &correction_stats : nullptr);
          if (!ref_lp.empty()) in.ref_logprobs = ref_lp[k];
          in.advantages = adv.index_select(0, at::tensor(rows, at::kLong)).to(mask.device());
          if (adv.dim() == 2) in.advantages = in.advantages.narrow(1, 0, mask.size(1));
          in.entropy = sb.entropy;
          in.mask = mask;
          in.num_items_in_batch = active;
          in.num_sequences_in_batch = mb_end - mb;
          GrpoLossStats st;
          loss_(in, &st).backward();
          accumulate_gradients(policy_, master_);
          sum_stats.kl += st.kl;
          sum_stats.clip_low += st.clip_low;
          sum_stats.clip_high += st.clip_high;
          sum_stats.clip_dual += st.clip_dual;
          sum_stats.ratio_mean += st.ratio_mean;
          sum_stats.entropy_kept += st.entropy_kept;
          ++stat_count;
        }
        dist::all_reduce_gradients(group_, params_);
        const double max_norm =
            c_.max_grad_norm > 0 ? c_.max_grad_norm : std::numeric_limits<double>::infinity();
        grad_norm = torch::nn::utils::clip_grad_norm_(params_, max_norm);
        // A non-finite gradient would make every weight NaN: stop before the
        // update, so the last checkpoint stays the last good one.
        if (!std::isfinite(grad_norm))
          fail("step ", step_, ": the gradient norm is ", grad_norm,
               "; stopped before the optimizer step, no checkpoint written (optim.lr = ", c_.lr,
               ", rl.beta = ", c_.loss.beta, ")");
        lr = learning_rate({c_.lr, c_.schedule, c_.warmup_steps, c_.min_lr_ratio}, updates_,
                           c_.steps * c_.num_iterations * ((N + mini - 1) / mini));
        for (auto& group : optimizer_->param_groups())
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        optimizer_->step();
        copy_master_to_working(master_, policy_);
        ++updates_;
      }
    }
    const double update_seconds = seconds_since(tu);
    if (world_ > 1) {
      // Per-micro-batch statistics, entropy, rollout mismatch and correction over all ranks.
      double count = static_cast<double>(stat_count);
      dist::sum_over_ranks(
          group_,
          {&sum_stats.kl, &sum_stats.clip_low, &sum_stats.clip_high, &sum_stats.clip_dual,
           &sum_stats.ratio_mean, &sum_stats.entropy_kept, &count, &entropy_sum, &entropy_tokens,
           &mismatch.tokens, &mismatch.abs_sum, &mismatch.k3_sum, &correction_stats.units,
           &correction_stats.corrected, &correction_stats.weight_sum});
      dist::max_over_ranks(group_, {&mismatch.abs_max, &correction_stats.ratio_max});
      stat_count = static_cast<int64_t>(count);
    }

    double tokens = 0;
    for (auto& r : rs) tokens += r.tokens.size();
    auto avg = [&](double x) { return stat_count ? x / stat_count : 0.0; };
    m["kl"] = avg(sum_stats.kl);
    m["clip_low"] = avg(sum_stats.clip_low);
    m["clip_high"] = avg(sum_stats.clip_high);
    m["ratio_mean"] = avg(sum_stats.ratio_mean);
    if (c_.loss.clip_ratio_c > 0) m["clip_dual"] = avg(sum_stats.clip_dual);
    if (c_.loss.top_entropy_quantile < 1) m["entropy_kept"] = avg(sum_stats.entropy_kept);
    m["entropy"] = entropy_tokens > 0 ? entropy_sum / entropy_tokens : 0.0;
    if (mismatch.tokens > 0)
      m["rollout_mismatch"] = {{"logprob_diff_mean", mismatch.abs_mean()},
                               {"logprob_diff_max", mismatch.abs_max},
                               {"k3_kl", mismatch.k3_mean()}};
    if (correction_.enabled() && correction_stats.units > 0) {
      const double units = correction_stats.units;
      m["rollout_correction"] = {
          {"weight_mean", correction_stats.weight_sum / units},
          {"ratio_max", correction_stats.ratio_max},
          {correction_.corrected_name(), correction_stats.corrected / units}};
    }
    m["grad_norm"] = grad_norm;
    m["lr"] = lr;
    const double total = seconds_since(t0);
    m["tokens_per_second"] = tokens / std::max(1e-9, total);
    m["time"] = {{"rollout", rollout_seconds},
                 {"reward", reward_seconds},
                 {"logprobs", logprob_seconds},
                 {"update", update_seconds},
                 {"total", total}};
    if (world_ > 1) {
      // Rank 0's view: its time inside collectives and the gradient bytes it summed.
      m["time"]["communication"] = group_.comm_seconds() - comm_seconds_;
      m["dist"] = {{"world_size", world_},
                   {"bytes_all_reduced", group_.bytes_reduced() - bytes_reduced_}};
      comm_seconds_ = group_.comm_seconds();
      bytes_reduced_ = group_.bytes_reduced();
    }
    for (int64_t i = 0; i < std::min<int64_t>(c_.log_samples, N); ++i) {
      nlohmann::json s = {{"step", step_},
                          {"prompt", rs[i].prompt},
                          {"completion", rs[i].text},
                          {"reward", rs[i].reward}};
      for (size_t k = 0; k < rewards_.size(); ++k) s[rewards_[k].first.name] = rs[i].scores[k];
      append_line("samples.jsonl", s);
    }
    return m;
  }

  // What the estimator is given: the rewards, the loss mask (N, T), the KL in the reward
  // from the per-micro-batch log-probs and, for remax, the greedy completions' rewards.
  // Each rank fills its own rollouts' rows; a sum over ranks completes them.
  AdvantageInputs advantage_inputs(const std::vector<Rollout>& rs,
                                   const std::vector<Question>& questions,
                                   const std::vector<MicroBatch>& plan,
                                   const std::vector<at::Tensor>& old_lp,
                                   const std::vector<at::Tensor>& ref_lp) {
    const int64_t N = rs.size();
    int64_t T = 0;
    for (const Rollout& r : rs) T = std::max<int64_t>(T, r.tokens.size());
    std::vector<float> rewards, mask(N * T, 0.0f);
    for (int64_t i = 0; i < N; ++i) {
      rewards.push_back(static_cast<float>(rs[i].reward));
      const float keep = c_.mask_truncated_completions && rs[i].truncated ? 0.0f : 1.0f;
      for (size_t t = 0; t < rs[i].tokens.size(); ++t) mask[i * T + t] = keep;
    }
    AdvantageInputs in;
    in.rewards = at::tensor(rewards);
    in.group_size = c_.group_size;
    in.mask = at::tensor(mask).view({N, T});
    if (c_.kl_reward_coef > 0) {
      // k1 = log pi_old - log pi_ref per token (veRL's kl_penalty "kl"), padded to T.
      at::Tensor k1 = at::zeros({N, T}, at::kFloat);
      for (size_t k = 0; k < old_lp.size(); ++k) {
        at::Tensor rows = at::tensor(plan[k].rows, at::kLong);
        k1.index_copy_(0, rows,
                       at::constant_pad_nd(old_lp[k] - ref_lp[k], {0, T - old_lp[k].size(1)})
                           .to(at::kCPU, at::kFloat));
      }
      if (world_ > 1) group_.all_reduce_sum(k1.data_ptr<float>(), k1.numel());
      in.token_rewards = -c_.kl_reward_coef * k1;
    }
    if (greedy_baseline_) in.baselines = greedy_rewards(rs, questions);
    return in;
  }

  // ReMax's baseline: the reward of one greedy completion of each rollout's question.
  at::Tensor greedy_rewards(const std::vector<Rollout>& rs,
                            const std::vector<Question>& questions) {
    std::vector<size_t> asked;      // this rank's question indices, each once, in order
    std::map<size_t, size_t> slot;  // question index -> position in `asked`
    for (const Rollout& r : rs)
      if (r.owner == rank_ && slot.emplace(r.question, asked.size()).second)
        asked.push_back(r.question);
    std::vector<GenerateRequest> requests;
    for (size_t q : asked) requests.push_back({questions[q].ids, 1, q});
    SamplingParams p = sampling();
    p.temperature = 0;
    GenerateOptions gen;
    gen.max_batch = c_.max_batch;
    std::vector<std::vector<Completion>> results;
    {
      at::NoGradGuard no_grad;
      results = generate(policy_, requests, p, gen);
    }
    std::vector<Rollout> greedy;
    for (size_t j = 0; j < asked.size(); ++j) {
      Rollout r;
      r.question = asked[j];
      r.prompt = questions[asked[j]].prompt;
      r.text = tok_.decode(results[j][0].tokens, true);
      greedy.push_back(std::move(r));
    }
    score(greedy, questions);
    std::vector<float> baselines;
    for (const Rollout& r : rs)
      baselines.push_back(r.owner == rank_ ? static_cast<float>(greedy[slot[r.question]].reward)
                                           : 0.0f);
    if (world_ > 1) group_.all_reduce_sum(baselines.data(), baselines.size());
    return at::tensor(baselines);
  }

  void log_reward_metrics(nlohmann::json& m, const std::vector<Rollout>& rs) {
    const double n = std::max<size_t>(1, rs.size());
    double mean = 0, sq = 0, correct = 0, len = 0, len_min = 1e18, len_max = 0, truncated = 0,
           thinks = 0;
    for (const auto& r : rs) {
      thinks += r.text.find("</think>") != std::string::npos ? 1 : 0;
      mean += r.reward / n;
      sq += r.reward * r.reward / n;
      correct += r.scores[eval_reward_] >= 1.0 ? 1 : 0;
      double l = r.tokens.size();
      len += l / n;
      len_min = std::min(len_min, l);
      len_max = std::max(len_max, l);
      truncated += r.truncated ? 1 : 0;
    }
    m["reward"] = mean;
    m["reward_std"] = std::sqrt(std::max(0.0, sq - mean * mean));
    for (size_t k = 0; k < rewards_.size(); ++k) {
      double s = 0;
      for (const auto& r : rs) s += r.scores[k] / n;
      m["rewards"][rewards_[k].first.name] = s;
    }
    m["accuracy"] = correct / n;
    m["completion_length"] = {{"mean", len}, {"min", rs.empty() ? 0 : len_min}, {"max", len_max}};
    m["truncated_fraction"] = truncated / n;
    // R1-Zero's signature (docs/design.md §1.5): the share of answers that reason first.
    m["think_fraction"] = thinks / n;
  }

  // pass@1 on the first eval_size held-out questions: greedy, or the mean over
  // eval_samples completions at eval_temperature. Question i always samples
  // with seed i, so the curve does not depend on the training step's RNG.
  // Each rank answers its share of the questions; the counts are summed.
  double evaluate() {
    const int64_t n = std::min<int64_t>(c_.eval_size, eval_.rows.size());
    const dist::Share mine = dist::share_of(n, rank_, world_);
    std::vector<Question> qs;
    for (int64_t i = mine.begin; i < mine.end; ++i)
      qs.push_back(make_question(eval_.rows[i], *eval_prompts_));
    std::vector<GenerateRequest> requests;
    for (size_t i = 0; i < qs.size(); ++i)
      requests.push_back({qs[i].ids, c_.eval_samples, mine.begin + i});
    SamplingParams p = sampling();
    p.temperature = static_cast<float>(c_.eval_temperature);
    GenerateOptions gen;
    gen.max_batch = c_.max_batch;
    at::NoGradGuard no_grad;
    auto results = generate(policy_, requests, p, gen);
    std::vector<RewardInput> inputs;
    for (size_t i = 0; i < qs.size(); ++i)
      for (const auto& completion : results[i])
        inputs.push_back({qs[i].prompt, tok_.decode(completion.tokens, true), qs[i].row});
    auto scores = inputs.empty() ? std::vector<double>{} : rewards_[eval_reward_].second(inputs);
    double counts[] = {0, static_cast<double>(scores.size())};  // correct, answered
    for (double s : scores) counts[0] += s >= 1.0 ? 1 : 0;
    if (world_ > 1) group_.all_reduce_sum(counts, 2);
    return counts[0] / std::max(1.0, counts[1]);
  }

  // ref = alpha * policy + (1 - alpha) * ref; alpha = 1 copies the policy.
  void sync_reference() {
    at::NoGradGuard no_grad;
    auto src = master_.named_parameters(), dst = ref_.named_parameters();
    for (size_t i = 0; i < src.size(); ++i) {
      if (c_.ref_mixup_alpha == 1.0)
        dst[i].second->copy_(*src[i].second);
      else
        dst[i].second->lerp_(src[i].second->to(dst[i].second->scalar_type()), c_.ref_mixup_alpha);
    }
  }

  void checkpoint() {
    CheckpointContents contents;
    contents.copy_from_dir = c_.model_path;
    contents.trainer_state = {
        {"step", step_}, {"updates", updates_}, {"data_position", stream_.position()}};
    contents.write_resume = [&](const std::string& dir) {
      torch::save(*optimizer_, dir + "/optimizer.pt");
      if (c_.needs_reference()) {
        std::map<std::string, at::Tensor> ref;
        for (auto& [name, t] : ref_.named_parameters()) ref[name] = *t;
        save_safetensors(dir + "/reference.safetensors", ref);
      }
    };
    // Rank 0 writes (every rank holds the same weights); the others wait, so
    // nobody runs ahead of a checkpoint that may still fail.
    if (rank_ == 0) save_checkpoint(master_, c_.output_dir, step_, c_.checkpoints, contents);
    group_.barrier();
  }

  void progress(const nlohmann::json& m, double elapsed, int64_t ran) {
    if (opt_.quiet || rank_ != 0) return;
    double eta = elapsed / ran * (c_.steps - step_);
    char line[256];
    std::snprintf(
        line, sizeof(line),
        "step %lld/%lld  reward %.3f  acc %.3f  len %.1f%s  %.1fs/step  eta %.0fs",
        static_cast<long long>(step_), static_cast<long long>(c_.steps), m["reward"].get<double>(),
        m["accuracy"].get<double>(), m["completion_length"]["mean"].get<double>(),
        m.contains("eval_accuracy") ? cat("  eval ", m["eval_accuracy"].get<double>()).c_str() : "",
        elapsed / ran, eta);
    if (isatty(2))
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << "\n";
  }
};

}  // namespace

std::vector<nlohmann::json> train_grpo(TrainConfig& config, const TrainOptions& options) {
  try {
    Trainer trainer(config, options);
    return trainer.run();
  } catch (const std::exception& e) {
    dist::report_failure(e.what());  // the other ranks' error names this one
    throw;
  }
}

}  // namespace r1
