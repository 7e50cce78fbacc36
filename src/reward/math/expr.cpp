// Expression parser (recursive descent over a token list) and evaluator; see
// expr.h. Failures inside the parser unwind with a private exception type that
// parse_expr catches, so nothing escapes to the caller.
#include "reward/math/expr.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace r1::math {
namespace {

struct ParseFail {};

enum class T : uint8_t { kNum, kVar, kConst, kFunc, kChar, kFrac, kSqrt, kBinom, kRel, kBig, kEnd };

struct Tok {
  T t = T::kEnd;
  char c = 0;          // kChar
  std::string s;       // kNum digits, kVar name, kFunc name
  Op konst = Op::kPi;  // kConst
  Rel rel = Rel::kNone;
  bool swap = false;  // kRel: ">" or ">=" (sides swapped when stored)
};

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Plain-text names recognised inside runs of letters ("sinx" = sin x); longest first.
const char* const kPlainNames[] = {"arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                                   "sqrt",   "sin",    "cos",    "tan",  "cot",  "sec",
                                   "csc",    "exp",    "log",    "ln",   "pi"};

const char* const kFuncs[] = {"sin",    "cos",  "tan",  "cot",  "sec", "csc", "arcsin", "arccos",
                              "arctan", "sinh", "cosh", "tanh", "exp", "ln",  "log",    "lg"};

const char* const kGreek[] = {
    "alpha",    "beta",    "gamma", "delta",  "epsilon", "varepsilon", "zeta",  "eta",   "theta",
    "vartheta", "iota",    "kappa", "lambda", "mu",      "nu",         "xi",    "rho",   "sigma",
    "tau",      "upsilon", "phi",   "varphi", "chi",     "psi",        "omega", "Gamma", "Delta",
    "Theta",    "Lambda",  "Xi",    "Sigma",  "Phi",     "Psi",        "Omega"};

template <size_t N>
bool in_list(const std::string& s, const char* const (&list)[N]) {
  for (const char* x : list)
    if (s == x) return true;
  return false;
}

Tok tok(T kind) {
  Tok t;
  t.t = kind;
  return t;
}
Tok ch(char c) {
  Tok t = tok(T::kChar);
  t.c = c;
  return t;
}
Tok rel(Rel r, bool swap) {
  Tok t = tok(T::kRel);
  t.rel = r;
  t.swap = swap;
  return t;
}
Tok konst(Op op) {
  Tok t = tok(T::kConst);
  t.konst = op;
  return t;
}
Tok named(T kind, std::string s) {
  Tok t = tok(kind);
  t.s = std::move(s);
  return t;
}

// Index just past the group starting at s[i] ('{' or '['), or npos if unbalanced.
size_t skip_group(const std::string& s, size_t i) {
  char open = s[i], close = open == '{' ? '}' : ']';
  int depth = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
      continue;
    }
    if (s[j] == open) ++depth;
    if (s[j] == close && --depth == 0) return j + 1;
  }
  return std::string::npos;
}

// "\frac12" -> "\frac{1}{2}", "\sqrt3x" -> "\sqrt{3}x": LaTeX lets a one-token
// argument go without braces; bracing it makes the argument boundary explicit.
std::string brace_arguments(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    int args = 0;
    for (const char* cmd : {"\\frac", "\\sqrt", "\\binom"}) {
      size_t n = std::strlen(cmd);
      if (s.compare(i, n, cmd) == 0 && (i + n >= s.size() || !is_alpha(s[i + n]))) {
        out += cmd;
        i += n;
        args = cmd[1] == 's' ? 1 : 2;
        break;
      }
    }
    if (args == 0) {
      out += s[i++];
      continue;
    }
    for (int k = 0; k < args; ++k) {
      while (i < s.size() && s[i] == ' ') ++i;
      if (i >= s.size()) return out;
      if (k == 0 && args == 1 && s[i] == '[') {  // \sqrt[n]{x}: the index comes first
        size_t end = skip_group(s, i);
        if (end == std::string::npos) return out + s.substr(i);
        out += s.substr(i, end - i);
        i = end;
        --k;
        continue;
      }
      if (s[i] == '{') {
        size_t end = skip_group(s, i);
        if (end == std::string::npos) return out + s.substr(i);
        out += s.substr(i, end - i);
        i = end;
      } else if (s[i] == '\\') {
        size_t j = i + 1;
        while (j < s.size() && is_alpha(s[j])) ++j;
        out += "{" + s.substr(i, j - i) + "}";
        i = j;
      } else {
        out += std::string("{") + s[i] + "}";
        ++i;
      }
    }
  }
  return out;
}

