// Normalisation rules (issue 5, item 1): delimiters, \left/\right, \dfrac,
// spacing commands, degrees, \text units, currency, percent, thousands
// separators, trailing period, multiple-choice letters. Each rule is one
// linear pass over a string of at most kMaxAnswerBytes.
#include "reward/math/normalize.h"

#include <cctype>
#include <cstring>

namespace r1::math {
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
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t i = 0;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, i)) {
    out.append(s, i, p - i);
    out += to;
    i = p + from.size();
  }
  out.append(s, i, std::string::npos);
  s.swap(out);
}

// Replaces "\cmd" only where it is a whole command: \left but not \leftarrow.
void replace_command(std::string& s, const std::string& cmd, const std::string& to) {
  std::string out;
  size_t i = 0;
  for (size_t p = s.find(cmd); p != std::string::npos; p = s.find(cmd, p + 1)) {
    if (p + cmd.size() < s.size() && alpha(s[p + cmd.size()])) continue;
    out.append(s, i, p - i);
    out += to;
    i = p + cmd.size();
  }
  out.append(s, i, std::string::npos);
  s.swap(out);
}

bool strip_pair(std::string& s, const char* open, const char* close) {
  size_t o = std::strlen(open), c = std::strlen(close);
  if (s.size() < o + c || s.compare(0, o, open) != 0 || s.compare(s.size() - c, c, close) != 0)
    return false;
  s = trim(s.substr(o, s.size() - o - c));
  return true;
}

void strip_delimiters(std::string& s) {
  for (int k = 0; k < 4; ++k) {
    s = trim(s);
    if (!strip_pair(s, "$$", "$$") && !strip_pair(s, "$", "$") && !strip_pair(s, "\\(", "\\)") &&
        !strip_pair(s, "\\[", "\\]"))
      return;
  }
}

const char* const kUnits[] = {
    "cm",      "mm",     "km",    "meters",  "meter",  "metres", "feet",    "foot",
    "ft",      "inches", "inch",  "yards",   "yd",     "miles",  "mile",    "mph",
    "kg",      "grams",  "gram",  "pounds",  "lbs",    "lb",     "ounces",  "oz",
    "liters",  "litres", "ml",    "hours",   "hour",   "hrs",    "minutes", "mins",
    "seconds", "days",   "day",   "weeks",   "months", "years",  "year",    "dollars",
    "dollar",  "cents",  "cent",  "euros",   "euro",   "usd",    "units",   "unit",
    "sq",      "square", "cubic", "degrees", "degree", "deg",    "people",  "students"};

bool is_unit(std::string w) {
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* u : kUnits)
    if (w == u) return true;
  return false;
}

// \text{...}, \mathrm{...} and friends: a trailing one holding only words after
// some value is a unit ("5\text{ cm}") and goes; any other is unwrapped.
void unwrap_text(std::string& s) {
  static const char* const kWrappers[] = {"\\text{",   "\\textbf{",       "\\textrm{", "\\textit{",
                                          "\\mathrm{", "\\mathbf{",       "\\mathit{", "\\mathsf{",
                                          "\\mbox{",   "\\operatorname{", "\\textup{"};
  for (const char* w : kWrappers) {
    size_t wl = std::strlen(w);
    for (size_t p = s.find(w); p != std::string::npos; p = s.find(w, p)) {
      size_t j = p + wl;
      int depth = 1;
      for (; j < s.size() && depth > 0; ++j) {
        if (s[j] == '\\')
          ++j;
        else if (s[j] == '{')
          ++depth;
        else if (s[j] == '}')
          --depth;
      }
      if (depth > 0) return;  // unbalanced: leave it, parsing will fail
      std::string content = s.substr(p + wl, j - 1 - p - wl);
      std::string rest = trim(s.substr(j));
      bool words = !trim(content).empty();
      for (char c : content) words = words && (alpha(c) || c == ' ');
      bool at_end = rest.empty() || rest == "." || rest == "^2" || rest == "^3" || rest == "^{2}" ||
                    rest == "^{3}";
      if (words && at_end && !trim(s.substr(0, p)).empty()) {
        s = trim(s.substr(0, p));
        return;
      }
      s = s.substr(0, p) + content + s.substr(j);
    }
  }
}

// "5 cm", "12 square feet", "3cm^2": trailing unit words after a value go.
void strip_units(std::string& s) {
  for (int k = 0; k < 3; ++k) {
    std::string t = trim(s);
    size_t end = t.size();
    for (const char* pw : {"^2", "^3", "^{2}", "^{3}"}) {
      size_t n = std::strlen(pw);
      if (end >= n && t.compare(end - n, n, pw) == 0) {
        end -= n;
        break;
      }
    }
    size_t b = end;
    while (b > 0 && alpha(t[b - 1])) --b;
    if (b == end || b == 0 || t[b - 1] == '\\' || !is_unit(t.substr(b, end - b))) return;
    std::string before = trim(t.substr(0, b));
    if (before.empty()) return;
    s = before;
  }
}

