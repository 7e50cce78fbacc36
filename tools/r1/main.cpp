// r1: the one binary. Dispatches to a subcommand; every user-caused error is an
// r1::Error caught here and printed as one line, exit code 1.
#include <cstring>
#include <iostream>

#include "commands.h"
#include "util/error.h"
#include "util/system.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const r1::Args&);
  const char* summary;
};

const Command kCommands[] = {
    {"init", r1::cmd_init, "create a randomly initialised model in Hugging Face layout"},
    {"info", r1::cmd_info, "print a model's family, size, dtype and context length"},
    {"score", r1::cmd_score, "per-token log-probs of token ids from JSONL"},
    {"tokenize", r1::cmd_tokenize, "text -> token ids with a Hugging Face tokenizer.json"},
    {"tokenizer", r1::cmd_tokenizer, "train a tiny byte-level BPE tokenizer (r1 tokenizer train)"},
    {"train", r1::cmd_train, "GRPO training from a TOML run file (R1-Zero / reasoning RL)"},
    {"sft", r1::cmd_sft, "supervised fine-tuning from a TOML run file (cold start, distillation)"},
    {"generate", r1::cmd_generate, "sample completions (streaming, or JSONL for many prompts)"},
    {"verify", r1::cmd_verify,
     "check answers against references (math, countdown, arithmetic) from JSONL"},
    {"data", r1::cmd_data, "generate synthetic reasoning tasks as JSONL (r1 data gen)"},
    {"eval", r1::cmd_eval, "pass@1, cons@k, pass@k of a model on a JSONL benchmark"},
    {"sample", r1::cmd_sample, "rejection sampling: keep verified completions as SFT JSONL"},
    {"pipeline", r1::cmd_pipeline, "run ordered sft/train/sample/eval stages from one TOML file"},
    {"plot", r1::cmd_plot, "draw a GRPO run's curves (reward, accuracy, length, thinking) as PNG"},
};

void print_usage() {
  std::cout << "r1: DeepSeek-R1 training (GRPO, SFT, distillation) in C++\n\n"
               "usage: r1 COMMAND [flags]   (r1 COMMAND --help for its flags)\n\ncommands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  r1::select_blas_kernels(argv);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 1 : 0;
  }
  r1::configure_threads();
  r1::configure_allocator();
  r1::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(args);
    } catch (const r1::Error& e) {
      std::cerr << "r1 " << c.name << ": error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "r1 " << c.name << ": internal error: " << e.what() << "\n";
      return 2;
    }
  }
  std::cerr << "r1: unknown command '" << argv[1] << "' (r1 --help lists them)\n";
  return 1;
}
