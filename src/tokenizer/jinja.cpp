// Jinja2 for chat templates: lexer (with transformers' whitespace settings),
// expression parser (Jinja's precedence: or < and < not < compare < + - <
// ~ < * / // % < unary < postfix/filters/tests), statement tree, evaluator.
#include "tokenizer/jinja.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1::jinja {

namespace {

using json = nlohmann::ordered_json;

// ---------------------------------------------------------------- values

struct Value {
  json j;
  bool undefined = false;
  static Value undef() {
    Value v;
    v.undefined = true;
    return v;
  }
};

Value val(json j) {
  return Value{std::move(j), false};
}

[[noreturn]] void error_at(int line, const std::string& msg) {
  fail("chat template line ", line, ": ", msg);
}

bool truthy(const Value& v) {
  if (v.undefined) return false;
  const json& j = v.j;
  switch (j.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return j.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return j.get<int64_t>() != 0;
    case json::value_t::number_float:
      return j.get<double>() != 0.0;
    case json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !j.empty();
    default:
      return false;
  }
}

std::string python_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string python_quote(const std::string& s) {
  const char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + q;
}

// Python's repr() of a JSON value (what str() gives inside lists/dicts).
std::string python_repr(const json& j);

// Python's str(): what {{ value }} prints.
std::string to_str(const Value& v) {
  if (v.undefined) return "";
  const json& j = v.j;
  switch (j.type()) {
    case json::value_t::string:
      return j.get<std::string>();
    case json::value_t::null:
      return "None";
    case json::value_t::boolean:
      return j.get<bool>() ? "True" : "False";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return std::to_string(j.get<int64_t>());
    case json::value_t::number_float:
      return python_float(j.get<double>());
    default:
      return python_repr(j);
  }
}

std::string python_repr(const json& j) {
  if (j.is_string()) return python_quote(j.get<std::string>());
  if (j.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + python_repr(j[i]);
    return out + "]";
  }
  if (j.is_object()) {
    std::string out = "{";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out += (first ? "" : ", ") + python_quote(it.key()) + ": " + python_repr(it.value());
      first = false;
    }
    return out + "}";
  }
  return to_str(val(j));
}

// json.dumps(x, ensure_ascii=False[, indent=n]) exactly as Python writes it.
void dumps(const json& j, int indent, int depth, std::string& out) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  switch (j.type()) {
    case json::value_t::string: {
      out += '"';
      for (unsigned char c : j.get_ref<const std::string&>()) {
        switch (c) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          default:
            if (c < 0x20) {
              char buf[8];
              std::snprintf(buf, sizeof(buf), "\\u%04x", c);
              out += buf;
            } else {
              out += static_cast<char>(c);
            }
        }
      }
      out += '"';
      return;
    }
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_float: {
      const double d = j.get<double>();
      out += std::isnan(d)   ? "NaN"
             : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                             : python_float(d);
      return;
    }
    case json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(depth + 1);
        dumps(j[i], indent, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += ']';
      return;
    }
    case json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += indent >= 0 ? "," : ", ";
        first = false;
        if (indent >= 0) newline(depth + 1);
        dumps(json(it.key()), indent, depth + 1, out);
        out += ": ";
        dumps(it.value(), indent, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += '}';
      return;
    }
    default:
      out += j.dump();
      return;
  }
}

// --------------------------------------------------------- string helpers

std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> cps;
  size_t i = 0;
  while (i < s.size()) {
    if (utf8::valid_length(s, i) == 0) {
      cps.push_back(0xFFFD);
      ++i;
    } else {
      cps.push_back(utf8::next(s, i));
    }
  }
  return cps;
}

std::string from_code_points(const std::vector<uint32_t>& cps, size_t b, size_t e) {
  std::string out;
  for (size_t i = b; i < e; ++i) utf8::append(out, cps[i]);
  return out;
}

bool is_python_space(uint32_t c) {
  return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// str.strip / lstrip / rstrip; `chars` null = whitespace.
std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  const auto cps = code_points(s);
  std::vector<uint32_t> set;
  if (chars) set = code_points(*chars);
  auto strip_me = [&](uint32_t c) {
    return chars ? std::find(set.begin(), set.end(), c) != set.end() : is_python_space(c);
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_me(cps[b])) ++b;
  if (right)
    while (e > b && strip_me(cps[e - 1])) --e;
  return from_code_points(cps, b, e);
}

json py_split(const std::string& s, const Value* sep, int64_t maxsplit) {
  json out = json::array();
  if (!sep || sep->undefined || sep->j.is_null()) {  // runs of whitespace
    const auto cps = code_points(s);
    size_t i = 0;
    int64_t splits = 0;
    while (i < cps.size()) {
      while (i < cps.size() && is_python_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      if (maxsplit >= 0 && splits >= maxsplit) {
        size_t e = cps.size();
        while (e > i && is_python_space(cps[e - 1])) --e;
        out.push_back(from_code_points(cps, i, e));
        break;
      }
      size_t j = i;
      while (j < cps.size() && !is_python_space(cps[j])) ++j;
      out.push_back(from_code_points(cps, i, j));
      ++splits;
      i = j;
    }
    return out;
  }
  const std::string d = sep->j.get<std::string>();
  if (d.empty()) fail("str.split: empty separator");
  size_t start = 0;
  int64_t splits = 0;
  while (true) {
    const size_t p = s.find(d, start);
    if (p == std::string::npos || (maxsplit >= 0 && splits >= maxsplit)) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, p - start));
    start = p + d.size();
    ++splits;
  }
  return out;
}

std::string title_case(const std::string& s) {
  std::string out;
  bool prev_alpha = false;
  for (char c : s) {
    const bool alpha = std::isalpha(static_cast<unsigned char>(c));
    out += alpha ? static_cast<char>(prev_alpha ? std::tolower(c) : std::toupper(c)) : c;
    prev_alpha = alpha;
  }
  return out;
}

// str.upper() / str.lower(): full Unicode case mapping (ß -> SS, final sigma).
std::string unicode_case(const std::string& s, bool upper) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string r = s;
    for (char& c : r)
      c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                  : std::tolower(static_cast<unsigned char>(c)));
    return r;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  if (upper)
    u.toUpper(icu::Locale::getRoot());
  else
    u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

// -------------------------------------------------------------- lexer

enum class Tok { kName, kInt, kFloat, kString, kOp, kEnd };

struct Token {
  Tok kind;
  std::string text;
};

