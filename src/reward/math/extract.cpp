// Answer extraction (verify.h): locate the final answer in a response or a
// reference. Every scan is linear in the text's length (final_boxes makes at
// most 64 of them).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "reward/math/normalize.h"
#include "reward/math/verify.h"
#include "reward/text.h"

namespace r1 {
namespace {

bool alpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// True if s[i..] starts with `word` as a whole word (no letter after it).
bool word_at(const std::string& s, size_t i, const char* word) {
  size_t n = std::strlen(word);
  return s.compare(i, n, word) == 0 && (i + n >= s.size() || !alpha(s[i + n]));
}

// Text between two boxes that still lists answers: "\boxed{1}, \boxed{2}",
// "\boxed{(2,2)} \quad\text{and}\quad \boxed{(6,2)}", "x=\boxed{2} or x=\boxed{3}".
// Anything else ("\boxed{5} so \boxed{7}") means the earlier box was a step.
bool only_separators(const std::string& s) {
  static const char* const kWords[] = {"\\quad", "\\qquad", "\\text", "\\mathrm", "\\textrm",
                                       "and",    "or",      "\\;",    "\\,",      "\\ "};
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) || std::strchr(",;${}&", c)) {
      ++i;
      continue;
    }
    // "x =" before a box: the variable being listed, "x=\boxed{2} or x=\boxed{3}".
    if (alpha(c) && (i + 1 >= s.size() || !alpha(s[i + 1]))) {
      size_t j = i + 1;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size() && s[j] == '=') {
        i = j + 1;
        continue;
      }
    }
    bool matched = false;
    for (const char* w : kWords) {
      if (w[0] == '\\' ? s.compare(i, std::strlen(w), w) == 0 : word_at(s, i, w)) {
        i += std::strlen(w);
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

// The last box's content; where boxes are listed just before it
// ("\boxed{1}\boxed{2}", one answer a box), the whole list as written, boxes
// included: equivalence reads it as the list of answers against a list, and
// as its last box against a single value.
std::string final_boxes(const std::string& s, const BoxedSpan& last) {
  BoxedSpan cur = last;
  for (int k = 0; k < 64; ++k) {
    BoxedSpan prev = last_boxed(s, cur.start);
    if (!prev.found || !prev.balanced || prev.end > cur.start ||
        !only_separators(s.substr(prev.end, cur.start - prev.end)))
      break;
    cur = prev;
  }
  return cur.start == last.start ? trim(last.content) : s.substr(cur.start, last.end - cur.start);
}

// Index of the next unescaped `close` at or after `from`, or npos.
size_t find_unescaped(const std::string& s, const char* close, size_t from) {
  for (size_t p = s.find(close, from); p != std::string::npos; p = s.find(close, p + 1))
    if (p == 0 || s[p - 1] != '\\') return p;
  return std::string::npos;
}

// The last $...$, $$...$$, \(...\) or \[...\] span's content, or "". "\$" is a
// dollar sign, not a delimiter: "$\$4.50$" holds "\$4.50".
std::string last_math(const std::string& s) {
  std::string last;
  size_t i = 0;
  while (i < s.size()) {
    const char* close = nullptr;
    size_t open_len = 0;
    bool escaped = i > 0 && s[i - 1] == '\\';
    if (s.compare(i, 2, "$$") == 0 && !escaped)
      close = "$$", open_len = 2;
    else if (s[i] == '$' && !escaped)
      close = "$", open_len = 1;
    else if (s.compare(i, 2, "\\(") == 0)
      close = "\\)", open_len = 2;
    else if (s.compare(i, 2, "\\[") == 0)
      close = "\\]", open_len = 2;
    if (!close) {
      ++i;
      continue;
    }
    size_t start = i + open_len;
    size_t end = close[0] == '$' ? find_unescaped(s, close, start) : s.find(close, start);
    if (end == std::string::npos) break;
    last = s.substr(start, end - start);
    i = end + std::strlen(close);
  }
  return trim(last);
}

// ---- math written in prose, without delimiters --------------------------------

// Names that may follow digits or stand alone inside math written as words.
const char* const kMathNames[] = {"sin", "cos", "tan", "log", "ln", "exp", "sqrt", "pi"};

// A whitespace-separated word of math: it has a digit or a LaTeX command and
// no run of two or more plain letters ("AZYUK2A", "2nd", "apples" are words;
// "2x", "\frac{1}{3}", "x^2" are math), or it is only operators and brackets.
bool math_word(const std::string& w, bool* has_value) {
  bool any_value = false, only_ops = true;
  for (size_t i = 0; i < w.size();) {
    char c = w[i];
    if (c == '\\') {
      size_t j = i + 1;
      while (j < w.size() && alpha(w[j])) ++j;
      any_value = any_value || j > i + 1;
      only_ops = only_ops && j == i + 1;  // "\\\\" (a row break) is punctuation
      // \begin{pmatrix}, \text{cm}: the braced name is no prose word.
      std::string cmd = w.substr(i + 1, j - i - 1);
      if (j < w.size() && w[j] == '{' &&
          (cmd == "begin" || cmd == "end" || cmd == "text" || cmd == "mathrm")) {
        size_t close = w.find('}', j);
        j = close == std::string::npos ? w.size() : close + 1;
      }
      i = std::max(j, i + 1);
      if (j == i && i < w.size() && std::strchr("$%{}|,!\\", w[i])) ++i;  // \$, \{, \\ (a row)
      continue;
    }
    if (alpha(c)) {
      size_t j = i;
      while (j < w.size() && alpha(w[j])) ++j;
      if (j - i >= 2) {
        bool name = false;
        for (const char* n : kMathNames) name = name || w.compare(i, j - i, n) == 0;
        if (!name) return false;
      }
      only_ops = false;
      i = j;
      continue;
    }
    if (digit(c)) {
      any_value = true;
      only_ops = false;
    } else if (!std::strchr("=+-*/^_<>()[]{}|,.!'$%&", c)) {
      return false;
    }
    ++i;
  }
  *has_value = any_value;
  return any_value || only_ops;
}

struct Word {
  size_t begin, end;  // [begin, end) in the text, without sentence punctuation
  bool math, value, sentence_end, relation;
};

std::vector<Word> split_words(const std::string& s) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    Word w{b, i, false, false, false, false};
    // Sentence punctuation ends the word and the run ("is 34." / "3, so"); a
    // comma between values ("4, 5") keeps the run going.
    while (w.end > w.begin + 1 && std::strchr(".:;!?*", s[w.end - 1])) {
      w.sentence_end = true;
      --w.end;
    }
    while (w.begin + 1 < w.end && s[w.begin] == '*') ++w.begin;  // **12**
    std::string text = s.substr(w.begin, w.end - w.begin);
    w.math = math_word(text, &w.value);
    w.relation = text == "=" || text == "<" || text == ">" || text == "\\le" || text == "\\ge" ||
                 text == "\\approx" || text == "\\ne";
    words.push_back(w);
  }
  // A lone letter is a variable only beside a relation: "x = 3" but not "is a 3".
  for (size_t k = 0; k < words.size(); ++k) {
    Word& w = words[k];
    if (w.end - w.begin == 1 && alpha(s[w.begin]) && !w.sentence_end)
      w.math = k + 1 < words.size() && words[k + 1].relation;
  }
  return words;
}

