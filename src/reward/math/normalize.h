// Answer normalisation (internal to reward/math): the string rewrites that make
// "$\dfrac{1}{2}$." and "\frac12" the same answer before parsing.
#pragma once

#include <string>

namespace r1::math {

// Answers longer than this are compared as exact text only: no honest final
// answer is this long, and it bounds every later step.
constexpr size_t kMaxAnswerBytes = 2000;

struct Normalized {
  std::string text;
  bool percent = false;  // the answer ended in % (removed from text)
};

Normalized normalize(const std::string& answer);

// "\\frac{1}{5}" -> "\frac{1}{5}" when every LaTeX command in `s` is written
// with two backslashes (text escaped once too often); otherwise `s` unchanged.
std::string undo_double_escapes(const std::string& s);

}  // namespace r1::math
