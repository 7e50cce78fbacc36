// r1-torch: the r1 commands that need libtorch. Users run `r1`, which sets
// the BLAS/OpenMP environment and execs this binary (main.cpp says why);
// run directly, it sets that environment itself by re-executing once.
#include <cstring>
#include <iostream>

#include "dispatch.h"
#include "util/interrupt.h"
#include "util/system.h"

namespace {

struct Command {
  const char* name;
  r1::CommandFn run;
};

const Command kCommands[] = {
    {"init", r1::cmd_init},   {"info", r1::cmd_info},     {"score", r1::cmd_score},
    {"train", r1::cmd_train}, {"sft", r1::cmd_sft},       {"generate", r1::cmd_generate},
    {"eval", r1::cmd_eval},   {"sample", r1::cmd_sample}, {"pipeline", r1::cmd_pipeline},
    {"serve", r1::cmd_serve},
};

}  // namespace

int main(int argc, char** argv) {
  r1::select_blas_kernels(argv);
  // Before any thread starts: a Ctrl-C must not land on a thread inside
  // oneDNN's GEMM (util/interrupt.h says why).
  r1::keep_signals_off_compute_threads();
  for (const auto& c : kCommands) {
    if (argc < 2 || std::strcmp(argv[1], c.name) != 0) continue;
    r1::configure_threads();
    r1::configure_allocator();
    return r1::run_command(c.name, c.run, r1::Args(argv + 2, argv + argc));
  }
  std::cerr << "r1-torch: expected one of init, info, score, train, sft, generate, eval, sample, "
               "pipeline, serve (r1 --help lists every command)\n";
  return 1;
}
