// r1 data gen: synthetic reasoning tasks (arithmetic, countdown) as JSONL, for
// RL (prompt + answer), evaluation (held-out split) or SFT (--with-solution).
#include <iostream>

#include "args.h"
#include "commands.h"
#include "data/synthetic.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

// "3-5" -> {3, 5}; "4" -> {4, 4}.
std::pair<int, int> parse_range(const std::string& flag, const std::string& text) {
  try {
    size_t dash = text.find('-');
    size_t used = 0;
    int lo = std::stoi(text.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? text.size() : dash)) throw std::invalid_argument("");
    if (dash == std::string::npos) return {lo, lo};
    int hi = std::stoi(text.substr(dash + 1), &used);
    if (used != text.size() - dash - 1) throw std::invalid_argument("");
    return {lo, hi};
  } catch (const std::logic_error&) {
    fail(flag, ": expected N or MIN-MAX, got '", text, "'");
  }
}

int gen(const Args& args) {
  ArgParser p("r1 data gen --task arithmetic|countdown --n N --seed S --out F.jsonl [flags]",
              "Generate n distinct problems, deterministic for the seed. A problem's split is a\n"
              "hash of the problem (10% test), so train and test never overlap whatever the\n"
              "seeds or knobs. Arithmetic rows: {task, prompt, answer, a, op, b}; countdown\n"
              "rows: {task, prompt, numbers, target, solution} (every one solved by the\n"
              "generator). --with-solution adds an SFT \"completion\": worked steps in\n"
              "<think>...</think> then <answer>...</answer>, or for the rows beyond\n"
              "--think-fraction the direct <answer>...</answer> alone.");
  p.add("--task", "NAME", "arithmetic | countdown", "", true);
  p.add("--n", "N", "rows", "", true);
  p.add("--seed", "N", "random seed", "0");
  p.add("--split", "NAME", "train | test", "train");
  p.add("--out", "FILE", "JSONL output, - for stdout", "-");
  p.add("--digits", "N|MIN-MAX", "arithmetic: digits per operand", "3-5");
  p.add("--ops", "OPS", "arithmetic: operations drawn from (some of +-*)", "+-*");
  p.add("--count", "N", "countdown: numbers given (2..6)", "4");
  p.add("--max-value", "N", "countdown: numbers are 1..N", "100");
  p.add("--max-target", "N", "countdown: target is 1..N", "100");
  p.add_switch("--use-all", "countdown: solvable using every number exactly once");
  p.add_switch("--with-solution", "add an SFT \"completion\" (worked or direct)");
  p.add("--think-fraction", "X", "share of completions that think step by step", "1.0");
  if (!p.parse(args)) return 0;

  const std::string task = p.str("--task");
  const int64_t n = p.i64("--n");
  const uint64_t seed = static_cast<uint64_t>(p.i64("--seed"));
  const Split split = parse_split(p.str("--split"));
  SolutionOptions solution;
  solution.enabled = p.on("--with-solution");
  solution.think_fraction = p.f64("--think-fraction");
  std::vector<nlohmann::json> rows;
  if (task == "arithmetic") {
    ArithmeticOptions o;
    std::tie(o.min_digits, o.max_digits) = parse_range("--digits", p.str("--digits"));
    o.ops = p.str("--ops");
    rows = generate_arithmetic(o, n, seed, split, solution);
  } else if (task == "countdown") {
    CountdownOptions o;
    o.count = static_cast<int>(p.i64("--count"));
    o.max_value = static_cast<int>(p.i64("--max-value"));
    o.max_target = static_cast<int>(p.i64("--max-target"));
    o.use_all = p.on("--use-all");
    rows = generate_countdown(o, n, seed, split, solution);
  } else {
    fail("unknown task '", task, "' (known: arithmetic, countdown)");
  }
  auto out = open_output(p.str("--out"));
  for (const auto& row : rows) *out << row.dump() << "\n";
  if (p.str("--out") != "-")
    std::cerr << "wrote " << rows.size() << " " << task << " rows (" << p.str("--split") << ") to "
              << p.str("--out") << "\n";
  return 0;
}

}  // namespace

int cmd_data(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: r1 data gen --task arithmetic|countdown --n N --seed S --out F.jsonl\n"
                 "  (r1 data gen --help for its flags)\n";
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "gen") return gen(Args(args.begin() + 1, args.end()));
  fail("unknown subcommand 'data ", args[0], "' (known: gen)");
}

}  // namespace r1
