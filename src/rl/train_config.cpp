#include "rl/train_config.h"

#include "util/range_check.h"

#include "util/error.h"
#include "util/io.h"
#include "util/metrics_sink.h"

namespace r1 {

FieldTable TrainConfig::fields() {
  FieldTable t = {
      {"model.path", &model_path, "model directory (HF layout) to start from",
       "TRL model_name_or_path"},
      {"data.path", &data_path, "training JSONL file or directory of shards"},
      {"data.shuffle", &shuffle, "seeded shuffle each epoch"},
      {"data.eval_path", &eval_path, "held-out JSONL for periodic evaluation"},
      {"data.eval_every", &eval_every, "evaluate every N steps (0 = never)", "TRL eval_steps"},
      {"data.eval_size", &eval_size, "held-out questions per evaluation"},
      {"data.eval_samples", &eval_samples, "completions per held-out question (pass@1 = mean)"},
      {"data.eval_temperature", &eval_temperature, "evaluation temperature (0 = greedy)"},
      {"data.eval_reward", &eval_reward, "reward that decides correctness ('' = first)"},
      {"rollout.group_size", &group_size, "G: completions per question",
       "TRL num_generations, veRL actor_rollout_ref.rollout.n"},
      {"rollout.questions_per_step", &questions_per_step, "questions per step",
       "veRL data.train_batch_size"},
      {"rollout.max_new_tokens", &max_new_tokens, "completion length limit",
       "TRL max_completion_length, veRL data.max_response_length"},
      {"rollout.temperature", &temperature, "sampling temperature", "TRL temperature"},
      {"rollout.top_p", &top_p, "nucleus sampling", "TRL top_p"},
      {"rollout.top_k", &top_k, "top-k sampling (0 = off)", "TRL top_k"},
      {"rollout.max_batch", &max_batch, "sequences decoded together"},
      {"rl.loss_type", &loss.loss_type,
       "grpo | bnpo | dr_grpo | dapo | cispo (MiniMax-M1) | sapo (soft gate); "
       "docs/grpo-algorithms.md",
       "TRL loss_type"},
      {"rl.epsilon", &loss.epsilon, "lower clip range", "TRL epsilon, veRL clip_ratio_low"},
      {"rl.epsilon_high", &loss.epsilon_high,
       "upper clip range (clip-higher if > epsilon); cispo: the cap on the ratio (5.0)",
       "TRL epsilon_high, veRL clip_ratio_high"},
      {"rl.delta", &loss.delta,
       "two-sided clipping (INTELLECT-2): ratio <= delta also for A < 0 (0 = off)", "TRL delta"},
      {"rl.clip_ratio_c", &loss.clip_ratio_c,
       "dual-clip PPO (veRL): A < 0 loss at most -c * A, c > 1 (0 = off)", "veRL clip_ratio_c"},
      {"rl.sapo_temperature_pos", &loss.sapo_temperature_pos, "sapo gate temperature, A > 0",
       "TRL sapo_temperature_pos"},
      {"rl.sapo_temperature_neg", &loss.sapo_temperature_neg, "sapo gate temperature, A <= 0",
       "TRL sapo_temperature_neg"},
      {"rl.entropy_coef", &loss.entropy_coef, "entropy bonus: loss -= coef * mean entropy",
       "veRL entropy_coeff"},
      {"rl.top_entropy_quantile", &loss.top_entropy_quantile,
       "policy loss on the top rho of tokens by entropy (1 = all; paper: 0.2)",
       "TRL top_entropy_quantile"},
      {"rl.beta", &loss.beta, "k3 KL weight; 0 = no reference model",
       "TRL beta, veRL kl_loss_coef"},
      {"rl.importance_sampling_level", &loss.importance_sampling_level, "token | sequence (GSPO)",
       "TRL importance_sampling_level"},
      {"rl.rollout_correction", &rollout_correction.mode,
       "none | token_truncate | token_mask | sequence_truncate | sequence_mask: importance "
       "weights for the engine's vs the trainer's log-probs; docs/grpo.md",
       "TRL vllm_importance_sampling_mode, vllm_importance_sampling_correction, veRL "
       "algorithm.rollout_correction.rollout_is, algorithm.rollout_correction.rollout_rs"},
      {"rl.rollout_correction_cap", &rollout_correction.cap,
       "largest ratio kept: truncated to it, or masked above it",
       "TRL vllm_importance_sampling_clip_max, vllm_importance_sampling_cap, veRL "
       "algorithm.rollout_correction.rollout_is_threshold"},
      {"rl.rollout_correction_min", &rollout_correction.min_ratio,
       "smallest ratio kept: truncated to it, or masked below it (0 = no lower bound)",
       "TRL vllm_importance_sampling_clip_min, veRL "
       "algorithm.rollout_correction.rollout_rs_threshold_lower"},
      {"rl.advantage_estimator", &advantage_estimator,
       "grpo | rloo | reinforce_plus_plus | reinforce_plus_plus_baseline | remax",
       "veRL algorithm.adv_estimator"},
      {"rl.scale_rewards", &scale_rewards, "group | batch | none (grpo estimator only)",
       "TRL scale_rewards"},
      {"rl.kl_reward_coef", &kl_reward_coef,
       "KL in the reward: -coef * (log pi_old - log pi_ref) per token (0 = off)",
       "veRL algorithm.kl_ctrl.kl_coef"},
      {"rl.num_iterations", &num_iterations, "mu: updates per batch of rollouts",
       "TRL num_iterations, veRL ppo_epochs"},
      {"rl.mask_truncated_completions", &mask_truncated_completions,
       "exclude completions cut by max_new_tokens from the loss", "TRL mask_truncated_completions"},
      {"rl.dynamic_sampling", &dynamic_sampling, "DAPO: drop groups with equal rewards, refill",
       "veRL algorithm.filter_groups.enable"},
      {"rl.max_resample_rounds", &max_resample_rounds, "dynamic sampling: extra draws per step",
       "veRL algorithm.filter_groups.max_num_gen_batches"},
      {"rl.ref_reset_every", &ref_reset_every,
       "sync the reference with the policy every N steps (0 = never)", "TRL ref_model_sync_steps"},
      {"rl.ref_mixup_alpha", &ref_mixup_alpha,
       "at a sync, ref = alpha * policy + (1 - alpha) * ref (1 = reset)",
       "TRL ref_model_mixup_alpha"},
      {"optim.lr", &lr, "peak learning rate", "TRL learning_rate, veRL actor.optim.lr"},
      {"optim.adam_beta1", &adam_beta1, "AdamW beta1", "TRL adam_beta1"},
      {"optim.adam_beta2", &adam_beta2, "AdamW beta2", "TRL adam_beta2"},
      {"optim.weight_decay", &weight_decay, "AdamW weight decay", "TRL weight_decay"},
      {"optim.max_grad_norm", &max_grad_norm, "clip the global gradient norm (0 = off)",
       "TRL max_grad_norm, veRL actor.grad_clip"},
      {"optim.schedule", &schedule, "constant | cosine | linear (after warmup)",
       "TRL lr_scheduler_type"},
      {"optim.warmup_steps", &warmup_steps, "linear warmup optimizer steps",
       "TRL warmup_steps, warmup_ratio"},
      {"optim.min_lr_ratio", &min_lr_ratio, "final lr / peak lr for cosine/linear"},
      {"optim.mini_batch_size", &mini_batch_size, "sequences per optimizer step (0 = all)",
       "veRL actor.ppo_mini_batch_size"},
      {"optim.micro_batch_size", &micro_batch_size, "sequences per forward/backward",
       "veRL actor.ppo_micro_batch_size_per_gpu"},
      {"optim.micro_batch_tokens", &micro_batch_tokens,
       "padded tokens per forward/backward at most (0 = no cap)"},
      {"train.max_steps", &steps, "GRPO steps", "TRL max_steps", {"train.steps"}},
      {"train.seed", &seed, "seed for data order and sampling", "TRL seed"},
      {"train.output_dir", &output_dir, "run directory", "TRL output_dir"},
      {"train.log_samples", &log_samples, "completions per step in samples.jsonl",
       "TRL log_completions"},
      {"train.report_to", &report_to,
       "loggers besides metrics.jsonl: [\"tensorboard\"] (OUTPUT_DIR/tensorboard) or []",
       "TRL report_to"},
  };
  add_compute_fields(t, compute);
  add_prompt_fields(t, prompt);
  add_checkpoint_fields(t, checkpoints);
  return t;
}

void TrainConfig::validate() const {
  origin.locate_errors([this] { check_values(); });
}

void TrainConfig::check_values() const {
  loss.validate();
  rollout_correction.validate();
  if (model_path.empty()) fail("model.path is required");
  if (data_path.empty()) fail("data.path is required");
  prompt.validate();
  checkpoints.validate();
  check_report_to(report_to);
  if (scale_rewards != "group" && scale_rewards != "batch" && scale_rewards != "none")
    fail("rl.scale_rewards: unknown '", scale_rewards, "' (group, batch, none)");
  advantage_estimator_fn();  // throws for an unknown estimator
  if (!(kl_reward_coef >= 0)) fail("rl.kl_reward_coef: must be >= 0, got ", kl_reward_coef);
  if (schedule != "constant" && schedule != "cosine" && schedule != "linear")
    fail("optim.schedule: unknown '", schedule, "' (constant, cosine, linear)");
  if (group_size < 1) fail("rollout.group_size must be >= 1");
  if (questions_per_step < 1) fail("rollout.questions_per_step must be >= 1");
  if (num_iterations < 1) fail("rl.num_iterations must be >= 1");
  if (ref_reset_every < 0) fail("rl.ref_reset_every must be >= 0");
  if (!(ref_mixup_alpha > 0 && ref_mixup_alpha <= 1))
    fail("rl.ref_mixup_alpha must be in (0, 1], got ", ref_mixup_alpha);
  if (micro_batch_size < 1) fail("optim.micro_batch_size must be >= 1");
  if (micro_batch_tokens < 0) fail("optim.micro_batch_tokens must be >= 0");
  if (mini_batch_size < 0) fail("optim.mini_batch_size must be >= 0");
  if (steps < 1) fail("train.max_steps must be >= 1");
  if (eval_samples < 1) fail("data.eval_samples must be >= 1");
  if (eval_temperature < 0) fail("data.eval_temperature must be >= 0");
  if (rewards.empty()) fail("no [[rewards]] configured");
  require_lr("optim.lr", lr);
  require_beta("optim.adam_beta1", adam_beta1);
  require_beta("optim.adam_beta2", adam_beta2);
  require_non_negative("optim.weight_decay", weight_decay);
  require_non_negative("optim.max_grad_norm", max_grad_norm);
  require_unit("optim.min_lr_ratio", min_lr_ratio);
  if (warmup_steps < 0) fail("optim.warmup_steps must be >= 0");
  require_non_negative("rollout.temperature", temperature);
  require(top_p > 0 && top_p <= 1, "rollout.top_p", top_p, "in (0, 1]");
  if (top_k < 0) fail("rollout.top_k must be >= 0");
  if (max_new_tokens < 1) fail("rollout.max_new_tokens must be >= 1");
  if (max_batch < 1) fail("rollout.max_batch must be >= 1");
  require_non_negative("data.eval_temperature", eval_temperature);
  if (eval_size < 1) fail("data.eval_size must be >= 1, got ", eval_size);
  if (eval_every < 0) fail("data.eval_every must be >= 0");
  if (max_resample_rounds < 0) fail("rl.max_resample_rounds must be >= 0");
  for (const auto& r : rewards)
    require(std::isfinite(r.weight), "[[rewards]] '" + r.name + "' weight", r.weight, "finite");
}

AdvantageFn TrainConfig::advantage_estimator_fn() const {
  return r1::advantage_estimator(advantage_estimator, scale_rewards);
}

// Dr. GRPO divides by the completion limit the sampler ran with (TRL:
// max_completion_length, the generation limit), so the loss takes
// rollout.max_new_tokens rather than a constant of its own.
GrpoLossConfig TrainConfig::loss_config() const {
  GrpoLossConfig c = loss;
  c.max_completion_length = max_new_tokens;
  return c;
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  TrainConfig c = parse_train_config(read_file(path), path, overrides);
  for (std::string* input : {&c.model_path, &c.data_path, &c.eval_path})
    resolve_input_path(*input, path);
  return c;
}

TrainConfig parse_train_config(const std::string& text, const std::string& path,
                               const std::vector<std::string>& overrides) {
  TrainConfig c;
  FieldTable table = c.fields();
  nlohmann::json lists = apply_toml(table, text, path, {"rewards"}, &c.origin);
  for (const auto& o : overrides) apply_override(table, o, &c.origin);
  if (lists.contains("rewards")) c.rewards = parse_reward_specs(lists["rewards"], path);
  return c;
}

std::string dump_train_config(TrainConfig& config) {
  return dump_toml(config.fields(), {{"rewards", reward_specs_to_tables(config.rewards)}},
                   kRewardsHelp);
}

}  // namespace r1
