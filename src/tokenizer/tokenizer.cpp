// Encoding follows Hugging Face's order exactly: added tokens are cut out of
// the raw text, the rest is normalized, normalized added tokens are cut out,
// the pre-tokenizer splits what remains, BPE encodes each piece, and the
// post-processor adds BOS/EOS when asked.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <deque>
#include <thread>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8::valid_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `at_start`: the text begins the input (not after an added token).
void encode_plain(const Tokenizer::Impl& t, std::string_view text, bool at_start,
                  std::vector<int32_t>& out) {
  std::deque<std::string> storage;
  std::vector<std::string_view> pieces;
  t.pre_tokenizer.run(text, at_start, storage, pieces);
  for (auto piece : pieces) t.model->encode(piece, out);
}

void encode_normalized(const Tokenizer::Impl& t, std::string_view raw, bool at_start,
                       bool split_special, std::vector<int32_t>& out) {
  std::string normalized;
  std::string_view text = raw;
  if (t.normalizer) {
    normalized = t.normalizer->normalize(std::string(raw));
    text = normalized;
  }
  if (t.normalized_added.empty()) {
    encode_plain(t, text, at_start, out);
    return;
  }
  std::vector<Segment> segments;
  t.normalized_added.split(text, segments, split_special);
  for (const auto& s : segments) {
    if (s.id >= 0)
      out.push_back(s.id);
    else
      encode_plain(t, text.substr(s.begin, s.end - s.begin), at_start && s.begin == 0, out);
  }
}

}  // namespace

Tokenizer Tokenizer::from_json(const std::string& tokenizer_json, const std::string& config_json,
                               const std::string& source) {
  auto impl = parse_tokenizer_json(tokenizer_json, source);
  apply_configs(*impl, config_json, "", "", source);
  return Tokenizer(impl);
}

Tokenizer Tokenizer::load(const std::string& path) {
  std::string dir, json_path;
  if (is_directory(path)) {
    dir = path;
    json_path = path + "/tokenizer.json";
    if (!file_exists(json_path))
      fail(path,
           ": no tokenizer.json in this directory (r1cpp reads the Hugging Face fast-tokenizer "
           "file)");
  } else {
    json_path = path;
    const size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
  }
  auto impl = parse_tokenizer_json(read_file(json_path), json_path);
  auto optional = [&](const std::string& name) {
    const std::string p = dir + "/" + name;
    return file_exists(p) ? read_file(p) : std::string();
  };
  apply_configs(*impl, optional("tokenizer_config.json"), optional("generation_config.json"),
                optional("config.json"), dir);
  const std::string jinja = optional("chat_template.jinja");
  if (!jinja.empty()) {
    impl->chat_template = jinja;
    impl->chat_template_source = dir + "/chat_template.jinja";
  }
  return Tokenizer(impl);
}

