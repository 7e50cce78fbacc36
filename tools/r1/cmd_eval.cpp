// r1 eval: pass@1, cons@k, pass@k and response length of a model on a JSONL
// benchmark, sampled with the rollout engine (docs/design.md §1.5). Resumable.
#include <cstdio>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "compute_flags.h"
#include "dist/process_group.h"
#include "eval/compare.h"
#include "eval/evaluator.h"
#include "eval/pass_at_k.h"
#include "model/config.h"
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
              "Fields are found automatically: prompt / problem / question / messages, and\n"
              "answer / solution (GSM8K's \"#### n\" and MATH's \\boxed{} are understood);\n"
              "countdown rows need numbers + target. Prompts are rendered as r1 train and\n"
              "r1 sample render them: pass the same --template, --system-prompt,\n"
              "--instruction and --chat-template-kwargs as the run's [data] section (or\n"
              "--config RUN.toml to take them from it).\n"
              "Sampling defaults come from the model's generation_config.json, else R1's\n"
              "temperature 0.6, top-p 0.95.");
  p.add("--model", "DIR", "model directory (with its tokenizer)", "", true);
  p.add("--data", "FILE", "JSONL benchmark (file or directory of shards)", "", true);
  p.add("--out", "DIR", "output directory (default: eval-<data name>)");
  p.add("-k", "N", "samples per question", "16");
  p.add("--temperature", "X", "sampling temperature (default: generation_config.json, else 0.6)");
  p.add("--top-p", "X", "nucleus sampling mass (default: generation_config.json, else 0.95)");
  p.add("--top-k", "N", "top-k sampling, 0 = off (default: generation_config.json, else 0)");
  p.add("--max-new-tokens", "N", "tokens per completion at most", "1024");
  p.add("--config", "RUN.toml",
        "take the prompt settings ([data] template, fields, system prompt, instruction, "
        "chat_template_kwargs) from a train or sample run file; flags below override them");
  p.add("--template", "NAME", "r1_zero | chat | raw [default: r1_zero]");
  p.add("--reward", "NAME", "math | arithmetic | countdown | auto (from the rows)", "auto");
  p.add("--prompt-field", "NAME", "question field (default: found automatically)");
  p.add("--answer-field", "NAME", "answer field (default: answer, else solution; any case)");
  p.add("--system-prompt", "TEXT", "chat: a system turn before each question");
  p.add("--instruction", "TEXT",
        "appended to each question after a newline; boxed = R1's 'Please reason step by step, "
        "and put your final answer within \\boxed{}.'");
  p.add("--chat-template-kwargs", "JSON",
        "chat: extra template variables, e.g. '{\"enable_thinking\": false}'");
  p.add("--max-prompt-tokens", "N", "longest prompt in tokens (0 = the model context less one)");
  p.add("--overlong-prompts", "WHAT",
        "error | skip | truncate_left: a longer prompt stops the run, is left out, or keeps its "
        "last tokens [default: error]");
  p.add("--seed", "N", "question i samples with seed + i", "0");
  p.add("--batch", "N", "sequences decoded together", "64");
  p.add("--limit", "N", "only the first N questions (0 = all)", "0");
  p.add_switch("--quiet", "no progress lines");
  p.add("--baseline", "DIR",
        "an earlier eval's output dir on the same data: print both side by side and one "
        "question it got wrong that this model solves");
  add_compute_flags(p);
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
  const GenerationDefaults defaults = generation_defaults(c.model_dir);
  c.temperature =
      p.given("--temperature") ? p.f64("--temperature") : defaults.temperature.value_or(0.6);
  c.top_p = p.given("--top-p") ? p.f64("--top-p") : defaults.top_p.value_or(0.95);
  c.top_k = p.given("--top-k") ? p.i64("--top-k") : defaults.top_k.value_or(0);
  c.max_new_tokens = p.i64("--max-new-tokens");
  if (p.given("--config")) c.prompt = prompt_format_of_run_file(p.str("--config"));
  if (p.given("--template")) c.prompt.template_name = p.str("--template");
  c.reward = p.str("--reward");
  if (p.given("--prompt-field")) c.prompt.prompt_field = p.str("--prompt-field");
  if (p.given("--answer-field")) c.prompt.answer_field = p.str("--answer-field");
  if (p.given("--system-prompt")) c.prompt.system_prompt = p.str("--system-prompt");
  if (p.given("--instruction")) c.prompt.instruction = p.str("--instruction");
  if (p.given("--chat-template-kwargs"))
    c.prompt.chat_template_kwargs = p.json_object("--chat-template-kwargs");
  if (p.given("--max-prompt-tokens")) c.prompt.max_prompt_tokens = p.i64("--max-prompt-tokens");
  if (p.given("--overlong-prompts")) c.prompt.overlong_prompts = p.str("--overlong-prompts");
  c.seed = static_cast<uint64_t>(p.i64("--seed"));
  c.max_batch = p.i64("--batch");
  c.limit = p.i64("--limit");
  c.quiet = p.on("--quiet");
  c.compute = compute_flags(p);

  nlohmann::json s = run_eval(c);
  if (dist::world().rank() != 0) return 0;  // rank 0 reports
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
