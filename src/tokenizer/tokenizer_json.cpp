// Reads tokenizer.json into the tokenizer's parts. Every component type is
// checked: an unsupported one is an error naming it, never silently ignored.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

using nlohmann::json;

std::vector<AddedToken> parse_added_tokens(const json& j, const std::string& where) {
  std::vector<AddedToken> out;
  if (j.is_null()) return out;
  if (!j.is_array()) fail(where, ": \"added_tokens\" must be an array");
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& t = j[i];
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() ||
        !t.contains("content") || !t["content"].is_string())
      fail(where, ": added_tokens[", i, "] needs an integer \"id\" and a string \"content\"");
    AddedToken a;
    const int64_t id = t["id"].get<int64_t>();
    if (id < 0 || id >= (int64_t{1} << 24))
      fail(where, ": added_tokens[", i, "] has id ", id, " (expected 0..16777215)");
    a.id = static_cast<int32_t>(id);
    a.content = t["content"];
    a.special = t.value("special", false);
    a.single_word = t.value("single_word", false);
    a.lstrip = t.value("lstrip", false);
    a.rstrip = t.value("rstrip", false);
    a.normalized = t.value("normalized", !a.special);
    out.push_back(a);
  }
  return out;
}

// Hugging Face does not take an added token's "id" at its word: a token whose
// text is in the model vocabulary gets that id, a repeated text is dropped,
// and any other token gets the next id after the vocabulary and the added
// tokens so far (in order of the ids in the file). Well-formed files agree.
std::vector<AddedToken> assign_ids(std::vector<AddedToken> tokens, const Bpe& model) {
  std::stable_sort(tokens.begin(), tokens.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  std::vector<AddedToken> out;
  std::unordered_map<std::string, int32_t> seen;
  const int32_t vocab_size = model.size();
  int32_t max_added = -1;
  for (auto& t : tokens) {
    if (t.content.empty() || seen.count(t.content)) continue;
    const int32_t in_model = model.id(t.content);
    if (in_model >= 0) {
      t.id = in_model;
    } else {
      t.id = (max_added >= vocab_size || vocab_size == 0) ? max_added + 1 : vocab_size;
    }
    max_added = std::max(max_added, t.id);
    seen[t.content] = t.id;
    out.push_back(t);
  }
  return out;
}

// Ids of a TemplateProcessing special token reference.
std::vector<int32_t> template_ids(const json& specials, const std::string& name,
                                  const std::string& where) {
  if (!specials.is_object() || !specials.contains(name))
    fail(where, ": template refers to special token \"", name, "\" missing from special_tokens");
  std::vector<int32_t> ids;
  for (const auto& id : specials[name].at("ids")) ids.push_back(id.get<int32_t>());
  return ids;
}

void parse_post_processor(const json& j, const std::string& where, Tokenizer::Impl& t) {
  if (j.is_null()) return;
  const std::string type = j.value("type", std::string());
  if (type == "ByteLevel") return;  // only trims offsets; ids are unchanged
  if (type == "Sequence") {
    const auto& list = j.at("processors");
    for (size_t i = 0; i < list.size(); ++i)
      parse_post_processor(list[i], cat(where, ".processors[", i, "]"), t);
    return;
  }
  if (type == "TemplateProcessing") {
    if (!t.prefix.empty() || !t.suffix.empty())
      fail(where, ": more than one post-processor adds special tokens");
    bool after = false;
    for (const auto& piece : j.at("single")) {
      if (piece.contains("Sequence")) {
        if (piece["Sequence"].value("id", std::string()) != "A")
          fail(where, ": single template uses sequence ", piece["Sequence"].dump());
        after = true;
      } else if (piece.contains("SpecialToken")) {
        auto ids = template_ids(j.value("special_tokens", json()),
                                piece["SpecialToken"].at("id").get<std::string>(), where);
        auto& dst = after ? t.suffix : t.prefix;
        dst.insert(dst.end(), ids.begin(), ids.end());
      } else {
        fail(where, ": unknown template piece ", piece.dump());
      }
    }
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    t.prefix = {j.at("cls").at(1).get<int32_t>()};
    t.suffix = {j.at("sep").at(1).get<int32_t>()};
    return;
  }
  fail(
      where, ": unsupported post-processor type \"", type,
      "\" (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
}

// The decoder (tokenizers/src/decoders/): ByteLevel, or SentencePiece's chain
// as transformers writes it for Llama 2, Mistral and Gemma: Replace (a string
// for a string in each token), ByteFallback (<0xNN> tokens are that byte),
// Fuse (join), then Strip (leading characters of the joined text).
struct DecoderChain {
  bool byte_level = false;
  std::vector<std::pair<std::string, std::string>> replaces;  // in order, per token
  bool byte_fallback = false;
  bool fused = false;
};

void parse_decoder(const json& j, const std::string& where, DecoderChain& d, Tokenizer::Impl& t) {
  if (j.is_null()) fail(where, ": no decoder (ByteLevel, or Replace/ByteFallback/Fuse/Strip)");
  const std::string type = j.value("type", std::string());
  if (type == "Sequence") {
    const auto& list = j.at("decoders");
    if (list.empty()) fail(where, ": empty decoder Sequence");
    for (size_t i = 0; i < list.size(); ++i)
      parse_decoder(list[i], cat(where, ".decoders[", i, "]"), d, t);
    return;
  }
  if (d.fused && type != "Strip")
    fail(where, ": ", type, " after Fuse is not supported (only Strip may follow it)");
  if (type == "ByteLevel") {
    d.byte_level = true;
  } else if (type == "Replace") {
    const json& pattern = j.at("pattern");
    if (!pattern.contains("String") || !pattern["String"].is_string())
      fail(where, ": Replace supports a String pattern, got ", pattern.dump());
    const std::string from = pattern["String"];
    if (from.empty()) fail(where, ": Replace with an empty pattern");
    d.replaces.emplace_back(from, j.at("content").get<std::string>());
  } else if (type == "ByteFallback") {
    d.byte_fallback = true;
  } else if (type == "Fuse") {
    d.fused = true;
  } else if (type == "Strip") {
    if (!d.fused) fail(where, ": Strip before Fuse (per token) is not supported");
    const std::string content = j.at("content").get<std::string>();
    if (utf8::valid_length(content, 0) != content.size() || content.empty())
      fail(where, ": Strip content must be one character, got \"", content, "\"");
    if (j.value("stop", 0) != 0) fail(where, ": Strip with stop > 0 is not supported");
    t.strip_content = content;
    t.strip_leading = j.value("start", 0);
    if (t.strip_leading < 0) fail(where, ": Strip start must be >= 0");
  } else {
    fail(where, ": unsupported decoder type \"", type,
         "\" (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence)");
  }
  if (d.byte_level && (d.byte_fallback || !d.replaces.empty()))
    fail(where, ": ByteLevel with Replace or ByteFallback is not supported");
}

// What the ByteLevel decoder turns a token into: its characters mapped back to
// bytes, or its UTF-8 text unchanged if any character is not byte-level (so
// DeepSeek's "<｜User｜>" decodes to itself).
std::string decoded_bytes(const std::string& token) {
  std::string out;
  size_t i = 0;
  while (i < token.size()) {
    if (utf8::valid_length(token, i) == 0) return token;
    const int b = utf8::char_to_byte(utf8::next(token, i));
    if (b < 0) return token;
    out += static_cast<char>(b);
  }
  return out;
}

// What a token decodes to on its own, before the rules that span tokens.
std::string decode_token(const DecoderChain& d, const std::string& token) {
  if (d.byte_level) return decoded_bytes(token);
  std::string s = token;
  for (const auto& [from, to] : d.replaces)
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  return s;
}

// The byte of a "<0xNN>" token (any case of hex digits, as tokenizers reads it), or -1.
int16_t fallback_byte_of(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  int16_t value = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = token[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return -1;
    value = static_cast<int16_t>(value * 16 + digit);
  }
  return value;
}

}  // namespace

std::shared_ptr<Tokenizer::Impl> parse_tokenizer_json(const std::string& text,
                                                      const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(source, ": not valid JSON (", e.what(), ")");
  }
  if (!j.is_object()) fail(source, ": expected a JSON object at the top level");
  if (!j.contains("model") || j["model"].is_null()) fail(source, ": no \"model\" section");

  auto t = std::make_shared<Tokenizer::Impl>();
  try {
    t->normalizer = make_normalizer(j.value("normalizer", json()), source + ": normalizer");
    t->pre_tokenizer =
        make_pre_tokenizer(j.value("pre_tokenizer", json()), source + ": pre_tokenizer");
    t->model = std::make_unique<Bpe>(j["model"], t->pre_tokenizer.byte_level, source + ": model");
    parse_post_processor(j.value("post_processor", json()), source + ": post_processor", *t);
    DecoderChain decoder;
    parse_decoder(j.value("decoder", json()), source + ": decoder", decoder, *t);
    if (t->pre_tokenizer.byte_level != decoder.byte_level)
      fail(source, ": the decoder is", decoder.byte_level ? "" : " not", " ByteLevel but the ",
           "pre_tokenizer is", t->pre_tokenizer.byte_level ? "" : " not", " (they must agree)");

    std::vector<AddedToken> added =
        assign_ids(parse_added_tokens(j.value("added_tokens", json()), source), *t->model);
    int32_t max_id = t->model->max_id();
    for (const auto& a : added) max_id = std::max(max_id, a.id);
    t->tokens.assign(max_id + 1, std::string());
    t->special_flag.assign(max_id + 1, 0);
    for (int32_t id = 0; id <= t->model->max_id(); ++id)
      if (const std::string* s = t->model->token(id)) t->tokens[id] = *s;
    std::vector<AddedToken> raw, normalized;
    for (const auto& a : added) {
      if (a.id < 0) fail(source, ": added token \"", a.content, "\" has a negative id");
      t->tokens[a.id] = a.content;
      t->special_flag[a.id] = a.special;
      t->added_ids[a.content] = a.id;
      (a.normalized ? normalized : raw).push_back(a);
    }
    t->raw_added = AddedTokenMatcher(std::move(raw));
    t->normalized_added = AddedTokenMatcher(std::move(normalized));
    for (int32_t id : t->prefix)
      if (id < 0 || id > max_id)
        fail(source, ": post_processor adds id ", id, ", not in the vocabulary");
    for (int32_t id : t->suffix)
      if (id < 0 || id > max_id)
        fail(source, ": post_processor adds id ", id, ", not in the vocabulary");
    t->bytes.resize(t->tokens.size());
    for (size_t id = 0; id < t->tokens.size(); ++id)
      t->bytes[id] = decode_token(decoder, t->tokens[id]);
    if (decoder.byte_fallback) {
      t->fallback_byte.resize(t->tokens.size());
      for (size_t id = 0; id < t->tokens.size(); ++id)
        t->fallback_byte[id] = fallback_byte_of(t->tokens[id]);
    }
  } catch (const json::exception& e) {
    fail(source, ": malformed field (", e.what(), ")");
  }
  return t;
}

}  // namespace r1
