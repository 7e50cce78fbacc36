#include "sft/sft_trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <numeric>

#include "dist/data_parallel.h"
#include "dist/process_group.h"
#include "model/checkpoint.h"
#include "model/master_weights.h"
#include "model/train_checkpoint.h"
#include "sft/sft_data.h"
#include "sft/sft_loss.h"
#include "tokenizer/tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/io.h"
#include "util/metrics_sink.h"
#include "util/run_dir.h"

namespace r1 {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<int64_t> lengths_of(const std::vector<SftExample>& examples) {
  std::vector<int64_t> out;
  for (const auto& ex : examples) out.push_back(ex.ids.size());
  return out;
}

// Every i-th of n items, from `rank` on: a rank's share of a step's examples
// (strided, so length-sorted windows spread evenly over the ranks).
std::vector<int64_t> strided_share(const std::vector<int64_t>& items, int rank, int world) {
  std::vector<int64_t> out;
  for (size_t i = rank; i < items.size(); i += world) out.push_back(items[i]);
  return out;
}

// Data parallel (docs/distributed.md): every rank plans the same steps; each
// runs forward/backward on its share of a step's examples, the loss divided by
// the whole step's trained tokens, and gradients are summed before the same
// optimizer step on every rank. Rank 0 writes.
class SftTrainer {
 public:
  SftTrainer(SftConfig& config, const SftOptions& options)
      : c_(config),
        opt_(options),
        group_(dist::world()),
        rank_(group_.rank()),
        world_(group_.world_size()) {
    c_.validate();
    if (rank_ == 0) remove_stale_staging(c_.output_dir + "/checkpoints");
    std::string resume_from = opt_.resume ? latest_checkpoint(c_.output_dir) : "";
    dist::check_same_resume_point(group_, resume_from, c_.output_dir);
    const at::Device device = c_.compute.parsed_device();
    master_ = resume_from.empty() ? load_model(c_.model_path, device)
                                  : load_resume_model(resume_from, device);
    for (auto& p : master_.parameters()) p.requires_grad_(true);
    model_ = working_copy(master_, c_.compute.weight_dtype());
    const int64_t context = model_.config.max_position_embeddings;
    if (c_.max_length > context)
      fail("data.max_length ", c_.max_length, " exceeds the model context (", context, ")");
    max_length_ = c_.max_length > 0 ? c_.max_length : context;

    SftFormat format{c_.template_name,
                     c_.messages_field,
                     c_.prompt_field,
                     c_.completion_field,
                     c_.chat_template_path.empty() ? "" : read_file(c_.chat_template_path),
                     c_.chat_template_path};
    Tokenizer tok = Tokenizer::load(c_.model_path);
    if (distilling()) load_teacher(tok);
    SftEncoder encoder(tok, format);
    train_ = load_examples(c_.data_path, encoder);
    lengths_ = lengths_of(train_);
    if (!c_.eval_path.empty()) eval_ = load_examples(c_.eval_path, encoder);
    steps_per_epoch_ = (static_cast<int64_t>(train_.size()) + c_.batch_size - 1) / c_.batch_size;
    total_steps_ = c_.epochs * steps_per_epoch_;
    if (c_.max_steps > 0) total_steps_ = std::min(total_steps_, c_.max_steps);

    params_ = master_.parameters();
    dist::broadcast_parameters(group_, params_);
    if (world_ > 1) copy_master_to_working(master_, model_);
    optimizer_ =
        std::make_unique<torch::optim::AdamW>(params_, torch::optim::AdamWOptions(c_.schedule.lr)
                                                           .betas({c_.adam_beta1, c_.adam_beta2})
                                                           .weight_decay(c_.weight_decay));

    if (rank_ == 0) make_dirs(c_.output_dir);
    if (!resume_from.empty()) {
      auto state = read_trainer_state(resume_from, {"step", "examples", "total_steps"});
      if (state["examples"] != static_cast<int64_t>(train_.size()) ||
          state["total_steps"] != total_steps_)
        fail(resume_from, ": saved by a run of ", state["examples"], " examples and ",
             state["total_steps"], " steps, but this config gives ", train_.size(),
             " examples and ", total_steps_,
             " steps: resuming would not continue the same run (use a new train.output_dir)");
      step_ = state["step"];
      load_optimizer(*optimizer_, resume_file(resume_from, "optimizer.pt"));
      if (rank_ == 0) truncate_jsonl_after_step(c_.output_dir + "/metrics.jsonl", step_);
      log("resumed from " + resume_from);
    } else {
      if (opt_.resume) log("no checkpoint in " + c_.output_dir + "; starting fresh");
      if (rank_ == 0) std::ofstream(c_.output_dir + "/metrics.jsonl", std::ios::trunc);
    }
    if (rank_ == 0) {
      write_file_atomic(c_.output_dir + "/config.toml", dump_sft_config(c_));
      sinks_ = make_metrics_sinks(c_.report_to, c_.output_dir, step_);
    }
    if (world_ > 1) log(cat("data parallel: ", world_, " ranks (this is rank 0)"));
    log(cat(with_commas(train_.size()), " examples, ", steps_per_epoch_, " steps per epoch, ",
            total_steps_, " steps"));
  }

