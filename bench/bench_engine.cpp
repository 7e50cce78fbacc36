// Rollout-engine throughput: a 64-token prompt shared by all sequences, 128
// new tokens, at 1, 8 and 64 sequences, on random Qwen2 models with the real
// Qwen2.5 vocabulary. Decode is reported against the ceilings measured in the
// same run: at 1 sequence, weight bytes x tokens/s / streaming-read bandwidth
// (decode is memory-bound); at 8 and 64, useful FLOP/s / the faster sgemm's FLOP/s.
//   build/bench/bench_engine [--quick] [--save DIR] [--shape small|0.5B] [--seqs 1,8,64]
// --save DIR writes the models (DIR/small, DIR/0.5B) so tools/bench_hf_generate.py
// can run transformers on the same files.
#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "model/gemm.h"
#include "util/system.h"

using namespace r1;

namespace {

// Multiply-add FLOPs of decoding one token at context length S.
double decode_flops(const ModelConfig& c, double S) {
  const double C = c.hidden_size, D = c.head_dim, H = c.num_attention_heads,
               K = c.num_key_value_heads, F = c.intermediate_size;
  double linear = C * H * D + 2 * C * K * D + H * D * C + 3 * C * F;
  return 2 * (c.num_hidden_layers * (linear + 2 * H * D * S) + c.vocab_size * C);
}

// Bytes a decode step must read at batch 1: every linear weight and the LM head.
double weight_bytes(const ModelConfig& c) {
  return 4.0 * (c.num_parameters() - c.num_hidden_layers * 2 * c.hidden_size);
}

std::vector<int64_t> parse_list(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  select_blas_kernels(argv);
  configure_threads();
  std::string save_dir, only_shape;
  std::vector<int64_t> seq_counts = {1, 8, 64};
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--save") && i + 1 < argc)
      save_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--shape") && i + 1 < argc)
      only_shape = argv[++i];
    else if (!std::strcmp(argv[i], "--seqs") && i + 1 < argc)
      seq_counts = parse_list(argv[++i]);
  }
  const int64_t kPrompt = 64, kNew = quick ? 32 : 128;

  std::cout << "blas: " << blas_library() << ", threads: " << compute_threads() << "\n";
  // The ceiling is the faster of the two sgemm paths (decode uses model/gemm.h).
  const double blas_gemm = bench::sgemm_gflops(), model_gemm = bench::model_sgemm_gflops();
  const double gemm = std::max(blas_gemm, model_gemm);
  const double read = bench::read_gbps();
  std::cout << "baseline sgemm 1024^3: " << bench::fixed(blas_gemm, 1) << " GFLOP/s (at::mm), "
            << bench::fixed(model_gemm, 1) << " GFLOP/s (model/gemm.h"
            << (gemm_uses_onednn() ? ", oneDNN" : "")
            << "); streaming read: " << bench::fixed(read, 1) << " GB/s\n\n";
  std::cout << "| model | seqs | prefill tok/s | decode tok/s | decode vs ceiling |\n"
            << "|---|---|---|---|---|\n";

  for (const bench::BenchShape& s : bench::bench_shapes()) {
    if (!only_shape.empty() && only_shape != s.name) continue;
    if (quick && s.name == "0.5B") continue;
    ModelConfig c = bench::qwen2_bench_config(s);
    Model model = init_model(c, 0);
    if (!save_dir.empty()) save_model(model, save_dir + "/" + s.name, {});
    std::vector<int64_t> prompt(kPrompt);
    for (int64_t t = 0; t < kPrompt; ++t) prompt[t] = (t * 7919) % c.vocab_size;

    for (int64_t seqs : seq_counts) {
      SamplingParams params;  // temperature 1, no stop: always kNew tokens
      auto run = [&](int64_t new_tokens) {
        params.max_new_tokens = new_tokens;
        generate(model, {{prompt, seqs, 1}}, params);
      };
      const int runs = s.name == "0.5B" && seqs == 64 ? 1 : 3;
      double t_prefill = bench::median_seconds([&] { run(1); }, runs, 0.0);
      double t_total = bench::median_seconds([&] { run(kNew); }, runs, 0.0);
      double decode_tps = seqs * (kNew - 1) / (t_total - t_prefill);
      double ceiling;
      std::string what;
      if (seqs == 1) {
        ceiling = weight_bytes(c) * decode_tps / 1e9 / read;
        what = " of read bandwidth";
      } else {
        ceiling = decode_flops(c, kPrompt + kNew / 2.0) * decode_tps / 1e9 / gemm;
        what = " of sgemm";
      }
      std::cout << "| " << s.name << " | " << seqs << " | " << bench::fixed(kPrompt / t_prefill, 0)
                << " | " << bench::fixed(decode_tps, 1) << " | " << bench::fixed(100 * ceiling, 0)
                << "%" << what << " |" << std::endl;
    }
  }
  return 0;
}