// Splits a run of letters: known names stay whole, anything else is one
// variable per letter ("xy" = x*y). A run of 3+ letters that starts with no
// known name is a word, not algebra: the caller compares it as text.
void lex_letters(const std::string& run, std::vector<Tok>* out) {
  size_t i = 0;
  bool any_name = false;
  while (i < run.size()) {
    bool matched = false;
    for (const char* name : kPlainNames) {
      size_t n = std::strlen(name);
      if (run.compare(i, n, name) == 0) {
        std::string s(name);
        if (s == "pi")
          out->push_back(konst(Op::kPi));
        else if (s == "sqrt")
          out->push_back(tok(T::kSqrt));
        else
          out->push_back(named(T::kFunc, s));
        i += n;
        matched = any_name = true;
        break;
      }
    }
    if (matched) continue;
    if (i == 0 && run.size() >= 3 && !any_name) throw ParseFail{};
    char c = run[i++];
    if (c == 'e')
      out->push_back(konst(Op::kE));
    else if (c == 'i')
      out->push_back(konst(Op::kI));
    else
      out->push_back(named(T::kVar, std::string(1, c)));
  }
}

std::vector<Tok> lex(const std::string& s) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      ++i;
    } else if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j < s.size() && s[j] == '.' && j + 1 < s.size() && is_digit(s[j + 1])) {
        ++j;
        while (j < s.size() && is_digit(s[j])) ++j;
      }
      std::string number = s.substr(i, j - i);
      // A repeating decimal, 0.\overline{3} or 0.1\overline{6}: kept as "0.(3)".
      size_t k = number.find('.') == std::string::npos && j < s.size() && s[j] == '.' ? j + 1 : j;
      if ((k > j || number.find('.') != std::string::npos) && s.compare(k, 9, "\\overline") == 0) {
        size_t b = k + 9;
        while (b < s.size() && s[b] == ' ') ++b;
        size_t end = b < s.size() && s[b] == '{' ? skip_group(s, b) : std::string::npos;
        if (end == std::string::npos || end - b < 3) throw ParseFail{};
        std::string period = s.substr(b + 1, end - b - 2);
        for (char d : period)
          if (!is_digit(d)) throw ParseFail{};
        number += (k > j ? ".(" : "(") + period + ")";
        j = end;
      }
      out.push_back(named(T::kNum, number));
      i = j;
      // Calculator notation, 2E5 or 1.5E-3: number x 10^exponent (Math-Verify reads it
      // too). A lowercase e stays Euler's number (2e = 2 x e), as there.
      if (number.find('(') == std::string::npos && i + 1 < s.size() && s[i] == 'E') {
        size_t k = i + 1 + (s[i + 1] == '-' || s[i + 1] == '+');
        size_t end = k;
        while (end < s.size() && is_digit(s[end])) ++end;
        if (end > k && (end == s.size() || !is_alpha(s[end]))) {
          out.push_back(ch('*'));
          out.push_back(named(T::kNum, "10"));
          out.push_back(ch('^'));
          out.push_back(ch('('));
          if (s[i + 1] == '-') out.push_back(ch('-'));
          out.push_back(named(T::kNum, s.substr(k, end - k)));
          out.push_back(ch(')'));
          i = end;
        }
      }
    } else if (is_alpha(c)) {
      size_t j = i;
      while (j < s.size() && is_alpha(s[j])) ++j;
      lex_letters(s.substr(i, j - i), &out);
      i = j;
    } else if (c == '\\') {
      size_t j = i + 1;
      while (j < s.size() && is_alpha(s[j])) ++j;
      if (j == i + 1) {  // "\{", "\}", "\|", "\,"
        if (j >= s.size()) throw ParseFail{};
        char d = s[j];
        if (d == '{' || d == '}')
          out.push_back(ch(d));
        else if (d == '|')
          out.push_back(ch('|'));
        else if (d != ',' && d != ' ' && d != '!' && d != ';' && d != ':')
          throw ParseFail{};
        i = j + 1;
        continue;
      }
      std::string cmd = s.substr(i + 1, j - i - 1);
      i = j;
      if (cmd == "frac" || cmd == "dfrac" || cmd == "tfrac" || cmd == "cfrac")
        out.push_back(tok(T::kFrac));
      else if (cmd == "sqrt")
        out.push_back(tok(T::kSqrt));
      else if (cmd == "binom" || cmd == "dbinom" || cmd == "tbinom")
        out.push_back(tok(T::kBinom));
      else if (cmd == "sum" || cmd == "prod")
        out.push_back(named(T::kBig, cmd));
      else if (cmd == "cdot" || cmd == "times" || cmd == "ast")
        out.push_back(ch('*'));
      else if (cmd == "div")
        out.push_back(ch('/'));
      else if (cmd == "pi")
        out.push_back(konst(Op::kPi));
      else if (cmd == "infty" || cmd == "infin")
        out.push_back(konst(Op::kInf));
      else if (cmd == "le" || cmd == "leq" || cmd == "leqslant")
        out.push_back(rel(Rel::kLe, false));
      else if (cmd == "ge" || cmd == "geq" || cmd == "geqslant")
        out.push_back(rel(Rel::kLe, true));
      else if (cmd == "lt")
        out.push_back(rel(Rel::kLt, false));
      else if (cmd == "gt")
        out.push_back(rel(Rel::kLt, true));
      else if (cmd == "ne" || cmd == "neq")
        out.push_back(rel(Rel::kNe, false));
      else if (cmd == "lvert" || cmd == "rvert" || cmd == "vert" || cmd == "mid")
        out.push_back(ch('|'));
      else if (cmd == "left" || cmd == "right" || cmd == "quad" || cmd == "qquad")
        continue;
      else if (in_list(cmd, kFuncs))
        out.push_back(named(T::kFunc, cmd == "lg" ? "log10" : cmd));
      else if (in_list(cmd, kGreek))
        out.push_back(named(T::kVar, "\\" + cmd));
      else
        throw ParseFail{};
    } else if (c == '<' || c == '>') {
      bool eq = i + 1 < s.size() && s[i + 1] == '=';
      out.push_back(rel(eq ? Rel::kLe : Rel::kLt, c == '>'));
      i += eq ? 2 : 1;
    } else if (c == '=') {
      out.push_back(rel(Rel::kEq, false));
      ++i;
    } else if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back(rel(Rel::kNe, false));
      i += 2;
    } else if (std::strchr("+-*/^_!()[]{}|", c)) {
      out.push_back(ch(c));
      ++i;
    } else {
      throw ParseFail{};
    }
    // A subscript belongs to the variable before it: x_1, a_{n+1}.
    if (!out.empty() && out.back().t == T::kVar && i < s.size() && s[i] == '_') {
      size_t j = i + 1;
      if (j >= s.size()) throw ParseFail{};
      size_t end = s[j] == '{' ? skip_group(s, j) : j + 1;
      if (end == std::string::npos) throw ParseFail{};
      out.back().s += "_" + s.substr(j, end - j);
      i = end;
    }
  }
  out.push_back(tok(T::kEnd));
  return out;
}

