#include "model/config.h"

#include <cmath>
#include <tuple>

#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

// What differs between families at the config level. Everything else (GQA,
// RoPE, RMSNorm, SwiGLU) is shared by all of them; Mistral is Llama's body
// under its own name (its sliding window is checked in parse_config).
struct Family {
  const char* model_type;
  const char* architecture;    // transformers class name, written on save
  bool always_attention_bias;  // Qwen2 hard-codes bias on q/k/v
  bool qk_norm;                // Qwen3
  double default_rope_theta;
  double default_rms_norm_eps;
  int64_t default_head_dim;  // 0 = hidden_size / num_attention_heads
};

constexpr Family kFamilies[] = {
    {"qwen2", "Qwen2ForCausalLM", true, false, 10000.0, 1e-6, 0},
    {"qwen3", "Qwen3ForCausalLM", false, true, 10000.0, 1e-6, 128},
    {"llama", "LlamaForCausalLM", false, false, 10000.0, 1e-6, 0},
    {"mistral", "MistralForCausalLM", false, false, 10000.0, 1e-6, 0},
};

const Family& find_family(const std::string& model_type, const std::string& source) {
  for (const auto& f : kFamilies)
    if (model_type == f.model_type) return f;
  fail(source, ": model_type '", model_type,
       "' is not supported (supported: qwen2, qwen3, llama, mistral)");
}

int64_t get_int(const nlohmann::json& j, const char* key, const std::string& source,
                int64_t fallback, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) fail(source, ": missing required field '", key, "'");
    return fallback;
  }
  if (!j[key].is_number_integer()) fail(source, ": field '", key, "' must be an integer");
  return j[key].get<int64_t>();
}

double get_double(const nlohmann::json& j, const char* key, const std::string& source,
                  double fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number()) fail(source, ": field '", key, "' must be a number");
  return j[key].get<double>();
}

bool get_bool(const nlohmann::json& j, const char* key, const std::string& source, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) fail(source, ": field '", key, "' must be true or false");
  return j[key].get<bool>();
}

RopeScaling parse_rope_scaling(const nlohmann::json& r, const std::string& source) {
  RopeScaling s;
  if (r.is_null()) return s;
  if (!r.is_object()) fail(source, ": rope_scaling must be an object or null");
  std::string key = r.contains("rope_type") ? "rope_type" : "type";
  if (r.contains(key)) {
    if (!r[key].is_string()) fail(source, ": rope_scaling.", key, " must be a string");
    s.rope_type = r[key].get<std::string>();
  }
  if (s.rope_type != "default" && s.rope_type != "linear" && s.rope_type != "llama3" &&
      s.rope_type != "yarn")
    fail(source, ": rope_scaling type '", s.rope_type,
         "' is not supported (supported: default, linear, llama3, yarn)");
  // yarn without a factor takes the context over the original (parse_config).
  s.factor = get_double(r, "factor", source, s.rope_type == "yarn" ? 0.0 : 1.0);
  const bool has_factor = r.contains("factor") && !r["factor"].is_null();
  s.low_freq_factor = get_double(r, "low_freq_factor", source, 1.0);
  s.high_freq_factor = get_double(r, "high_freq_factor", source, 4.0);
  s.original_max_position_embeddings = get_int(r, "original_max_position_embeddings", source,
                                               s.rope_type == "yarn" ? 0 : 8192, false);
  s.beta_fast = get_double(r, "beta_fast", source, 32.0);
  s.beta_slow = get_double(r, "beta_slow", source, 1.0);
  s.attention_factor = get_double(r, "attention_factor", source, 0.0);
  s.mscale = get_double(r, "mscale", source, 0.0);
  s.mscale_all_dim = get_double(r, "mscale_all_dim", source, 0.0);
  s.truncate = get_bool(r, "truncate", source, true);
  if (has_factor && !(std::isfinite(s.factor) && s.factor > 0))
    fail(source, ": rope_scaling.factor must be a finite number > 0");
  if (!std::isfinite(s.low_freq_factor) || !std::isfinite(s.high_freq_factor) ||
      s.low_freq_factor <= 0)
    fail(source, ": rope_scaling.low_freq_factor/high_freq_factor must be finite and > 0");
  if (s.original_max_position_embeddings < 0 ||
      (s.original_max_position_embeddings == 0 && s.rope_type != "yarn"))
    fail(source, ": rope_scaling.original_max_position_embeddings must be positive");
  for (auto [key, value] : {std::pair{"beta_fast", s.beta_fast},
                            {"beta_slow", s.beta_slow},
                            {"attention_factor", s.attention_factor},
                            {"mscale", s.mscale},
                            {"mscale_all_dim", s.mscale_all_dim}})
    if (!(std::isfinite(value) && value >= 0))
      fail(source, ": rope_scaling.", key, " must be a finite number >= 0");
  if (s.rope_type == "yarn" && !(s.beta_fast > 0 && s.beta_slow > 0))
    fail(source, ": rope_scaling.beta_fast and beta_slow must be > 0");
  if (s.rope_type == "llama3" && s.high_freq_factor <= s.low_freq_factor)
    fail(source, ": rope_scaling needs high_freq_factor > low_freq_factor");
  return s;
}

}  // namespace

