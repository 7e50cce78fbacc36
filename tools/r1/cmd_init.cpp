// r1 init: a randomly initialised model of any supported family and size, in
// Hugging Face layout, reproducible from --seed.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "model/checkpoint.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

// Vocabulary size and special ids from a tokenizer directory, read straight
// from tokenizer.json / tokenizer_config.json (ids of added tokens by content).
void apply_tokenizer(const std::string& dir, ModelConfig& c, bool vocab_given) {
  std::string path = dir + "/tokenizer.json";
  nlohmann::json tok;
  try {
    tok = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  int64_t max_id = -1;
  std::map<std::string, int64_t> added;
  if (tok.contains("model") && tok["model"].contains("vocab"))
    for (auto& [piece, id] : tok["model"]["vocab"].items())
      max_id = std::max(max_id, id.get<int64_t>());
  if (tok.contains("added_tokens"))
    for (const auto& t : tok["added_tokens"]) {
      added[t.value("content", "")] = t.value("id", int64_t(-1));
      max_id = std::max(max_id, t.value("id", int64_t(-1)));
    }
  if (max_id < 0) fail(path, ": no vocabulary found");
  if (!vocab_given || c.vocab_size <= max_id) c.vocab_size = max_id + 1;

  std::string config_path = dir + "/tokenizer_config.json";
  if (!file_exists(config_path)) return;
  nlohmann::json cfg;
  try {
    cfg = nlohmann::json::parse(read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    fail(config_path, ": not valid JSON (", e.what(), ")");
  }
  auto special_id = [&](const char* key) -> int64_t {
    if (!cfg.contains(key)) return -1;
    const auto& v = cfg[key];
    std::string content = v.is_string()   ? v.get<std::string>()
                          : v.is_object() ? v.value("content", "")
                                          : "";
    auto it = added.find(content);
    return it == added.end() ? -1 : it->second;
  };
  c.bos_token_id = special_id("bos_token");
  int64_t eos = special_id("eos_token");
  c.eos_token_ids.clear();
  if (eos >= 0) c.eos_token_ids.push_back(eos);
  // A ChatML template ends every turn with <|im_end|>: like Qwen's instruct
  // models (generation_config eos [<|im_end|>, <|endoftext|>]), it stops
  // generation too, or a chat-tuned model would run on into the next turn.
  auto im_end = added.find("<|im_end|>");
  const std::string chat = cfg.value("chat_template", nlohmann::json()).is_string()
                               ? cfg["chat_template"].get<std::string>()
                               : "";
  if (im_end != added.end() && im_end->second != eos &&
      chat.find("<|im_end|>") != std::string::npos)
    c.eos_token_ids.push_back(im_end->second);
}

}  // namespace

int cmd_init(const Args& args) {
  ArgParser p("r1 init --out DIR [flags]",
              "Create a randomly initialised model (config.json, model.safetensors,\n"
              "generation_config.json) that transformers and r1 load. Sizes default to a\n"
              "tiny model (2 layers, hidden 64) for tests and demos.");
  p.add("--out", "DIR", "output model directory", "", true);
  p.add("--family", "NAME", "qwen2 | qwen3 | llama | mistral", "qwen2");
  p.add("--layers", "N", "num_hidden_layers", "2");
  p.add("--hidden", "N", "hidden_size", "64");
  p.add("--heads", "N", "num_attention_heads", "4");
  p.add("--kv-heads", "N", "num_key_value_heads (GQA)", "2");
  p.add("--head-dim", "N", "head_dim (default hidden / heads)");
  p.add("--ffn", "N", "intermediate_size (default 3 x hidden)");
  p.add("--vocab", "N", "vocab_size (default: from --tokenizer, else 512)");
  p.add("--context", "N", "max_position_embeddings", "2048");
  p.add("--rope-theta", "X", "RoPE base (default 1e6 for Qwen, 5e5 for Llama)");
  p.add_switch("--untied", "separate lm_head instead of tied embeddings");
  p.add("--tokenizer", "DIR", "copy this tokenizer into the model; take vocab and special ids");
  p.add("--dtype", "TYPE", "float32 | bfloat16 | float16 (stored weights)", "float32");
  p.add("--seed", "N", "random seed", "0");
  if (!p.parse(args)) return 0;

  ModelConfig c = default_config(p.str("--family"));
  c.num_hidden_layers = p.i64("--layers");
  c.hidden_size = p.i64("--hidden");
  c.num_attention_heads = p.i64("--heads");
  c.num_key_value_heads = p.i64("--kv-heads");
  if (c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    if (!p.given("--head-dim"))
      fail("r1 init: --hidden must be a multiple of --heads (or give --head-dim)");
  c.head_dim = p.given("--head-dim") ? p.i64("--head-dim")
                                     : c.hidden_size / std::max<int64_t>(1, c.num_attention_heads);
  c.intermediate_size = p.given("--ffn") ? p.i64("--ffn") : 3 * c.hidden_size;
  if (p.given("--vocab")) c.vocab_size = p.i64("--vocab");
  c.max_position_embeddings = p.i64("--context");
  if (p.given("--rope-theta")) c.rope_theta = p.f64("--rope-theta");
  c.tie_word_embeddings = !p.on("--untied");
  if (!p.str("--tokenizer").empty()) apply_tokenizer(p.str("--tokenizer"), c, p.given("--vocab"));
  // Round-trip through the validating parser so bad sizes get the same errors as a bad file.
  c = parse_config(config_to_json(c), "r1 init");

  Model model = init_model(c, static_cast<uint64_t>(p.i64("--seed")));
  SaveOptions save;
  save.dtype = p.str("--dtype");
  save.copy_from_dir = p.str("--tokenizer");
  save_model(model, p.str("--out"), save);
  std::cout << "wrote " << p.str("--out") << ": " << c.model_type << ", "
            << with_commas(c.num_parameters()) << " parameters\n";
  return 0;
}

}  // namespace r1
