// Small scanners shared by the answer extractor and the format rewards:
// balanced \boxed{} and <tag>...</tag> spans. Linear time, no regex (std::regex
// recurses per character and overflows the stack on long completions).
#pragma once

#include <string>

namespace r1 {

struct BoxedSpan {
  bool found = false;     // a \boxed or \fbox command occurs
  bool balanced = false;  // its argument closes (a truncated response leaves it open)
  std::string content;
  size_t start = 0;  // index of the backslash of \boxed / \fbox
  size_t end = 0;    // index just past the closing brace
};

// The last \boxed{...} or \fbox{...} ("\boxed 5" takes one token) that
// starts before index `before`.
BoxedSpan last_boxed(const std::string& s, size_t before = std::string::npos);

struct TagSpan {
  bool found = false;   // "<tag>" occurs
  bool closed = false;  // and "</tag>" follows it
  std::string content;
};

// The last "<tag>" and the first "</tag>" after it.
TagSpan last_tag(const std::string& s, const std::string& tag);

// Number of non-overlapping occurrences of `needle` in `s`.
size_t count_occurrences(const std::string& s, const std::string& needle);

}  // namespace r1
