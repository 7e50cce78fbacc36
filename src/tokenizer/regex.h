// The regex engine behind Split pre-tokenizers: PCRE2 (UTF + Unicode
// properties, JIT-compiled). Hugging Face uses Oniguruma; the patterns in real
// tokenizer.json files (\p{L}, (?i:...), \s+(?!\S), \uXXXX ranges) mean the
// same in both once \uXXXX is rewritten to PCRE2's \x{XXXX}.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1 {

class Regex {
 public:
  // Throws Error naming `what` (e.g. "pre_tokenizer.pretokenizers[0]") if the
  // pattern does not compile.
  // `jit` = false keeps PCRE2's interpreter (same matches; for benchmarks).
  Regex(const std::string& pattern, const std::string& what, bool jit = true);

  // Non-overlapping matches, left to right, as [begin, end) byte offsets.
  // Empty matches are skipped. `text` must be valid UTF-8.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  // Length of the match anchored at the start of `text` (0 if none).
  size_t match_prefix(std::string_view text) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// The pattern of a tokenizer.json {"Regex": "..."} or {"String": "..."} object,
// as a regex (a String is escaped to match literally).
std::string pattern_of(const nlohmann::json& j, const std::string& where);

// Escapes every regex metacharacter so `s` matches literally.
std::string regex_escape(const std::string& s);

}  // namespace r1