bool all_digits(const std::string& s, size_t b, size_t e) {
  if (b >= e) return false;
  for (size_t i = b; i < e; ++i)
    if (!digit(s[i])) return false;
  return true;
}

// "7,425,000" and "1 000 000": digit groups of three after a first group of
// one to three, optionally with decimals; the separators go.
void strip_thousands(std::string& s, char sep) {
  size_t start = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  size_t dot = s.find('.');
  size_t end = dot == std::string::npos ? s.size() : dot;
  if (dot != std::string::npos && !all_digits(s, dot + 1, s.size())) return;
  size_t first = s.find(sep, start);
  if (first == std::string::npos || first >= end || first - start > 3 ||
      !all_digits(s, start, first))
    return;
  for (size_t p = first; p < end; p += 4)
    if (s[p] != sep || p + 4 > end || !all_digits(s, p + 1, p + 4)) return;
  if ((end - first) % 4 != 0) return;
  std::string out;
  for (char c : s)
    if (c != sep) out += c;
  s = out;
}

}  // namespace

Normalized normalize(const std::string& answer) {
  Normalized out;
  std::string s = answer;
  if (s.size() > kMaxAnswerBytes) {
    out.text = s;
    return out;
  }
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  strip_delimiters(s);
  // "\\" (a matrix row break) must survive the "\ " (spacing) rule below.
  const std::string kRowBreak = "\x01";
  replace_all(s, "\\\\", kRowBreak);

  static const char* const kUnicode[][2] = {
      {"≤", "\\le "},  {"≥", "\\ge "},       {"≠", "\\ne "}, {"−", "-"},        {"×", "\\times "},
      {"÷", "\\div "}, {"·", "\\cdot "},     {"π", "\\pi "}, {"∞", "\\infty "}, {"√", "\\sqrt"},
      {"∪", "\\cup "}, {"∅", "\\emptyset "}, {"°", ""},      {"€", ""},         {"£", ""},
      {"¥", ""},       {"{,}", ","},         {"\\!", ""},    {"\\,", " "},      {"\\;", " "},
      {"\\:", " "},    {"\\ ", " "},         {"~", " "},     {"^{\\circ}", ""}, {"^\\circ", ""},
      {"\\%", "%"},    {"\\$", ""},          {"$", ""}};
  for (const auto& r : kUnicode) replace_all(s, r[0], r[1]);
  static const char* const kCommands[][2] = {
      {"\\left", ""},          {"\\right", ""},
      {"\\dfrac", "\\frac"},   {"\\tfrac", "\\frac"},
      {"\\cfrac", "\\frac"},   {"\\displaystyle", ""},
      {"\\limits", ""},        {"\\circ", ""},
      {"\\degree", ""},        {"\\quad", " "},
      {"\\qquad", " "},        {"\\lbrace", "\\{"},
      {"\\rbrace", "\\}"},     {"\\langle", "("},
      {"\\rangle", ")"},       {"\\varnothing", "\\emptyset"},
      {"\\leqslant", "\\le"},  {"\\geqslant", "\\ge"},
      {"\\leq", "\\le"},       {"\\geq", "\\ge"},
      {"\\neq", "\\ne"},       {"\\infin", "\\infty"},
      {"\\euro", ""},          {"\\pounds", ""},
      {"\\dbinom", "\\binom"}, {"\\tbinom", "\\binom"}};
  for (const auto& r : kCommands) replace_command(s, r[0], r[1]);
  unwrap_text(s);

  s = trim(s);
  while (!s.empty() && (s.back() == '.' || s.back() == ',' || s.back() == ';'))
    s = trim(s.substr(0, s.size() - 1));
  if (s.size() >= 7 && s.compare(s.size() - 7, 7, "percent") == 0)
    s = trim(s.substr(0, s.size() - 7)) + "%";
  if (!s.empty() && s.back() == '%') {
    out.percent = true;
    s = trim(s.substr(0, s.size() - 1));
  }
  strip_units(s);
  while (!s.empty() && s.back() == '.') s = trim(s.substr(0, s.size() - 1));

  // Collapse whitespace runs to one space.
  std::string collapsed;
  for (char c : s) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  s = trim(collapsed);
  replace_all(s, kRowBreak, "\\\\");
  strip_thousands(s, ',');
  strip_thousands(s, ' ');
  // Multiple choice: "(B)" and "B" are the same choice.
  if (s.size() == 3 && s[0] == '(' && s[2] == ')' && alpha(s[1])) s = s.substr(1, 1);
  out.text = s;
  return out;
}

}  // namespace r1::math
