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
  static const char* const kWrappers[] = {
      "\\text{",   "\\textbf{", "\\textrm{",       "\\textit{", "\\textnormal{", "\\textsf{",
      "\\texttt{", "\\mathrm{", "\\mathbf{",       "\\mathit{", "\\mathsf{",     "\\mbox{",
      "\\hbox{",   "\\emph{",   "\\operatorname{", "\\textup{"};
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

bool plain_number(const std::string& s) {
  if (s.empty()) return false;
  bool any = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (digit(s[i]))
      any = true;
    else if (!(s[i] == '.' || s[i] == ',' || (i == 0 && (s[i] == '-' || s[i] == '+'))))
      return false;
  }
  return any;
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
    if (b == end || b == 0 || t[b - 1] == '\\') return;
    std::string before = trim(t.substr(0, b));
    // A known unit after any value; any word after a plain number ("5 apples").
    if (before.empty() ||
        (!is_unit(t.substr(b, end - b)) && !(end - b >= 2 && plain_number(before))))
      return;
    s = before;
  }
}

// "28 percent", "28 pct", "28 percentage points": a percent sign in words.
void strip_percent_word(std::string& s) {
  static const char* const kWords[] = {"percentage points", "percentage point", "percentage",
                                       "per cent",          "percent",          "pct"};
  for (const char* w : kWords) {
    size_t n = std::strlen(w);
    if (s.size() <= n || alpha(s[s.size() - n - 1])) continue;
    bool match = true;
    for (size_t k = 0; k < n && match; ++k)
      match = std::tolower(static_cast<unsigned char>(s[s.size() - n + k])) == w[k];
    if (match) {
      s = trim(s.substr(0, s.size() - n)) + "%";
      return;
    }
  }
}

// "(11,7)or(7,11)": a list word written without spaces gets them, so it
// separates like " or " does; "for", "\\lor" and "order" are untouched.
void space_list_words(std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    size_t n = s.compare(i, 2, "or") == 0 ? 2 : s.compare(i, 3, "and") == 0 ? 3 : 0;
    if (n && i > 0 && i + n < s.size() && std::strchr(")]}0123456789", s[i - 1]) &&
        std::strchr("([{0123456789-\\", s[i + n])) {
      out += " " + s.substr(i, n) + " ";
      i += n - 1;
      continue;
    }
    out += s[i];
  }
  s.swap(out);
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
      !all_digits(s, start, first) || s[start] == '0')  // "0,111" is a decimal comma
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

std::string undo_double_escapes(const std::string& s) {
  size_t doubled = 0, single = 0;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] == '\\') ++j;
    if (j < s.size() && alpha(s[j])) (j - i == 2 ? doubled : single) += 1;
    i = j;
  }
  if (doubled == 0 || single > 0) return s;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && s[j] == '\\') ++j;
    if (j == i) {
      out += s[i++];
      continue;
    }
    out.append((j - i + 1) / 2, '\\');  // "\\\\" (an escaped row break) -> "\\"
    i = j;
  }
  return out;
}

Normalized normalize(const std::string& answer) {
  Normalized out;
  std::string s = answer;
  if (s.size() > kMaxAnswerBytes) {
    out.text = s;
    return out;
  }
  s = undo_double_escapes(s);
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  strip_delimiters(s);
  // "\\" (a matrix row break) must survive the "\ " (spacing) rule below.
  const std::string kRowBreak = "\x01";
  replace_all(s, "\\\\", kRowBreak);

  static const char* const kUnicode[][2] = {
      {"≤", "\\le "},    {"≥", "\\ge "},       {"≠", "\\ne "}, {"−", "-"},        {"×", "\\times "},
      {"÷", "\\div "},   {"·", "\\cdot "},     {"π", "\\pi "}, {"∞", "\\infty "}, {"√", "\\sqrt"},
      {"∪", "\\cup "},   {"∅", "\\emptyset "}, {"°", ""},      {"€", ""},         {"£", ""},
      {"¥", ""},         {"{,}", ","},         {",\\! ", ","}, {",\\!", ","},     {"\\!", ""},
      {"\\,", " "},      {"\\;", " "},         {"\\:", " "},   {"\\ ", " "},      {"~", " "},
      {"^{\\circ}", ""}, {"^\\circ", ""},      {"\\%", "%"},   {"\\$", ""},       {"$", ""}};
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
  strip_percent_word(s);
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
  space_list_words(s);
  replace_all(s, kRowBreak, "\\\\");
  strip_thousands(s, ',');
  strip_thousands(s, ' ');
  // Multiple choice: "(B)" and "B" are the same choice.
  if (s.size() == 3 && s[0] == '(' && s[2] == ')' && alpha(s[1])) s = s.substr(1, 1);
  out.text = s;
  return out;
}

}  // namespace r1::math
