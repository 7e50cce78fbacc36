// Everything a GRPO run is configured by: one struct per TOML section, every
// field with its default and a one-line doc in train_config.cpp's table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/prompt.h"
#include "model/compute.h"
#include "model/train_checkpoint.h"
#include "reward/reward.h"
#include "rl/advantages.h"
#include "rl/grpo_loss.h"
#include "rl/rollout_correction.h"
#include "util/config.h"

namespace r1 {

struct TrainConfig {
  // [model]
  std::string model_path;
  ComputeConfig compute;  // model.device, model.precision
  // [data]
  std::string data_path;
  PromptFormat prompt;  // template, fields, system prompt, instruction (shared with eval, sample)
  bool shuffle = true;
  std::string eval_path;  // held-out JSONL; "" = no periodic evaluation
  int64_t eval_every = 0;
  int64_t eval_size = 64;
  int64_t eval_samples = 1;  // completions per held-out question; accuracy is their mean (pass@1)
  double eval_temperature = 0;   // 0 = greedy; R1 evaluates at 0.6 (docs/design.md §1.5)
  std::string eval_reward = "";  // reward whose score >= 1 counts as correct; "" = first reward
  // [rollout]
  int64_t group_size = 8;           // G completions per question
  int64_t questions_per_step = 16;  // B questions per step
  int64_t max_new_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_batch = 64;
  // [rl]
  GrpoLossConfig loss;
  std::string advantage_estimator = "grpo";  // grpo | rloo | reinforce_plus_plus |
                                             // reinforce_plus_plus_baseline | remax
  std::string scale_rewards = "group";       // group | batch | none (grpo estimator)
  double kl_reward_coef = 0;   // KL in the reward: -coef * (log pi_old - log pi_ref) per token
  int64_t num_iterations = 1;  // mu: policy passes over each batch of rollouts
  bool mask_truncated_completions = false;
  bool dynamic_sampling = false;  // DAPO: drop zero-variance groups, draw more questions
  // Importance weights pi_old / mu for the engine's log-probs mu vs the trainer's pi_old.
  RolloutCorrectionConfig rollout_correction;
  int64_t max_resample_rounds = 3;
  // Every ref_reset_every steps (0 = never) the reference moves to the policy:
  // ref = alpha * policy + (1 - alpha) * ref (TRL's ref_model_mixup_alpha;
  // 1 = a reset, as R1-Zero every 400 steps; below 1 an exponential average).
  int64_t ref_reset_every = 0;
  double ref_mixup_alpha = 1.0;
  // [optim]
  double lr = 1e-6;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.95;  // as SFT (and OpenRLHF); R1-Zero-style demos set 0.99
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  std::string schedule = "constant";  // constant | cosine | linear
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.0;       // cosine/linear end at lr * this
  int64_t mini_batch_size = 0;     // sequences per optimizer step; 0 = the whole batch
  int64_t micro_batch_size = 32;   // sequences per forward/backward (gradient accumulation)
  int64_t micro_batch_tokens = 0;  // and padded tokens per forward/backward; 0 = no cap
  // [train]
  int64_t steps = 100;  // train.max_steps
  int64_t seed = 0;
  std::string output_dir = "runs/grpo";
  CheckpointPolicy checkpoints;
  int64_t log_samples = 2;  // completions per step written to samples.jsonl
  // TRL's report_to: ["tensorboard"] also writes OUTPUT_DIR/tensorboard; [] = none.
  nlohmann::json report_to = nlohmann::json::array();
  // [[rewards]]
  std::vector<RewardSpec> rewards;

  FieldTable fields();
  // Range and consistency checks; errors name the run file and the key's line.
  void validate() const;
  ConfigOrigin origin;  // filled by the parse_*_config functions

 private:
  void check_values() const;

 public:
  AdvantageFn advantage_estimator_fn() const;  // the estimator picked by name
  GrpoLossConfig loss_config() const;          // rl.* with the completion limit filled in
  bool needs_reference() const { return loss.beta > 0 || kl_reward_coef > 0; }
};

// Reads a TOML file (then applies --set overrides). Errors name file and key.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides);
// The same from TOML text; `path` names it in errors (r1 pipeline's inline stages).
TrainConfig parse_train_config(const std::string& text, const std::string& path,
                               const std::vector<std::string>& overrides);
std::string dump_train_config(TrainConfig& config);

}  // namespace r1
