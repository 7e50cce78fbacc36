// Jinja source -> statement tree: splits text and tags (applying {%- -%},
// trim_blocks, lstrip_blocks and keep_trailing_newline=False as transformers
// does), lexes and parses expressions with Jinja's precedence (or < and < not
// < compare < + - < ~ < * / // % < ** < unary < postfix, filters and tests).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1::jinja {

namespace {

// Nesting bounds: parsing and rendering recurse, and a template is untrusted
// input (it comes with a downloaded tokenizer_config.json). Real templates
// nest a few levels; these keep the stack far from its end, also under ASan.
constexpr int kMaxExprDepth = 100;
constexpr int kMaxBlockDepth = 100;

// Counts one level of recursion for its scope; too deep is an Error.
struct DepthGuard {
  DepthGuard(int& depth, int limit, int line, const char* what) : depth_(depth) {
    if (++depth_ > limit) {
      --depth_;
      error_at(line, cat(what, " nested more than ", limit, " levels deep"));
    }
  }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

// The links of a left-deep chain (a + b + c, x|f|g, a.b.c) nest the tree as
// deeply as parentheses do, without recursing while parsing: each counts as a
// level until the chain is done.
struct ChainDepth {
  ChainDepth(int& depth, int line) : depth_(depth), line_(line) {}
  void link() {
    ++links_;
    if (++depth_ > kMaxExprDepth)
      error_at(line_, cat("expression nested more than ", kMaxExprDepth, " levels deep"));
  }
  ~ChainDepth() { depth_ -= links_; }
  ChainDepth(const ChainDepth&) = delete;
  ChainDepth& operator=(const ChainDepth&) = delete;

 private:
  int& depth_;
  int line_;
  int links_ = 0;
};

// The value of a hex digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {  // 1e9, 2.5E-3
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          is_float = true;
          j = k;
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
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
              const std::string bad =
                  cat("bad \\", e, " escape in a string (needs ", n, " hex digits)");
              if (j + n >= s.size()) error_at(line, bad);
              uint32_t cp = 0;
              for (size_t k = 1; k <= n; ++k) {
                const int h = hex_value(s[j + k]);
                if (h < 0) error_at(line, bad);
                cp = cp * 16 + static_cast<uint32_t>(h);
              }
              if (cp >= 0xD800 && cp <= 0xDFFF)
                error_at(line,
                         cat("\\u escape of a lone surrogate (", s.substr(j - 1, n + 2), ")"));
              utf8::append(str, cp);
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

ExprPtr make(Expr::Kind k, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->line = line;
  return e;
}

class ExprParser {
 public:
  ExprParser(std::vector<Token> toks, int line) : t_(std::move(toks)), line_(line) {}

  ExprPtr parse_expression() {
    DepthGuard guard(depth_, kMaxExprDepth, line_, "expression");
    return ternary();
  }
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
    ChainDepth chain(depth_, line_);
    while (accept_name("or")) {
      chain.link();
      auto e = make(Expr::kOr, line_);
      e->args.push_back(std::move(left));
      e->args.push_back(and_expr());
      left = std::move(e);
    }
    return left;
  }

 private:
  ExprPtr ternary() {
    DepthGuard guard(depth_, kMaxExprDepth, line_, "expression");
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
    ChainDepth chain(depth_, line_);
    while (accept_name("and")) {
      chain.link();
      auto e = make(Expr::kAnd, line_);
      e->args.push_back(std::move(left));
      e->args.push_back(not_expr());
      left = std::move(e);
    }
    return left;
  }
  ExprPtr not_expr() {
    DepthGuard guard(depth_, kMaxExprDepth, line_, "expression");
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
    ChainDepth chain(depth_, line_);
    while (true) {
      std::string op;
      for (const char* o : ops)
        if (accept_op(o)) {
          op = o;
          break;
        }
      if (op.empty()) return left;
      chain.link();
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
    DepthGuard guard(depth_, kMaxExprDepth, line_, "expression");
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
      e->literal = t.kind == Tok::kInt ? json(int_literal(t.text)) : json(float_literal(t.text));
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
    ChainDepth chain(depth_, line_);
    while (true) {
      if (peek_op(".") || peek_op("[") || peek_op("(")) chain.link();
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
    ChainDepth chain(depth_, line_);
    while (true) {
      if (peek_op("|") || peek_name("is")) chain.link();
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

  int64_t int_literal(const std::string& text) const {
    int64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size())
      error_at(line_, cat("integer literal ", text.substr(0, 40), " does not fit in 64 bits"));
    return v;
  }
  double float_literal(const std::string& text) const {
    errno = 0;
    const double v = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(v))
      error_at(line_, cat("float literal ", text.substr(0, 40), " is out of range"));
    return v;
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  int line_;
  int depth_ = 0;
};

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
    // "{{-}}": one '-' is the left marker; the right one needs a character of its own.
    if (!inner.empty() && (inner[0] == '-' || inner[0] == '+')) inner.erase(0, 1);
    const bool minus_right = !inner.empty() && inner.back() == '-';
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
    DepthGuard guard(depth_, kMaxBlockDepth, t.line, "statement blocks");
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
      if (!p.accept_op("=")) {  // {% set x %}...{% endset %}
        if (s->targets.size() != 1) error_at(t.line, "block set needs a plain name");
        p.expect_end();
        s->kind = Stmt::kSetBlock;
        s->body = parse_block({"endset"});
        ++i_;
        return s;
      }
      s->expr = p.parse_expression();
      p.expect_end();
    } else if (kw == "macro") {
      s->kind = Stmt::kMacro;
      s->targets.push_back(p.expect_name());
      p.expect_op("(");
      if (!p.accept_op(")")) {
        do {
          s->targets.push_back(p.expect_name());
          s->defaults.push_back(p.accept_op("=") ? p.parse_expression() : nullptr);
        } while (p.accept_op(","));
        p.expect_op(")");
      }
      p.expect_end();
      s->body = parse_block({"endmacro"});
      ++i_;
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
  int depth_ = 0;
};

}  // namespace

Block parse_template(const std::string& source) {
  return Parser(split_tags(source)).parse_all();
}

}  // namespace r1::jinja