Node make_node(Op op) {
  Node n;
  n.op = op;
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Tok> toks, Expr* e) : toks_(std::move(toks)), e_(e) {}

  void parse() {
    e_->lhs = sum();
    if (peek().t == T::kRel) {
      Tok r = next();
      e_->rel = r.rel;
      e_->rhs = sum();
      if (r.swap) std::swap(e_->lhs, e_->rhs);
    }
    if (peek().t != T::kEnd) throw ParseFail{};
  }

 private:
  std::vector<Tok> toks_;
  size_t pos_ = 0;
  Expr* e_;
  int depth_ = 0;
  int abs_depth_ = 0;
  std::vector<std::string> indices_;  // index variables of the sums being parsed

  struct Guard {  // bounds recursion: 10 kB of "(((" fails fast instead of overflowing the stack
    int& d;
    explicit Guard(int& depth) : d(depth) {
      if (++d > kMaxDepth) throw ParseFail{};
    }
    ~Guard() { --d; }
  };

  const Tok& peek() const { return toks_[pos_]; }
  Tok next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool is_char(char c) const { return peek().t == T::kChar && peek().c == c; }
  void expect(char c) {
    if (!is_char(c)) throw ParseFail{};
    ++pos_;
  }

  int add(Node n) {
    e_->nodes.push_back(std::move(n));
    return static_cast<int>(e_->nodes.size()) - 1;
  }
  int binary(Op op, int a, int b) {
    Node n = make_node(op);
    n.a = a;
    n.b = b;
    return add(std::move(n));
  }

  // Tokens at pos_ are \frac{integer}{integer}.
  bool mixed_fraction_follows() const {
    if (pos_ + 7 > toks_.size() || toks_[pos_].t != T::kFrac) return false;
    const char want[] = {'{', 0, '}', '{', 0, '}'};
    for (int k = 0; k < 6; ++k) {
      const Tok& tk = toks_[pos_ + 1 + k];
      bool ok = want[k] ? tk.t == T::kChar && tk.c == want[k]
                        : tk.t == T::kNum && tk.s.find('.') == std::string::npos;
      if (!ok) return false;
    }
    return true;
  }

  bool starts_primary() const {
    const Tok& t = peek();
    switch (t.t) {
      case T::kNum:
      case T::kVar:
      case T::kConst:
      case T::kFunc:
      case T::kFrac:
      case T::kSqrt:
      case T::kBinom:
      case T::kBig:
        return true;
      case T::kChar:
        return t.c == '(' || t.c == '[' || t.c == '{' || (t.c == '|' && abs_depth_ == 0);
      default:
        return false;
    }
  }

  int sum() {
    Guard g(depth_);
    int node = unary_term();
    while (is_char('+') || is_char('-')) {
      Op op = next().c == '+' ? Op::kAdd : Op::kSub;
      node = binary(op, node, unary_term());
    }
    return node;
  }

  // A term with an optional leading sign: "-2x" is -(2x), as written.
  int unary_term() {
    Guard g(depth_);
    if (is_char('-')) {
      ++pos_;
      return binary(Op::kNeg, unary_term(), -1);
    }
    if (is_char('+')) {
      ++pos_;
      return unary_term();
    }
    return term();
  }

  int term() {
    int node = power();
    for (;;) {
      if (is_char('*') || is_char('/')) {
        Op op = next().c == '*' ? Op::kMul : Op::kDiv;
        int rhs = is_char('-') ? (++pos_, binary(Op::kNeg, power(), -1)) : power();
        node = binary(op, node, rhs);
      } else if (starts_primary()) {
        node = binary(Op::kMul, node, power());  // implicit multiplication: 2x, 2\pi, (a)(b)
      } else {
        return node;
      }
    }
  }

  int power() {
    Guard g(depth_);
    int base = postfix();
    if (is_char('^')) {
      ++pos_;
      return binary(Op::kPow, base, exponent());
    }
    return base;
  }

  int exponent() {
    Guard g(depth_);
    if (is_char('-')) {
      ++pos_;
      return binary(Op::kNeg, exponent(), -1);
    }
    int p = primary();
    if (is_char('^')) {
      ++pos_;
      return binary(Op::kPow, p, exponent());
    }
    return p;
  }

  int postfix() {
    int p = primary();
    while (is_char('!')) {
      ++pos_;
      p = binary(Op::kFact, p, -1);
    }
    return p;
  }

  // A \frac / \sqrt / \binom argument: a braced group (brace_arguments made
  // every argument one).
  int group() {
    expect('{');
    int e = sum();
    expect('}');
    return e;
  }

  int primary() {
    Guard g(depth_);
    Tok t = next();
    switch (t.t) {
      case T::kNum: {
        Node n = make_node(Op::kNum);
        n.value = parse_number(t.s);
        int whole = add(std::move(n));
        // A mixed number: 2\frac{1}{4} is 2 + 1/4 when all three are integers
        // (as answers write it); 2\frac{x}{4} stays a product.
        if (t.s.find('.') == std::string::npos && mixed_fraction_follows())
          return binary(Op::kAdd, whole, primary());
        return whole;
      }
      case T::kConst:
        if (t.konst == Op::kI || t.konst == Op::kE) {
          std::string name = t.konst == Op::kI ? "i" : "e";
          if (std::find(indices_.begin(), indices_.end(), name) != indices_.end())
            return variable(name);
        }
        return add(make_node(t.konst));
      case T::kVar:
        return variable(t.s);
      case T::kFrac: {
        int a = group();
        return binary(Op::kDiv, a, group());
      }
      case T::kBinom: {
        int a = group();
        return binary(Op::kBinom, a, group());
      }
      case T::kSqrt: {
        int index = -1;
        if (is_char('[')) {
          ++pos_;
          index = sum();
          expect(']');
        }
        return binary(Op::kRoot, is_char('{') ? group() : primary(), index);
      }
      case T::kFunc:
        return function(t.s);
      case T::kBig:
        return big_operator(t.s == "sum" ? Op::kSum : Op::kProd);
      case T::kChar: {
        if (t.c == '|') {
          ++abs_depth_;
          int e = sum();
          --abs_depth_;
          expect('|');
          return binary(Op::kAbs, e, -1);
        }
        char close = t.c == '(' ? ')' : t.c == '[' ? ']' : t.c == '{' ? '}' : 0;
        if (!close) throw ParseFail{};
        int saved = abs_depth_;
        abs_depth_ = 0;  // |x| may appear again inside brackets
        int e = sum();
        abs_depth_ = saved;
        expect(close);
        return e;
      }
      default:
        throw ParseFail{};
    }
  }

  int variable(const std::string& name) {
    auto it = std::find(e_->vars.begin(), e_->vars.end(), name);
    Node n = make_node(Op::kVar);
    n.var = static_cast<int>(it - e_->vars.begin());
    if (it == e_->vars.end()) e_->vars.push_back(name);
    return add(std::move(n));
  }

  // \sum_{k=1}^{n} body / \prod_{k=1}^{n} body: the body is the product term
  // after it (\sum_{k=1}^{n} 2k is 2k summed; + ends it).
  int big_operator(Op op) {
    expect('_');
    expect('{');
    Tok index = next();
    // \sum_{i=1}: i is the index here, not the imaginary unit (nor e Euler's number).
    if (index.t == T::kConst && (index.konst == Op::kI || index.konst == Op::kE))
      index = named(T::kVar, index.konst == Op::kI ? "i" : "e");
    if (index.t != T::kVar || peek().t != T::kRel || peek().rel != Rel::kEq) throw ParseFail{};
    ++pos_;
    size_t vars_before = e_->vars.size();
    int lower = sum();
    expect('}');
    expect('^');
    int upper = is_char('{') ? group() : primary();
    for (size_t k = vars_before; k < e_->vars.size(); ++k) e_->integer_vars.push_back(e_->vars[k]);
    auto it = std::find(e_->vars.begin(), e_->vars.end(), index.s);
    int var = static_cast<int>(it - e_->vars.begin());
    if (it == e_->vars.end()) e_->vars.push_back(index.s);
    indices_.push_back(index.s);
    int body = term();
    indices_.pop_back();
    Node n = make_node(op);
    n.a = body;
    n.b = lower;
    n.c = upper;
    n.var = var;
    return add(std::move(n));
  }

  // \sin x, \sin(2x), \sin^2 x, \log_2 8, \ln|x|.
  int function(const std::string& name) {
    int base = -1, power_of = -1;
    if (is_char('_')) {
      if (name != "log") throw ParseFail{};
      ++pos_;
      base = is_char('{') ? group() : primary();
    }
    if (is_char('^')) {
      ++pos_;
      power_of = exponent();
    }
    int arg;
    if (is_char('(')) {
      arg = primary();
    } else {
      // An unbracketed argument runs over a product: \sin 2x = sin(2x), but
      // \sin x \cos x is sin(x) cos(x).
      arg = power();
      while (starts_primary() && peek().t != T::kFunc) arg = binary(Op::kMul, arg, power());
    }
    int f;
    if (name == "log" || name == "ln") {
      f = binary(Op::kLog, arg, base);
    } else {
      Node n = make_node(Op::kFunc);
      n.a = arg;
      n.func = name;
      f = add(std::move(n));
    }
    return power_of >= 0 ? binary(Op::kPow, f, power_of) : f;
  }

  // "0.1(6)" (from 0.1\overline{6}) = (0.16 - 0.1) / (1 - 10^-1) = 1/6, exactly:
  // (IFR - IF) / (10^|F| (10^|R| - 1)) for integer part I, fixed decimals F
  // and the repeating period R.
  static Number parse_repeating(const std::string& text) {
    size_t dot = text.find('.'), open = text.find('(');
    std::string i = text.substr(0, dot), f = text.substr(dot + 1, open - dot - 1);
    std::string r = text.substr(open + 1, text.size() - open - 2);
    if (i.size() + f.size() + r.size() > 17) throw ParseFail{};  // int64 bound
    auto num = [](const std::string& d) { return d.empty() ? int64_t{0} : std::stoll(d); };
    int64_t p10f = 1, p10r = 1;
    for (size_t k = 0; k < f.size(); ++k) p10f *= 10;
    for (size_t k = 0; k < r.size(); ++k) p10r *= 10;
    int64_t n = num(i + f + r) - num(i + f), d = p10f * (p10r - 1), g = std::gcd(n, d);
    Number v;
    v.exact = true;
    v.n = n / g;
    v.d = d / g;
    v.z = static_cast<double>(v.n) / static_cast<double>(v.d);
    return v;
  }

  static Number parse_number(const std::string& digits) {
    if (digits.find('(') != std::string::npos) return parse_repeating(digits);
    Number v;
    v.z = std::strtod(digits.c_str(), nullptr);
    size_t dot = digits.find('.');
    std::string whole =
        dot == std::string::npos ? digits : digits.substr(0, dot) + digits.substr(dot + 1);
    size_t decimals = dot == std::string::npos ? 0 : digits.size() - dot - 1;
    whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size() - 1));
    if (dot != std::string::npos) v.digits = static_cast<int>(whole.size());
    if (whole.size() <= 18 && decimals <= 18) {  // fits int64 with its power of ten
      int64_t n = std::stoll(whole), d = 1;
      for (size_t k = 0; k < decimals; ++k) d *= 10;
      int64_t g = std::gcd(n, d);
      v.exact = true;
      v.n = n / g;
      v.d = d / g;
    }
    return v;
  }
};