// The last (or first) run of math words that holds a value, as written:
// "so the largest n is 34." -> "34", "the probability is \frac{1}{3}" ->
// "\frac{1}{3}", "a total of 1 000 people" -> "1 000". "" if none.
std::string math_run(const std::string& s, bool first) {
  std::vector<Word> words = split_words(s);
  std::string best;
  size_t k = 0;
  while (k < words.size()) {
    if (!words[k].math) {
      ++k;
      continue;
    }
    size_t b = k;
    bool value = false;
    while (k < words.size() && words[k].math) {
      value = value || words[k].value;
      if (words[k++].sentence_end) break;
    }
    if (!value) continue;
    std::string run = s.substr(words[b].begin, words[k - 1].end - words[b].begin);
    while (!run.empty() && (run.back() == ',' || run.back() == '='))
      run = trim(run.substr(0, run.size() - 1));
    while (!run.empty() && run.front() == ',') run = trim(run.substr(1));
    if (run.empty()) continue;
    best = run;
    if (first) break;
  }
  return best;
}

// Text after the last "answer is" / "answer:" up to the end of its line,
// without markdown emphasis and a final period; its math span, or its math
// words where the line goes on in prose ("the answer is 5 apples").
std::string after_answer_phrase(const std::string& s, bool nested = false) {
  std::string low = lower(s);
  size_t best = std::string::npos, len = 0;
  for (const char* phrase : {"answer is", "answer:"}) {
    size_t p = low.rfind(phrase);
    if (p != std::string::npos && (best == std::string::npos || p > best))
      best = p, len = std::strlen(phrase);
  }
  if (best == std::string::npos) return "";
  size_t start = best + len, end = s.find('\n', start);
  std::string out =
      trim(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
  while (!out.empty() && (out.front() == '*' || out.front() == ':')) out = trim(out.substr(1));
  while (!out.empty() && (out.back() == '*' || out.back() == '.'))
    out = trim(out.substr(0, out.size() - 1));
  std::string math = last_math(out);
  if (!math.empty()) return math;
  // "Final Answer: The final answer is 12" nests one phrase in another.
  std::string inner = nested ? "" : after_answer_phrase(out, /*nested=*/true);
  if (!inner.empty()) return inner;
  bool prose = false;
  for (const Word& w : split_words(out)) prose = prose || !w.math;
  std::string run = prose ? math_run(out, /*first=*/true) : "";
  return run.empty() ? out : run;
}

// A text is prose when it has several plain words (a reference written as a
// sentence, "Janet has 12 apples left."), not a bare answer ("x = 3", "Monday",
// "\text{(C)}").
bool is_prose(const std::string& s) {
  int words = 0;
  for (size_t i = 0; i < s.size();) {
    if (!alpha(s[i]) || (i > 0 && (s[i - 1] == '\\' || alpha(s[i - 1])))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && alpha(s[j])) ++j;
    words += j - i >= 2 && (i == 0 || s[i - 1] != '\\');
    i = j;
  }
  return words >= 4;
}

}  // namespace