std::vector<Token> lex_expression(const std::string& s, int line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Tok::kName, s.substr(i, j - i)});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      bool is_float = false;
      if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
        is_float = true;
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      }
      std::string num = s.substr(i, j - i);
      num.erase(std::remove(num.begin(), num.end(), '_'), num.end());
      out.push_back({is_float ? Tok::kFloat : Tok::kInt, num});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string str;
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[++j];
          switch (e) {
            case 'n':
              str += '\n';
              break;
            case 't':
              str += '\t';
              break;
            case 'r':
              str += '\r';
              break;
            case '\\':
              str += '\\';
              break;
            case '\'':
              str += '\'';
              break;
            case '"':
              str += '"';
              break;
            case '0':
              str += '\0';
              break;
            case 'u':
            case 'x': {
              const size_t n = e == 'u' ? 4 : 2;
              if (j + n >= s.size()) error_at(line, "bad \\" + std::string(1, e) + " escape");
              utf8::append(str, static_cast<uint32_t>(std::stoul(s.substr(j + 1, n), nullptr, 16)));
              j += n;
              break;
            }
            default:
              str += '\\';
              str += e;
          }
          ++j;
        } else {
          str += s[j++];
        }
      }
      if (j >= s.size()) error_at(line, "unterminated string");
      out.push_back({Tok::kString, str});
      i = j + 1;
    } else {
      static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "(", ")", "[",
                                   "]",  "{",  "}",  ".",  ",",  ":",  "|", "~", "+",
                                   "-",  "*",  "/",  "%",  "<",  ">",  "="};
      bool found = false;
      for (const char* op : kOps) {
        const size_t n = std::strlen(op);
        if (s.compare(i, n, op) == 0) {
          out.push_back({Tok::kOp, op});
          i += n;
          found = true;
          break;
        }
      }
      if (!found) error_at(line, cat("unexpected character '", c, "' in expression"));
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

// ------------------------------------------------------------ expressions

struct Expr {
  enum Kind {
    kLiteral,
    kName,
    kList,
    kDict,
    kAttr,
    kItem,
    kSlice,
    kCall,
    kFilter,
    kTest,
    kUnary,
    kBinary,
    kAnd,
    kOr,
    kNot,
    kTernary,
    kCompare
  } kind;
  json literal;
  std::string name;  // variable / attribute / filter / test / operator
  std::vector<std::unique_ptr<Expr>> args;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  bool negated = false;          // "is not"
  std::vector<std::string> ops;  // kCompare: a < b <= c chains, as in Python
  int line = 0;
};

using ExprPtr = std::unique_ptr<Expr>;

ExprPtr make(Expr::Kind k, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->line = line;
  return e;
}

class ExprParser {
 public:
  ExprParser(std::vector<Token> toks, int line) : t_(std::move(toks)), line_(line) {}

  ExprPtr parse_expression() { return ternary(); }
  bool at_end() const { return t_[p_].kind == Tok::kEnd; }
  bool peek_name(const char* n) const { return t_[p_].kind == Tok::kName && t_[p_].text == n; }
  bool peek_op(const char* o) const { return t_[p_].kind == Tok::kOp && t_[p_].text == o; }
  bool accept_name(const char* n) {
    if (!peek_name(n)) return false;
    ++p_;
    return true;
  }
  bool accept_op(const char* o) {
    if (!peek_op(o)) return false;
    ++p_;
    return true;
  }
  void expect_op(const char* o) {
    if (!accept_op(o)) error_at(line_, cat("expected '", o, "' near '", t_[p_].text, "'"));
  }
  std::string expect_name() {
    if (t_[p_].kind != Tok::kName) error_at(line_, cat("expected a name near '", t_[p_].text, "'"));
    return t_[p_++].text;
  }
  void expect_end() {
    if (!at_end()) error_at(line_, cat("unexpected '", t_[p_].text, "'"));
  }

  // Without the ternary: "for x in y if cond" needs the bare or-expression.
  ExprPtr or_expr() {
    auto left = and_expr();
    while (accept_name("or")) {
      auto e = make(Expr::kOr, line_);
      e->args.push_back(std::move(left));
      e->args.push_back(and_expr());
      left = std::move(e);
    }
    return left;
  }