// ---- evaluation -------------------------------------------------------------

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Number inexact(std::complex<double> z) {
  Number v;
  v.z = z;
  return v;
}

Number exact(__int128 n, __int128 d) {
  if (d == 0) return inexact({kNaN, kNaN});
  if (d < 0) n = -n, d = -d;
  __int128 a = n < 0 ? -n : n, b = d;
  while (b) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  if (a > 1) n /= a, d /= a;
  Number v;
  v.z = static_cast<double>(n) / static_cast<double>(d);
  const __int128 kMax = INT64_MAX;
  if (n <= kMax && n >= -kMax && d <= kMax) {
    v.exact = true;
    v.n = static_cast<int64_t>(n);
    v.d = static_cast<int64_t>(d);
  }
  return v;
}

bool is_real(const Number& v) {
  return v.z.imag() == 0.0;
}

bool exact_int(const Number& v, int64_t lo, int64_t hi) {
  return v.exact && v.d == 1 && v.n >= lo && v.n <= hi;
}

int64_t isqrt_exact(int64_t x) {  // -1 unless x is a perfect square
  if (x < 0) return -1;
  int64_t r = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(x))));
  for (int64_t c = std::max<int64_t>(0, r - 1); c <= r + 1; ++c)
    if (static_cast<__int128>(c) * c == x) return c;
  return -1;
}

