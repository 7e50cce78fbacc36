// The parts a loaded tokenizer is made of (private to src/tokenizer/).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace r1 {

struct Tokenizer::Impl {
  std::unique_ptr<Normalizer> normalizer;  // may be null
  PreTokenizer pre_tokenizer;
  std::unique_ptr<Bpe> model;
  AddedTokenMatcher raw_added;          // added tokens with normalized=false
  AddedTokenMatcher normalized_added;   // added tokens with normalized=true
  std::vector<int32_t> prefix, suffix;  // post-processor ids around one sequence

  // Per id: the token text, its decoded bytes, and whether it is special.
  std::vector<std::string> tokens;
  std::vector<std::string> bytes;
  std::vector<uint8_t> special_flag;
  // Decoding rules that span tokens (SentencePiece-style decoders): per id
  // the byte a <0xNN> token stands for, -1 for others (empty: no
  // ByteFallback); and Strip after Fuse: up to strip_leading copies of
  // strip_content dropped from the start of the text.
  std::vector<int16_t> fallback_byte;
  int byte_of(int64_t id) const {  // the <0xNN> token's byte, or -1
    return id >= 0 && static_cast<size_t>(id) < fallback_byte.size() ? fallback_byte[id] : -1;
  }
  std::string strip_content;
  int strip_leading = 0;
  std::unordered_map<std::string, int32_t> added_ids;  // added token text -> id

  SpecialTokens special;
  std::string chat_template;
  std::string chat_template_source;  // the file it came from (for error messages)
};

// Parses tokenizer.json (the components above, not the config files).
std::shared_ptr<Tokenizer::Impl> parse_tokenizer_json(const std::string& text,
                                                      const std::string& source);
// Fills `special` and `chat_template` from the config files' text ("" = absent).
void apply_configs(Tokenizer::Impl& impl, const std::string& tokenizer_config,
                   const std::string& generation_config, const std::string& model_config,
                   const std::string& source);

}  // namespace r1
