// Models on disk in Hugging Face layout: config.json, model.safetensors (or
// shards + model.safetensors.index.json), generation_config.json and the
// tokenizer files, so transformers / vLLM load what r1cpp saves and back.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <string>

#include "model/transformer.h"

namespace torch::optim {
class AdamW;
}

namespace r1 {

// Loads config + weights from `dir` onto `device`, in `dtype` whatever the
// file stores (fp32 by default; model/compute.h weight_dtype for bf16).
// Errors name the file and the tensor: missing, wrong shape, unexpected.
Model load_model(const std::string& dir, const at::Device& device,
                 at::ScalarType dtype = at::kFloat);

struct SaveOptions {
  std::string dtype = "float32";        // "float32" | "bfloat16" | "float16"
  int64_t max_shard_bytes = 5LL << 30;  // larger models are split into shards
  std::string copy_from_dir;            // tokenizer + generation_config files are copied from here
  // Writes more files (trainer state) into the staging directory, so they
  // appear atomically together with the weights.
  std::function<void(const std::string& staging_dir)> write_extra;
};

// Writes atomically: into a staging directory renamed over `dir` at the end,
// so a crash never leaves a half-written model where a good one was.
void save_model(Model& model, const std::string& dir, const SaveOptions& options);

// Any safetensors file as tensors (copied out of the map, in the stored dtype),
// and back (written atomically, fp32/bf16/f16/i64 as given). Used for
// reference fixtures and for trainer state next to a checkpoint.
std::map<std::string, at::Tensor> load_safetensors(const std::string& path);
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors);

// Loads the AdamW state that torch::save wrote to `path` (optimizer.pt of a
// checkpoint) into `optimizer`. Error naming the file if it is not such a
// state, or its moments do not fit the optimizer's parameters or are not
// finite (a corrupt or foreign file must not reach libtorch's stack traces).
void load_optimizer(torch::optim::AdamW& optimizer, const std::string& path);

// Where a model directory keeps its weights, for messages and `r1 info`.
std::string weights_description(const std::string& dir);

}  // namespace r1
