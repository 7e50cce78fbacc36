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
#include "reward/text.h"

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
  // "AB = 4", "x = 2+3 = 5", "V_1:V_2 = 11:21": a named quantity or a chain of
  // equalities also stands for its value (the last side), held here, and
  // `name` is its left side without spaces.
  std::vector<Value> assigned;
  std::string name;
  bool boxes = false;  // kSet: answers listed one a box, "\\boxed{1}, \\boxed{2}"
  bool list = false;   // kSet written without braces, "1, 2, 2": repeats count
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

// A quantity's name, not a value: "AB", "|AB|", "V_1", "S_{10}", "m\\angle A",
// "\\overline{AB}", "f(2)", "P(A)", "V_1:V_2". Letters, commands, subscripts
// and primes, no digits or operators outside subscripts and arguments.
bool is_name(const std::string& raw) {
  std::string s = trim(raw);
  if (s.size() >= 2 && s.front() == '|' && s.back() == '|') {
    std::string inner = s.substr(1, s.size() - 2);
    return inner.find('|') == std::string::npos && is_name(inner);  // one level: |AB|
  }
  std::vector<std::string> ratio = split_top(s, {":"});
  if (ratio.size() == 2) return is_name(ratio[0]) && is_name(ratio[1]);
  // "f(2)", "P(A)": a one-letter function applied to anything.
  if (s.size() >= 4 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == '(' &&
      matching_close(s.substr(1)) == s.size() - 2)
    return true;
  bool letter = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      letter = true;
    } else if (c == '\\') {
      while (i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1]))) ++i;
    } else if (c == '_') {  // a subscript may hold anything: a_{n+1}
      if (i + 1 < s.size() && s[i + 1] == '{') {
        size_t close = matching_close(s.substr(i + 1));
        if (close == std::string::npos) return false;
        i += close + 1;
      } else {
        ++i;
      }
    } else if (c != ' ' && c != '{' && c != '}' && c != '\'') {
      return false;
    }
  }
  return letter;
}

// The variable an inequality bounds: "x", "f(x)", "x_1".
bool is_bounded_variable(const std::string& s) {
  return is_single_letter(s) || is_function_name(s) ||
         (s.size() >= 3 && is_single_letter(s.substr(0, 1)) && s[1] == '_' && is_name(s));
}

// Splits at top-level "=" (not the "=" of "<=", ">=", "!=").
std::vector<std::string> split_equals(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth != 0 || c != '=' || (i > 0 && std::strchr("<>!", s[i - 1]))) continue;
    parts.push_back(trim(s.substr(start, i - start)));
    start = i + 1;
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
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
    if (ops[0].less != ops[1].less || !is_bounded_variable(sides[1])) return "";
    const RelOp& lower = ops[0].less ? ops[0] : ops[1];
    const RelOp& upper = ops[0].less ? ops[1] : ops[0];
    lo = ops[0].less ? sides[0] : sides[2];
    hi = ops[0].less ? sides[2] : sides[0];
    lo_strict = lower.strict;
    hi_strict = upper.strict;
  } else if (is_bounded_variable(sides[0]) != is_bounded_variable(sides[1])) {
    // x < b bounds from above; a < x from below.
    bool var_left = is_bounded_variable(sides[0]);
    bool upper_bound = ops[0].less == var_left;
    (upper_bound ? hi : lo) = var_left ? sides[1] : sides[0];
    (upper_bound ? hi_strict : lo_strict) = ops[0].strict;
  } else {
    return "";
  }
  return (lo_strict ? "(" : "[") + lo + "," + hi + (hi_strict ? ")" : "]");
}

Value parse_value(const std::string& raw, int depth);
Value parse_value_plain(const std::string& s, int depth);

Value list_of(const std::vector<std::string>& parts, int depth, Value::Kind kind) {
  Value v;
  v.kind = kind;
  for (const auto& p : parts) v.items.push_back(parse_value(p, depth + 1));
  return v;
}