ModelConfig parse_config(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) fail(source, ": expected a JSON object");
  if (!j.contains("model_type") || !j["model_type"].is_string())
    fail(source, ": missing required field 'model_type'");
  ModelConfig c;
  c.raw = j;
  c.model_type = j["model_type"].get<std::string>();
  const Family& family = find_family(c.model_type, source);

  c.vocab_size = get_int(j, "vocab_size", source, 0, true);
  c.hidden_size = get_int(j, "hidden_size", source, 0, true);
  c.intermediate_size = get_int(j, "intermediate_size", source, 0, true);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", source, 0, true);
  c.num_attention_heads = get_int(j, "num_attention_heads", source, 0, true);
  c.num_key_value_heads = get_int(j, "num_key_value_heads", source, c.num_attention_heads, false);
  int64_t default_head_dim =
      family.default_head_dim ? family.default_head_dim
                              : (c.num_attention_heads ? c.hidden_size / c.num_attention_heads : 0);
  c.head_dim = get_int(j, "head_dim", source, default_head_dim, false);
  c.max_position_embeddings = get_int(j, "max_position_embeddings", source, 32768, false);
  c.rms_norm_eps = get_double(j, "rms_norm_eps", source, family.default_rms_norm_eps);
  c.tie_word_embeddings = get_bool(j, "tie_word_embeddings", source, false);
  c.attention_bias = family.always_attention_bias || get_bool(j, "attention_bias", source, false);
  c.qk_norm = family.qk_norm;
  c.initializer_range = get_double(j, "initializer_range", source, 0.02);

  // RoPE: transformers < 5 writes rope_theta + rope_scaling; 5 writes rope_parameters.
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const auto& p = j["rope_parameters"];
    c.rope_theta = get_double(p, "rope_theta", source, family.default_rope_theta);
    c.rope_scaling = parse_rope_scaling(p, source);
  } else {
    c.rope_theta = get_double(j, "rope_theta", source, family.default_rope_theta);
    if (j.contains("rope_scaling")) c.rope_scaling = parse_rope_scaling(j["rope_scaling"], source);
  }

  // yarn's defaults depend on the context: the original length is the
  // context itself, and a missing factor is their ratio (transformers).
  RopeScaling& s = c.rope_scaling;
  if (s.rope_type == "yarn") {
    if (s.original_max_position_embeddings == 0)
      s.original_max_position_embeddings = c.max_position_embeddings;
    if (s.factor == 0.0)
      s.factor = static_cast<double>(c.max_position_embeddings) /
                 static_cast<double>(s.original_max_position_embeddings);
  }

  if (j.contains("torch_dtype") && j["torch_dtype"].is_string())
    c.torch_dtype = j["torch_dtype"].get<std::string>();
  else if (j.contains("dtype") && j["dtype"].is_string())
    c.torch_dtype = j["dtype"].get<std::string>();
  if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer())
    c.bos_token_id = j["bos_token_id"].get<int64_t>();
  if (j.contains("eos_token_id")) {
    const auto& e = j["eos_token_id"];
    if (e.is_number_integer())
      c.eos_token_ids = {e.get<int64_t>()};
    else if (e.is_array())
      for (const auto& id : e)
        if (id.is_number_integer()) c.eos_token_ids.push_back(id.get<int64_t>());
  }

  if (get_bool(j, "use_sliding_window", source, false))
    fail(source, ": use_sliding_window = true is not supported");
  // Mistral attends over a window whenever sliding_window is set (7B v0.1:
  // 4096 of 32768); a window as long as the context is full attention.
  if (c.model_type == "mistral") {
    const int64_t window = get_int(j, "sliding_window", source, 0, false);
    if (window > 0 && window < c.max_position_embeddings)
      fail(source, ": sliding_window = ", window,
           " is shorter than max_position_embeddings = ", c.max_position_embeddings,
           ": attention over a sliding window is not supported (a config with sliding_window "
           "null, as Mistral 7B v0.2 and v0.3, loads)");
  }
  if (get_bool(j, "mlp_bias", source, false)) fail(source, ": mlp_bias = true is not supported");
  if (j.contains("hidden_act") && j["hidden_act"] != "silu")
    fail(source, ": hidden_act '", j["hidden_act"].dump(), "' is not supported (only silu)");

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size},
                            {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads},
                            {"head_dim", c.head_dim}}) {
    if (value <= 0) fail(source, ": field '", key, "' must be positive, got ", value);
  }
  // Upper bounds far above any published model, so that sizes multiplied
  // together (vocab * hidden, layers * ...) stay far from int64 overflow and an
  // absurd file is an error here, not a failed 2^62-byte allocation later.
  for (auto [key, value, limit] :
       {std::tuple{"vocab_size", c.vocab_size, int64_t{1} << 24},
        {"hidden_size", c.hidden_size, int64_t{1} << 17},
        {"intermediate_size", c.intermediate_size, int64_t{1} << 19},
        {"num_hidden_layers", c.num_hidden_layers, int64_t{1} << 12},
        {"num_attention_heads", c.num_attention_heads, int64_t{1} << 12},
        {"num_key_value_heads", c.num_key_value_heads, int64_t{1} << 12},
        {"head_dim", c.head_dim, int64_t{1} << 12},
        {"max_position_embeddings", c.max_position_embeddings, int64_t{1} << 24}}) {
    if (value > limit)
      fail(source, ": field '", key, "' is ", value, ", implausibly large (the limit is ", limit,
           ")");
  }
  if (c.max_position_embeddings <= 0)
    fail(source, ": field 'max_position_embeddings' must be positive, got ",
         c.max_position_embeddings);
  if (!(std::isfinite(c.rms_norm_eps) && c.rms_norm_eps > 0 && c.rms_norm_eps < 1))
    fail(source, ": field 'rms_norm_eps' must be in (0, 1), got ", c.rms_norm_eps);
  if (!(std::isfinite(c.rope_theta) && c.rope_theta > 0))
    fail(source, ": field 'rope_theta' must be a finite number > 0, got ", c.rope_theta);
  if (!(std::isfinite(c.initializer_range) && c.initializer_range >= 0))
    fail(source, ": field 'initializer_range' must be a finite number >= 0, got ",
         c.initializer_range);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    fail(source, ": num_attention_heads (", c.num_attention_heads,
         ") must be a multiple of num_key_value_heads (", c.num_key_value_heads, ")");
  if (c.head_dim % 2 != 0) fail(source, ": head_dim must be even for RoPE, got ", c.head_dim);
  return c;
}

