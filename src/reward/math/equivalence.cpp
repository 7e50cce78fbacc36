// Answer equivalence (issue 5, item 1). An answer is parsed into a structure —
// expression (or one relation), tuple/interval, unordered set/list, matrix, or
// text — and two structures are compared recursively. Expressions compare in
// three steps, cheapest first: identical normalised text; exact rationals when
// both sides are rational; otherwise numeric values at fixed pseudo-random
// points for every free variable, with a relative tolerance. The random-point
// check stands in for a CAS: two expressions that agree at five generic points
// are, for the polynomial/trigonometric answers models write, the same
// function, and it runs in microseconds with no unbounded simplification.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "reward/math/expr.h"
#include "reward/math/normalize.h"
#include "reward/math/verify.h"

namespace r1 {
namespace {

using math::Expr;
using math::Number;
using math::Rel;

constexpr int kPoints = 5;             // evaluation points per comparison with variables
constexpr int kMinGoodPoints = 2;      // points where both sides must be finite
constexpr double kRelTol = 1e-9;       // relative tolerance for non-exact values
constexpr double kAbsTol = 1e-12;      // floor, for values that should be 0 (sin(pi))
constexpr int kMaxStructureDepth = 4;  // ((1,2),(3,4)) nests; deeper is text
constexpr size_t kMaxItems = 64;       // longest tuple/set compared item by item

struct Value {
  enum Kind { kText, kExpr, kTuple, kSet, kMatrix } kind = kText;
  std::string open, close;   // kTuple brackets: "(" ")", "[" ")", ...
  std::vector<Value> items;  // kTuple, kSet; kMatrix cells row-major
  size_t cols = 0;           // kMatrix
  Expr expr;                 // kExpr
  std::string text;          // normalised text without spaces
  std::string interval;      // kExpr "x \\ge 3": the same set as an interval, "[3,\\infty)"
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::string compact(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits at top-level occurrences of any separator (outside (), [], {}; the
// bracket kinds are not matched against each other so "[0,1)" nests).
std::vector<std::string> split_top(const std::string& s, std::initializer_list<const char*> seps) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    else if (c == ')' || c == ']' || c == '}')
      --depth;
    if (depth != 0) continue;
    for (const char* sep : seps) {
      size_t n = std::strlen(sep);
      if (s.compare(i, n, sep) != 0) continue;
      if (sep[0] == '\\' && i + n < s.size() && std::isalpha(static_cast<unsigned char>(s[i + n])))
        continue;  // \in is not the start of \infty
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + n;
      i = start - 1;
      break;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

// Index of the bracket closing the one at s[0], or npos.
size_t matching_close(const std::string& s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    else if ((c == ')' || c == ']' || c == '}') && --depth == 0)
      return i;
  }
  return std::string::npos;
}

bool is_single_letter(const std::string& s) {
  return s.size() == 1 && std::isalpha(static_cast<unsigned char>(s[0]));
}

// "f(x)", "g(t)", "p(x, y)": a one-letter name applied to variables.
bool is_function_name(const std::string& s) {
  if (s.size() < 4 || !std::isalpha(static_cast<unsigned char>(s[0])) || s[1] != '(' ||
      s.back() != ')')
    return false;
  for (size_t i = 2; i + 1 < s.size(); ++i)
    if (!std::isalpha(static_cast<unsigned char>(s[i])) && s[i] != ',' && s[i] != ' ') return false;
  return true;
}

// "a < x \\le b" -> "(a,b]"; "x \\ge 3" -> "[3,\\infty)"; "" unless `s` is one or
// two inequalities (same direction) around a single variable.
std::string inequality_as_interval(const std::string& s) {
  struct RelOp {
    size_t pos, len;
    bool less, strict;
  };
  std::vector<RelOp> ops;
  int depth = 0;
  for (size_t i = 0; i < s.size() && ops.size() <= 2; ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth != 0) continue;
    bool eq = i + 1 < s.size() && s[i + 1] == '=';
    bool command_end = i + 3 >= s.size() || !std::isalpha(static_cast<unsigned char>(s[i + 3]));
    if (c == '<' || c == '>') {
      ops.push_back({i, eq ? 2u : 1u, c == '<', !eq});
    } else if (command_end && (s.compare(i, 3, "\\le") == 0 || s.compare(i, 3, "\\ge") == 0 ||
                               s.compare(i, 3, "\\lt") == 0 || s.compare(i, 3, "\\gt") == 0)) {
      ops.push_back({i, 3, s[i + 1] == 'l', s[i + 2] == 't'});
    } else {
      continue;
    }
    i += ops.back().len - 1;
  }
  if (ops.empty() || ops.size() > 2) return "";
  std::vector<std::string> sides;
  size_t start = 0;
  for (const auto& op : ops) {
    sides.push_back(trim(s.substr(start, op.pos - start)));
    start = op.pos + op.len;
  }
  sides.push_back(trim(s.substr(start)));
  std::string lo = "-\\infty", hi = "\\infty";
  bool lo_strict = true, hi_strict = true;
  if (ops.size() == 2) {
    if (ops[0].less != ops[1].less || !is_single_letter(sides[1])) return "";
    const RelOp& lower = ops[0].less ? ops[0] : ops[1];
    const RelOp& upper = ops[0].less ? ops[1] : ops[0];
    lo = ops[0].less ? sides[0] : sides[2];
    hi = ops[0].less ? sides[2] : sides[0];
    lo_strict = lower.strict;
    hi_strict = upper.strict;
  } else if (is_single_letter(sides[0]) != is_single_letter(sides[1])) {
    // x < b bounds from above; a < x from below.
    bool var_left = is_single_letter(sides[0]);
    bool upper_bound = ops[0].less == var_left;
    (upper_bound ? hi : lo) = var_left ? sides[1] : sides[0];
    (upper_bound ? hi_strict : lo_strict) = ops[0].strict;
  } else {
    return "";
  }
  return (lo_strict ? "(" : "[") + lo + "," + hi + (hi_strict ? ")" : "]");
}

Value parse_value(const std::string& raw, int depth);

Value list_of(const std::vector<std::string>& parts, int depth, Value::Kind kind) {
  Value v;
  v.kind = kind;
  for (const auto& p : parts) v.items.push_back(parse_value(p, depth + 1));
  return v;
}

Value parse_matrix(const std::string& s, int depth) {
  Value v;
  v.text = compact(s);
  size_t env_end = s.find('}');
  std::string env = s.substr(7, env_end - 7);
  std::string end_tag = "\\end{" + env + "}";
  if (env.find("matrix") == std::string::npos || s.size() < env_end + end_tag.size() ||
      s.compare(s.size() - end_tag.size(), end_tag.size(), end_tag) != 0)
    return v;
  std::string inner = s.substr(env_end + 1, s.size() - end_tag.size() - env_end - 1);
  std::vector<std::string> rows = split_top(inner, {"\\\\"});
  if (!rows.empty() && rows.back().empty()) rows.pop_back();
  Value m;
  m.kind = Value::kMatrix;
  m.text = v.text;
  for (const auto& row : rows) {
    std::vector<std::string> cells = split_top(row, {"&"});
    if (m.cols == 0) m.cols = cells.size();
    if (cells.size() != m.cols || m.items.size() + cells.size() > kMaxItems) return v;
    for (const auto& c : cells) m.items.push_back(parse_value(c, depth + 1));
  }
  return m.items.empty() ? v : m;
}

Value parse_value(const std::string& raw, int depth) {
  std::string s = trim(raw);
  Value v;
  v.text = compact(s);
  if (s.empty() || depth > kMaxStructureDepth) return v;
  if (s.compare(0, 7, "\\begin{") == 0) return parse_matrix(s, depth);
  if (s == "\\emptyset" || v.text == "\\{\\}" || v.text == "{}") {
    v.kind = Value::kSet;
    return v;
  }
  std::vector<std::string> parts = split_top(s, {"\\cup"});
  if (parts.size() > 1) return list_of(parts, depth, Value::kSet);
  if (s.size() >= 4 && s.compare(0, 2, "\\{") == 0 && matching_close(s.substr(1)) == s.size() - 2 &&
      s.compare(s.size() - 2, 2, "\\}") == 0) {
    Value set = list_of(split_top(s.substr(2, s.size() - 4), {","}), depth, Value::kSet);
    set.text = v.text;
    return set;
  }
  if ((s[0] == '(' || s[0] == '[') && (s.back() == ')' || s.back() == ']') &&
      matching_close(s) == s.size() - 1) {
    parts = split_top(s.substr(1, s.size() - 2), {","});
    if (parts.size() >= 2) {
      Value t = list_of(parts, depth, Value::kTuple);
      t.open = s.substr(0, 1);
      t.close = s.substr(s.size() - 1);
      t.text = v.text;
      return t;
    }
  }
  // Unbracketed lists are unordered: "1, 2", "x = 1 or x = 2", "1; 2".
  parts = split_top(s, {",", ";", " or ", " and "});
  if (parts.size() > 1) {
    Value set = list_of(parts, depth, Value::kSet);
    set.text = v.text;
    return set;
  }
  // "(x, y) = (1, 2)": the value is the structure on the right; "f(x) = 2x"
  // (a named function's definition) is its right side.
  parts = split_top(s, {"="});
  if (parts.size() == 2) {
    Value rhs = parse_value(parts[1], depth + 1);
    if (rhs.kind == Value::kTuple || rhs.kind == Value::kSet || rhs.kind == Value::kMatrix)
      return rhs;
    if (is_function_name(parts[0])) return rhs;
  }
  // "x \in [0, 1)": the value is the set.
  parts = split_top(s, {"\\in"});
  if (parts.size() == 2 && is_single_letter(parts[0])) return parse_value(parts[1], depth + 1);
  // "1 \pm \sqrt{2}" is the two-element set {1 + \sqrt{2}, 1 - \sqrt{2}}.
  for (const char* pm : {"\\pm", "\\mp"}) {
    size_t p = s.find(pm);
    if (p != std::string::npos && s.find(pm, p + 1) == std::string::npos) {
      return list_of(
          {s.substr(0, p) + "+" + s.substr(p + 3), s.substr(0, p) + "-" + s.substr(p + 3)}, depth,
          Value::kSet);
    }
  }
  // "-2 < x \\le 3" is the interval (-2, 3]; "x > 3" is kept as a relation
  // (it must still match "-x < -3") but also carries its interval.
  std::string interval = inequality_as_interval(s);
  if (math::parse_expr(s, &v.expr)) {
    v.kind = Value::kExpr;
    v.interval = interval;
  } else if (!interval.empty()) {
    return parse_value(interval, depth + 1);
  }
  return v;
}

// ---- numeric comparison -----------------------------------------------------

// The value of variable `name` at point k: fixed per name, so both sides of a
// comparison (and every call, on any thread) see the same point.
double point_value(const std::string& name, int k) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= static_cast<uint64_t>(k + 1) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return 0.5 + 2.0 * static_cast<double>(h >> 11) / static_cast<double>(1ull << 53);  // (0.5, 2.5)
}

std::vector<std::complex<double>> point(const Expr& e, int k) {
  std::vector<std::complex<double>> v;
  for (const auto& name : e.vars) v.emplace_back(point_value(name, k));
  return v;
}

bool finite(const Number& v) {
  return std::isfinite(v.z.real()) && std::isfinite(v.z.imag());
}

bool close(const Number& a, const Number& b) {
  if (a.exact && b.exact) return a.n == b.n && a.d == b.d;
  if (std::isnan(a.z.real()) || std::isnan(a.z.imag()) || std::isnan(b.z.real()) ||
      std::isnan(b.z.imag()))
    return false;
  if (!finite(a) || !finite(b)) return a.z == b.z;  // +inf only equals +inf
  double diff = std::abs(a.z - b.z);
  return diff <= kRelTol * std::max(std::abs(a.z), std::abs(b.z)) + kAbsTol;
}

bool has_vars(const Expr& a, const Expr& b) {
  return !a.vars.empty() || !b.vars.empty();
}

bool values_equivalent(const Expr& a, int ra, const Expr& b, int rb) {
  if (!has_vars(a, b)) return close(math::evaluate(a, ra, {}), math::evaluate(b, rb, {}));
  int good = 0;
  for (int k = 0; k < kPoints; ++k) {
    Number x = math::evaluate(a, ra, point(a, k)), y = math::evaluate(b, rb, point(b, k));
    if (!finite(x) || !finite(y)) continue;
    if (!close(x, y)) return false;
    ++good;
  }
  return good >= kMinGoodPoints;
}

std::complex<double> difference(const Expr& e, int k) {
  auto p = point(e, k);
  return math::evaluate(e, e.lhs, p).z - math::evaluate(e, e.rhs, p).z;
}

// a R b and c R d are the same relation when a - b = k (c - d) for a constant
// k != 0 (k > 0 for inequalities, whose direction must be kept): x < 1 and
// -x > -1 are, x < 1 and x > 1 are not.
bool relations_equivalent(const Expr& p, const Expr& g) {
  if (p.rel != g.rel) return false;
  std::complex<double> k = 0;
  int good = 0;
  for (int i = 0; i < kPoints; ++i) {
    std::complex<double> fp = difference(p, i), fg = difference(g, i);
    if (!std::isfinite(std::abs(fp)) || !std::isfinite(std::abs(fg))) continue;
    if (k == 0.0 && std::abs(fg) > 1e-9) {
      k = fp / fg;
      if (std::abs(k.imag()) > 1e-9 * std::abs(k) || std::abs(k) < 1e-12) return false;
      if ((p.rel == Rel::kLt || p.rel == Rel::kLe) && k.real() <= 0) return false;
    }
    if (std::abs(fp - k * fg) > kRelTol * std::max(std::abs(fp), std::abs(k * fg)) + kAbsTol)
      return false;
    ++good;
  }
  return k != 0.0 && good >= (has_vars(p, g) ? kMinGoodPoints : 1);
}

// For "x = 3" (or "3 = x"): the side holding the value; -1 otherwise.
int assigned_value(const Expr& e) {
  if (e.rel != Rel::kEq) return -1;
  if (e.nodes[e.lhs].op == math::Op::kVar) return e.rhs;
  if (e.nodes[e.rhs].op == math::Op::kVar) return e.lhs;
  return -1;
}

bool exprs_equivalent(const Expr& p, const Expr& g) {
  if (p.rel == Rel::kNone && g.rel == Rel::kNone) return values_equivalent(p, p.lhs, g, g.lhs);
  if (p.rel != Rel::kNone && g.rel != Rel::kNone) return relations_equivalent(p, g);
  // "x = 3" against "3": compare the assigned value.
  const Expr& r = p.rel != Rel::kNone ? p : g;
  const Expr& plain = p.rel != Rel::kNone ? g : p;
  int side = assigned_value(r);
  return side >= 0 && values_equivalent(r, side, plain, plain.lhs);
}

// "-00123" -> "-123" for an integer literal of any length, else "".
std::string integer_literal(const std::string& s) {
  size_t b = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (b == s.size()) return "";
  for (size_t i = b; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return "";
  size_t nz = std::min(s.find_first_not_of('0', b), s.size() - 1);
  std::string digits = s.substr(nz);
  return s[0] == '-' && digits != "0" ? "-" + digits : digits;
}

bool equivalent(const Value& p, const Value& g) {
  if (!p.text.empty() && p.text == g.text) return true;
  // Integers compare digit by digit: past 18 digits doubles cannot tell
  // 10^30 from 10^30 + 1, and multi-digit arithmetic answers get that long.
  std::string pi = integer_literal(p.text), gi = integer_literal(g.text);
  if (!pi.empty() && !gi.empty()) return pi == gi;
  if (g.kind == Value::kSet && g.items.size() == 1 && p.kind != Value::kSet)
    return equivalent(p, g.items[0]);
  if (p.kind == Value::kSet && p.items.size() == 1 && g.kind != Value::kSet)
    return equivalent(p.items[0], g);
  if (p.kind == Value::kExpr && !p.interval.empty() && g.kind == Value::kTuple)
    return equivalent(parse_value(p.interval, 1), g);
  if (g.kind == Value::kExpr && !g.interval.empty() && p.kind == Value::kTuple)
    return equivalent(p, parse_value(g.interval, 1));
  if (p.kind != g.kind) return false;
  switch (p.kind) {
    case Value::kText:
      return !p.text.empty() && lower(p.text) == lower(g.text);
    case Value::kExpr:
      return exprs_equivalent(p.expr, g.expr);
    case Value::kTuple:
    case Value::kMatrix:
      if (p.open != g.open || p.close != g.close || p.cols != g.cols ||
          p.items.size() != g.items.size())
        return false;
      for (size_t i = 0; i < p.items.size(); ++i)
        if (!equivalent(p.items[i], g.items[i])) return false;
      return true;
    case Value::kSet: {
      if (p.items.size() != g.items.size() || p.items.size() > kMaxItems) return false;
      std::vector<bool> used(g.items.size(), false);
      for (const auto& item : p.items) {
        bool found = false;
        for (size_t j = 0; j < g.items.size() && !found; ++j) {
          if (!used[j] && equivalent(item, g.items[j])) used[j] = found = true;
        }
        if (!found) return false;
      }
      return true;
    }
  }
  return false;
}

// "3,5" as 3.5, but only against a reference written with a decimal point:
// elsewhere "3,5" is the list {3, 5}.
bool decimal_comma(const std::string& s, const std::string& other, std::string* out) {
  size_t comma = s.find(',');
  if (comma == std::string::npos || comma == 0 || s.find(',', comma + 1) != std::string::npos)
    return false;
  if (s.size() - comma - 1 == 3) return false;  // "1,234" is a thousands separator
  for (size_t i = 0; i < s.size(); ++i)
    if (i != comma && !std::isdigit(static_cast<unsigned char>(s[i])) && !(i == 0 && s[i] == '-'))
      return false;
  if (other.find('.') == std::string::npos || other.find(',') != std::string::npos) return false;
  *out = s;
  (*out)[comma] = '.';
  return true;
}

// ---- canonical keys ---------------------------------------------------------

std::string number_key(const Number& v) {
  char buf[64];
  if (std::isnan(v.z.real()) || std::isnan(v.z.imag())) return "nan";
  double im = std::abs(v.z.imag()) < kAbsTol ? 0.0 : v.z.imag();
  double re = std::abs(v.z.real()) < kAbsTol ? 0.0 : v.z.real();
  if (im == 0.0)
    std::snprintf(buf, sizeof buf, "%.9g", re);
  else
    std::snprintf(buf, sizeof buf, "%.9g%+.9gi", re, im);
  return buf;
}

std::string expr_key(const Expr& e) {
  int side = assigned_value(e);
  if (e.rel == Rel::kNone || side >= 0) {
    int root = side >= 0 ? side : e.lhs;
    if (!math::uses_vars(e, root)) return number_key(math::evaluate(e, root, point(e, 0)));
    std::vector<std::string> names = e.vars;
    std::sort(names.begin(), names.end());
    std::string key = "f(";
    for (const auto& n : names) key += n + ";";
    key += ")";
    for (int k = 0; k < kPoints; ++k) key += number_key(math::evaluate(e, root, point(e, k))) + ";";
    return key;
  }
  // A relation: its difference scaled to 1 at the first point (by magnitude
  // only for inequalities, whose direction is part of the answer).
  std::complex<double> scale = difference(e, 0);
  if (e.rel == Rel::kLt || e.rel == Rel::kLe) scale = std::abs(scale);
  if (std::abs(scale) < 1e-12) scale = 1;
  std::string key = std::string("r") + "=!<L"[static_cast<int>(e.rel) - 1] + ":";
  for (int k = 0; k < kPoints; ++k) {
    Number v;
    v.z = difference(e, k) / scale;
    key += number_key(v) + ";";
  }
  return key;
}

std::string value_key(const Value& v) {
  switch (v.kind) {
    case Value::kText:
      return "t:" + lower(v.text);
    case Value::kExpr:
      return expr_key(v.expr);
    case Value::kTuple:
    case Value::kMatrix: {
      std::string key = v.kind == Value::kMatrix ? "M" + std::to_string(v.cols) + "[" : v.open;
      for (const auto& item : v.items) key += value_key(item) + ",";
      return key + (v.kind == Value::kMatrix ? "]" : v.close);
    }
    case Value::kSet: {
      if (v.items.size() == 1) return value_key(v.items[0]);
      std::vector<std::string> keys;
      for (const auto& item : v.items) keys.push_back(value_key(item));
      std::sort(keys.begin(), keys.end());
      std::string key = "{";
      for (const auto& k : keys) key += k + ",";
      return key + "}";
    }
  }
  return "";
}

}  // namespace

std::string normalize_answer(const std::string& answer) {
  math::Normalized n = math::normalize(answer);
  return n.percent ? n.text + "%" : n.text;
}

bool answers_equivalent(const std::string& pred, const std::string& gold) {
  math::Normalized p = math::normalize(pred), g = math::normalize(gold);
  if (p.text.empty()) return false;
  if (p.text.size() > math::kMaxAnswerBytes || g.text.size() > math::kMaxAnswerBytes)
    return p.text == g.text;
  Value pv = parse_value(p.text, 0), gv = parse_value(g.text, 0);
  if (equivalent(pv, gv)) return true;
  // A percentage reference also accepts the fraction: 50\% = 0.5.
  if (g.percent && equivalent(pv, parse_value("(" + g.text + ")/100", 0))) return true;
  std::string alt;
  if (decimal_comma(p.text, g.text, &alt)) return equivalent(parse_value(alt, 0), gv);
  if (decimal_comma(g.text, p.text, &alt)) return equivalent(pv, parse_value(alt, 0));
  return false;
}

std::string canonical_answer_key(const std::string& answer) {
  math::Normalized n = math::normalize(answer);
  if (n.text.size() > math::kMaxAnswerBytes) return "t:" + n.text;
  return value_key(parse_value(n.text, 0));
}

}  // namespace r1
