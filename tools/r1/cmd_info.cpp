// r1 info: what a model directory holds, and what this build computes with.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "model/checkpoint.h"
#include "model/compute.h"
#include "model/config.h"
#include "util/error.h"
#include "util/system.h"

namespace r1 {

int cmd_info(const Args& args) {
  ArgParser p("r1 info --model DIR",
              "Print a model's family, parameter count, dtype, layers and "
              "context length\n(config only: weights are not loaded).");
  p.add("--model", "DIR", "model directory (Hugging Face layout)");
  p.add_switch("--system", "also print the compute setup (BLAS library, threads, OpenMP waiting)");
  if (!p.parse(args)) return 0;
  if (p.str("--model").empty() && !p.on("--system")) fail("r1 info: give --model DIR or --system");

  if (!p.str("--model").empty()) {
    const std::string dir = p.str("--model");
    ModelConfig c = load_config(dir + "/config.json");
    std::cout << "model:       " << dir << "\n"
              << "family:      " << c.model_type << "\n"
              << "parameters:  " << with_commas(c.num_parameters()) << "\n"
              << "dtype:       " << c.torch_dtype << "\n"
              << "weights:     " << weights_description(dir) << "\n"
              << "layers:      " << c.num_hidden_layers << "\n"
              << "hidden:      " << c.hidden_size << " (ffn " << c.intermediate_size << ")\n"
              << "heads:       " << c.num_attention_heads << " query / " << c.num_key_value_heads
              << " kv, head_dim " << c.head_dim << "\n"
              << "vocab:       " << c.vocab_size << "\n"
              << "context:     " << c.max_position_embeddings << "\n"
              << "rope:        theta " << c.rope_theta << ", " << c.rope_scaling.rope_type << "\n"
              << "embeddings:  " << (c.tie_word_embeddings ? "tied" : "untied") << "\n";
  }
  if (p.on("--system")) {
    std::cout << "blas:        " << blas_library() << "\n"
              << "threads:     " << compute_threads() << "\n"
              << "omp waiting: " << omp_waiting() << "\n";
    std::cout << "cuda:        " << cuda_summary() << "\n";
  }
  return 0;
}

}  // namespace r1
