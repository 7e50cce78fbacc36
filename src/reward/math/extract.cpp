// Answer extraction (verify.h): locate the final answer in a response. Every
// scan is linear in the response length.
#include <cctype>
#include <cstring>

#include "reward/math/verify.h"
#include "reward/text.h"

namespace r1 {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The last $...$, $$...$$, \(...\) or \[...\] span's content, or "".
std::string last_math(const std::string& s) {
  std::string last;
  size_t i = 0;
  while (i < s.size()) {
    const char* close = nullptr;
    size_t open_len = 0;
    if (s.compare(i, 2, "$$") == 0)
      close = "$$", open_len = 2;
    else if (s[i] == '$' && (i == 0 || s[i - 1] != '\\'))
      close = "$", open_len = 1;
    else if (s.compare(i, 2, "\\(") == 0)
      close = "\\)", open_len = 2;
    else if (s.compare(i, 2, "\\[") == 0)
      close = "\\]", open_len = 2;
    if (!close) {
      ++i;
      continue;
    }
    size_t start = i + open_len, end = s.find(close, start);
    if (end == std::string::npos) break;
    last = s.substr(start, end - start);
    i = end + std::strlen(close);
  }
  return trim(last);
}

// Text after the last "answer is" / "answer:" up to the end of its line,
// without markdown emphasis and a final period.
std::string after_answer_phrase(const std::string& s) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t best = std::string::npos, len = 0;
  for (const char* phrase : {"answer is", "answer:"}) {
    size_t p = lower.rfind(phrase);
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
  return math.empty() ? out : math;
}

std::string last_number(const std::string& s) {
  size_t end = std::string::npos;
  for (size_t i = s.size(); i-- > 0;) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      end = i + 1;
      break;
    }
  }
  if (end == std::string::npos) return "";
  size_t b = end;
  while (b > 0 && (std::isdigit(static_cast<unsigned char>(s[b - 1])) ||
                   ((s[b - 1] == '.' || s[b - 1] == ',') && b >= 2 &&
                    std::isdigit(static_cast<unsigned char>(s[b - 2])))))
    --b;
  if (b > 0 && s[b - 1] == '-') --b;
  return s.substr(b, end - b);
}

}  // namespace

std::string extract_answer(const std::string& response, bool fallbacks) {
  BoxedSpan box = last_boxed(response);
  if (box.found) return box.balanced ? trim(box.content) : "";
  TagSpan tag = last_tag(response, "answer");
  if (tag.found) {
    if (!tag.closed) return "";
    std::string phrase = after_answer_phrase(tag.content);
    return phrase.empty() ? trim(tag.content) : phrase;
  }
  if (!fallbacks) return "";
  std::string math = last_math(response);
  if (!math.empty()) return math;
  std::string phrase = after_answer_phrase(response);
  if (!phrase.empty()) return phrase;
  return last_number(response);
}

std::string extract_reference(const std::string& reference) {
  // GSM8K references end in "#### 72" after the worked solution.
  size_t hashes = reference.rfind("####");
  if (hashes != std::string::npos) return trim(reference.substr(hashes + 4));
  BoxedSpan box = last_boxed(reference);
  if (box.found) return box.balanced ? trim(box.content) : trim(reference);
  TagSpan tag = last_tag(reference, "answer");
  if (tag.found && tag.closed) return trim(tag.content);
  return trim(reference);
}

}  // namespace r1
