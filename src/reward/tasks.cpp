// Countdown and arithmetic verifiers; see tasks.h.
#include "reward/tasks.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <numeric>

#include "reward/math/verify.h"
#include "reward/text.h"

namespace r1 {
namespace {

constexpr size_t kMaxEquationBytes = 1000;
constexpr int kMaxDepth = 64;

struct Fraction {
  __int128 n = 0, d = 1;
};

struct Fail {};

// expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ;
// factor := integer | '(' expr ')'. Unary minus is not an operation the game
// allows, so "-3" is rejected; every literal is recorded in `used`.
class CountdownParser {
 public:
  explicit CountdownParser(const std::string& s) : s_(s) {}

  Fraction parse(std::vector<int64_t>* used) {
    used_ = used;
    Fraction v = expr();
    skip();
    if (i_ != s_.size()) throw Fail{};
    return v;
  }

 private:
  const std::string& s_;
  size_t i_ = 0;
  int depth_ = 0;
  std::vector<int64_t>* used_ = nullptr;

  void skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  // The operator at i_, normalised to one of "+-*/", or 0.
  char op() {
    skip();
    if (i_ >= s_.size()) return 0;
    for (const auto& [text, c] : {std::pair<const char*, char>{"\\times", '*'},
                                  {"\\cdot", '*'},
                                  {"\\div", '/'},
                                  {"×", '*'},
                                  {"÷", '/'},
                                  {"−", '-'}}) {
      if (s_.compare(i_, std::strlen(text), text) == 0) {
        op_len_ = std::strlen(text);
        return c;
      }
    }
    op_len_ = 1;
    char c = s_[i_];
    return c == 'x' || c == 'X' ? '*' : (std::strchr("+-*/", c) && c ? c : 0);
  }
  size_t op_len_ = 1;

  static Fraction reduce(__int128 n, __int128 d) {
    if (d == 0) throw Fail{};
    if (d < 0) n = -n, d = -d;
    __int128 a = n < 0 ? -n : n, b = d;
    while (b) {
      __int128 t = a % b;
      a = b;
      b = t;
    }
    if (a > 1) n /= a, d /= a;
    const __int128 kLimit = static_cast<__int128>(1) << 62;  // products of two stay in 128 bits
    if (n > kLimit || n < -kLimit || d > kLimit) throw Fail{};
    return {n, d};
  }

  Fraction expr() {
    if (++depth_ > kMaxDepth) throw Fail{};
    Fraction v = term();
    for (char c = op(); c == '+' || c == '-'; c = op()) {
      i_ += op_len_;
      Fraction r = term();
      v = reduce(c == '+' ? v.n * r.d + r.n * v.d : v.n * r.d - r.n * v.d, v.d * r.d);
    }
    --depth_;
    return v;
  }

  Fraction term() {
    Fraction v = factor();
    for (char c = op(); c == '*' || c == '/'; c = op()) {
      i_ += op_len_;
      Fraction r = factor();
      v = c == '*' ? reduce(v.n * r.n, v.d * r.d) : reduce(v.n * r.d, v.d * r.n);
    }
    return v;
  }

  Fraction factor() {
    skip();
    if (i_ >= s_.size()) throw Fail{};
    char c = s_[i_];
    if (c == '(' || c == '[' || c == '{') {
      ++i_;
      Fraction v = expr();
      skip();
      char close = c == '(' ? ')' : c == '[' ? ']' : '}';
      if (i_ >= s_.size() || s_[i_] != close) throw Fail{};
      ++i_;
      return v;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) throw Fail{};
    size_t b = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ - b > 12) throw Fail{};  // no countdown number is this long
    int64_t n = std::stoll(s_.substr(b, i_ - b));
    used_->push_back(n);
    return {n, 1};
  }
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

CountdownResult check_countdown(const std::string& response, const std::vector<int64_t>& numbers,
                                int64_t target, bool use_all) {
  CountdownResult out;
  TagSpan tag = last_tag(response, "answer");
  BoxedSpan box = last_boxed(response);
  if (tag.found && tag.closed)
    out.expression = trim(tag.content);
  else if (box.found && box.balanced)
    out.expression = trim(box.content);
  std::string e = out.expression;
  for (char& c : e)
    if (c == '\n' || c == '\t' || c == '$') c = ' ';
  // "expr = target": keep the side that is not just the result.
  size_t eq = e.find('=');
  if (eq != std::string::npos && e.find('=', eq + 1) == std::string::npos) {
    std::string left = trim(e.substr(0, eq)), right = trim(e.substr(eq + 1));
    e = canonical_integer(left).empty() ? left : right;
  }
  if (e.empty() || e.size() > kMaxEquationBytes) return out;
  std::vector<int64_t> used;
  Fraction value;
  try {
    value = CountdownParser(e).parse(&used);
  } catch (const Fail&) {
    return out;
  } catch (const std::exception&) {
    return out;
  }
  out.parsed = true;
  std::vector<int64_t> pool = numbers;
  for (int64_t n : used) {
    auto it = std::find(pool.begin(), pool.end(), n);
    if (it == pool.end()) return out;  // not given, or used twice
    pool.erase(it);
  }
  if (use_all && !pool.empty()) return out;
  out.correct = value.d == 1 && value.n == target;
  return out;
}

std::string canonical_integer(const std::string& s) {
  std::string digits;
  bool negative = false;
  std::string t = trim(s);
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 0 && (c == '-' || c == '+')) {
      negative = c == '-';
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c != ',' || i == 0 || i + 1 >= t.size()) {  // "7,425": thousands separators only
      return "";
    }
  }
  digits.erase(0,
               std::min(digits.find_first_not_of('0'), digits.size() - (digits.empty() ? 0 : 1)));
  if (digits.empty()) return "";
  return negative && digits != "0" ? "-" + digits : digits;
}

bool arithmetic_correct(const std::string& response, const std::string& gold,
                        std::string* pred_answer) {
  std::string answer = extract_answer(response);
  // Boxes listed one answer a box ("\boxed{12}\boxed{13}"): one integer is
  // asked for, and the last box is the answer, as for one box.
  BoxedSpan listed = last_boxed(answer);
  if (listed.found && listed.balanced) answer = listed.content;
  std::string pred = normalize_answer(answer);
  if (pred_answer) *pred_answer = pred;
  std::string p = canonical_integer(pred), g = canonical_integer(normalize_answer(gold));
  return !p.empty() && p == g;
}

}  // namespace r1