  std::vector<nlohmann::json> run() {
    std::vector<nlohmann::json> all;
    const InterruptGuard ctrl_c;
    int64_t ran = 0;
    const auto start = Clock::now();
    while (step_ < total_steps_) {
      nlohmann::json m = train_step();
      const bool last = step_ == total_steps_;
      if (!eval_.empty() && (last || (c_.eval_every > 0 && step_ % c_.eval_every == 0)))
        m["eval_loss"] = eval_loss();
      append_metrics(m);
      all.push_back(m);
      progress(m, seconds_since(start), ++ran);
      const bool interrupted = dist::any_rank(group_, ctrl_c.requested()) ||
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
  SftConfig& c_;
  SftOptions opt_;
  dist::ProcessGroup& group_;
  const int rank_, world_;
  Model master_;  // fp32: what the optimizer steps and checkpoints hold
  Model model_;   // the working copy forwards run on (model/master_weights.h)
  int64_t max_length_ = 0;
  std::vector<SftExample> train_, eval_;
  std::vector<int64_t> lengths_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_per_epoch_ = 0, total_steps_ = 0;
  int64_t step_ = 0;  // optimizer steps done
  int64_t planned_epoch_ = -1;
  std::vector<std::vector<int64_t>> plan_;
  Model teacher_;                                    // loaded only when distilling
  std::vector<std::unique_ptr<MetricsSink>> sinks_;  // train.report_to

  bool distilling() const { return !c_.teacher_path.empty() && c_.kd_weight > 0; }

  // Logit distillation compares distributions over the same token ids: the
  // teacher must have the student's tokenizer, id for id. Its LM head may be
  // padded to another size (Qwen2.5 7B: 152,064 rows, 1.5B: 151,936); the KL
  // then runs over the rows both have (model/logit_ops.h distill_terms).
  void load_teacher(const Tokenizer& student_tok) {
    teacher_ = load_model(c_.teacher_path, model_.embed_tokens.device(), c_.compute.weight_dtype());
    for (auto& p : teacher_.parameters()) p.requires_grad_(false);
    if (teacher_.config.vocab_size < student_tok.vocab_size())
      fail("distill.teacher ", c_.teacher_path, ": vocab_size ", teacher_.config.vocab_size,
           " is smaller than the tokenizer's ", student_tok.vocab_size(),
           " tokens; logit distillation needs a distribution over every token");
    Tokenizer teacher_tok = Tokenizer::load(c_.teacher_path);
    if (teacher_tok.vocab_size() != student_tok.vocab_size())
      fail("distill.teacher ", c_.teacher_path, ": its tokenizer has ", teacher_tok.vocab_size(),
           " tokens, the student's ", student_tok.vocab_size(),
           "; logit distillation needs the same tokenizer");
    for (int64_t id = 0; id < student_tok.vocab_size(); ++id)
      if (teacher_tok.id_to_token(id) != student_tok.id_to_token(id))
        fail("distill.teacher ", c_.teacher_path, ": token ", id, " is '",
             teacher_tok.id_to_token(id), "' but the student's is '", student_tok.id_to_token(id),
             "'; logit distillation needs the same tokenizer");
  }

  void log(const std::string& s) {
    if (!opt_.quiet && rank_ == 0) std::cerr << s << "\n";
  }

  std::vector<SftExample> load_examples(const std::string& path, const SftEncoder& encoder) {
    SftData d = encode_dataset(load_jsonl(path, {}), encoder, max_length_, at::get_num_threads());
    if (d.truncated > 0)
      std::cerr << "warning: " << path << ": " << with_commas(d.truncated) << " of "
                << with_commas(d.examples.size() + d.dropped) << " examples are longer than "
                << max_length_ << " tokens and were truncated"
                << (d.dropped ? cat(" (", d.dropped, " kept no trained token and were dropped)")
                              : "")
                << "\n";
    if (d.examples.empty()) fail(path, ": no example has a trained token within max_length");
    return std::move(d.examples);
  }

  void append_metrics(const nlohmann::json& j) {
    if (rank_ != 0) return;
    std::ofstream out(c_.output_dir + "/metrics.jsonl", std::ios::app);
    out << j.dump() << "\n";
    for (auto& sink : sinks_) sink->metrics(j);
  }

  const std::vector<int64_t>& step_examples(int64_t step) {
    const int64_t epoch = step / steps_per_epoch_;
    if (epoch != planned_epoch_) {
      plan_ = plan_epoch(lengths_, c_.batch_size, c_.length_window, c_.shuffle,
                         static_cast<uint64_t>(c_.seed), epoch);
      planned_epoch_ = epoch;
    }
    return plan_[step % steps_per_epoch_];
  }

  nlohmann::json train_step() {
    const auto t0 = Clock::now();
    const double comm0 = group_.comm_seconds();
    const std::vector<int64_t>& examples = step_examples(step_);
    double targets = 0, tokens = 0;  // of the whole step, every rank's share
    for (int64_t i : examples) {
      targets += train_[i].num_targets();
      tokens += lengths_[i];
    }
    const auto micro =
        micro_batches(world_ == 1 ? examples : strided_share(examples, rank_, world_), lengths_,
                      c_.micro_batch_tokens);
    double padded = 0;
    for (const auto& mb : micro) padded += static_cast<double>(mb.size()) * lengths_[mb[0]];
    optimizer_->zero_grad();
    double loss = 0, ce = 0, kd = 0;
    for (const auto& mb : micro) {
      std::vector<const SftExample*> batch;
      for (int64_t i : mb) batch.push_back(&train_[i]);
      at::Tensor l;
      if (distilling()) {
        SftLossSums sums = sft_distill_loss_sums(model_, teacher_, batch, c_.kd_temperature);
        l = ((1 - c_.kd_weight) * sums.ce + c_.kd_weight * sums.kd) / targets;
        ce += sums.ce.item<double>() / targets;
        kd += sums.kd.item<double>() / targets;
      } else {
        l = sft_loss_sum(model_, batch) / targets;
      }
      l.backward();
      accumulate_gradients(model_, master_);
      loss += l.item<double>();
    }
    double micro_count = micro.size();
    if (world_ > 1) {
      dist::all_reduce_gradients(group_, params_);
      dist::sum_over_ranks(group_, {&loss, &ce, &kd, &padded, &micro_count});
    }
    const double max_norm =
        c_.max_grad_norm > 0 ? c_.max_grad_norm : std::numeric_limits<double>::infinity();
    const double grad_norm = torch::nn::utils::clip_grad_norm_(params_, max_norm);
    // A non-finite loss or gradient would make every weight NaN: stop before
    // the update, so the last checkpoint stays the last good one.
    if (!std::isfinite(loss) || !std::isfinite(grad_norm))
      fail("step ", step_ + 1, ": the loss is ", loss, " and the gradient norm ", grad_norm,
           "; stopped before the optimizer step, no checkpoint written (optim.lr = ",
           c_.schedule.lr, ")");
    const double lr = learning_rate(c_.schedule, step_, total_steps_);
    for (auto& group : optimizer_->param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    optimizer_->step();
    copy_master_to_working(master_, model_);
    ++step_;

    const double seconds = seconds_since(t0);
    nlohmann::json m = {{"step", step_},
                        {"epoch", static_cast<double>(step_) / steps_per_epoch_},
                        {"loss", loss},
                        {"tokens", targets},
                        {"sequence_tokens", tokens},
                        {"padding_fraction", 1 - tokens / padded},
                        {"micro_batches", static_cast<int64_t>(micro_count)},
                        {"lr", lr},
                        {"grad_norm", grad_norm},
                        {"tokens_per_second", tokens / std::max(1e-9, seconds)},
                        {"time", seconds}};
    if (distilling()) {
      m["ce_loss"] = ce;
      m["kd_loss"] = kd;
    }
    if (world_ > 1) {
      m["communication_seconds"] = group_.comm_seconds() - comm0;
      m["dist"] = {{"world_size", world_}};
    }
    return m;
  }

  // Mean loss per trained token over the held-out examples.
  double eval_loss() {
    at::NoGradGuard no_grad;
    std::vector<int64_t> all(eval_.size());
    std::iota(all.begin(), all.end(), 0);
    double sum = 0, targets = 0;
    for (const auto& mb : micro_batches(strided_share(all, rank_, world_), lengths_of(eval_),
                                        c_.micro_batch_tokens)) {
      std::vector<const SftExample*> batch;
      for (int64_t i : mb) {
        batch.push_back(&eval_[i]);
        targets += eval_[i].num_targets();
      }
      sum += sft_loss_sum(model_, batch).item<double>();
    }
    double sums[] = {sum, targets};
    if (world_ > 1) group_.all_reduce_sum(sums, 2);
    return sums[0] / sums[1];
  }

  void checkpoint() {
    CheckpointContents contents;
    contents.copy_from_dir = c_.model_path;
    contents.trainer_state = {
        {"step", step_}, {"examples", train_.size()}, {"total_steps", total_steps_}};
    contents.write_resume = [&](const std::string& dir) {
      torch::save(*optimizer_, dir + "/optimizer.pt");
    };
    if (rank_ == 0) save_checkpoint(master_, c_.output_dir, step_, c_.checkpoints, contents);
    group_.barrier();  // the others wait for rank 0's checkpoint
  }

  void progress(const nlohmann::json& m, double elapsed, int64_t ran) {
    if (opt_.quiet || rank_ != 0) return;
    char line[256];
    std::snprintf(
        line, sizeof(line),
        "step %lld/%lld  epoch %.2f  loss %.4f%s  lr %.2e  %.0f tok/s  pad %.0f%%  "
        "eta %.0fs",
        static_cast<long long>(step_), static_cast<long long>(total_steps_),
        m["epoch"].get<double>(), m["loss"].get<double>(),
        m.contains("eval_loss") ? cat("  eval ", m["eval_loss"].get<double>()).c_str() : "",
        m["lr"].get<double>(), m["tokens_per_second"].get<double>(),
        100 * m["padding_fraction"].get<double>(), elapsed / ran * (total_steps_ - step_));
    if (isatty(2))
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << "\n";
  }
};

}  // namespace

std::vector<nlohmann::json> train_sft(SftConfig& config, const SftOptions& options) {
  try {
    SftTrainer trainer(config, options);
    return trainer.run();
  } catch (const std::exception& e) {
    dist::report_failure(e.what());  // the other ranks' error names this one
    throw;
  }
}

}  // namespace r1
