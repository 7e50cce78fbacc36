// Pre-tokenizers from tokenizer.json ("pre_tokenizer"): cut normalized text
// into the pieces BPE sees. Supported: Split (regex or string pattern, every
// behaviour, invert), Digits, ByteLevel (add_prefix_space, use_regex) and
// Sequence of these, with ByteLevel last. Pieces are views into the input (or
// into `storage` when a prefix space had to be added).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1 {

class Splitter {
 public:
  virtual ~Splitter() = default;
  virtual void split(std::string_view piece, std::vector<std::string_view>& out) const = 0;
};

struct PreTokenizer {
  std::vector<std::unique_ptr<Splitter>> splitters;  // applied in order
  bool byte_level = false;        // pieces are mapped byte-wise to GPT-2 characters
  bool add_prefix_space = false;  // ByteLevel: prepend " " to a piece that lacks one
  bool byte_level_regex = false;  // the last splitter is ByteLevel's GPT-2 regex

  // Cuts `text` into pieces, appending to `out`.
  void run(std::string_view text, std::deque<std::string>& storage,
           std::vector<std::string_view>& out) const;
};

// Throws Error naming `where` for unsupported types or bad fields.
PreTokenizer make_pre_tokenizer(const nlohmann::json& j, const std::string& where);

}  // namespace r1
