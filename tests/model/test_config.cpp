// config.json parsing: both transformers 4 (rope_theta + rope_scaling) and 5
// (rope_parameters) layouts, family defaults, and errors naming file + field.
#include "model/config.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace r1 {
namespace {

// Qwen2.5-0.5B's published config.json (transformers 4 layout).
const char* kQwen25 = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
  "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
  "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24,
  "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.40.1", "use_cache": true, "use_sliding_window": false,
  "vocab_size": 151936})";

// Llama 3.2 1B style, with llama3 rope scaling and several eos ids.
const char* kLlama32 = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2048, "intermediate_size": 8192, "max_position_embeddings": 131072,
  "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
  "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0,
  "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192,
  "rope_type": "llama3"}, "rope_theta": 500000.0, "tie_word_embeddings": true,
  "torch_dtype": "bfloat16", "vocab_size": 128256})";

std::string error_of(const std::string& text) {
  try {
    parse_config(nlohmann::json::parse(text), "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Config, Qwen25PublishedConfig) {
  ModelConfig c = parse_config(nlohmann::json::parse(kQwen25), "config.json");
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_TRUE(c.attention_bias) << "Qwen2 always has q/k/v bias";
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{151643});
  EXPECT_EQ(c.num_parameters(), 494032768) << "Qwen2.5-0.5B has 494,032,768 parameters";
}

TEST(Config, Llama32WithRopeScalingAndSeveralEos) {
  ModelConfig c = parse_config(nlohmann::json::parse(kLlama32), "config.json");
  EXPECT_EQ(c.rope_scaling.rope_type, "llama3");
  EXPECT_EQ(c.rope_scaling.factor, 32.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(c.eos_token_ids.size(), 3u);
  EXPECT_EQ(c.num_parameters(), 1235814400) << "Llama 3.2 1B";
}

TEST(Config, Qwen3DefaultsHeadDimTo128AndHasQkNorm) {
  ModelConfig c = parse_config(nlohmann::json::parse(R"({"model_type": "qwen3",
      "vocab_size": 10, "hidden_size": 64, "intermediate_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2})"),
                               "c");
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.num_key_value_heads, 2);
}

// Mistral 7B Instruct v0.3's published config.json: Llama's body under its own
// name, no sliding window (v0.2 and v0.3); v0.1's 4096-token window over a
// 32768-token context is an error naming the field.
TEST(Config, MistralLoadsWithoutASlidingWindow) {
  const char* v03 = R"({"architectures": ["MistralForCausalLM"], "attention_dropout": 0.0,
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096,
    "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768,
    "model_type": "mistral", "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
    "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
    "transformers_version": "4.42.0.dev0", "use_cache": true, "vocab_size": 32768})";
  ModelConfig c = parse_config(nlohmann::json::parse(v03), "config.json");
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.num_parameters(), 7248023552) << "Mistral 7B v0.3 has 7,248,023,552 parameters";
  EXPECT_EQ(config_to_json(c)["architectures"][0], "MistralForCausalLM");
  auto j = nlohmann::json::parse(v03);
  j["sliding_window"] = 32768;  // as long as the context: full attention
  EXPECT_NO_THROW(parse_config(j, "config.json"));
  j["sliding_window"] = 4096;
  EXPECT_NE(error_of(j.dump()).find("sliding_window = 4096 is shorter than "
                                    "max_position_embeddings = 32768"),
            std::string::npos);
}