// A matrix's cells as text, row-major: "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}" ->
// {1, 2, 3, 4} with cols 2. False unless `s` is exactly one matrix environment
// (pmatrix, bmatrix, ..., or array with its column spec).
bool matrix_cells(const std::string& s, std::vector<std::string>* cells, size_t* cols) {
  size_t env_end = s.find('}');
  if (s.compare(0, 7, "\\begin{") != 0 || env_end == std::string::npos) return false;
  std::string env = s.substr(7, env_end - 7);
  std::string end_tag = "\\end{" + env + "}";
  if ((env.find("matrix") == std::string::npos && env != "array") ||
      s.size() < env_end + end_tag.size() ||
      s.compare(s.size() - end_tag.size(), end_tag.size(), end_tag) != 0)
    return false;
  size_t body = env_end + 1;
  // \\begin{array}{cc}: the column spec is not a cell.
  if (env == "array" && body < s.size() && s[body] == '{') {
    size_t spec_end = s.find('}', body);
    if (spec_end == std::string::npos) return false;
    body = spec_end + 1;
  }
  if (body + end_tag.size() > s.size()) return false;
  std::string inner = s.substr(body, s.size() - end_tag.size() - body);
  std::vector<std::string> rows = split_top(inner, {"\\\\"});
  if (!rows.empty() && rows.back().empty()) rows.pop_back();
  *cols = 0;
  cells->clear();
  for (const auto& row : rows) {
    std::vector<std::string> row_cells = split_top(row, {"&"});
    if (*cols == 0) *cols = row_cells.size();
    if (row_cells.size() != *cols || cells->size() + row_cells.size() > kMaxItems) return false;
    cells->insert(cells->end(), row_cells.begin(), row_cells.end());
  }
  return !cells->empty();
}

Value matrix_of(const std::vector<std::string>& cells, size_t cols, const std::string& text,
                int depth) {
  Value m;
  m.kind = Value::kMatrix;
  m.text = text;
  m.cols = cols;
  for (const auto& c : cells) m.items.push_back(parse_value(c, depth + 1));
  return m;
}

Value parse_matrix(const std::string& s, int depth) {
  std::vector<std::string> cells;
  size_t cols = 0;
  if (matrix_cells(s, &cells, &cols)) return matrix_of(cells, cols, compact(s), depth);
  Value v;
  v.text = compact(s);
  return v;
}

