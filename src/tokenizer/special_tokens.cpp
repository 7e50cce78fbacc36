// Special ids and the chat template from the files beside tokenizer.json:
// tokenizer_config.json names bos/eos/pad by text (a string or an
// {"content": ...} object); generation_config.json and config.json give ids
// (eos_token_id may be a list: every one of them stops generation).
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace r1 {

namespace {

using nlohmann::json;

json parse_optional(const std::string& text, const std::string& name) {
  if (text.empty()) return json::object();
  try {
    json j = json::parse(text);
    if (!j.is_object()) fail(name, ": expected a JSON object");
    return j;
  } catch (const json::parse_error& e) {
    fail(name, ": not valid JSON (", e.what(), ")");
  }
}

std::string token_text(const json& cfg, const char* key) {
  if (!cfg.contains(key)) return "";
  const json& v = cfg[key];
  if (v.is_string()) return v;
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"];
  return "";
}

std::vector<int64_t> ids_of(const json& cfg, const char* key) {
  std::vector<int64_t> out;
  if (!cfg.contains(key)) return out;
  const json& v = cfg[key];
  if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  if (v.is_array())
    for (const auto& x : v)
      if (x.is_number_integer()) out.push_back(x.get<int64_t>());
  return out;
}

}  // namespace

void apply_configs(Tokenizer::Impl& t, const std::string& tokenizer_config,
                   const std::string& generation_config, const std::string& model_config,
                   const std::string& source) {
  const json tc = parse_optional(tokenizer_config, source + "/tokenizer_config.json");
  const json gc = parse_optional(generation_config, source + "/generation_config.json");
  const json mc = parse_optional(model_config, source + "/config.json");

  auto id_of_text = [&](const std::string& text, const char* key) -> int64_t {
    if (text.empty()) return -1;
    auto it = t.added_ids.find(text);
    if (it != t.added_ids.end()) return it->second;
    const int32_t id = t.model->id(text);
    if (id < 0)
      fail(source, "/tokenizer_config.json: ", key, " \"", text,
           "\" is not a token of the vocabulary");
    return id;
  };
  auto first_id = [&](const char* key) -> int64_t {
    for (const json* cfg : {&gc, &mc}) {
      auto ids = ids_of(*cfg, key);
      if (!ids.empty()) return ids[0];
    }
    return -1;
  };

  SpecialTokens& s = t.special;
  s.bos_token = token_text(tc, "bos_token");
  s.eos_token = token_text(tc, "eos_token");
  s.pad_token = token_text(tc, "pad_token");
  s.bos_id = s.bos_token.empty() ? first_id("bos_token_id") : id_of_text(s.bos_token, "bos_token");
  s.eos_id = s.eos_token.empty() ? first_id("eos_token_id") : id_of_text(s.eos_token, "eos_token");
  s.pad_id = s.pad_token.empty() ? first_id("pad_token_id") : id_of_text(s.pad_token, "pad_token");
  auto add_eos = [&](int64_t id) {
    if (id >= 0 && std::find(s.eos_ids.begin(), s.eos_ids.end(), id) == s.eos_ids.end())
      s.eos_ids.push_back(id);
  };
  add_eos(s.eos_id);
  for (int64_t id : ids_of(gc, "eos_token_id")) add_eos(id);
  for (int64_t id : ids_of(mc, "eos_token_id")) add_eos(id);
  for (auto* p : {&s.bos_id, &s.eos_id, &s.pad_id}) {
    if (*p >= static_cast<int64_t>(t.tokens.size()))
      fail(source, ": special token id ", *p, " is outside the vocabulary of ", t.tokens.size());
  }
  auto text_of = [&](int64_t id, std::string& text) {
    if (text.empty() && id >= 0) text = t.tokens[id];
  };
  text_of(s.bos_id, s.bos_token);
  text_of(s.eos_id, s.eos_token);
  text_of(s.pad_id, s.pad_token);

  if (tc.contains("chat_template")) {
    t.chat_template_source = source + "/tokenizer_config.json";
    const json& ct = tc["chat_template"];
    if (ct.is_string()) {
      t.chat_template = ct;
    } else if (ct.is_array()) {  // [{"name": "default", "template": ...}, ...]
      for (const auto& e : ct)
        if (e.value("name", std::string()) == "default") t.chat_template = e.value("template", "");
    }
  }
}

}  // namespace r1