std::vector<int64_t> Tokenizer::encode(std::string_view input, bool add_special_tokens,
                                       bool split_special_tokens) const {
  const Impl& t = *impl_;
  std::string repaired;
  std::string_view text = input;
  if (!is_valid_utf8(input)) {
    repaired = utf8::repair(input);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 8);
  if (add_special_tokens) ids.insert(ids.end(), t.prefix.begin(), t.prefix.end());
  std::vector<Segment> segments;
  t.raw_added.split(text, segments, split_special_tokens);
  for (const auto& s : segments) {
    if (s.id >= 0)
      ids.push_back(s.id);
    else
      encode_normalized(t, text.substr(s.begin, s.end - s.begin), s.begin == 0,
                        split_special_tokens, ids);
  }
  if (add_special_tokens) ids.insert(ids.end(), t.suffix.begin(), t.suffix.end());
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<std::vector<int64_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                          bool add_special_tokens,
                                                          int num_threads) const {
  std::vector<std::vector<int64_t>> out(texts.size());
  const size_t n = std::max(1, std::min<int>(num_threads, static_cast<int>(texts.size())));
  if (n <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) out[i] = encode(texts[i], add_special_tokens);
    return out;
  }
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(n);
  for (size_t w = 0; w < n; ++w) {
    workers.emplace_back([&, w] {
      try {
        for (size_t i = w; i < texts.size(); i += n) out[i] = encode(texts[i], add_special_tokens);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (auto& th : workers) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

// One decoder for whole sequences and streams, so the two always agree.
std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  StreamDecoder stream(*this, skip_special_tokens);
  std::string text;
  for (int64_t id : ids) text += stream.put(id);
  return text + stream.finish();
}

std::string Tokenizer::id_to_token(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  return impl_->tokens[id];
}

std::optional<int64_t> Tokenizer::token_to_id(const std::string& token) const {
  auto it = impl_->added_ids.find(token);
  if (it != impl_->added_ids.end()) return it->second;
  const int32_t id = impl_->model->id(token);
  if (id >= 0) return id;
  return std::nullopt;
}

const std::string& Tokenizer::token_bytes(int64_t id) const {
  // Ids the tokenizer has no token for decode to nothing, as in HF tokenizers:
  // a model's LM head is often padded past the tokenizer (Qwen: 151,936 rows
  // for 151,669 tokens), and a sampler may draw one of those rows.
  static const std::string kNone;
  if (id < 0 || id >= vocab_size()) return kNone;
  return impl_->bytes[id];
}

std::string Tokenizer::token_text(int64_t id) const {
  if (const int byte = impl_->byte_of(id); byte >= 0)
    return utf8::repair(std::string(1, static_cast<char>(byte)));
  return utf8::repair(token_bytes(id));
}

bool Tokenizer::is_special(int64_t id) const {
  return id >= 0 && id < vocab_size() && impl_->special_flag[id];
}

int64_t Tokenizer::vocab_size() const {
  return static_cast<int64_t>(impl_->tokens.size());
}

const SpecialTokens& Tokenizer::special() const {
  return impl_->special;
}

const std::string& Tokenizer::chat_template() const {
  return impl_->chat_template;
}

const std::string& Tokenizer::chat_template_source() const {
  return impl_->chat_template_source;
}

StreamDecoder::StreamDecoder(const Tokenizer& tok, bool skip_special_tokens)
    : tok_(tok), skip_special_(skip_special_tokens), strip_left_(tok.impl_->strip_leading) {}

std::string StreamDecoder::put(int64_t id) {
  if (skip_special_ && tok_.is_special(id)) return "";
  if (const int byte = tok_.impl_->byte_of(id); byte >= 0) {
    byte_run_ += static_cast<char>(byte);
    ++byte_run_tokens_;
    return "";
  }
  std::string out = close_byte_run();
  pending_ += tok_.token_bytes(id);
  const size_t keep = utf8::incomplete_tail(pending_);
  out += utf8::repair(std::string_view(pending_).substr(0, pending_.size() - keep));
  pending_.erase(0, pending_.size() - keep);
  return strip(std::move(out));
}

std::string StreamDecoder::finish() {
  std::string out = close_byte_run() + utf8::repair(pending_);
  pending_.clear();
  return strip(std::move(out));
}

// tokenizers' ByteFallback decoder: a run of <0xNN> tokens is its bytes if
// they are valid UTF-8, else one U+FFFD per token of the run.
std::string StreamDecoder::close_byte_run() {
  if (byte_run_tokens_ == 0) return "";
  std::string out;
  if (utf8::incomplete_tail(byte_run_) == 0 && utf8::repair(byte_run_) == byte_run_) {
    out = std::move(byte_run_);
  } else {
    for (int i = 0; i < byte_run_tokens_; ++i) out += "\xEF\xBF\xBD";
  }
  byte_run_.clear();
  byte_run_tokens_ = 0;
  return out;
}

// Strip after Fuse: drops the text's first strip_leading copies of the
// content character, however many tokens they span.
std::string StreamDecoder::strip(std::string text) {
  const std::string& c = tok_.impl_->strip_content;
  size_t cut = 0;
  while (strip_left_ > 0 && text.compare(cut, c.size(), c) == 0) {
    cut += c.size();
    --strip_left_;
  }
  if (cut < text.size()) strip_left_ = 0;
  return text.erase(0, cut);
}

}  // namespace r1