ModelConfig load_config(const std::string& path) {
  std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  return parse_config(j, path);
}

nlohmann::json config_to_json(const ModelConfig& c) {
  nlohmann::json j = c.raw.is_object() ? c.raw : nlohmann::json::object();
  const Family& family = find_family(c.model_type, "config");
  j["architectures"] = {family.architecture};
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["hidden_act"] = "silu";
  j["initializer_range"] = c.initializer_range;
  // transformers 4 reads "torch_dtype", 5 reads "dtype": both name the
  // stored weights, never two different dtypes.
  j["torch_dtype"] = c.torch_dtype;
  j["dtype"] = c.torch_dtype;
  if (c.model_type != "qwen2") j["attention_bias"] = c.attention_bias;
  nlohmann::json scaling = nullptr;
  if (c.rope_scaling.rope_type != "default") {
    scaling = {{"rope_type", c.rope_scaling.rope_type}, {"factor", c.rope_scaling.factor}};
    const RopeScaling& s = c.rope_scaling;
    if (s.rope_type == "llama3") {
      scaling["low_freq_factor"] = s.low_freq_factor;
      scaling["high_freq_factor"] = s.high_freq_factor;
      scaling["original_max_position_embeddings"] = s.original_max_position_embeddings;
    } else if (s.rope_type == "yarn") {
      scaling["original_max_position_embeddings"] = s.original_max_position_embeddings;
      scaling["beta_fast"] = s.beta_fast;
      scaling["beta_slow"] = s.beta_slow;
      if (s.attention_factor > 0) scaling["attention_factor"] = s.attention_factor;
      if (s.mscale > 0) scaling["mscale"] = s.mscale;
      if (s.mscale_all_dim > 0) scaling["mscale_all_dim"] = s.mscale_all_dim;
      if (!s.truncate) scaling["truncate"] = false;
    }
  }
  if (j.contains("rope_parameters")) {
    nlohmann::json p = scaling.is_null() ? nlohmann::json{{"rope_type", "default"}} : scaling;
    p["rope_theta"] = c.rope_theta;
    j["rope_parameters"] = p;
  } else {
    j["rope_theta"] = c.rope_theta;
    j["rope_scaling"] = scaling;
  }
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_ids.size() == 1)
    j["eos_token_id"] = c.eos_token_ids[0];
  else if (!c.eos_token_ids.empty())
    j["eos_token_id"] = c.eos_token_ids;
  if (c.model_type == "qwen2") j["use_sliding_window"] = false;
  return j;
}

