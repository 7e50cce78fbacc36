// A training run's checkpoints (r1 train, r1 sft). checkpoints/step-N/ holds
// the published model in save_dtype (what transformers and vLLM load) and
// trainer_state.json. The newest checkpoint also holds resume/: fp32 master
// weights (when save_dtype rounds them), the optimizer state and whatever else
// the trainer needs, so a resumed run continues exactly. Once a newer
// checkpoint is complete, older ones lose resume/ (unless keep_resume_state
// = "all") and, beyond save_total_limit, are deleted.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "model/transformer.h"
#include "util/config.h"

namespace r1 {

struct CheckpointPolicy {
  int64_t every = 50;            // steps between checkpoints (and one at the end); 0 = end only
  int64_t save_total_limit = 0;  // keep the newest N checkpoints; 0 = all
  std::string save_dtype = "bfloat16";  // float32 | bfloat16 | float16: the published weights
  // "latest": only the newest checkpoint keeps resume/ (fp32 weights and
  // optimizer state: 6x a bf16 model); "all": every kept checkpoint can be
  // resumed from (to rewind a run that collapsed).
  std::string keep_resume_state = "latest";

  void validate() const;
};

// The [train] keys of a CheckpointPolicy, added to a command's field table.
void add_checkpoint_fields(FieldTable& table, CheckpointPolicy& policy);

struct CheckpointContents {
  std::string copy_from_dir;     // tokenizer and generation_config files come from here
  nlohmann::json trainer_state;  // written last: its presence marks a complete checkpoint
  // Writes the trainer's own resume files (optimizer.pt, ...) into resume_dir.
  std::function<void(const std::string& resume_dir)> write_resume;
};

// Writes run_dir/checkpoints/step-`step` atomically, then prunes older ones.
// Returns the checkpoint's directory.
std::string save_checkpoint(Model& model, const std::string& run_dir, int64_t step,
                            const CheckpointPolicy& policy, const CheckpointContents& contents);

// The model to continue training from: the checkpoint's weights, replaced by
// its fp32 master weights where it has them.
Model load_resume_model(const std::string& checkpoint_dir, const at::Device& device);

// A resume file of a checkpoint: resume/NAME, or NAME beside the weights in
// checkpoints written before resume/ existed. Error naming the checkpoint if
// neither exists.
std::string resume_file(const std::string& checkpoint_dir, const std::string& name);

}  // namespace r1
