// r1: the command users run. It is linked without libtorch and runs the
// commands that do not need it (help, verify, tokenize, tokenizer, data,
// plot, dashboard) itself; it hands every other command to r1-torch, the binary beside
// it, with one exec.
//
// Why two binaries: loading libtorch (~290 shared libraries, their
// relocations and static initialisers) costs ~0.4 s on a quiet machine and
// seconds under load, which `r1 verify` in a shell loop or a reward server
// should not pay. OpenBLAS and libgomp read their settings from the
// environment once, when loaded, so this process sets it first
// (set_blas_environment) and r1-torch loads libtorch once; before, r1
// re-executed itself after loading libtorch to set it, paying the load twice.
// A dlopen()ed project library would avoid the exec too, but would need the
// whole torch side built as position-independent shared code; an exec of a
// second executable costs about a millisecond and keeps the build as it is.
#include <unistd.h>

#include <climits>
#include <cstring>
#include <iostream>
#include <string>

#include "dispatch.h"
#include "util/blas_env.h"

namespace {

struct Command {
  const char* name;
  r1::CommandFn run;  // nullptr: the command needs libtorch and runs in r1-torch
  const char* summary;
};

const Command kCommands[] = {
    {"init", nullptr, "create a randomly initialised model in Hugging Face layout"},
    {"info", nullptr, "print a model's family, size, dtype and context length"},
    {"score", nullptr, "per-token log-probs of token ids from JSONL"},
    {"tokenize", r1::cmd_tokenize, "text -> token ids with a Hugging Face tokenizer.json"},
    {"tokenizer", r1::cmd_tokenizer, "train a tiny byte-level BPE tokenizer (r1 tokenizer train)"},
    {"train", nullptr, "GRPO training from a TOML run file (R1-Zero / reasoning RL)"},
    {"sft", nullptr, "supervised fine-tuning from a TOML run file (cold start, distillation)"},
    {"generate", nullptr, "sample completions (streaming, or JSONL for many prompts)"},
    {"verify", r1::cmd_verify,
     "check answers against references (math, countdown, arithmetic) from JSONL"},
    {"data", r1::cmd_data, "generate synthetic reasoning tasks as JSONL (r1 data gen)"},
    {"eval", nullptr, "pass@1, cons@k, pass@k of a model on a JSONL benchmark"},
    {"sample", nullptr, "rejection sampling: keep verified completions as SFT JSONL"},
    {"pipeline", nullptr, "run ordered sft/train/sample/eval stages from one TOML file"},
    {"serve", nullptr, "OpenAI-compatible HTTP server on the rollout engine"},
    {"dashboard", r1::cmd_dashboard, "live training dashboard of run directories in a browser"},
    {"plot", r1::cmd_plot, "draw every metric a run logged (GRPO or SFT) as one PNG"},
    {"launch", r1::cmd_launch,
     "run a command as N data-parallel processes (torchrun's variables; docs/distributed.md)"},
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

// Replaces this process with r1-torch (same directory as this executable),
// same arguments; returns only on failure.
int exec_torch(char** argv) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string(argv[0]);
  dir = dir.substr(0, dir.rfind('/') + 1);
  std::string torch = dir + "r1-torch";
  r1::set_blas_environment();
  ::setenv("R1_NO_BLAS_REEXEC", "1", 1);  // r1-torch: the environment is already set
  ::execv(torch.c_str(), argv);
  std::cerr << "r1 " << argv[1] << ": error: cannot run " << torch << ": " << std::strerror(errno)
            << " (r1-torch is built beside r1: cmake --build build --target r1-torch)\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 1 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    if (!c.run) return exec_torch(argv);
    return r1::run_command(c.name, c.run, r1::Args(argv + 2, argv + argc));
  }
  std::cerr << "r1: unknown command '" << argv[1] << "' (r1 --help lists them)\n";
  return 1;
}