// YaRN as Qwen2.5 / Qwen3 model cards add it for long contexts, and in
// DeepSeek-V3's form (no factor: the context over the original length).
TEST(Config, YarnRopeScalingReadsAndRoundTrips) {
  auto j = nlohmann::json::parse(kQwen25);
  j["rope_scaling"] = {
      {"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  ModelConfig c = parse_config(j, "config.json");
  EXPECT_EQ(c.rope_scaling.rope_type, "yarn");
  EXPECT_EQ(c.rope_scaling.factor, 4.0);
  EXPECT_EQ(c.rope_scaling.beta_fast, 32.0);
  const ModelConfig again = parse_config(config_to_json(c), "saved");
  EXPECT_EQ(again.rope_scaling.rope_type, "yarn");
  EXPECT_EQ(again.rope_scaling.original_max_position_embeddings, 32768);
  j["max_position_embeddings"] = 131072;
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"original_max_position_embeddings", 32768}};
  EXPECT_EQ(parse_config(j, "config.json").rope_scaling.factor, 4.0);
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"beta_fast", -1}};
  EXPECT_NE(error_of(j.dump()).find("rope_scaling.beta_fast must be a finite number >= 0"),
            std::string::npos);
}

TEST(Config, Transformers5RopeParametersLayoutRoundTrips) {
  auto j = nlohmann::json::parse(kLlama32);
  j.erase("rope_scaling");
  j.erase("rope_theta");
  j["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 5e5},
                          {"factor", 32.0},          {"low_freq_factor", 1.0},
                          {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  ModelConfig c = parse_config(j, "c");
  EXPECT_EQ(c.rope_theta, 5e5);
  EXPECT_EQ(c.rope_scaling.rope_type, "llama3");
  ModelConfig back = parse_config(config_to_json(c), "c");
  EXPECT_EQ(back.rope_scaling.factor, 32.0);
  EXPECT_EQ(back.rope_theta, 5e5);
  EXPECT_TRUE(config_to_json(c).contains("rope_parameters"));
}

// Values that gave all-NaN log-probs with exit 0, or "internal error" from a
// 2^62-element allocation, are errors naming config.json and the field.
TEST(Config, OutOfRangeValuesNameTheField) {
  const std::pair<const char*, nlohmann::json> cases[] = {
      {"rope_theta", 0},
      {"rope_theta", -1},
      {"rms_norm_eps", -1e-6},
      {"rms_norm_eps", 0},
      {"max_position_embeddings", 0},
      {"max_position_embeddings", -5},
      {"vocab_size", int64_t{1} << 62},
      {"num_hidden_layers", int64_t{1} << 40},
      {"hidden_size", int64_t{1} << 40},
  };
  for (const auto& [key, value] : cases) {
    auto j = nlohmann::json::parse(kQwen25);
    j[key] = value;
    const std::string msg = error_of(j.dump());
    EXPECT_NE(msg.find(std::string("config.json: field '") + key + "'"), std::string::npos)
        << key << " = " << value << " -> " << msg;
  }
}

TEST(Config, SaveKeepsUnknownKeys) {
  ModelConfig c = parse_config(nlohmann::json::parse(kQwen25), "c");
  auto j = config_to_json(c);
  EXPECT_EQ(j["max_window_layers"], 24);
  EXPECT_EQ(j["architectures"][0], "Qwen2ForCausalLM");
}

TEST(Config, ErrorsNameTheFileAndField) {
  EXPECT_NE(error_of(R"({"model_type": "mamba"})")
                .find("config.json: model_type 'mamba' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"vocab_size": 3})").find("missing required field 'model_type'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "qwen2", "vocab_size": 3})")
                .find("config.json: missing required field 'hidden_size'"),
            std::string::npos);
  auto j = nlohmann::json::parse(kQwen25);
  j["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(j.dump()).find("multiple of num_key_value_heads"), std::string::npos);
  j = nlohmann::json::parse(kQwen25);
  j["hidden_size"] = "big";
  EXPECT_NE(error_of(j.dump()).find("'hidden_size' must be an integer"), std::string::npos);
  j = nlohmann::json::parse(kLlama32);
  j["rope_scaling"]["rope_type"] = "dynamic";
  EXPECT_NE(error_of(j.dump()).find("'dynamic' is not supported"), std::string::npos);
  j = nlohmann::json::parse(kQwen25);
  j["use_sliding_window"] = true;
  EXPECT_NE(error_of(j.dump()).find("use_sliding_window"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace r1
