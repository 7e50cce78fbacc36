// A bounded parser and evaluator for the answers models write: LaTeX or plain
// (\frac, \sqrt[n]{}, ^, \cdot, \times, \pi, e, i, implicit multiplication,
// \sin, \log_b, n!, \binom, |x|) and one relation (=, \ne, <, \le, >, \ge).
// It is not a CAS: equivalence (equivalence.cpp) evaluates both sides exactly
// where they are rational and at random points otherwise. Every parse is
// bounded (input length, nesting depth) and reports failure by returning
// false, never by throwing, so a pathological answer cannot hang training.
#pragma once

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace r1::math {

// A number during evaluation: always a complex double, and also an exact
// rational n/d while every step so far was exact (integers, decimals, + - * /,
// integer powers, perfect-square roots) and fits in 64 bits.
struct Number {
  std::complex<double> z;
  bool exact = false;
  int64_t n = 0, d = 1;  // valid when exact; d > 0, gcd(n, d) = 1
  int digits = 0;        // significant digits of a decimal literal as written ("0.0833": 3), else 0
};

enum class Op : uint8_t {
  kNum,
  kVar,
  kPi,
  kE,
  kI,
  kInf,  // leaves
  kNeg,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kRoot,
  kFact,
  kBinom,
  kAbs,
  kFunc,
  kLog,
  kSum,  // \sum_{var=b}^{c} a, evaluated term by term
  kProd
};

struct Node {
  Op op = Op::kNum;
  int a = -1, b = -1;  // children (kRoot: a = radicand, b = index; kLog: a = arg, b = base or -1)
  int c = -1;          // kSum / kProd: upper bound (a = body, b = lower bound, var = index)
  Number value;        // kNum
  int var = -1;        // kVar: index into Expr::vars
  std::string func;    // kFunc: "sin", "cos", ...
};

// Relations are stored with > and >= swapped into < and <=, so "x > 1" and
// "1 < x" have the same shape.
enum class Rel : uint8_t { kNone, kEq, kNe, kLt, kLe };

struct Expr {
  std::vector<Node> nodes;
  int lhs = -1;  // the expression, or the left side of a relation
  int rhs = -1;  // right side when rel != kNone
  Rel rel = Rel::kNone;
  std::vector<std::string> vars;  // free variable names, in order of first use
  // Variables in a \sum / \prod bound ("n" in \sum_{k=1}^{n}): compared at
  // integer points, where the sum has a value.
  std::vector<std::string> integer_vars;
};

// Longest input the parser accepts, and deepest nesting; beyond either the
// answer is not parsed (equivalence falls back to comparing text).
constexpr size_t kMaxExprBytes = 1000;
constexpr int kMaxDepth = 64;
// Most terms one evaluation may add or multiply over all its sums and
// products; beyond it the value is NaN (not compared), so \sum_{k=1}^{10^9}
// cannot hang a reward.
constexpr int64_t kMaxSumTerms = 20000;

// Parses `s`; false if it is not an expression this parser understands.
bool parse_expr(const std::string& s, Expr* out);

// True if the subtree at `root` mentions a variable.
bool uses_vars(const Expr& e, int root);

// Evaluates node `root` with variable i set to values[i]. Non-finite results
// (division by zero, unsupported factorial, ...) come back as NaN.
Number evaluate(const Expr& e, int root, const std::vector<std::complex<double>>& values);

}  // namespace r1::math
