// Generators for the synthetic tasks; see synthetic.h. Randomness is our own
// SplitMix64 with rejection sampling (std:: distributions differ between
// standard libraries), so a seed gives the same rows on every platform.
#include "data/synthetic.h"

#include <algorithm>
#include <functional>
#include <set>

#include "util/error.h"

namespace r1 {
namespace {

// Draws without a new problem after which the knobs are taken to be exhausted.
constexpr int64_t kMaxFruitlessDraws = 200000;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // Uniform in [lo, hi], unbiased.
  int64_t uniform(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do x = splitmix64(state_);
    while (x >= limit);
    return lo + static_cast<int64_t>(x % range);
  }
  double unit() { return (splitmix64(state_) >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t state_;
};

int64_t pow10(int d) {
  int64_t p = 1;
  while (d-- > 0) p *= 10;
  return p;
}

std::string join_numbers(const std::vector<int64_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

// Distinct problems of one split: draw until `n` keys are new and in `split`.
// `draw(row, wanted)` draws a problem, asks wanted(key) before paying for its
// row (or its solver), and returns the key with `row` filled, or "".
using Wanted = std::function<bool(const std::string&)>;
std::vector<nlohmann::json> collect(
    int64_t n, Split split, const char* task,
    const std::function<std::string(nlohmann::json&, const Wanted&)>& draw) {
  if (n < 0) fail(task, ": --n must be >= 0");
  std::vector<nlohmann::json> rows;
  std::set<std::string> seen;
  const Wanted wanted = [&](const std::string& key) {
    return split_of(key) == split && !seen.count(key);
  };
  int64_t fruitless = 0;
  while (static_cast<int64_t>(rows.size()) < n) {
    nlohmann::json row;
    std::string key = draw(row, wanted);
    if (key.empty()) {
      if (++fruitless >= kMaxFruitlessDraws)
        fail(task, ": only ", rows.size(), " distinct problems of this split found after ",
             kMaxFruitlessDraws, " draws without a new one; widen the knobs or lower --n");
      continue;
    }
    fruitless = 0;
    seen.insert(key);
    rows.push_back(std::move(row));
  }
  return rows;
}

// The worked completion, thinking or direct; drawn from its own stream so the
// problems do not depend on whether solutions are asked for.
void add_completion(std::vector<nlohmann::json>& rows, const SolutionOptions& solution,
                    uint64_t seed, const std::function<std::string(const nlohmann::json&)>& steps,
                    const char* answer_field) {
  if (!solution.enabled) return;
  if (solution.think_fraction < 0 || solution.think_fraction > 1)
    fail("think fraction must be in [0, 1], got ", solution.think_fraction);
  Rng rng(seed ^ 0x7468696e6b000000ULL);  // "think"
  for (auto& row : rows) {
    const auto& a = row[answer_field];
    std::string answer = a.is_string() ? a.get<std::string>() : a.dump();
    std::string direct = "<answer>" + answer + "</answer>";
    row["completion"] = rng.unit() < solution.think_fraction
                            ? "<think>" + steps(row) + "</think> " + direct
                            : direct;
  }
}

}  // namespace

Split parse_split(const std::string& name) {
  if (name == "train") return Split::kTrain;
  if (name == "test") return Split::kTest;
  fail("unknown split '", name, "' (known: train, test)");
}

Split split_of(const std::string& problem_key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then mixed: stable across builds
  for (unsigned char c : problem_key) h = (h ^ c) * 0x100000001b3ULL;
  double u = (splitmix64(h) >> 11) * 0x1.0p-53;
  return u < kTestFraction ? Split::kTest : Split::kTrain;
}

std::string arithmetic_steps(int64_t a, char op, int64_t b) {
  // Compact on purpose: every step is a token the policy pays for in each
  // rollout, and the demo's response length is counted in these steps.
  std::vector<std::string> steps;
  auto digit = [](int64_t x, int i) { return static_cast<int>(x / pow10(i) % 10); };
  auto width = [](int64_t x) { return static_cast<int>(std::to_string(x).size()); };
  if (op == '+') {
    // Each step first rewrites what is left of both operands, so the digits
    // it adds are the last ones it just wrote: a small model copies them from
    // a fixed offset instead of counting back into the prompt (the "detailed
    // scratchpad" of Lee et al. 2023, Teaching Arithmetic to Small
    // Transformers). The digits found so far are rewritten too, newest first,
    // so the final answer is a plain copy of the last step.
    int carry = 0;
    std::string digits;
    for (int64_t ra = a, rb = b; ra > 0 || rb > 0 || carry; ra /= 10, rb /= 10) {
      int x = ra % 10, y = rb % 10, sum = x + y + carry;
      digits = std::to_string(sum % 10) + digits;
      steps.push_back(cat(ra, "+", rb, ": ", x, "+", y, "+", carry, "=", sum, " -> ", digits));
      carry = sum / 10;
    }
  } else if (op == '-') {
    int borrow = 0;
    for (int i = 0; i < width(a); ++i) {
      int x = digit(a, i), y = digit(b, i), r = x - y - borrow;
      steps.push_back(r < 0 ? cat(x, "+10-", y, "-", borrow, "=", r + 10)
                            : cat(x, "-", y, "-", borrow, "=", r));
      borrow = r < 0;
    }
  } else {
    std::vector<int64_t> partials;
    for (int i = 0; i < width(b); ++i) {
      int64_t part = a * digit(b, i) * pow10(i);
      steps.push_back(cat(a, "*", digit(b, i) * pow10(i), "=", part));
      partials.push_back(part);
    }
    if (partials.size() > 1)
      steps.push_back(join_numbers(partials, "+") + "=" + std::to_string(a * b));
  }
  std::string s;
  for (const auto& step : steps) s += step + (op == '+' ? "; " : ", ");
  int64_t result = op == '+' ? a + b : op == '-' ? a - b : a * b;
  return s + "so " + std::to_string(result);
}

std::vector<nlohmann::json> generate_arithmetic(const ArithmeticOptions& o, int64_t n,
                                                uint64_t seed, Split split,
                                                const SolutionOptions& solution) {
  if (o.min_digits < 1 || o.max_digits > 9 || o.min_digits > o.max_digits)
    fail("arithmetic: digits must satisfy 1 <= min <= max <= 9, got ", o.min_digits, "-",
         o.max_digits);
  if (o.ops.empty() || o.ops.find_first_not_of("+-*") != std::string::npos)
    fail("arithmetic: ops must be some of + - *, got '", o.ops, "'");
  Rng rng(seed);
  auto operand = [&] {
    int d = static_cast<int>(rng.uniform(o.min_digits, o.max_digits));
    return rng.uniform(d == 1 ? 0 : pow10(d - 1), pow10(d) - 1);
  };
  auto rows = collect(n, split, "arithmetic", [&](nlohmann::json& row, const Wanted& wanted) {
    char op = o.ops[rng.uniform(0, static_cast<int64_t>(o.ops.size()) - 1)];
    int64_t a = operand(), b = operand();
    if (op == '-' && a < b) std::swap(a, b);
    std::string key = op == '-' ? cat(a, "-", b) : cat(std::min(a, b), op, std::max(a, b));
    if (!wanted(key)) return std::string();
    int64_t answer = op == '+' ? a + b : op == '-' ? a - b : a * b;
    row = {{"task", "arithmetic"},
           {"prompt", cat("Compute ", a, " ", op, " ", b)},
           {"answer", std::to_string(answer)},
           {"a", a},
           {"op", std::string(1, op)},
           {"b", b}};
    return key;
  });
  add_completion(
      rows, solution, seed,
      [](const nlohmann::json& r) {
        return arithmetic_steps(r["a"], r["op"].get<std::string>()[0], r["b"]);
      },
      "answer");
  return rows;
}

namespace {

// A value the search made, kept in an arena so that strings are built only for
// the solution found, never for the branches tried.
struct Node {
  int64_t value;
  char op = 0;  // 0 = a given number
  int left = -1, right = -1;
};

class CountdownSolver {
 public:
  CountdownSolver(int64_t target, bool use_all) : target_(target), use_all_(use_all) {}

  // Depth-first over pairs and operations with exactly `ops` operations left;
  // `board` holds node indices. On success `path` holds the operations in order.
  bool search(const std::vector<int>& board, int ops) {
    std::vector<int64_t> values;
    for (int i : board) values.push_back(nodes[i].value);
    std::sort(values.begin(), values.end());
    auto key = std::make_pair(ops, values);
    if (failed_.count(key)) return false;
    for (size_t i = 0; i < board.size(); ++i)
      for (size_t j = i + 1; j < board.size(); ++j) {
        bool i_big = nodes[board[i]].value >= nodes[board[j]].value;
        const int big = i_big ? board[i] : board[j], small = i_big ? board[j] : board[i];
        const int64_t x = nodes[big].value, y = nodes[small].value;
        for (char op : {'+', '-', '*', '/'}) {
          int64_t v;
          if (op == '+') {
            if (__builtin_add_overflow(x, y, &v)) continue;
          } else if (op == '-') {
            if (x == y) continue;  // 0 helps no positive target
            v = x - y;
          } else if (op == '*') {
            if (__builtin_mul_overflow(x, y, &v)) continue;
          } else {
            if (y <= 1 || x % y) continue;
            v = x / y;
          }
          nodes.push_back({v, op, big, small});
          std::vector<int> next;
          for (size_t k = 0; k < board.size(); ++k)
            if (k != i && k != j) next.push_back(board[k]);
          next.push_back(static_cast<int>(nodes.size()) - 1);
          path.push_back(next.back());
          if (ops == 1 ? v == target_ && (!use_all_ || next.size() == 1) : search(next, ops - 1))
            return true;
          path.pop_back();
          nodes.pop_back();
        }
      }
    failed_.insert(key);
    return false;
  }

  std::vector<Node> nodes;  // the given numbers first
  std::vector<int> path;

 private:
  int64_t target_;
  bool use_all_;
  std::set<std::pair<int, std::vector<int64_t>>> failed_;
};

// The expression of `node` and its precedence: 3 = number, 2 = product or
// quotient, 1 = sum or difference; parentheses only where they change the value.
std::pair<std::string, int> render(const std::vector<Node>& nodes, int node) {
  const Node& n = nodes[node];
  if (!n.op) return {std::to_string(n.value), 3};
  auto [l, lp] = render(nodes, n.left);
  auto [r, rp] = render(nodes, n.right);
  bool left_paren = (n.op == '*' || n.op == '/') && lp == 1;
  bool right_paren = n.op == '/' ? rp < 3 : n.op != '+' && rp == 1;
  if (left_paren) l = "(" + l + ")";
  if (right_paren) r = "(" + r + ")";
  return {l + n.op + r, n.op == '+' || n.op == '-' ? 1 : 2};
}

}  // namespace

CountdownSolution solve_countdown(const std::vector<int64_t>& numbers, int64_t target,
                                  bool use_all) {
  const int most = static_cast<int>(numbers.size()) - 1;
  for (int ops = use_all ? most : 1; ops <= most; ++ops) {
    CountdownSolver solver(target, use_all);
    std::vector<int> board;
    for (int64_t x : numbers) {
      board.push_back(static_cast<int>(solver.nodes.size()));
      solver.nodes.push_back({x});
    }
    if (!solver.search(board, ops)) continue;
    CountdownSolution s;
    for (int node : solver.path) {
      const Node& n = solver.nodes[node];
      s.steps.push_back(
          cat(solver.nodes[n.left].value, n.op, solver.nodes[n.right].value, "=", n.value));
    }
    s.expression = render(solver.nodes, solver.path.back()).first;
    return s;
  }
  return {};
}

std::vector<nlohmann::json> generate_countdown(const CountdownOptions& o, int64_t n, uint64_t seed,
                                               Split split, const SolutionOptions& solution) {
  if (o.count < 2 || o.count > 6) fail("countdown: count must be in 2..6, got ", o.count);
  if (o.max_value < 1 || o.max_value > 10000)
    fail("countdown: max value must be in 1..10000, got ", o.max_value);
  if (o.max_target < 1 || o.max_target > 1000000)
    fail("countdown: max target must be in 1..1000000, got ", o.max_target);
  Rng rng(seed);
  auto rows =
      collect(n, split, "countdown", [&](nlohmann::json& row, const Wanted& wanted) -> std::string {
        std::vector<int64_t> numbers;
        for (int i = 0; i < o.count; ++i) numbers.push_back(rng.uniform(1, o.max_value));
        int64_t target = rng.uniform(1, o.max_target);
        // A target on the board needs no arithmetic.
        if (std::find(numbers.begin(), numbers.end(), target) != numbers.end()) return "";
        std::vector<int64_t> sorted = numbers;
        std::sort(sorted.begin(), sorted.end());
        std::string key = join_numbers(sorted, ",") + "->" + std::to_string(target);
        if (!wanted(key)) return "";
        CountdownSolution s = solve_countdown(numbers, target, o.use_all);
        if (s.expression.empty()) return "";
        row = {{"task", "countdown"},
               {"prompt", cat("Using the numbers [", join_numbers(numbers, ", "), "], make ",
                              target, " with + - * / and parentheses, using each number ",
                              o.use_all ? "exactly once" : "at most once")},
               {"numbers", numbers},
               {"target", target},
               {"solution", s.expression},
               {"steps", s.steps}};
        return key;
      });
  add_completion(
      rows, solution, seed,
      [](const nlohmann::json& r) {
        std::string s;
        for (const auto& step : r["steps"]) s += step.get<std::string>() + ". ";
        return s + "That makes " + std::to_string(r["target"].get<int64_t>()) + ".";
      },
      "solution");
  for (auto& row : rows) row.erase("steps");
  return rows;
}

}  // namespace r1
