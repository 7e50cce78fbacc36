// r1 eval: pass@1, cons@k, pass@k and response length of a model on a JSONL
// benchmark, sampled with the rollout engine (docs/design.md §1.5). Resumable.
#include <cstdio>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "eval/compare.h"
#include "eval/evaluator.h"
#include "eval/pass_at_k.h"
#include "util/error.h"

namespace r1 {
namespace {

void print_comparison(const EvalComparison& c) {
  auto number = [](const nlohmann::json& s, const std::string& key) {
    return s.contains(key) && s[key].is_number() ? s[key].get<double>() : 0.0;
  };
  const std::string cons = "cons@" + std::to_string(c.after.value("k", 0));
  std::printf("\n%-18s %8s %8s\n", "", "before", "after");
  for (const std::string& key : {std::string("pass@1"), cons})
    std::printf("%-18s %8.3f %8.3f\n", key.c_str(), number(c.before, key), number(c.after, key));
  std::printf("%-18s %8.1f %8.1f\n", "response tokens", number(c.before, "mean_response_tokens"),
              number(c.after, "mean_response_tokens"));
  std::printf("%-18s %8.3f %8.3f\n", "thinking", number(c.before, "think_fraction"),
              number(c.after, "think_fraction"));
  if (!c.example.found) return;
  std::printf("\nexample: %s  (answer %s)\n  before: %s\n  after:  %s\n",
              c.example.question.c_str(), c.example.gold.c_str(), c.example.before.c_str(),
              c.example.after.c_str());
}

}  // namespace

int cmd_eval(const Args& args) {
  ArgParser p("r1 eval --model DIR --data BENCH.jsonl [-k 16] [flags]",
              "Sample k completions per question (temperature 0.6, top-p 0.95: never greedy),\n"
              "score them with a verifier and report pass@1 (mean over the k), cons@k\n"
              "(majority vote; equivalent answers vote together; a tie goes to the answer\n"
              "sampled first), pass@k (unbiased estimator) and mean response length.\n"
              "Writes OUT/questions.jsonl (one line per question, appended as it goes: a\n"
              "re-run skips questions already there) and OUT/summary.json.\n"
              "Fields are found automatically: prompt / problem / question, and answer\n"
              "(GSM8K's \"#### n\" is understood); countdown rows need numbers + target.");
  p.add("--model", "DIR", "model directory (with its tokenizer)", "", true);
  p.add("--data", "FILE", "JSONL benchmark (file or directory of shards)", "", true);
  p.add("--out", "DIR", "output directory (default: eval-<data name>)");
  p.add("-k", "N", "samples per question", "16");
  p.add("--temperature", "X", "sampling temperature", "0.6");
  p.add("--top-p", "X", "nucleus sampling mass", "0.95");
  p.add("--max-new-tokens", "N", "tokens per completion at most", "1024");
  p.add("--template", "NAME", "r1_zero | chat | raw", "r1_zero");
  p.add("--reward", "NAME", "math | arithmetic | countdown | auto (from the rows)", "auto");
  p.add("--prompt-field", "NAME", "question field (default: found automatically)");
  p.add("--answer-field", "NAME", "answer field (default: answer, else solution; any case)");
  p.add("--instruction", "TEXT",
        "appended to each question; auto = the step-by-step \\boxed{} instruction with "
        "--template chat and the math reward",
        "auto");
  p.add("--seed", "N", "question i samples with seed + i", "0");
  p.add("--batch", "N", "sequences decoded together", "64");
  p.add("--limit", "N", "only the first N questions (0 = all)", "0");
  p.add_switch("--quiet", "no progress lines");
  p.add("--baseline", "DIR",
        "an earlier eval's output dir on the same data: print both side by side and one "
        "question it got wrong that this model solves");
  if (!p.parse(args)) return 0;

  EvalConfig c;
  c.model_dir = p.str("--model");
  c.data_path = p.str("--data");
  if (p.given("--out")) {
    c.out_dir = p.str("--out");
  } else {
    std::string name = c.data_path;
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    name = name.substr(name.find_last_of('/') + 1);
    c.out_dir = "eval-" + name.substr(0, name.rfind(".jsonl"));
  }
  c.k = p.i64("-k");
  c.temperature = p.f64("--temperature");
  c.top_p = p.f64("--top-p");
  c.max_new_tokens = p.i64("--max-new-tokens");
  c.template_name = p.str("--template");
  c.reward = p.str("--reward");
  if (p.given("--prompt-field")) c.prompt_field = p.str("--prompt-field");
  if (p.given("--answer-field")) c.answer_field = p.str("--answer-field");
  c.instruction = p.str("--instruction");
  c.seed = static_cast<uint64_t>(p.i64("--seed"));
  c.max_batch = p.i64("--batch");
  c.limit = p.i64("--limit");
  c.quiet = p.on("--quiet");

  nlohmann::json s = run_eval(c);
  const std::string cons = "cons@" + std::to_string(c.k);
  std::printf("questions %lld  k %lld  reward %s\n", static_cast<long long>(s["questions"]),
              static_cast<long long>(c.k), s["reward"].get<std::string>().c_str());
  if (s["questions"].get<int64_t>() > 0) {
    std::printf("pass@1 %.3f  %s %.3f\n", s["pass@1"].get<double>(), cons.c_str(),
                s[cons].get<double>());
    std::string pass;
    for (int64_t k : reported_ks(c.k))
      if (k > 1)
        pass += cat(pass.empty() ? "" : "  ", "pass@", k, " ",
                    std::to_string(s["pass@k"][std::to_string(k)].get<double>()).substr(0, 5));
    if (!pass.empty()) std::printf("%s\n", pass.c_str());
    std::printf("mean response tokens %.1f  thinking %.3f  truncated %.3f\n",
                s["mean_response_tokens"].get<double>(), s["think_fraction"].get<double>(),
                s["truncated_fraction"].get<double>());
  }
  std::cout << "wrote " << c.out_dir << "/summary.json\n";
  if (p.given("--baseline")) print_comparison(compare_evals(p.str("--baseline"), c.out_dir));
  return 0;
}

}  // namespace r1
