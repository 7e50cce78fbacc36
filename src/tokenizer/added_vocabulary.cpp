#include "tokenizer/added_vocabulary.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace r1 {

namespace {

// Unicode White_Space (what Rust's regex \s matches).
bool is_space(uint32_t c) {
  return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

size_t char_start_before(std::string_view s, size_t i) {
  do --i;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80);
  return i;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : by_first_(256) {
  for (auto& t : tokens)
    if (!t.content.empty()) tokens_.push_back(std::move(t));
  for (uint32_t i = 0; i < tokens_.size(); ++i)
    by_first_[static_cast<uint8_t>(tokens_[i].content[0])].push_back(i);
  for (auto& list : by_first_)
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
}

bool AddedTokenMatcher::find(std::string_view text, size_t from, size_t& begin,
                             size_t& index) const {
  for (size_t p = from; p < text.size(); ++p) {
    const auto& list = by_first_[static_cast<uint8_t>(text[p])];
    for (uint32_t i : list) {
      const std::string& c = tokens_[i].content;
      if (text.compare(p, c.size(), c) == 0) {
        begin = p;
        index = i;
        return true;
      }
    }
  }
  return false;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& out,
                              bool skip_special) const {
  if (tokens_.empty()) {
    if (!text.empty()) out.push_back({0, text.size(), -1});
    return;
  }
  // All matches are found first (non-overlapping), then stripped, as in HF.
  size_t done = 0, search = 0;
  size_t begin, index;
  while (search < text.size() && find(text, search, begin, index)) {
    const AddedToken& t = tokens_[index];
    size_t start = begin, stop = begin + t.content.size();
    search = stop;
    if (skip_special && t.special) continue;
    if (t.single_word) {
      bool word_before = false, word_after = false;
      if (start > 0) {
        const size_t c = char_start_before(text, start);
        word_before = word_.match_prefix(text.substr(c, start - c)) > 0;
      }
      if (stop < text.size()) word_after = word_.match_prefix(text.substr(stop)) > 0;
      if (word_before || word_after) continue;
    }
    if (t.lstrip) {
      size_t s = start;
      while (s > 0) {
        const size_t c = char_start_before(text, s);
        size_t k = c;
        if (!is_space(utf8::next(text, k))) break;
        s = c;
      }
      start = std::max(s, done);
    }
    if (t.rstrip) {
      size_t k = stop;
      while (k < text.size()) {
        size_t next = k;
        if (!is_space(utf8::next(text, next))) break;
        k = next;
      }
      stop = k;
    }
    if (done < start) out.push_back({done, start, -1});
    out.push_back({start, stop, t.id});
    done = stop;
  }
  if (done < text.size()) out.push_back({done, text.size(), -1});
}

}  // namespace r1