// A non-exact power that underflows to 0 or overflows to infinity from finite
// non-zero inputs has no usable value: 2^{-1000000} is not 0.
Number checked(const Number& b, Number v) {
  double m = std::abs(v.z);
  if (b.z != std::complex<double>(0.0) && std::isfinite(std::abs(b.z)) &&
      (m == 0.0 || !std::isfinite(m)))
    return inexact({kNaN, kNaN});
  return v;
}

Number power_unchecked(const Number& b, const Number& e);

Number power(const Number& b, const Number& e) {
  Number v = power_unchecked(b, e);
  return v.exact ? v : checked(b, v);
}

Number power_unchecked(const Number& b, const Number& e) {
  if (b.exact && exact_int(e, -64, 64)) {
    __int128 n = 1, d = 1;
    bool ok = true;
    for (int64_t k = 0; k < std::abs(e.n) && ok; ++k) {
      n *= b.n;
      d *= b.d;
      ok = n < INT64_MAX && n > -INT64_MAX && d < INT64_MAX;
    }
    if (ok) return e.n >= 0 ? exact(n, d) : exact(d, n);
  }
  if (is_real(b) && is_real(e)) {
    double x = b.z.real(), y = e.z.real();
    if (x >= 0) return inexact(std::pow(x, y));
    // A real odd root of a negative number, as people mean (-8)^(1/3) = -2.
    if (e.exact && e.d % 2 == 1) return inexact((e.n % 2 ? -1.0 : 1.0) * std::pow(-x, y));
  }
  return inexact(std::pow(b.z, e.z));
}

