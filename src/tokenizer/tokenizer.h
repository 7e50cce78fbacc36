// A Hugging Face tokenizer.json (byte-level BPE: Qwen2/2.5/3, Llama 3,
// DeepSeek-V3/R1 and GPT-2 style; SentencePiece-style BPE with byte fallback:
// Llama 2, TinyLlama, Mistral, Gemma) that encodes and decodes token-for-token as
// the `tokenizers` library does, plus the special ids and chat template the
// model directory declares. Copies are cheap and share one immutable state;
// every method is const and safe to call from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1 {

// Special ids from tokenizer_config.json, generation_config.json and
// config.json (in that order of preference); -1 when a model has none.
struct SpecialTokens {
  int64_t bos_id = -1;
  int64_t eos_id = -1;           // the one that ends an assistant turn in training data
  std::vector<int64_t> eos_ids;  // every id that stops generation (eos_id first)
  int64_t pad_id = -1;
  std::string bos_token, eos_token, pad_token;  // their text ("" if none)
};

class Tokenizer {
 public:
  // `path`: a tokenizer.json file, or a directory holding tokenizer.json
  // (+ tokenizer_config.json, generation_config.json, config.json: a model
  // directory works). Throws Error naming the file and the problem.
  static Tokenizer load(const std::string& path);
  // From tokenizer.json text; `config_json` is tokenizer_config.json text or "".
  // `source` names the input in error messages.
  static Tokenizer from_json(const std::string& tokenizer_json, const std::string& config_json = "",
                             const std::string& source = "tokenizer.json");

  // Text -> ids. Added tokens written in the text are matched;
  // `add_special_tokens` applies the post-processor (e.g. BOS for Llama 3);
  // `split_special_tokens` treats special tokens in the text as plain text
  // (HF's encode_special_tokens: untrusted text cannot forge <|im_end|>).
  // Invalid UTF-8 is first repaired (one U+FFFD per bad sequence).
  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens = false,
                              bool split_special_tokens = false) const;
  std::vector<std::vector<int64_t>> encode_batch(const std::vector<std::string>& texts,
                                                 bool add_special_tokens = false,
                                                 int num_threads = 1) const;

  // Ids -> text; incomplete UTF-8 becomes U+FFFD. An id the tokenizer has no
  // token for (a padding row of the model's vocabulary) decodes to "", as in
  // HF tokenizers.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  // The token's text as stored in tokenizer.json (e.g. "Ġthe"); "" if none.
  std::string id_to_token(int64_t id) const;
  std::optional<int64_t> token_to_id(const std::string& token) const;
  // The bytes a token decodes to (used by the streaming decoder); "" for an
  // id without a token.
  const std::string& token_bytes(int64_t id) const;
  // The text one token adds in the middle of a sequence (an OpenAI logprobs
  // "token"): its bytes, a byte-fallback token's byte, repaired to UTF-8; no
  // leading-space Strip, which only the start of a decode gets.
  std::string token_text(int64_t id) const;
  // Added token marked "special" (skipped by decode with skip_special_tokens).
  bool is_special(int64_t id) const;
  // One past the largest id (model vocabulary and added tokens).
  int64_t vocab_size() const;

  const SpecialTokens& special() const;
  // tokenizer_config.json "chat_template" (or chat_template.jinja); "" if none.
  const std::string& chat_template() const;
  // The file chat_template() came from, for messages.
  const std::string& chat_template_source() const;

  struct Impl;

 private:
  friend class StreamDecoder;  // reads the decoding rules that span tokens
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Turns ids into text incrementally, never emitting half a UTF-8 character:
// bytes of an unfinished character are held until the next token completes
// it (or `finish` turns them into U+FFFD). Concatenating every put() and
// finish() equals decode() of all ids.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool skip_special_tokens = false);
  std::string put(int64_t id);
  std::string finish();

 private:
  std::string close_byte_run();
  std::string strip(std::string text);

  Tokenizer tok_;  // a cheap copy: shares the loaded state
  bool skip_special_;
  std::string pending_;   // bytes of an unfinished character
  std::string byte_run_;  // bytes of byte-fallback tokens not yet closed by another token
  int byte_run_tokens_ = 0;
  int strip_left_;  // leading characters the decoder's Strip still removes
};

}  // namespace r1
