// r1 sample: rejection sampling (R1 §2.3.3) and teacher traces for
// distillation: k completions per prompt, keep the verified and readable ones,
// write SFT-ready JSONL with provenance. Resumable.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "dist/process_group.h"
#include "sample/rejection_sampling.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

// "math" or "math:0.5" -> a [[rewards]] item.
RewardSpec reward_flag(const std::string& text) {
  RewardSpec spec;
  size_t colon = text.find(':');
  spec.name = text.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      size_t used = 0;
      spec.weight = std::stod(text.substr(colon + 1), &used);
      if (used != text.size() - colon - 1) throw std::invalid_argument("");
    } catch (const std::logic_error&) {
      fail("--reward ", text, ": expected NAME or NAME:WEIGHT");
    }
  }
  return spec;
}

}  // namespace

int cmd_sample(const Args& args) {
  ArgParser p("r1 sample [RUN.toml] [--model DIR --data F.jsonl --reward NAME ...] [flags]",
              "Rejection sampling: sample k completions per prompt, score them with the\n"
              "rewards, keep the passing ones (filter.keep = all | best | random) that also\n"
              "pass the readability filters, and write OUT/samples.jsonl for r1 sft\n"
              "({prompt, completion} or {messages}, with model, rewards, sample index and\n"
              "seed). OUT/prompts.jsonl records every prompt done; --resume continues a\n"
              "run. Every config field is listed by --print-config; flags below set the\n"
              "common ones, --set any.");
  p.allow_positional("RUN.toml", "optional run configuration (flags and --set apply on top)");
  p.add("--model", "DIR", "model.path: model directory (with its tokenizer)");
  p.add("--data", "FILE", "data.path: prompts JSONL ({prompt, answer} lines)");
  p.add("--out", "DIR", "output.dir");
  p.add("-k", "N", "sampling.k: completions per prompt");
  p.add("--temperature", "X", "sampling.temperature");
  p.add("--top-p", "X", "sampling.top_p");
  p.add("--max-new-tokens", "N", "sampling.max_new_tokens");
  p.add("--template", "NAME", "data.template: r1_zero | chat | raw");
  p.add("--keep", "POLICY", "filter.keep: all | best | random");
  p.add("--seed", "N", "sampling.seed: prompt i samples with seed + i");
  p.add("--limit", "N", "data.limit: only the first N prompts");
  p.add_repeated("--reward", "NAME[:WEIGHT]",
                 "a reward (repeatable; replaces the file's [[rewards]]); the first decides "
                 "correctness unless filter.accuracy_reward is set");
  p.add_repeated("--set", "KEY=VALUE", "override a config field, e.g. --set filter.max_tokens=512");
  p.add_switch("--resume", "continue the run in the output dir");
  p.add_switch("--print-config", "print the resolved configuration and exit");
  p.add_switch("--quiet", "no progress lines");
  if (!p.parse(args)) return 0;
  if (p.positional().size() > 1) fail("r1 sample: give at most one RUN.toml");
  // The flags' defaults are the config's: printed without a run file, they
  // show every key with its default.

  std::vector<std::string> overrides;
  auto flag = [&](const char* name, const char* key, bool quote) {
    if (!p.given(name)) return;
    overrides.push_back(cat(key, "=", quote ? nlohmann::json(p.str(name)).dump() : p.str(name)));
  };
  flag("--model", "model.path", true);
  flag("--data", "data.path", true);
  flag("--out", "output.dir", true);
  flag("-k", "sampling.k", false);
  flag("--temperature", "sampling.temperature", false);
  flag("--top-p", "sampling.top_p", false);
  flag("--max-new-tokens", "sampling.max_new_tokens", false);
  flag("--template", "data.template", true);
  flag("--keep", "filter.keep", true);
  flag("--seed", "sampling.seed", false);
  flag("--limit", "data.limit", false);
  for (const auto& o : p.all("--set")) overrides.push_back(o);
  SampleConfig config = p.positional().empty() ? parse_sample_config("", "flags", overrides)
                                               : load_sample_config(p.positional()[0], overrides);
  if (!p.all("--reward").empty()) {
    config.rewards.clear();
    for (const auto& r : p.all("--reward")) config.rewards.push_back(reward_flag(r));
  }
  if (p.on("--print-config")) {
    std::cout << dump_sample_config(config);
    return 0;
  }
  SampleOptions options;
  options.resume = p.on("--resume");
  options.quiet = p.on("--quiet");
  nlohmann::json s = run_sample(config, options);
  if (dist::world().rank() != 0) return 0;  // rank 0 reports
  std::printf("prompts %lld  sampled %lld  passed %lld (%.1f%%)  kept %lld from %lld prompts\n",
              static_cast<long long>(s["prompts"]), static_cast<long long>(s["sampled"]),
              static_cast<long long>(s["passed"]), 100 * s["pass_rate"].get<double>(),
              static_cast<long long>(s["kept"]), static_cast<long long>(s["prompts_with_kept"]));
  if (!s["rejected"].empty()) {
    std::string why;
    for (const auto& [reason, n] : s["rejected"].items())
      why += cat(why.empty() ? "" : ", ", reason, " ", n.get<int64_t>());
    std::printf("rejected: %s\n", why.c_str());
  }
  std::cout << "wrote " << config.output_dir << "/samples.jsonl (train on it with r1 sft, "
            << "data.template = \"" << config.prompt.template_name << "\")\n";
  return 0;
}

}  // namespace r1
