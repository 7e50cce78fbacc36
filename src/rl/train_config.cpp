#include "rl/train_config.h"

#include "util/error.h"
#include "util/io.h"

namespace r1 {

FieldTable TrainConfig::fields() {
  return {
      {"model.path", &model_path, "model directory (HF layout) to start from"},
      {"data.path", &data_path, "training JSONL file or directory of shards"},
      {"data.prompt_field", &prompt_field, "field holding the question"},
      {"data.template", &template_name, "r1_zero | chat | raw"},
      {"data.shuffle", &shuffle, "seeded shuffle each epoch"},
      {"data.eval_path", &eval_path, "held-out JSONL for periodic evaluation"},
      {"data.eval_every", &eval_every, "evaluate every N steps (0 = never)"},
      {"data.eval_size", &eval_size, "held-out questions per evaluation"},
      {"data.eval_samples", &eval_samples, "completions per held-out question (pass@1 = mean)"},
      {"data.eval_temperature", &eval_temperature, "evaluation temperature (0 = greedy)"},
      {"data.eval_reward", &eval_reward, "reward that decides correctness ('' = first)"},
      {"rollout.group_size", &group_size, "G: completions per question"},
      {"rollout.questions_per_step", &questions_per_step, "questions per step"},
      {"rollout.max_new_tokens", &max_new_tokens, "completion length limit"},
      {"rollout.temperature", &temperature, "sampling temperature"},
      {"rollout.top_p", &top_p, "nucleus sampling"},
      {"rollout.top_k", &top_k, "top-k sampling (0 = off)"},
      {"rollout.max_batch", &max_batch, "sequences decoded together"},
      {"rl.loss_type", &loss.loss_type,
       "grpo | bnpo | dr_grpo | dapo | cispo (MiniMax-M1) | sapo (soft gate); "
       "docs/grpo-algorithms.md"},
      {"rl.epsilon", &loss.epsilon, "lower clip range"},
      {"rl.epsilon_high", &loss.epsilon_high,
       "upper clip range (clip-higher if > epsilon); cispo: the cap on the ratio (5.0)"},
      {"rl.delta", &loss.delta,
       "two-sided clipping (INTELLECT-2): ratio <= delta also for A < 0 (0 = off)"},
      {"rl.clip_ratio_c", &loss.clip_ratio_c,
       "dual-clip PPO (veRL): A < 0 loss at most -c * A, c > 1 (0 = off)"},
      {"rl.sapo_temperature_pos", &loss.sapo_temperature_pos, "sapo gate temperature, A > 0"},
      {"rl.sapo_temperature_neg", &loss.sapo_temperature_neg, "sapo gate temperature, A <= 0"},
      {"rl.entropy_coef", &loss.entropy_coef, "entropy bonus: loss -= coef * mean entropy"},
      {"rl.top_entropy_quantile", &loss.top_entropy_quantile,
       "policy loss on the top rho of tokens by entropy (1 = all; paper: 0.2)"},
      {"rl.beta", &loss.beta, "k3 KL weight; 0 = no reference model"},
      {"rl.importance_sampling_level", &loss.importance_sampling_level, "token | sequence (GSPO)"},
      {"rl.advantage_estimator", &advantage_estimator,
       "grpo | rloo | reinforce_plus_plus | reinforce_plus_plus_baseline | remax"},
      {"rl.scale_rewards", &scale_rewards, "group | batch | none (grpo estimator only)"},
      {"rl.kl_reward_coef", &kl_reward_coef,
       "KL in the reward: -coef * (log pi_old - log pi_ref) per token (0 = off)"},
      {"rl.num_iterations", &num_iterations, "mu: updates per batch of rollouts"},
      {"rl.mask_truncated_completions", &mask_truncated_completions,
       "exclude completions cut by max_new_tokens from the loss"},
      {"rl.dynamic_sampling", &dynamic_sampling, "DAPO: drop groups with equal rewards, refill"},
      {"rl.max_resample_rounds", &max_resample_rounds, "dynamic sampling: extra draws per step"},
      {"rl.ref_reset_every", &ref_reset_every,
       "sync the reference with the policy every N steps (0 = never)"},
      {"rl.ref_mixup_alpha", &ref_mixup_alpha,
       "at a sync, ref = alpha * policy + (1 - alpha) * ref (1 = reset)"},
      {"optim.lr", &lr, "peak learning rate"},
      {"optim.adam_beta1", &adam_beta1, "AdamW beta1"},
      {"optim.adam_beta2", &adam_beta2, "AdamW beta2"},
      {"optim.weight_decay", &weight_decay, "AdamW weight decay"},
      {"optim.max_grad_norm", &max_grad_norm, "clip the global gradient norm (0 = off)"},
      {"optim.schedule", &schedule, "constant | cosine | linear (after warmup)"},
      {"optim.warmup_steps", &warmup_steps, "linear warmup optimizer steps"},
      {"optim.min_lr_ratio", &min_lr_ratio, "final lr / peak lr for cosine/linear"},
      {"optim.mini_batch_size", &mini_batch_size, "sequences per optimizer step (0 = all)"},
      {"optim.micro_batch_size", &micro_batch_size, "sequences per forward/backward"},
      {"optim.micro_batch_tokens", &micro_batch_tokens,
       "padded tokens per forward/backward at most (0 = no cap)"},
      {"train.steps", &steps, "GRPO steps"},
      {"train.seed", &seed, "seed for data order and sampling"},
      {"train.output_dir", &output_dir, "run directory"},
      {"train.checkpoint_every", &checkpoint_every, "checkpoint every N steps (0 = end only)"},
      {"train.log_samples", &log_samples, "completions per step in samples.jsonl"},
  };
}

void TrainConfig::validate() const {
  loss.validate();
  if (model_path.empty()) fail("model.path is required");
  if (data_path.empty()) fail("data.path is required");
  if (template_name != "r1_zero" && template_name != "chat" && template_name != "raw")
    fail("data.template: unknown '", template_name, "' (r1_zero, chat, raw)");
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
  if (steps < 1) fail("train.steps must be >= 1");
  if (eval_samples < 1) fail("data.eval_samples must be >= 1");
  if (eval_temperature < 0) fail("data.eval_temperature must be >= 0");
  if (rewards.empty()) fail("no [[rewards]] configured");
}

AdvantageFn TrainConfig::advantage_estimator_fn() const {
  return r1::advantage_estimator(advantage_estimator, scale_rewards);
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_train_config(read_file(path), path, overrides);
}

TrainConfig parse_train_config(const std::string& text, const std::string& path,
                               const std::vector<std::string>& overrides) {
  TrainConfig c;
  FieldTable table = c.fields();
  nlohmann::json lists = apply_toml(table, text, path, {"rewards"});
  for (const auto& o : overrides) apply_override(table, o);
  if (lists.contains("rewards")) c.rewards = parse_reward_specs(lists["rewards"], path);
  return c;
}

std::string dump_train_config(TrainConfig& config) {
  return dump_toml(config.fields(), {{"rewards", reward_specs_to_tables(config.rewards)}});
}

}  // namespace r1
