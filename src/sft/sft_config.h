// Everything an SFT run (R1 cold start, SFT on rejection-sampled data,
// distillation into a small model) is configured by: one struct per TOML
// section, every field with its default and a one-line doc in sft_config.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/compute.h"
#include "model/train_checkpoint.h"
#include "util/config.h"
#include "util/schedule.h"

namespace r1 {

struct SftConfig {
  // [model]
  std::string model_path;
  ComputeConfig compute;  // model.device, model.precision
  // [data]
  std::string data_path;
  std::string template_name = "chat";  // chat | r1_zero | raw
  std::string messages_field = "messages";
  std::string prompt_field = "prompt";
  std::string completion_field = "completion";
  std::string chat_template_path;  // Jinja file replacing the model's template; "" = the model's
  int64_t max_length = 0;  // tokens per example; longer ones are truncated; 0 = model context
  bool shuffle = true;
  int64_t length_window = 16;  // steps whose examples are sorted by length together
  std::string eval_path;       // held-out JSONL for eval_loss; "" = none
  // [optim] R1 cold start: cosine 5e-5 -> 5e-6 (docs/design.md §1.4).
  LrSchedule schedule{5e-5, "cosine", 0, 0.1};
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.95;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  int64_t batch_size = 32;             // sequences per optimizer step
  int64_t micro_batch_tokens = 16384;  // padded tokens per forward/backward
  // [train]
  int64_t epochs = 2;
  int64_t max_steps = 0;  // stop after this many optimizer steps; 0 = all epochs
  int64_t seed = 0;
  std::string output_dir = "runs/sft";
  CheckpointPolicy checkpoints;
  int64_t eval_every = 0;  // 0 = only at the end (if data.eval_path is set)
  // TRL's report_to: ["tensorboard"] also writes OUTPUT_DIR/tensorboard; [] = none.
  nlohmann::json report_to = nlohmann::json::array();
  // [distill] optional logit distillation (sft_loss.h): per trained token,
  // (1 - kd_weight) * CE + kd_weight * T^2 * KL(teacher || student) at T.
  std::string teacher_path;     // "" = plain SFT; same tokenizer and vocab size as the model
  double kd_weight = 0.5;       // with a teacher; 0 = plain SFT (the teacher is not loaded)
  double kd_temperature = 1.0;  // T: both distributions are softmax(logits / T)

  FieldTable fields();
  // Range and consistency checks; errors name the run file and the key's line.
  void validate() const;
  ConfigOrigin origin;  // filled by the parse_*_config functions

 private:
  void check_values() const;

 public:
};

// Reads a TOML file (then applies --set overrides). Errors name file and key.
SftConfig load_sft_config(const std::string& path, const std::vector<std::string>& overrides);
// The same from TOML text; `path` names it in errors (r1 pipeline's inline stages).
SftConfig parse_sft_config(const std::string& text, const std::string& path,
                           const std::vector<std::string>& overrides);
std::string dump_sft_config(SftConfig& config);

}  // namespace r1