// "\\begin{pmatrix}..\\end{pmatrix} + 2\\begin{pmatrix}..\\end{pmatrix}", "AB":
// sums, scalar multiples and products of written-out matrices, worked out
// cell by cell as text (each cell then parses as any answer does). False
// if `s` is anything else or the shapes do not fit.
bool matrix_expression(const std::string& s, std::vector<std::string>* out, size_t* out_cols) {
  struct M {
    std::vector<std::string> cells;
    size_t rows = 0, cols = 0;
  };
  auto product = [](const M& a, const M& b, M* c) {
    if (a.cols != b.rows) return false;
    c->rows = a.rows;
    c->cols = b.cols;
    c->cells.clear();
    for (size_t i = 0; i < a.rows; ++i)
      for (size_t j = 0; j < b.cols; ++j) {
        std::string cell;
        for (size_t k = 0; k < a.cols; ++k)
          cell +=
              (k ? "+(" : "(") + a.cells[i * a.cols + k] + ")*(" + b.cells[k * b.cols + j] + ")";
        if (cell.size() > math::kMaxExprBytes) return false;  // would not parse; bounds memory
        c->cells.push_back(cell);
      }
    return true;
  };
  M total, term;
  bool have_total = false, have_term = false;
  std::string pending;  // text since the last matrix: a sign, a scalar, \\cdot
  std::string scalar = "1";
  auto close_term = [&](const std::string& lead) {
    // `lead`: "+ 2" before a new term; applies the finished term to the total.
    if (!have_term) return true;
    for (auto& c : term.cells) c = "(" + scalar + ")*(" + c + ")";
    if (!have_total) {
      total = term;
      have_total = true;
    } else {
      if (total.rows != term.rows || total.cols != term.cols) return false;
      for (size_t k = 0; k < total.cells.size(); ++k) {
        total.cells[k] = total.cells[k] + "+" + term.cells[k];
        if (total.cells[k].size() > math::kMaxExprBytes) return false;
      }
    }
    have_term = false;
    std::string t = trim(lead);
    std::string sign = !t.empty() && (t[0] == '+' || t[0] == '-') ? t.substr(0, 1) : "+";
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) t = trim(t.substr(1));
    scalar = sign + "(" + (t.empty() ? "1" : t) + ")";
    return true;
  };
  size_t i = 0;
  int matrices = 0;
  while (i < s.size()) {
    if (s.compare(i, 7, "\\begin{") != 0) {
      pending += s[i++];
      continue;
    }
    size_t env_end = s.find('}', i);
    if (env_end == std::string::npos) return false;
    std::string end_tag = "\\end{" + s.substr(i + 7, env_end - i - 7) + "}";
    size_t close = s.find(end_tag, env_end);
    if (close == std::string::npos || ++matrices > 8) return false;
    M m;
    if (!matrix_cells(s.substr(i, close + end_tag.size() - i), &m.cells, &m.cols)) return false;
    m.rows = m.cells.size() / m.cols;
    i = close + end_tag.size();
    std::string between = trim(pending);
    for (const char* op : {"\\cdot", "\\times"})
      if (between.size() >= std::strlen(op) &&
          between.compare(between.size() - std::strlen(op), std::strlen(op), op) == 0)
        between = trim(between.substr(0, between.size() - std::strlen(op)));
    pending.clear();
    if (have_term && between.empty()) {  // juxtaposed or \\cdot: a product
      M c;
      if (!product(term, m, &c)) return false;
      term = c;
      continue;
    }
    if (have_term && between[0] != '+' && between[0] != '-') return false;
    if (!have_term) {
      std::string t = between;
      std::string sign = !t.empty() && (t[0] == '+' || t[0] == '-') ? t.substr(0, 1) : "+";
      if (!t.empty() && (t[0] == '+' || t[0] == '-')) t = trim(t.substr(1));
      if (have_total || !between.empty()) scalar = sign + "(" + (t.empty() ? "1" : t) + ")";
    } else if (!close_term(between)) {
      return false;
    }
    term = m;
    have_term = true;
  }
  if (!trim(pending).empty() || matrices < 2 - (scalar != "1") || !close_term("")) return false;
  *out = total.cells;
  *out_cols = total.cols;
  return true;
}

// "\\boxed{1}, \\boxed{2}" (extract_answer's list of boxes): the set of their
// contents, a box holding a list giving each of its items.
Value parse_boxes(const std::string& s, int depth) {
  Value v;
  v.kind = Value::kSet;
  v.boxes = v.list = true;
  v.text = compact(s);
  std::vector<std::string> contents;
  for (BoxedSpan box = last_boxed(s); box.found && box.balanced && contents.size() < kMaxItems;
       box = last_boxed(s, box.start))
    contents.insert(contents.begin(), box.content);
  for (const auto& c : contents) {
    Value item = parse_value(c, depth + 1);
    if (item.kind == Value::kSet && !item.items.empty())
      v.items.insert(v.items.end(), item.items.begin(), item.items.end());
    else
      v.items.push_back(std::move(item));
  }
  return v;
}