ModelConfig default_config(const std::string& model_type) {
  const Family& family = find_family(model_type, "r1 init");
  ModelConfig c;
  c.model_type = model_type;
  c.vocab_size = 512;
  c.hidden_size = 64;
  c.intermediate_size = 192;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 2048;
  c.rms_norm_eps = family.default_rms_norm_eps;
  c.rope_theta = model_type == "llama" ? 500000.0 : 1000000.0;
  c.tie_word_embeddings = true;
  c.attention_bias = family.always_attention_bias;
  c.qk_norm = family.qk_norm;
  return c;
}

int64_t ModelConfig::num_parameters() const {
  const int64_t C = hidden_size, D = head_dim, H = num_attention_heads, K = num_key_value_heads;
  int64_t attn = C * H * D + 2 * C * K * D + H * D * C;
  if (attention_bias) attn += H * D + 2 * K * D;
  if (qk_norm) attn += 2 * D;
  int64_t mlp = 3 * C * intermediate_size;
  int64_t layer = attn + mlp + 2 * C;
  int64_t total = vocab_size * C + num_hidden_layers * layer + C;
  if (!tie_word_embeddings) total += vocab_size * C;
  return total;
}

GenerationDefaults generation_defaults(const std::string& model_dir) {
  GenerationDefaults d;
  const std::string path = model_dir + "/generation_config.json";
  if (!file_exists(path)) return d;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  if (!j.is_object()) fail(path, ": expected a JSON object");
  auto number = [&](const char* key, double lo, double hi) -> std::optional<double> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number() || !(j[key].get<double>() >= lo && j[key].get<double>() <= hi))
      fail(path, ": '", key, "' must be a number in [", lo, ", ", hi, "], got ", j[key].dump());
    return j[key].get<double>();
  };
  d.temperature = number("temperature", 0, 100);
  d.top_p = number("top_p", 0, 1);
  if (auto k = number("top_k", 0, 1e9)) d.top_k = static_cast<int64_t>(*k);
  return d;
}

}  // namespace r1