 private:
  ExprPtr ternary() {
    auto value = or_expr();
    if (!accept_name("if")) return value;
    auto e = make(Expr::kTernary, line_);
    e->args.push_back(std::move(value));
    e->args.push_back(or_expr());
    e->args.push_back(accept_name("else") ? ternary() : nullptr);
    return e;
  }
  ExprPtr and_expr() {
    auto left = not_expr();
    while (accept_name("and")) {
      auto e = make(Expr::kAnd, line_);
      e->args.push_back(std::move(left));
      e->args.push_back(not_expr());
      left = std::move(e);
    }
    return left;
  }
  ExprPtr not_expr() {
    if (accept_name("not")) {
      auto e = make(Expr::kNot, line_);
      e->args.push_back(not_expr());
      return e;
    }
    return compare();
  }
  ExprPtr compare() {
    auto first = math1();
    auto chain = make(Expr::kCompare, line_);
    chain->args.push_back(std::move(first));
    while (true) {
      std::string op;
      for (const char* o : {"==", "!=", "<=", ">=", "<", ">"})
        if (accept_op(o)) {
          op = o;
          break;
        }
      if (op.empty() && accept_name("in")) op = "in";
      if (op.empty() && peek_name("not") && t_[p_ + 1].kind == Tok::kName &&
          t_[p_ + 1].text == "in") {
        p_ += 2;
        op = "not in";
      }
      if (op.empty()) break;
      chain->ops.push_back(op);
      chain->args.push_back(math1());
    }
    if (chain->ops.empty()) return std::move(chain->args[0]);
    if (chain->ops.size() > 1) return chain;
    auto e = make(Expr::kBinary, line_);
    e->name = chain->ops[0];
    e->args = std::move(chain->args);
    return e;
  }
  ExprPtr binary_chain(const std::vector<const char*>& ops, ExprPtr (ExprParser::*next)()) {
    auto left = (this->*next)();
    while (true) {
      std::string op;
      for (const char* o : ops)
        if (accept_op(o)) {
          op = o;
          break;
        }
      if (op.empty()) return left;
      auto e = make(Expr::kBinary, line_);
      e->name = op;
      e->args.push_back(std::move(left));
      e->args.push_back((this->*next)());
      left = std::move(e);
    }
  }
  ExprPtr math1() { return binary_chain({"+", "-"}, &ExprParser::concat); }
  ExprPtr concat() { return binary_chain({"~"}, &ExprParser::math2); }
  ExprPtr math2() { return binary_chain({"//", "/", "%", "*"}, &ExprParser::power); }
  ExprPtr power() { return binary_chain({"**"}, &ExprParser::unary); }
  ExprPtr unary() {
    if (accept_op("-") || accept_op("+")) {
      auto e = make(Expr::kUnary, line_);
      e->name = t_[p_ - 1].text;
      e->args.push_back(unary());
      return e;
    }
    return filters(postfix(primary()));
  }
  void call_args(Expr& e) {
    if (accept_op(")")) return;
    do {
      if (t_[p_].kind == Tok::kName && t_[p_ + 1].kind == Tok::kOp && t_[p_ + 1].text == "=") {
        std::string k = t_[p_].text;
        p_ += 2;
        e.kwargs.emplace_back(k, parse_expression());
      } else {
        e.args.push_back(parse_expression());
      }
    } while (accept_op(","));
    expect_op(")");
  }
  ExprPtr primary() {
    const Token t = t_[p_++];
    if (t.kind == Tok::kString) {
      std::string s = t.text;
      while (t_[p_].kind == Tok::kString) s += t_[p_++].text;  // adjacent literals
      auto e = make(Expr::kLiteral, line_);
      e->literal = s;
      return e;
    }
    if (t.kind == Tok::kInt || t.kind == Tok::kFloat) {
      auto e = make(Expr::kLiteral, line_);
      if (t.kind == Tok::kInt)
        e->literal = std::stoll(t.text);
      else
        e->literal = std::stod(t.text);
      return e;
    }
    if (t.kind == Tok::kName) {
      auto e = make(Expr::kLiteral, line_);
      if (t.text == "true" || t.text == "True")
        e->literal = true;
      else if (t.text == "false" || t.text == "False")
        e->literal = false;
      else if (t.text == "none" || t.text == "None")
        e->literal = nullptr;
      else {
        e->kind = Expr::kName;
        e->name = t.text;
      }
      return e;
    }
    if (t.kind == Tok::kOp && t.text == "(") {
      auto first = parse_expression();
      if (accept_op(")")) return first;
      auto e = make(Expr::kList, line_);  // a tuple acts as a list
      e->args.push_back(std::move(first));
      while (accept_op(",")) {
        if (peek_op(")")) break;
        e->args.push_back(parse_expression());
      }
      expect_op(")");
      return e;
    }
    if (t.kind == Tok::kOp && t.text == "[") {
      auto e = make(Expr::kList, line_);
      if (!accept_op("]")) {
        do {
          if (peek_op("]")) break;
          e->args.push_back(parse_expression());
        } while (accept_op(","));
        expect_op("]");
      }
      return e;
    }
    if (t.kind == Tok::kOp && t.text == "{") {
      auto e = make(Expr::kDict, line_);
      if (!accept_op("}")) {
        do {
          if (peek_op("}")) break;
          e->args.push_back(parse_expression());
          expect_op(":");
          e->args.push_back(parse_expression());
        } while (accept_op(","));
        expect_op("}");
      }
      return e;
    }
    error_at(line_, cat("unexpected '", t.text, "' in expression"));
  }
  ExprPtr postfix(ExprPtr e) {
    while (true) {
      if (accept_op(".")) {
        auto a = make(Expr::kAttr, line_);
        a->name = expect_name();
        a->args.push_back(std::move(e));
        e = std::move(a);
      } else if (accept_op("[")) {
        ExprPtr parts[3];
        bool slice = false;
        if (!peek_op(":")) parts[0] = parse_expression();
        for (int k = 1; k < 3 && accept_op(":"); ++k) {
          slice = true;
          if (!peek_op(":") && !peek_op("]")) parts[k] = parse_expression();
        }
        expect_op("]");
        auto s = make(slice ? Expr::kSlice : Expr::kItem, line_);
        s->args.push_back(std::move(e));
        for (auto& p : parts) s->args.push_back(std::move(p));
        e = std::move(s);
      } else if (accept_op("(")) {
        auto c = make(Expr::kCall, line_);
        c->args.push_back(std::move(e));
        call_args(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }
  ExprPtr filters(ExprPtr e) {
    while (true) {
      if (accept_op("|")) {
        auto f = make(Expr::kFilter, line_);
        f->name = expect_name();
        f->args.push_back(std::move(e));
        if (accept_op("(")) call_args(*f);
        e = std::move(f);
      } else if (accept_name("is")) {
        auto t = make(Expr::kTest, line_);
        t->negated = accept_name("not");
        t->name = t_[p_].kind == Tok::kName ? expect_name() : "";
        if (t->name.empty()) {  // "is none" arrives as a literal name token above
          error_at(line_, "expected a test name after 'is'");
        }
        t->args.push_back(std::move(e));
        if (accept_op("(")) {
          call_args(*t);
        } else if (t_[p_].kind == Tok::kString || t_[p_].kind == Tok::kInt ||
                   t_[p_].kind == Tok::kFloat) {
          t->args.push_back(primary());  // "is divisibleby 3", "is equalto 'x'"
        }
        e = std::move(t);
      } else {
        return e;
      }
    }
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  int line_;
};

// ------------------------------------------------------------- statements

struct Stmt {
  enum Kind { kText, kOutput, kIf, kFor, kSet, kBreak, kContinue, kBody } kind;
  std::string text;
  ExprPtr expr;  // output value, set value, for iterable
  std::vector<std::pair<ExprPtr, std::vector<std::unique_ptr<Stmt>>>> branches;  // if
  std::vector<std::unique_ptr<Stmt>> body, else_body;
  std::vector<std::string> targets;  // for targets, or set target (name[, attr])
  ExprPtr filter;                    // for ... if cond
  int line = 0;
};

using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct RawTag {
  enum Kind { kText, kOutput, kStmt } kind;
  std::string text;
  int line;
};

bool all_blank(const std::string& s, size_t from) {
  for (size_t i = from; i < s.size(); ++i)
    if (s[i] != ' ' && s[i] != '\t') return false;
  return true;
}

// Finds the tag's end, skipping string literals.
size_t find_close(const std::string& src, size_t from, const char* close) {
  char quote = 0;
  for (size_t i = from; i + 1 < src.size(); ++i) {
    if (quote) {
      if (src[i] == '\\')
        ++i;
      else if (src[i] == quote)
        quote = 0;
    } else if (src[i] == '\'' || src[i] == '"') {
      quote = src[i];
    } else if (src[i] == close[0] && src[i + 1] == close[1]) {
      return i;
    }
  }
  return std::string::npos;
}

// Splits the source into text and tags, applying {%- -%}, trim_blocks and
// lstrip_blocks as transformers' Jinja environment does.
std::vector<RawTag> split_tags(std::string src) {
  if (!src.empty() && src.back() == '\n') src.pop_back();  // keep_trailing_newline=False
  std::vector<RawTag> out;
  size_t pos = 0;
  int line = 1;
  bool strip_next = false;    // the previous tag ended with "-"
  bool line_starting = true;  // the previous tag ended a line (for lstrip_blocks)
  auto count_lines = [](const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  };
  while (pos <= src.size()) {
    size_t open = src.find('{', pos);
    while (open != std::string::npos && open + 1 < src.size() && src[open + 1] != '{' &&
           src[open + 1] != '%' && src[open + 1] != '#')
      open = src.find('{', open + 1);
    if (open != std::string::npos && open + 1 >= src.size()) open = std::string::npos;
    std::string text = src.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    const int text_line = line;
    line += count_lines(text);
    if (strip_next) {
      size_t b = 0;
      while (b < text.size() && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
      text.erase(0, b);
    }
    if (open == std::string::npos) {
      if (!text.empty()) out.push_back({RawTag::kText, text, text_line});
      break;
    }
    const char type = src[open + 1];
    const bool minus_left = open + 2 < src.size() && src[open + 2] == '-';
    if (minus_left) {
      size_t e = text.size();
      while (e > 0 && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
      text.resize(e);
    } else if (type != '{' && !(open + 2 < src.size() && src[open + 2] == '+')) {
      const size_t nl = text.rfind('\n');
      const size_t from = nl == std::string::npos ? 0 : nl + 1;
      if ((nl != std::string::npos || line_starting) && all_blank(text, from)) text.resize(from);
    }
    if (!text.empty()) out.push_back({RawTag::kText, text, text_line});
    const char* close = type == '{' ? "}}" : type == '%' ? "%}" : "#}";
    const size_t end = find_close(src, open + 2, close);
    if (end == std::string::npos) error_at(line, cat("unclosed '{", type, "'"));
    std::string inner = src.substr(open + 2, end - open - 2);
    line += count_lines(inner);
    const bool minus_right = !inner.empty() && inner.back() == '-';
    if (!inner.empty() && (inner[0] == '-' || inner[0] == '+')) inner.erase(0, 1);
    if (minus_right) inner.pop_back();
    pos = end + 2;
    strip_next = minus_right;
    line_starting = false;
    if (type != '{' && !minus_right && pos < src.size() && src[pos] == '\n') {  // trim_blocks
      ++pos;
      ++line;
      line_starting = true;
    }
    if (type == '{') out.push_back({RawTag::kOutput, inner, line});
    if (type == '%') out.push_back({RawTag::kStmt, inner, line});
    if (pos >= src.size()) break;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<RawTag> tags) : tags_(std::move(tags)) {}

  Block parse_all() {
    Block b = parse_block({});
    if (i_ < tags_.size()) error_at(tags_[i_].line, "unexpected '" + keyword(tags_[i_]) + "'");
    return b;
  }

 private:
  static std::string keyword(const RawTag& t) {
    size_t b = t.text.find_first_not_of(" \t\n");
    if (b == std::string::npos) return "";
    size_t e = b;
    while (e < t.text.size() &&
           (std::isalnum(static_cast<unsigned char>(t.text[e])) || t.text[e] == '_'))
      ++e;
    return t.text.substr(b, e - b);
  }

  // Parses until one of `enders` (left unconsumed).
  Block parse_block(const std::vector<std::string>& enders) {
    Block out;
    while (i_ < tags_.size()) {
      const RawTag& t = tags_[i_];
      if (t.kind == RawTag::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::kText;
        s->text = t.text;
        out.push_back(std::move(s));
        ++i_;
        continue;
      }
      if (t.kind == RawTag::kOutput) {
        ExprParser p(lex_expression(t.text, t.line), t.line);
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::kOutput;
        s->expr = p.parse_expression();
        p.expect_end();
        out.push_back(std::move(s));
        ++i_;
        continue;
      }
      const std::string kw = keyword(t);
      if (std::find(enders.begin(), enders.end(), kw) != enders.end()) return out;
      out.push_back(parse_statement(kw));
    }
    if (!enders.empty())
      error_at(tags_.empty() ? 0 : tags_.back().line, "missing {% " + enders.back() + " %}");
    return out;
  }

  StmtPtr parse_statement(const std::string& kw) {
    const RawTag& t = tags_[i_++];
    ExprParser p(lex_expression(t.text, t.line), t.line);
    p.expect_name();  // the keyword
    auto s = std::make_unique<Stmt>();
    s->line = t.line;
    if (kw == "if") {
      s->kind = Stmt::kIf;
      ExprPtr cond = p.parse_expression();
      p.expect_end();
      while (true) {
        Block body = parse_block({"elif", "else", "endif"});
        s->branches.emplace_back(std::move(cond), std::move(body));
        const RawTag& end = tags_[i_++];
        const std::string k = keyword(end);
        ExprParser q(lex_expression(end.text, end.line), end.line);
        q.expect_name();
        if (k == "elif") {
          cond = q.parse_expression();
          q.expect_end();
          continue;
        }
        q.expect_end();
        if (k == "else") {
          s->else_body = parse_block({"endif"});
          ++i_;
        }
        break;
      }
    } else if (kw == "for") {
      s->kind = Stmt::kFor;
      s->targets.push_back(p.expect_name());
      while (p.accept_op(",")) s->targets.push_back(p.expect_name());
      if (!p.accept_name("in")) error_at(t.line, "expected 'in' in for loop");
      s->expr = p.or_expr();
      if (p.accept_name("if")) s->filter = p.or_expr();
      if (p.accept_name("recursive")) error_at(t.line, "recursive loops are not supported");
      p.expect_end();
      s->body = parse_block({"else", "endfor"});
      if (keyword(tags_[i_]) == "else") {
        ++i_;
        s->else_body = parse_block({"endfor"});
      }
      ++i_;
    } else if (kw == "set") {
      s->kind = Stmt::kSet;
      s->targets.push_back(p.expect_name());
      if (p.accept_op(".")) s->targets.push_back(p.expect_name());
      if (!p.accept_op("=")) error_at(t.line, "block {% set %} (without '=') is not supported");
      s->expr = p.parse_expression();
      p.expect_end();
    } else if (kw == "break" || kw == "continue") {
      s->kind = kw == "break" ? Stmt::kBreak : Stmt::kContinue;
      p.expect_end();
    } else if (kw == "generation") {  // transformers' assistant-mask marker
      s->kind = Stmt::kBody;
      p.expect_end();
      s->body = parse_block({"endgeneration"});
      ++i_;
    } else {
      error_at(t.line,
               "the '" + kw + "' statement is not supported by r1cpp's chat template interpreter");
    }
    return s;
  }

  std::vector<RawTag> tags_;
  size_t i_ = 0;
};

// ------------------------------------------------------------- evaluator

struct LoopControl {
  bool is_break;
};

class Renderer {
 public:
  explicit Renderer(const json& context) { scopes_.push_back(vars_of(context)); }

  void run(const Block& block, std::string& out) {
    for (const auto& s : block) exec(*s, out);
  }

 private:
  using Scope = std::map<std::string, Value>;

  static Scope vars_of(const json& context) {
    Scope s;
    for (auto it = context.begin(); it != context.end(); ++it) s[it.key()] = val(it.value());
    return s;
  }

  Value* find_var(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }

  void exec(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case Stmt::kText:
        out += s.text;
        return;
      case Stmt::kOutput:
        out += to_str(eval(*s.expr));
        return;
      case Stmt::kBody:
        run(s.body, out);
        return;
      case Stmt::kBreak:
        throw LoopControl{true};
      case Stmt::kContinue:
        throw LoopControl{false};
      case Stmt::kIf:
        for (const auto& [cond, body] : s.branches)
          if (truthy(eval(*cond))) {
            run(body, out);
            return;
          }
        run(s.else_body, out);
        return;
      case Stmt::kSet: {
        Value v = eval(*s.expr);
        if (s.targets.size() == 1) {
          scopes_.back()[s.targets[0]] = v;
          return;
        }
        Value* ns = find_var(s.targets[0]);
        if (!ns || !ns->j.is_object())
          error_at(s.line, "'" + s.targets[0] + "' is not a namespace");
        ns->j[s.targets[1]] = v.j;
        return;
      }
      case Stmt::kFor:
        exec_for(s, out);
        return;
    }
  }

  void exec_for(const Stmt& s, std::string& out) {
    Value seq = eval(*s.expr);
    std::vector<json> items;
    if (seq.undefined || seq.j.is_null()) {
    } else if (seq.j.is_array()) {
      items.assign(seq.j.begin(), seq.j.end());
    } else if (seq.j.is_object()) {
      for (auto it = seq.j.begin(); it != seq.j.end(); ++it) items.push_back(it.key());
    } else if (seq.j.is_string()) {
      const auto cps = code_points(seq.j.get<std::string>());
      for (size_t i = 0; i < cps.size(); ++i) items.push_back(from_code_points(cps, i, i + 1));
    } else {
      error_at(s.line, "cannot loop over " + python_repr(seq.j));
    }
    auto bind = [&](Scope& scope, const json& item) {
      if (s.targets.size() == 1) {
        scope[s.targets[0]] = val(item);
        return;
      }
      if (!item.is_array() || item.size() != s.targets.size())
        error_at(s.line, "cannot unpack " + python_repr(item));
      for (size_t k = 0; k < s.targets.size(); ++k) scope[s.targets[k]] = val(item[k]);
    };
    if (s.filter) {  // "for x in y if cond" filters before loop.* is computed
      std::vector<json> kept;
      for (const auto& item : items) {
        scopes_.emplace_back();
        bind(scopes_.back(), item);
        const bool keep = truthy(eval(*s.filter));
        scopes_.pop_back();
        if (keep) kept.push_back(item);
      }
      items.swap(kept);
    }
    if (items.empty()) {
      run(s.else_body, out);
      return;
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      scopes_.emplace_back();
      bind(scopes_.back(), items[i]);
      json loop = {{"index0", i},           {"index", i + 1}, {"first", i == 0},
                   {"last", i == n - 1},    {"length", n},    {"revindex", n - i},
                   {"revindex0", n - i - 1}};
      if (i > 0) loop["previtem"] = items[i - 1];
      if (i + 1 < n) loop["nextitem"] = items[i + 1];
      scopes_.back()["loop"] = val(loop);
      bool stop = false;
      try {
        run(s.body, out);
      } catch (const LoopControl& c) {
        stop = c.is_break;
      }
      scopes_.pop_back();
      if (stop) break;
    }
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::kLiteral:
        return val(e.literal);
      case Expr::kName: {
        Value* v = find_var(e.name);
        if (v) return *v;
        static const char* kGlobals[] = {"raise_exception", "namespace", "range", "strftime_now",
                                         "dict"};
        for (const char* g : kGlobals)
          if (e.name == g) return val(json{{"__function__", g}});
        return Value::undef();
      }
      case Expr::kList: {
        json a = json::array();
        for (const auto& x : e.args) a.push_back(eval(*x).j);
        return val(a);
      }
      case Expr::kDict: {
        json o = json::object();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i]);
          if (!k.j.is_string()) error_at(e.line, "dict keys must be strings");
          o[k.j.get<std::string>()] = eval(*e.args[i + 1]).j;
        }
        return val(o);
      }
      case Expr::kAttr: {
        Value obj = eval(*e.args[0]);
        if (obj.undefined) error_at(e.line, "'" + e.name + "' of an undefined value");
        return get_item(obj, json(e.name), e.line);
      }
      case Expr::kItem: {
        Value obj = eval(*e.args[0]);
        if (obj.undefined) error_at(e.line, "subscript of an undefined value");
        return get_item(obj, eval(*e.args[1]).j, e.line);
      }
      case Expr::kSlice:
        return slice(e);
      case Expr::kCall:
        return call(e);
      case Expr::kFilter:
        return filter(e);
      case Expr::kTest: {
        const bool r = test(e);
        return val(e.negated ? !r : r);
      }
      case Expr::kUnary: {
        Value v = eval(*e.args[0]);
        if (!v.j.is_number()) error_at(e.line, "unary " + e.name + " needs a number");
        if (e.name == "+") return v;
        if (v.j.is_number_float()) return val(-v.j.get<double>());
        return val(-v.j.get<int64_t>());
      }
      case Expr::kNot:
        return val(!truthy(eval(*e.args[0])));
      case Expr::kAnd: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? eval(*e.args[1]) : a;
      }
      case Expr::kOr: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? a : eval(*e.args[1]);
      }
      case Expr::kTernary:
        if (truthy(eval(*e.args[1]))) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undef();
      case Expr::kBinary:
        return binary(e.name, eval(*e.args[0]), eval(*e.args[1]), e.line);
      case Expr::kCompare: {
        Value left = eval(*e.args[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1]);
          if (!truthy(binary(e.ops[i], left, right, e.line))) return val(false);
          left = right;
        }
        return val(true);
      }
    }
    return Value::undef();
  }

  Value get_item(const Value& obj, const json& key, int line) {
    const json& j = obj.j;
    if (j.is_object()) {
      if (!key.is_string()) return Value::undef();
      auto it = j.find(key.get<std::string>());
      return it == j.end() ? Value::undef() : val(*it);
    }
    if ((j.is_array() || j.is_string()) && key.is_number_integer()) {
      if (j.is_string()) {
        const auto cps = code_points(j.get<std::string>());
        int64_t i = key.get<int64_t>();
        if (i < 0) i += static_cast<int64_t>(cps.size());
        if (i < 0 || i >= static_cast<int64_t>(cps.size())) return Value::undef();
        return val(from_code_points(cps, i, i + 1));
      }
      int64_t i = key.get<int64_t>();
      if (i < 0) i += static_cast<int64_t>(j.size());
      if (i < 0 || i >= static_cast<int64_t>(j.size())) return Value::undef();
      return val(j[i]);
    }
    (void)line;
    return Value::undef();
  }

  Value slice(const Expr& e) {
    Value obj = eval(*e.args[0]);
    auto bound = [&](int k) -> std::optional<int64_t> {
      if (!e.args[k]) return std::nullopt;
      Value v = eval(*e.args[k]);
      if (v.j.is_null()) return std::nullopt;
      if (!v.j.is_number_integer()) error_at(e.line, "slice bounds must be integers");
      return v.j.get<int64_t>();
    };
    const auto start = bound(1), stop = bound(2), step_opt = bound(3);
    const int64_t step = step_opt.value_or(1);
    if (step == 0) error_at(e.line, "slice step cannot be zero");
    std::vector<json> items;
    const bool is_str = obj.j.is_string();
    std::vector<uint32_t> cps;
    if (is_str) {
      cps = code_points(obj.j.get<std::string>());
      for (size_t i = 0; i < cps.size(); ++i) items.push_back(static_cast<int64_t>(i));
    } else if (obj.j.is_array()) {
      items.assign(obj.j.begin(), obj.j.end());
    } else {
      error_at(e.line, "cannot slice " + python_repr(obj.j));
    }
    const int64_t n = static_cast<int64_t>(items.size());
    auto norm = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
      if (!v) return dflt;
      int64_t x = *v < 0 ? *v + n : *v;
      return std::max(lo, std::min(hi, x));
    };
    std::vector<json> picked;
    if (step > 0) {
      for (int64_t i = norm(start, 0, 0, n); i < norm(stop, n, 0, n); i += step)
        picked.push_back(items[i]);
    } else {
      for (int64_t i = norm(start, n - 1, -1, n - 1); i > norm(stop, -1, -1, n - 1); i += step)
        picked.push_back(items[i]);
    }
    if (is_str) {
      std::string s;
      for (const auto& p : picked) utf8::append(s, cps[p.get<int64_t>()]);
      return val(s);
    }
    return val(json(picked));
  }

  std::vector<Value> positional(const Expr& e, size_t skip) {
    std::vector<Value> out;
    for (size_t i = skip; i < e.args.size(); ++i) out.push_back(eval(*e.args[i]));
    return out;
  }

  const Expr* kwarg(const Expr& e, const char* name) {
    for (const auto& [k, v] : e.kwargs)
      if (k == name) return v.get();
    return nullptr;
  }

  Value call(const Expr& e) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::kAttr) {  // a method
      Value obj = eval(*callee.args[0]);
      if (obj.undefined) error_at(e.line, "method '" + callee.name + "' of an undefined value");
      return method(obj, callee.name, positional(e, 1), e);
    }
    Value f = eval(callee);
    if (!f.j.is_object() || !f.j.contains("__function__"))
      error_at(e.line, "'" + (callee.kind == Expr::kName ? callee.name : std::string("value")) +
                           "' is not a function r1cpp knows");
    const std::string name = f.j["__function__"];
    const auto args = positional(e, 1);
    if (name == "raise_exception")
      fail("chat template raised: ", args.empty() ? std::string() : to_str(args[0]));
    if (name == "namespace" || name == "dict") {
      json o = json::object();
      for (const auto& [k, v] : e.kwargs) o[k] = eval(*v).j;
      return val(o);
    }
    if (name == "range") {
      int64_t a = 0, b = 0, step = 1;
      if (args.size() == 1) b = args[0].j.get<int64_t>();
      if (args.size() >= 2) a = args[0].j.get<int64_t>(), b = args[1].j.get<int64_t>();
      if (args.size() == 3) step = args[2].j.get<int64_t>();
      if (step == 0) error_at(e.line, "range() step cannot be zero");
      json r = json::array();
      for (int64_t i = a; step > 0 ? i < b : i > b; i += step) r.push_back(i);
      return val(r);
    }
    if (name == "strftime_now") {
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[256];
      std::strftime(buf, sizeof(buf), args.empty() ? "" : to_str(args[0]).c_str(), &tm);
      return val(std::string(buf));
    }
    error_at(e.line, "unknown function " + name);
  }

  Value method(const Value& obj, const std::string& name, const std::vector<Value>& args,
               const Expr& e) {
    const json& j = obj.j;
    auto arg_str = [&](size_t i) -> std::string {
      if (i >= args.size() || !args[i].j.is_string())
        error_at(e.line, "str." + name + "() needs a string argument");
      return args[i].j.get<std::string>();
    };
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      if (name == "startswith" || name == "endswith") {
        std::vector<std::string> options;
        if (!args.empty() && args[0].j.is_array())
          for (const auto& x : args[0].j) options.push_back(x.get<std::string>());
        else
          options.push_back(arg_str(0));
        for (const auto& o : options) {
          if (name == "startswith" && s.compare(0, o.size(), o) == 0) return val(true);
          if (name == "endswith" && s.size() >= o.size() &&
              s.compare(s.size() - o.size(), o.size(), o) == 0)
            return val(true);
        }
        return val(false);
      }
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        std::string chars;
        const bool has = !args.empty() && !args[0].j.is_null();
        if (has) chars = arg_str(0);
        return val(py_strip(s, has ? &chars : nullptr, name != "rstrip", name != "lstrip"));
      }
      if (name == "split")
        return val(py_split(s, args.empty() ? nullptr : &args[0],
                            args.size() > 1 ? args[1].j.get<int64_t>() : -1));
      if (name == "upper" || name == "lower") return val(unicode_case(s, name == "upper"));
      if (name == "title") return val(title_case(s));
      if (name == "capitalize") {
        std::string r = unicode_case(s, false);
        if (!r.empty()) r[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r[0])));
        return val(r);
      }
      if (name == "replace") {
        const std::string a = arg_str(0), b = arg_str(1);
        if (a.empty()) error_at(e.line, "str.replace with an empty pattern");
        std::string r;
        size_t p = 0, q;
        while ((q = s.find(a, p)) != std::string::npos) {
          r += s.substr(p, q - p) + b;
          p = q + a.size();
        }
        return val(r + s.substr(p));
      }
      if (name == "find") {
        const size_t p = s.find(arg_str(0));
        return val(p == std::string::npos
                       ? int64_t{-1}
                       : static_cast<int64_t>(code_points(s.substr(0, p)).size()));
      }
      if (name == "count") {
        const std::string a = arg_str(0);
        int64_t n = 0;
        for (size_t p = s.find(a); !a.empty() && p != std::string::npos;
             p = s.find(a, p + a.size()))
          ++n;
        return val(n);
      }
      if (name == "join") {
        std::string r;
        if (args.empty() || !args[0].j.is_array()) error_at(e.line, "str.join needs a list");
        for (size_t i = 0; i < args[0].j.size(); ++i) r += (i ? s : "") + to_str(val(args[0].j[i]));
        return val(r);
      }
    } else if (j.is_object()) {
      if (name == "get") {
        if (args.empty() || !args[0].j.is_string()) error_at(e.line, "dict.get needs a key");
        auto it = j.find(args[0].j.get<std::string>());
        if (it != j.end()) return val(*it);
        return args.size() > 1 ? args[1] : val(nullptr);
      }
      if (name == "items" || name == "keys" || name == "values") {
        json r = json::array();
        for (auto it = j.begin(); it != j.end(); ++it) {
          if (name == "items") r.push_back(json::array({it.key(), it.value()}));
          if (name == "keys") r.push_back(it.key());
          if (name == "values") r.push_back(it.value());
        }
        return val(r);
      }
    }
    error_at(e.line, "method '" + name + "' is not supported on " + python_repr(j).substr(0, 40));
  }

  Value filter(const Expr& e) {
    Value v = eval(*e.args[0]);
    const auto args = positional(e, 1);
    const std::string& f = e.name;
    if (f == "length" || f == "count") {
      if (v.j.is_string())
        return val(static_cast<int64_t>(code_points(v.j.get<std::string>()).size()));
      if (v.j.is_array() || v.j.is_object()) return val(static_cast<int64_t>(v.j.size()));
      if (v.undefined) return val(int64_t{0});
      error_at(e.line, "length of " + python_repr(v.j));
    }
    if (f == "trim") {
      std::string chars;
      const bool has = !args.empty() && args[0].j.is_string();
      if (has) chars = args[0].j.get<std::string>();
      return val(py_strip(to_str(v), has ? &chars : nullptr, true, true));
    }
    if (f == "string") return val(to_str(v));
    if (f == "upper" || f == "lower") return val(unicode_case(to_str(v), f == "upper"));
    if (f == "title") return val(title_case(to_str(v)));
    if (f == "capitalize") {
      std::string r = unicode_case(to_str(v), false);
      if (!r.empty()) r[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r[0])));
      return val(r);
    }
    if (f == "safe" || f == "e" || f == "escape") {
      if (f != "safe") error_at(e.line, "the 'escape' filter is not supported");
      return v;
    }
    if (f == "default" || f == "d") {
      const bool boolean = (args.size() > 1 && truthy(args[1])) ||
                           (kwarg(e, "boolean") && truthy(eval(*kwarg(e, "boolean"))));
      if (v.undefined || (boolean && !truthy(v))) return args.empty() ? val("") : args[0];
      return v;
    }
    if (f == "tojson") {
      int indent = -1;
      if (const Expr* k = kwarg(e, "indent"))
        indent = static_cast<int>(eval(*k).j.get<int64_t>());
      else if (!args.empty() && args[0].j.is_number_integer())
        indent = args[0].j.get<int>();
      std::string out;
      dumps(v.undefined ? json(nullptr) : v.j, indent, 0, out);
      return val(out);
    }
    if (f == "int") {
      if (v.j.is_number()) return val(static_cast<int64_t>(v.j.get<double>()));
      try {
        return val(static_cast<int64_t>(std::stoll(to_str(v))));
      } catch (const std::exception&) {
        return val(int64_t{0});
      }
    }
    if (f == "float") {
      if (v.j.is_number()) return val(v.j.get<double>());
      try {
        return val(std::stod(to_str(v)));
      } catch (const std::exception&) {
        return val(0.0);
      }
    }
    if (f == "list") {
      if (v.j.is_array()) return v;
      if (v.j.is_string()) {
        json r = json::array();
        const auto cps = code_points(v.j.get<std::string>());
        for (size_t i = 0; i < cps.size(); ++i) r.push_back(from_code_points(cps, i, i + 1));
        return val(r);
      }
      if (v.j.is_object()) return method(v, "keys", {}, e);
      error_at(e.line, "list of " + python_repr(v.j));
    }
    if (f == "items") return v.undefined ? val(json::array()) : method(v, "items", {}, e);
    if (f == "first" || f == "last") {
      if (!v.j.is_array() || v.j.empty()) return Value::undef();
      return val(f == "first" ? v.j.front() : v.j.back());
    }
    if (f == "reverse") {
      if (v.j.is_string()) {
        auto cps = code_points(v.j.get<std::string>());
        std::reverse(cps.begin(), cps.end());
        return val(from_code_points(cps, 0, cps.size()));
      }
      json r = v.j;
      std::reverse(r.begin(), r.end());
      return val(r);
    }
    if (f == "join") {
      const std::string sep = args.empty() ? "" : to_str(args[0]);
      if (!v.j.is_array()) error_at(e.line, "join of " + python_repr(v.j));
      std::string r;
      for (size_t i = 0; i < v.j.size(); ++i) r += (i ? sep : "") + to_str(val(v.j[i]));
      return val(r);
    }
    if (f == "replace") {
      if (args.size() < 2) error_at(e.line, "replace needs two arguments");
      return method(val(to_str(v)), "replace", args, e);
    }
    if (f == "select" || f == "reject" || f == "selectattr" || f == "rejectattr" || f == "map") {
      if (!v.j.is_array()) return val(json::array());
      json r = json::array();
      const bool attr = f == "selectattr" || f == "rejectattr";
      for (const auto& item : v.j) {
        if (f == "map") {
          const Expr* a = kwarg(e, "attribute");
          if (!a) error_at(e.line, "map() supports only attribute=");
          r.push_back(get_item(val(item), eval(*a).j, e.line).j);
          continue;
        }
        Value subject = val(item);
        size_t k = 0;
        if (attr) {
          if (args.empty()) error_at(e.line, f + " needs an attribute name");
          subject = get_item(subject, args[0].j, e.line);
          k = 1;
        }
        bool ok = k < args.size()
                      ? run_test(to_str(args[k]), subject,
                                 std::vector<Value>(args.begin() + k + 1, args.end()), e)
                      : truthy(subject);
        if (f == "reject" || f == "rejectattr") ok = !ok;
        if (ok) r.push_back(item);
      }
      return val(r);
    }
    error_at(e.line,
             "the '" + f + "' filter is not supported by r1cpp's chat template interpreter");
  }

  bool test(const Expr& e) {
    Value v;
    if (e.name == "defined" || e.name == "undefined") {
      // Jinja: an undefined attribute of a defined value is just undefined.
      const Expr& x = *e.args[0];
      if (x.kind == Expr::kAttr || x.kind == Expr::kItem) {
        Value obj = eval(*x.args[0]);
        v = obj.undefined ? Value::undef() : eval(x);
      } else {
        v = eval(x);
      }
    } else {
      v = eval(*e.args[0]);
    }
    return run_test(e.name, v, positional(e, 1), e);
  }

  bool run_test(const std::string& name, const Value& v, const std::vector<Value>& args,
                const Expr& e) {
    const json& j = v.j;
    if (name == "defined") return !v.undefined;
    if (name == "undefined") return v.undefined;
    if (v.undefined) return false;
    if (name == "none") return j.is_null();
    if (name == "string") return j.is_string();
    if (name == "number") return j.is_number();
    if (name == "integer") return j.is_number_integer();
    if (name == "float") return j.is_number_float();
    if (name == "boolean") return j.is_boolean();
    if (name == "true") return j.is_boolean() && j.get<bool>();
    if (name == "false") return j.is_boolean() && !j.get<bool>();
    if (name == "mapping") return j.is_object();
    if (name == "iterable") return j.is_array() || j.is_object() || j.is_string();
    if (name == "sequence") return j.is_array() || j.is_string() || j.is_object();
    if (name == "odd" || name == "even") {
      if (!j.is_number_integer()) error_at(e.line, name + " test needs an integer");
      return (j.get<int64_t>() % 2 != 0) == (name == "odd");
    }
    if (name == "equalto" || name == "eq" || name == "sameas") {
      if (args.empty()) error_at(e.line, name + " test needs an argument");
      return equal(v, args[0]);
    }
    if (name == "in") return !args.empty() && contains(args[0], v, e.line);
    if (name == "divisibleby") {
      if (args.empty()) error_at(e.line, "divisibleby needs an argument");
      return j.get<int64_t>() % args[0].j.get<int64_t>() == 0;
    }
    error_at(e.line,
             "the '" + name + "' test is not supported by r1cpp's chat template interpreter");
  }

  static bool equal(const Value& a, const Value& b) {
    if (a.undefined || b.undefined) return a.undefined && b.undefined;
    if (a.j.is_number() && b.j.is_number()) return a.j.get<double>() == b.j.get<double>();
    return a.j == b.j;
  }

  bool contains(const Value& haystack, const Value& needle, int line) {
    const json& h = haystack.j;
    if (haystack.undefined) error_at(line, "'in' an undefined value");
    if (h.is_string()) {
      if (!needle.j.is_string()) error_at(line, "'in <string>' needs a string on the left");
      return h.get_ref<const std::string&>().find(needle.j.get<std::string>()) != std::string::npos;
    }
    if (h.is_array()) {
      for (const auto& x : h)
        if (equal(val(x), needle)) return true;
      return false;
    }
    if (h.is_object()) return needle.j.is_string() && h.contains(needle.j.get<std::string>());
    error_at(line, "'in' needs a string, list or dict on the right");
  }

  Value binary(const std::string& op, const Value& a, const Value& b, int line) {
    if (op == "==") return val(equal(a, b));
    if (op == "!=") return val(!equal(a, b));
    if (op == "in") return val(contains(b, a, line));
    if (op == "not in") return val(!contains(b, a, line));
    if (op == "~") return val(to_str(a) + to_str(b));
    if (a.undefined || b.undefined) error_at(line, "'" + op + "' with an undefined value");
    const json &x = a.j, &y = b.j;
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      int c;
      if (x.is_number() && y.is_number()) {
        const double p = x.get<double>(), q = y.get<double>();
        c = p < q ? -1 : p > q ? 1 : 0;
      } else if (x.is_string() && y.is_string()) {
        c = x.get<std::string>().compare(y.get<std::string>());
      } else {
        error_at(line, "cannot compare " + python_repr(x) + " and " + python_repr(y));
      }
      if (op == "<") return val(c < 0);
      if (op == ">") return val(c > 0);
      if (op == "<=") return val(c <= 0);
      return val(c >= 0);
    }
    if (op == "+") {
      if (x.is_string() && y.is_string()) return val(x.get<std::string>() + y.get<std::string>());
      if (x.is_array() && y.is_array()) {
        json r = x;
        for (const auto& item : y) r.push_back(item);
        return val(r);
      }
    }
    if (op == "*" && x.is_string() && y.is_number_integer()) {
      std::string r;
      for (int64_t i = 0; i < y.get<int64_t>(); ++i) r += x.get<std::string>();
      return val(r);
    }
    if (!x.is_number() || !y.is_number())
      error_at(line, "cannot apply '" + op + "' to " + python_repr(x) + " and " + python_repr(y));
    const bool ints = x.is_number_integer() && y.is_number_integer();
    if (ints && op != "/" && op != "**") {
      const int64_t p = x.get<int64_t>(), q = y.get<int64_t>();
      if ((op == "//" || op == "%") && q == 0) error_at(line, "division by zero");
      if (op == "+") return val(p + q);
      if (op == "-") return val(p - q);
      if (op == "*") return val(p * q);
      const int64_t fl = (p / q) - ((p % q != 0) && ((p < 0) != (q < 0)) ? 1 : 0);
      if (op == "//") return val(fl);
      if (op == "%") return val(p - fl * q);
    }
    const double p = x.get<double>(), q = y.get<double>();
    if (op == "+") return val(p + q);
    if (op == "-") return val(p - q);
    if (op == "*") return val(p * q);
    if (op == "**")
      return val(ints && q >= 0 ? json(static_cast<int64_t>(std::llround(std::pow(p, q))))
                                : json(std::pow(p, q)));
    if (q == 0) error_at(line, "division by zero");
    if (op == "/") return val(p / q);
    if (op == "//") return val(std::floor(p / q));
    return val(p - std::floor(p / q) * q);
  }

  std::vector<Scope> scopes_;
};

}  // namespace

struct Template::Node {
  Block body;
};

Template::Template(const std::string& source) {
  auto node = std::make_shared<Node>();
  node->body = Parser(split_tags(source)).parse_all();
  root_ = node;
}

std::string Template::render(const nlohmann::ordered_json& context) const {
  std::string out;
  Renderer r(context);
  try {
    r.run(root_->body, out);
  } catch (const LoopControl&) {
    fail("chat template: break/continue outside a loop");
  } catch (const nlohmann::json::exception& e) {
    fail("chat template: a value has the wrong type (", e.what(), ")");
  }
  return out;
}

}  // namespace r1::jinja