Number root(const Number& x, const Number& index) {
  if (exact_int(index, 2, 2) && x.exact) {
    int64_t rn = isqrt_exact(x.n), rd = isqrt_exact(x.d);
    if (rn >= 0 && rd >= 0) return exact(rn, rd);
  }
  if (!index.exact || index.n == 0) return inexact({kNaN, kNaN});
  Number inv = exact(index.d, index.n);
  if (is_real(x) && x.z.real() < 0 && index.n % 2 == 0) return inexact(std::pow(x.z, inv.z));
  return power(x, inv);
}

Number apply(const std::string& f, const Number& x) {
  std::complex<double> z = x.z;
  bool real = is_real(x);
  double r = z.real();
  if (f == "sin") return inexact(real ? std::sin(r) : std::sin(z));
  if (f == "cos") return inexact(real ? std::cos(r) : std::cos(z));
  if (f == "tan") return inexact(real ? std::tan(r) : std::tan(z));
  if (f == "cot") return inexact(1.0 / (real ? std::tan(r) : std::tan(z)));
  if (f == "sec") return inexact(1.0 / (real ? std::cos(r) : std::cos(z)));
  if (f == "csc") return inexact(1.0 / (real ? std::sin(r) : std::sin(z)));
  if (f == "arcsin") return inexact(real && std::abs(r) <= 1 ? std::asin(r) : std::asin(z));
  if (f == "arccos") return inexact(real && std::abs(r) <= 1 ? std::acos(r) : std::acos(z));
  if (f == "arctan") return inexact(real ? std::atan(r) : std::atan(z));
  if (f == "sinh") return inexact(std::sinh(z));
  if (f == "cosh") return inexact(std::cosh(z));
  if (f == "tanh") return inexact(std::tanh(z));
  if (f == "exp") return inexact(real ? std::exp(r) : std::exp(z));
  if (f == "log10") return inexact(real && r > 0 ? std::log10(r) : std::log10(z));
  return inexact({kNaN, kNaN});
}

