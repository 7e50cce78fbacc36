// Pre-tokenizers from tokenizer.json ("pre_tokenizer"): cut normalized text
// into the pieces BPE sees. Supported: Split (regex or string pattern, every
// behaviour, invert), Digits, ByteLevel (add_prefix_space, use_regex) and
// Sequence of these, with ByteLevel last; or SentencePiece's Metaspace alone.
// Pieces are views into the input (or into `storage` when a prefix had to be
// added).
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

  // Metaspace (tokenizers' metaspace.rs): spaces become `metaspace` (U+2581),
  // which is also put before a piece that lacks it (kAlways; kFirst: only a
  // piece at the start of the input, not one after an added token); with
  // `metaspace_split`, each U+2581 starts a new piece. Empty: no Metaspace.
  enum class Prepend { kAlways, kFirst, kNever };
  std::string metaspace;
  Prepend metaspace_prepend = Prepend::kAlways;
  bool metaspace_split = true;

  // Cuts `text` into pieces, appending to `out`. `at_start`: `text` begins
  // the input (Metaspace's "first" prepends only there).
  void run(std::string_view text, bool at_start, std::deque<std::string>& storage,
           std::vector<std::string_view>& out) const;
};

// Throws Error naming `where` for unsupported types or bad fields.
PreTokenizer make_pre_tokenizer(const nlohmann::json& j, const std::string& where);

}  // namespace r1
