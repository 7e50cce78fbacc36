#include "sft/sft_config.h"

#include "util/range_check.h"

#include "util/error.h"
#include "util/io.h"
#include "util/metrics_sink.h"

namespace r1 {

FieldTable SftConfig::fields() {
  FieldTable t = {
      {"model.path", &model_path, "model directory (HF layout) to fine-tune",
       "TRL model_name_or_path"},
      {"data.path", &data_path, "training JSONL file or directory of shards"},
      {"data.template", &template_name, "chat | r1_zero | raw: how prompts are rendered"},
      {"data.messages_field", &messages_field,
       "field holding a conversation: a list of {role, content}"},
      {"data.prompt_field", &prompt_field, "field holding the prompt (rows without messages)"},
      {"data.completion_field", &completion_field, "field holding the completion"},
      {"data.chat_template", &chat_template_path,
       "Jinja file replacing the model's chat template ('' = the model's)"},
      {"data.max_length", &max_length, "tokens per example, longer are cut (0 = model context)",
       "TRL max_length"},
      {"data.shuffle", &shuffle, "seeded shuffle each epoch"},
      {"data.length_window", &length_window, "steps whose examples are sorted by length together"},
      {"data.eval_path", &eval_path, "held-out JSONL for eval_loss ('' = none)"},
      {"optim.lr", &schedule.lr, "peak learning rate", "TRL learning_rate"},
      {"optim.schedule", &schedule.schedule, "constant | cosine | linear (after warmup)",
       "TRL lr_scheduler_type"},
      {"optim.warmup_steps", &schedule.warmup_steps, "linear warmup optimizer steps",
       "TRL warmup_steps, warmup_ratio"},
      {"optim.min_lr_ratio", &schedule.min_lr_ratio, "final lr / peak lr for cosine/linear"},
      {"optim.adam_beta1", &adam_beta1, "AdamW beta1", "TRL adam_beta1"},
      {"optim.adam_beta2", &adam_beta2, "AdamW beta2", "TRL adam_beta2"},
      {"optim.weight_decay", &weight_decay, "AdamW weight decay", "TRL weight_decay"},
      {"optim.max_grad_norm", &max_grad_norm, "clip the global gradient norm (0 = off)",
       "TRL max_grad_norm"},
      {"optim.batch_size", &batch_size, "sequences per optimizer step",
       "TRL per_device_train_batch_size x gradient_accumulation_steps"},
      {"optim.micro_batch_tokens", &micro_batch_tokens,
       "padded tokens per forward/backward (gradient accumulation)"},
      {"train.epochs", &epochs, "passes over the dataset", "TRL num_train_epochs"},
      {"train.max_steps", &max_steps, "stop after N optimizer steps (0 = all epochs)",
       "TRL max_steps"},
      {"train.seed", &seed, "seed for data order", "TRL seed"},
      {"train.output_dir", &output_dir, "run directory", "TRL output_dir"},
      {"train.eval_every", &eval_every, "eval_loss every N steps (0 = end only)", "TRL eval_steps"},
      {"train.report_to", &report_to,
       "loggers besides metrics.jsonl: [\"tensorboard\"] (OUTPUT_DIR/tensorboard) or []",
       "TRL report_to"},
      {"distill.teacher", &teacher_path,
       "teacher model for logit distillation ('' = plain SFT; same tokenizer required)"},
      {"distill.kd_weight", &kd_weight,
       "w in (1 - w) * CE + w * KL(teacher || student), per token (0 = plain SFT)"},
      {"distill.kd_temperature", &kd_temperature,
       "T: KL between softmax(logits / T) distributions, scaled by T^2"},
  };
  add_compute_fields(t, compute);
  add_checkpoint_fields(t, checkpoints);
  return t;
}

void SftConfig::validate() const {
  origin.locate_errors([this] { check_values(); });
}

void SftConfig::check_values() const {
  checkpoints.validate();
  check_report_to(report_to);
  if (model_path.empty()) fail("model.path is required");
  if (data_path.empty()) fail("data.path is required");
  if (template_name != "chat" && template_name != "r1_zero" && template_name != "raw")
    fail("data.template: unknown '", template_name, "' (chat, r1_zero, raw)");
  validate_schedule(schedule, "optim.schedule");
  require_lr("optim.lr", schedule.lr);
  require_unit("optim.min_lr_ratio", schedule.min_lr_ratio);
  if (schedule.warmup_steps < 0) fail("optim.warmup_steps must be >= 0");
  require_beta("optim.adam_beta1", adam_beta1);
  require_beta("optim.adam_beta2", adam_beta2);
  require_non_negative("optim.weight_decay", weight_decay);
  require_non_negative("optim.max_grad_norm", max_grad_norm);
  if (eval_every < 0) fail("train.eval_every must be >= 0");
  if (max_length < 0) fail("data.max_length must be >= 0");
  if (length_window < 1) fail("data.length_window must be >= 1");
  if (batch_size < 1) fail("optim.batch_size must be >= 1");
  if (micro_batch_tokens < 1) fail("optim.micro_batch_tokens must be >= 1");
  if (epochs < 1) fail("train.epochs must be >= 1");
  if (max_steps < 0) fail("train.max_steps must be >= 0");
  if (!(kd_weight >= 0 && kd_weight <= 1)) fail("distill.kd_weight must be in [0, 1]");
  require_positive("distill.kd_temperature", kd_temperature);
}

SftConfig load_sft_config(const std::string& path, const std::vector<std::string>& overrides) {
  SftConfig c = parse_sft_config(read_file(path), path, overrides);
  for (std::string* input :
       {&c.model_path, &c.data_path, &c.eval_path, &c.chat_template_path, &c.teacher_path})
    resolve_input_path(*input, path);
  return c;
}

SftConfig parse_sft_config(const std::string& text, const std::string& path,
                           const std::vector<std::string>& overrides) {
  SftConfig c;
  FieldTable table = c.fields();
  apply_toml(table, text, path, {}, &c.origin);
  for (const auto& o : overrides) apply_override(table, o, &c.origin);
  return c;
}

std::string dump_sft_config(SftConfig& config) {
  return dump_toml(config.fields(), nlohmann::json::object());
}

}  // namespace r1