Number log_of(const Number& x) {
  if (is_real(x) && x.z.real() > 0) return inexact(std::log(x.z.real()));
  return inexact(std::log(x.z));
}

}  // namespace

bool uses_vars(const Expr& e, int root) {
  const Node& n = e.nodes[root];
  if (n.op == Op::kVar) return true;
  return (n.a >= 0 && uses_vars(e, n.a)) || (n.b >= 0 && uses_vars(e, n.b)) ||
         (n.c >= 0 && uses_vars(e, n.c));
}

bool parse_expr(const std::string& s, Expr* out) {
  *out = Expr{};
  if (s.empty() || s.size() > kMaxExprBytes) return false;
  try {
    Parser(lex(brace_arguments(s)), out).parse();
    return true;
  } catch (const ParseFail&) {
    return false;
  } catch (const std::exception&) {  // std::stoll range, bad_alloc: still just "not parsed"
    return false;
  }
}

namespace {

// `v` as an integer of at most kMaxSumTerms in magnitude, exact or not.
bool integer_value(const Number& v, int64_t* out) {
  double x = v.z.real();
  if (v.z.imag() != 0.0 || !(std::abs(x) <= static_cast<double>(kMaxSumTerms)) ||
      x != std::round(x))
    return false;
  *out = static_cast<int64_t>(x);
  return true;
}

// + - * / on two numbers: exact while both are.
Number arith(Op op, const Number& a, const Number& b) {
  if (a.exact && b.exact) {
    __int128 an = a.n, ad = a.d, bn = b.n, bd = b.d;
    switch (op) {
      case Op::kAdd:
        return exact(an * bd + bn * ad, ad * bd);
      case Op::kSub:
        return exact(an * bd - bn * ad, ad * bd);
      case Op::kMul:
        return exact(an * bn, ad * bd);
      default:
        return exact(an * bd, ad * bn);
    }
  }
  switch (op) {
    case Op::kAdd:
      return inexact(a.z + b.z);
    case Op::kSub:
      return inexact(a.z - b.z);
    case Op::kMul:
      return inexact(a.z * b.z);
    default:
      if (b.z == std::complex<double>(0.0)) return inexact({kNaN, kNaN});
      return inexact(a.z / b.z);
  }
}

// `values` holds every variable's value; a sum sets its index variable in it
// term by term. `budget` is the number of sum terms left.
Number eval(const Expr& e, int root_index, std::vector<std::complex<double>>& values,
            int64_t& budget) {
  const Node& n = e.nodes[root_index];
  auto at = [&](int i) { return eval(e, i, values, budget); };
  switch (n.op) {
    case Op::kNum:
      return n.value;
    case Op::kVar:
      return inexact(values[n.var]);
    case Op::kPi:
      return inexact(M_PI);
    case Op::kE:
      return inexact(M_E);
    case Op::kI:
      return inexact({0.0, 1.0});
    case Op::kInf:
      return inexact(std::numeric_limits<double>::infinity());
    case Op::kNeg: {
      Number a = at(n.a);
      if (a.exact) {
        Number neg = exact(-static_cast<__int128>(a.n), a.d);
        neg.digits = a.digits;  // "-0.0833333333333333" is still a literal
        return neg;
      }
      return inexact({-a.z.real(), -a.z.imag()});  // not 0 - z: keeps -inf finite-signed
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
      return arith(n.op, at(n.a), at(n.b));
    case Op::kSum:
    case Op::kProd: {
      int64_t lo = 0, hi = 0;  // the bounds are integers (a bound variable takes integer points)
      if (!integer_value(at(n.b), &lo) || !integer_value(at(n.c), &hi))
        return inexact({kNaN, kNaN});
      Op combine = n.op == Op::kSum ? Op::kAdd : Op::kMul;
      Number acc = exact(n.op == Op::kSum ? 0 : 1, 1);
      std::complex<double> saved = values[n.var];
      for (int64_t k = lo; k <= hi; ++k) {
        if (--budget < 0) {
          acc = inexact({kNaN, kNaN});
          break;
        }
        values[n.var] = static_cast<double>(k);
        acc = arith(combine, acc, at(n.a));
      }
      values[n.var] = saved;
      return acc;
    }
    case Op::kPow:
      return power(at(n.a), at(n.b));
    case Op::kRoot:
      return root(at(n.a), n.b >= 0 ? at(n.b) : exact(2, 1));
    case Op::kFact: {
      Number a = at(n.a);
      if (!exact_int(a, 0, 20)) return inexact({kNaN, kNaN});  // 20! is the largest int64 factorial
      int64_t f = 1;
      for (int64_t k = 2; k <= a.n; ++k) f *= k;
      return exact(f, 1);
    }
    case Op::kBinom: {
      Number a = at(n.a), b = at(n.b);
      if (!exact_int(a, 0, 60) || !exact_int(b, 0, 60) || b.n > a.n) return inexact({kNaN, kNaN});
      __int128 c = 1;
      for (int64_t k = 1; k <= b.n; ++k) c = c * (a.n - b.n + k) / k;
      return exact(c, 1);
    }
    case Op::kAbs: {
      Number a = at(n.a);
      if (a.exact) return exact(a.n < 0 ? -static_cast<__int128>(a.n) : a.n, a.d);
      return inexact(std::abs(a.z));
    }
    case Op::kFunc:
      return apply(n.func, at(n.a));
    case Op::kLog: {
      Number x = log_of(at(n.a));
      if (n.b < 0) return x;
      Number b = log_of(at(n.b));
      return inexact(x.z / b.z);
    }
  }
  return inexact({kNaN, kNaN});
}

}  // namespace

Number evaluate(const Expr& e, int root, const std::vector<std::complex<double>>& values) {
  std::vector<std::complex<double>> vars = values;
  int64_t budget = kMaxSumTerms;
  return eval(e, root, vars, budget);
}

}  // namespace r1::math
