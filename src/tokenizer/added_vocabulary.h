// Added tokens (tokenizer.json "added_tokens"): found in the text before
// pre-tokenization, leftmost-longest, honouring single_word, lstrip and
// rstrip. Tokens with normalized=false are matched in the raw text, the others
// in the normalized text, as Hugging Face's AddedVocabulary does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace r1 {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A run of text: either an added token (id >= 0) or plain text (id == -1).
struct Segment {
  size_t begin, end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);
  bool empty() const { return tokens_.empty(); }

  // Cuts `text` into segments covering it, appended to `out`. With
  // `skip_special`, special tokens are left in the text (their matches are
  // still consumed, as in HF).
  void split(std::string_view text, std::vector<Segment>& out, bool skip_special = false) const;

 private:
  bool find(std::string_view text, size_t from, size_t& begin, size_t& index) const;

  std::vector<AddedToken> tokens_;               // longest first within each first byte
  std::vector<std::vector<uint32_t>> by_first_;  // first byte -> indices into tokens_
  Regex word_ = Regex(R"(\w)", "added token word check");
};

}  // namespace r1
