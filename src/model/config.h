// Model hyper-parameters, read from a Hugging Face config.json. One struct for
// every supported family; the family only decides defaults and which optional
// pieces exist (q/k/v bias, per-head q/k norm), see families.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace r1 {

// RoPE frequency scaling (config "rope_scaling" / transformers 5 "rope_parameters").
struct RopeScaling {
  std::string rope_type = "default";  // "default" | "linear" | "llama3" | "yarn"
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3 only
  double high_freq_factor = 4.0;                    // llama3 only
  int64_t original_max_position_embeddings = 8192;  // llama3, yarn (yarn: default the context)
  // yarn only (YaRN, arXiv 2309.00071, as transformers' _compute_yarn_parameters):
  double beta_fast = 32.0, beta_slow = 1.0;   // the ramp's bounds, in rotations
  double attention_factor = 0.0;              // cos/sin scale; 0 = from factor (and mscale)
  double mscale = 0.0, mscale_all_dim = 0.0;  // DeepSeek-V3's form of attention_factor; 0 = unset
  bool truncate = true;                       // round the ramp's bounds to whole dimensions
};

struct ModelConfig {
  std::string model_type;  // "qwen2" | "qwen3" | "llama" | "mistral"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // GQA: K heads shared by H/K query heads each
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // bias on q/k/v projections (always on for Qwen2)
  bool qk_norm = false;         // RMSNorm on q and k per head (Qwen3)
  double initializer_range = 0.02;
  std::string torch_dtype = "float32";  // dtype of the stored weights
  int64_t bos_token_id = -1;            // -1 = none
  std::vector<int64_t> eos_token_ids;   // may be several (Llama 3 instruct)
  // The file as read, so keys r1cpp does not model survive a load + save.
  nlohmann::json raw = nlohmann::json::object();

  int64_t num_parameters() const;
};

// Parses and validates; `source` names the file in error messages.
ModelConfig parse_config(const nlohmann::json& json, const std::string& source);
ModelConfig load_config(const std::string& path);
// The config.json to save: `raw` with every modelled field written back.
nlohmann::json config_to_json(const ModelConfig& config);

// The sampling values of a model directory's generation_config.json (the
// defaults of r1 generate and r1 eval); unset where the file or key is absent.
// do_sample is not read: greedy decoding is an explicit --temperature 0.
struct GenerationDefaults {
  std::optional<double> temperature, top_p;
  std::optional<int64_t> top_k;
};
GenerationDefaults generation_defaults(const std::string& model_dir);

// A config for `r1 init`: family defaults, sizes given by the caller.
ModelConfig default_config(const std::string& model_type);

}  // namespace r1