Value parse_value(const std::string& raw, int depth) {
  std::string s = trim(raw);
  Value v;
  v.text = compact(s);
  if (s.empty() || depth > kMaxStructureDepth) return v;
  if (s.find("\\begin{") != std::string::npos) {
    std::vector<std::string> cells;
    size_t cols = 0;
    if (matrix_expression(s, &cells, &cols)) return matrix_of(cells, cols, v.text, depth);
  }
  if (s.compare(0, 7, "\\begin{") == 0) return parse_matrix(s, depth);
  if (s.compare(0, 6, "\\boxed") == 0 || s.compare(0, 5, "\\fbox") == 0)
    return parse_boxes(s, depth);
  // "\\left[\\begin{array}{cc}...\\end{array}\\right]": the brackets are the matrix's.
  if ((s[0] == '[' || s[0] == '(') && matching_close(s) == s.size() - 1 &&
      trim(s.substr(1)).compare(0, 7, "\\begin{") == 0)
    return parse_value(s.substr(1, s.size() - 2), depth + 1);
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
  // "{-2021, 2021}": braces LaTeX would swallow, written for a set.
  if (s[0] == '{' && matching_close(s) == s.size() - 1) {
    parts = split_top(s.substr(1, s.size() - 2), {","});
    if (parts.size() >= 2) {
      Value set = list_of(parts, depth, Value::kSet);
      set.text = v.text;
      return set;
    }
  }
  if ((s[0] == '(' || s[0] == '[') && (s.back() == ')' || s.back() == ']') &&
      matching_close(s) == s.size() - 1) {
    parts = split_top(s.substr(1, s.size() - 2), {","});
    if (parts.size() == 1) parts = split_top(s.substr(1, s.size() - 2), {";"});  // (1; 2)
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
    set.list = true;
    set.text = v.text;
    return set;
  }
  // "x \\approx 11" is 11; "\\pi \\approx 3.14" is \\pi (the exact side).
  parts = split_top(s, {"\\approx"});
  if (parts.size() == 2)
    return parse_value(parts[0].empty() || is_name(parts[0]) ? parts[1] : parts[0], depth + 1);
  // "(x, y) = (1, 2)": the value is the structure on the right; "f(x) = 2x"
  // (a named function's definition) is its right side.
  parts = split_equals(s);
  if (parts.size() == 2) {
    Value rhs = parse_value(parts[1], depth + 1);
    if (rhs.kind == Value::kTuple || rhs.kind == Value::kSet || rhs.kind == Value::kMatrix)
      return rhs;
    if (is_function_name(parts[0])) return rhs;
  }
  // "x = 5+5+1 = 7 = 11", "AB = 4", "2+3 = 5": the last side is the value
  // (kept beside the relation itself, which "x = 3" vs "y = 3" still compares).
  // "3 = x" names its value on the left.
  Expr lhs;
  int value_side = -1;
  if (parts.size() >= 3)
    value_side = static_cast<int>(parts.size()) - 1;
  else if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty())
    value_side = is_name(parts[0])                                      ? 1
                 : is_name(parts[1])                                    ? 0
                 : math::parse_expr(parts[0], &lhs) && lhs.vars.empty() ? 1
                                                                        : -1;
  if (value_side >= 0) {
    Value whole = parse_value_plain(s, depth);
    whole.assigned.push_back(parse_value(parts[value_side], depth + 1));
    whole.name = compact(parts[value_side == 0 ? 1 : 0]);
    return whole;
  }
  // "11:21" is the ratio 11/21 (a named left side, "V_1:V_2 = 11:21", went above).
  parts = split_top(s, {":"});
  if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty())
    return parse_value("\\frac{" + parts[0] + "}{" + parts[1] + "}", depth + 1);
  return parse_value_plain(s, depth);
}

