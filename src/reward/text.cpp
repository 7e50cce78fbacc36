// Scanners for boxed answers and tags; see text.h.
#include "reward/text.h"

#include <cctype>

namespace r1 {

BoxedSpan last_boxed(const std::string& s, size_t before) {
  BoxedSpan out;
  if (before == 0) return out;
  size_t b = s.rfind("\\boxed", before - 1), f = s.rfind("\\fbox", before - 1);
  size_t at = b == std::string::npos ? f : (f == std::string::npos ? b : std::max(b, f));
  if (at == std::string::npos) return out;
  out.found = true;
  out.start = at;
  const size_t cmd_end = at + (at == b ? 6 : 5);
  size_t i = cmd_end;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size() && s[i] == '{') {
    int depth = 0;
    for (size_t j = i; j < s.size(); ++j) {
      if (s[j] == '\\') {  // "\{" and "\}" are literal braces, not grouping
        ++j;
        continue;
      }
      if (s[j] == '{') ++depth;
      if (s[j] == '}' && --depth == 0) {
        out.balanced = true;
        out.content = s.substr(i + 1, j - i - 1);
        out.end = j + 1;
        return out;
      }
    }
    return out;
  }
  if (i < s.size() && i > cmd_end) {  // "\boxed 5": one token
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '$') ++j;
    out.balanced = j > i;
    out.content = s.substr(i, j - i);
    out.end = j;
  }
  return out;
}

TagSpan last_tag(const std::string& s, const std::string& tag) {
  TagSpan out;
  size_t open = s.rfind("<" + tag + ">");
  if (open == std::string::npos) return out;
  out.found = true;
  size_t start = open + tag.size() + 2, close = s.find("</" + tag + ">", start);
  if (close == std::string::npos) return out;
  out.closed = true;
  out.content = s.substr(start, close - start);
  return out;
}

size_t count_occurrences(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + needle.size()))
    ++n;
  return n;
}

}  // namespace r1