std::string extract_answer(const std::string& response_in, bool fallbacks) {
  // A response whose LaTeX is escaped twice ("\\frac{1}{5}", from a JSON
  // string written once too often) reads as if escaped once.
  const std::string response = math::undo_double_escapes(response_in);
  BoxedSpan box = last_boxed(response);
  if (box.found) return box.balanced ? final_boxes(response, box) : "";
  TagSpan tag = last_tag(response, "answer");
  if (tag.found) {
    if (!tag.closed) return "";
    std::string phrase = after_answer_phrase(tag.content);
    return phrase.empty() ? trim(tag.content) : phrase;
  }
  if (!fallbacks) return "";
  std::string phrase = after_answer_phrase(response);
  if (!phrase.empty()) return phrase;
  std::string math = last_math(response);
  if (!math.empty()) return math;
  return math_run(response, /*first=*/false);
}

std::string extract_reference(const std::string& reference) {
  // GSM8K references end in "#### 72" after the worked solution.
  size_t hashes = reference.rfind("####");
  if (hashes != std::string::npos) return trim(reference.substr(hashes + 4));
  // A MATH solution: its boxed answer(s), read as a response's are.
  BoxedSpan box = last_boxed(reference);
  if (box.found) return box.balanced ? final_boxes(reference, box) : trim(reference);
  TagSpan tag = last_tag(reference, "answer");
  if (tag.found && tag.closed) return trim(tag.content);
  // "The answer is 12", or a worked solution in prose: extracted like a
  // response. A bare reference ("$\frac{3}{4}$", "x = 3", "Monday") is the answer.
  std::string phrase = after_answer_phrase(reference);
  if (!phrase.empty()) return phrase;
  if (is_prose(reference)) {
    std::string answer = extract_answer(reference, /*fallbacks=*/true);
    if (!answer.empty()) return answer;
  }
  return trim(reference);
}

}  // namespace r1