// The rest of parse_value: "x \\in S", \\pm, inequalities, expressions.
Value parse_value_plain(const std::string& s, int depth) {
  Value v;
  v.text = compact(s);
  std::vector<std::string> parts;
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

// Point k for `e`'s variables; a sum's bound ("n" in \\sum_{k=1}^{n}, in `e`
// or in the expression `e` is compared with) takes an integer in [1, 12].
std::vector<std::complex<double>> point(const Expr& e, int k, const Expr* other = nullptr) {
  std::vector<std::complex<double>> v;
  auto integer = [](const Expr* x, const std::string& name) {
    return x &&
           std::find(x->integer_vars.begin(), x->integer_vars.end(), name) != x->integer_vars.end();
  };
  for (const auto& name : e.vars) {
    double x = point_value(name, k);
    v.emplace_back(integer(&e, name) || integer(other, name) ? std::floor(1 + 5.5 * (x - 0.5)) + k
                                                             : x);
  }
  return v;
}

bool finite(const Number& v) {
  return std::isfinite(v.z.real()) && std::isfinite(v.z.imag());
}

// A decimal written to at least this many significant digits is a computed
// value printed in full (a double has 15-17), not a rounding the problem asked
// for: like Math-Verify's numeric_precision = 15, 0.0833333333333333 = 1/12,
// while 0.333333333 is not 1/3.
constexpr int kFullPrecisionDigits = 15;

// `dec` (a decimal literal) agrees with the exact `v` to its last written digit.
bool full_precision_match(const Number& dec, const Number& v) {
  if (dec.digits < kFullPrecisionDigits || dec.n == 0) return false;
  long double x = static_cast<long double>(dec.n) / dec.d, y = static_cast<long double>(v.n) / v.d;
  long double unit = std::pow(10.0L, std::floor(std::log10(std::fabs(x))) - dec.digits + 1);
  return std::fabs(x - y) < unit;
}

bool close(const Number& a, const Number& b) {
  if (a.exact && b.exact)
    return (a.n == b.n && a.d == b.d) || full_precision_match(a, b) || full_precision_match(b, a);
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
    Number x = math::evaluate(a, ra, point(a, k, &b)), y = math::evaluate(b, rb, point(b, k, &a));
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

bool equivalent(const Value& p, const Value& g);

// Every item of `a` equals some item of `b`.
bool covers(const std::vector<Value>& a, const std::vector<Value>& b) {
  for (const auto& x : a) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j) found = equivalent(x, b[j]);
    if (!found) return false;
  }
  return true;
}

bool equivalent(const Value& p, const Value& g) {
  if (!p.text.empty() && p.text == g.text) return true;
  // Integers compare digit by digit: past 18 digits doubles cannot tell
  // 10^30 from 10^30 + 1, and multi-digit arithmetic answers get that long.
  std::string pi = integer_literal(p.text), gi = integer_literal(g.text);
  if (!pi.empty() && !gi.empty()) return pi == gi;
  // A list of boxes against one value: the last box is the answer.
  if (p.boxes && g.kind != Value::kSet && !p.items.empty()) return equivalent(p.items.back(), g);
  if (g.boxes && p.kind != Value::kSet && !g.items.empty()) return equivalent(p, g.items.back());
  if (!p.assigned.empty() || !g.assigned.empty()) {
    // "AB = 4" against "4": the value; against "AB = 4": the relation, or the
    // same name with an equal value ("x = 2+3 = 5" and "x = 5").
    auto relation = [](const Value& v) {
      return v.kind == Value::kExpr && v.expr.rel != Rel::kNone;
    };
    if (g.assigned.empty() && !relation(g)) return equivalent(p.assigned[0], g);
    if (p.assigned.empty() && !relation(p)) return equivalent(p, g.assigned[0]);
    if (!p.assigned.empty() && !g.assigned.empty() && p.name == g.name &&
        equivalent(p.assigned[0], g.assigned[0]))
      return true;
  }
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
      // A set ("\\{1,2,2\\}"): same members in any order, repeats counted once.
      // A list ("1, 2, 2", roots with their multiplicity): any order, repeats count.
      if (p.items.size() > kMaxItems || g.items.size() > kMaxItems) return false;
      if (!p.list && !g.list) return covers(p.items, g.items) && covers(g.items, p.items);
      if (p.items.size() != g.items.size()) return false;
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
  bool zero = comma == 1 ? s[0] == '0' : comma == 2 && s.compare(0, 2, "-0") == 0;
  if (s.size() - comma - 1 == 3 && !zero) return false;  // "1,234" is a thousands separator
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
  // "AB = 4", "x = 2+3 = 5": votes for the value.
  if (!v.assigned.empty()) return value_key(v.assigned[0]);
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
