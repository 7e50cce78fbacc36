// Rollout-engine throughput: a 64-token prompt shared by all sequences, 128
// new tokens, at 1, 8 and 64 sequences, on random Qwen2 models with the real
// Qwen2.5 vocabulary. Decode is reported against the ceilings measured in the
// same run: at 1 sequence, weight bytes x tokens/s / streaming-read bandwidth
// (decode is memory-bound); at 8 and 64, useful FLOP/s / the faster sgemm's FLOP/s.
//   build/bench/bench_engine [--quick] [--save DIR] [--shape small|0.5B] [--seqs 1,8,64]
//                            [--profile] [--precision fp32,bf16] [--device cpu|cuda[:N]]
// --precision runs each listed precision (model/compute.h) on the same weights,
// one after the other in this process: bf16's decode tok/s is also given as a
// ratio to fp32's.
// --save DIR writes the models (DIR/small, DIR/0.5B) so tools/bench_hf_generate.py
// can run transformers on the same files. --profile splits one decode step
// (each seqs count, context 128) into the transformer body and the LM head +
// draw, and times the body's attention and the LM head product alone.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>

#include "bench_util.h"
#include "engine/generator.h"
#include "engine/policy_sampler.h"
#include "model/checkpoint.h"
#include "model/compute.h"
#include "model/decode_attention.h"
#include "model/decode_gemm.h"
#include "model/gemm.h"
#include "model/master_weights.h"
#include "util/error.h"
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

// One decode step of `seqs` rows at context 128 (the first 64 columns a
// prompt all rows share, model/decode_attention.h SharedColumns), in parts: forward_hidden
// (layers + final norm), sample_policy (LM head + softmax statistics + draw),
// and the LM head product on its own (decode_gemm over vocabulary blocks).
void profile_step(const Model& model, int64_t seqs) {
  const ModelConfig& c = model.config;
  const int64_t context = 128, C = c.hidden_size, V = c.vocab_size;
  at::NoGradGuard no_grad;
  KVCache cache = make_kv_cache(model, seqs, context + 1);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l].normal_();
    cache.values[l].normal_();
  }
  // As in the workload, every row's first 64 columns are the shared prompt's.
  cache.shared.assign(seqs, SharedColumns{0, 64});
  auto mask = at::ones({seqs, context + 1}, at::kLong);
  auto ids = at::randint(V, {seqs, 1}, at::kLong);
  auto pos = at::full({seqs, 1}, context, at::kLong);
  const double t_body = bench::median_seconds([&] {
    cache.length = context;
    forward_hidden(model, ids, pos, mask, &cache);
  });
  // Every layer's attention (norms, RoPE, append, attention) on its own cache.
  DecodeAttention attention;
  attention.qkv =
      at::randn({seqs, (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim});
  attention.cos = at::ones({seqs, c.head_dim});
  attention.sin = at::zeros({seqs, c.head_dim});
  attention.slot = context;
  attention.bias = at::zeros({1, context + 1}).expand({seqs, context + 1});
  attention.shared = cache.shared.data();
  const double t_attention = bench::median_seconds([&] {
    for (size_t l = 0; l < cache.keys.size(); ++l) {
      attention.keys = cache.keys[l];
      attention.values = cache.values[l];
      decode_attention(attention);
    }
  });
  auto hidden = at::randn({seqs, C});
  std::vector<SequenceRng> rng_store;
  for (int64_t b = 0; b < seqs; ++b) rng_store.emplace_back(b);
  std::vector<SequenceRng*> rngs;
  for (auto& r : rng_store) rngs.push_back(&r);
  std::vector<SampledToken> out(seqs);
  const double t_sample =
      bench::median_seconds([&] { sample_policy(hidden, model.lm_head, rngs.data(), out.data()); });
  double t_gemm = 0;
  const int64_t Bp = decode_lanes(seqs);
  if (seqs >= kDecodeGemmMinRows) {
    auto packed = at::empty({C, Bp});
    pack_rows(hidden.data_ptr<float>(), seqs, C, C, Bp, packed.data_ptr<float>());
    const int64_t block = 1024, blocks = (V + block - 1) / block;
    const float* w = model.lm_head.data_ptr<float>();
    t_gemm = bench::median_seconds([&] {
      at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> y(block * Bp);
        for (int64_t k = begin; k < end; ++k)
          weight_times_rows(w + k * block * C, std::min(block, V - k * block), C,
                            packed.data_ptr<float>(), Bp, y.data());
      });
    });
  }
  const double head_flops = 2.0 * seqs * V * C;
  std::cout << "| " << seqs << " | " << bench::fixed(1e3 * t_body, 2) << " | "
            << bench::fixed(1e3 * t_attention, 2) << " | " << bench::fixed(1e3 * t_sample, 2)
            << " | " << bench::fixed(1e3 * t_gemm, 2) << " ("
            << bench::fixed(t_gemm > 0 ? head_flops / t_gemm / 1e9 : 0, 0) << " GFLOP/s) | "
            << bench::fixed(1e3 * (t_sample - t_gemm), 2) << " |" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  select_blas_kernels(argv);
  configure_threads();
  configure_allocator();  // as the r1 program does
  std::string save_dir, only_shape;
  std::vector<int64_t> seq_counts = {1, 8, 64};
  std::vector<std::string> precisions = {"fp32"};
  std::string device_name = "cpu";
  bool quick = false, profile = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--profile"))
      profile = true;
    else if (!std::strcmp(argv[i], "--save") && i + 1 < argc)
      save_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--shape") && i + 1 < argc)
      only_shape = argv[++i];
    else if (!std::strcmp(argv[i], "--seqs") && i + 1 < argc)
      seq_counts = parse_list(argv[++i]);
    else if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
      device_name = argv[++i];
    else if (!std::strcmp(argv[i], "--precision") && i + 1 < argc) {
      precisions.clear();
      std::stringstream in(argv[++i]);
      for (std::string item; std::getline(in, item, ',');) precisions.push_back(item);
    }
  }
  const int64_t kPrompt = 64, kNew = quick ? 32 : 128;
  at::Device device = at::kCPU;
  try {
    device = parse_device(device_name, "--device");
  } catch (const Error& e) {
    std::cerr << "bench_engine: " << e.what() << "\n";
    return 2;
  }

  std::cout << "blas: " << blas_library() << ", threads: " << compute_threads()
            << ", device: " << device << "\n";
  // The ceiling is the faster of the two sgemm paths (decode uses model/gemm.h).
  const double blas_gemm = bench::sgemm_gflops(), model_gemm = bench::model_sgemm_gflops();
  const double gemm = std::max(blas_gemm, model_gemm);
  const double read = bench::read_gbps();
  std::cout << "baseline sgemm 1024^3: " << bench::fixed(blas_gemm, 1) << " GFLOP/s (at::mm), "
            << bench::fixed(model_gemm, 1) << " GFLOP/s (model/gemm.h"
            << (gemm_uses_onednn() ? ", oneDNN" : "")
            << "); streaming read: " << bench::fixed(read, 1) << " GB/s\n\n";
  std::cout << "| model | precision | seqs | prefill tok/s | decode tok/s | vs fp32 | decode vs "
               "fp32 ceiling |\n"
            << "|---|---|---|---|---|---|---|\n";

  for (const bench::BenchShape& s : bench::bench_shapes()) {
    if (!only_shape.empty() && only_shape != s.name) continue;
    if (quick && s.name == "0.5B") continue;
    ModelConfig c = bench::qwen2_bench_config(s);
    Model fp32 = init_model(c, 0);
    model_to_device(fp32, device);
    Model model = fp32;
    if (profile) {
      if (!device.is_cpu()) return std::cerr << "--profile reads CPU tensors\n", 1;
      std::cout << "\n"
                << s.name << ": one decode step, ms\n"
                << "| seqs | layers | of which attention | LM head + draw | LM head product | draw "
                   "overhead "
                   "|\n"
                << "|---|---|---|---|---|---|\n";
      for (int64_t seqs : seq_counts) profile_step(model, seqs);
      continue;
    }
    if (!save_dir.empty()) save_model(model, save_dir + "/" + s.name, {});
    std::vector<int64_t> prompt(kPrompt);
    for (int64_t t = 0; t < kPrompt; ++t) prompt[t] = (t * 7919) % c.vocab_size;

    std::map<int64_t, double> fp32_tps;  // seqs -> decode tok/s
    for (const std::string& precision : precisions)
      for (int64_t seqs : seq_counts) {
        model = working_copy(fp32, weight_dtype(parse_precision(precision, "--precision")));
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
        if (precision == "fp32") fp32_tps[seqs] = decode_tps;
        const std::string ratio =
            fp32_tps.count(seqs) ? bench::fixed(decode_tps / fp32_tps[seqs], 2) + "x" : "-";
        std::cout << "| " << s.name << " | " << precision << " | " << seqs << " | "
                  << bench::fixed(kPrompt / t_prefill, 0) << " | " << bench::fixed(decode_tps, 1)
                  << " | " << ratio << " | " << bench::fixed(100 * ceiling, 0) << "%" << what
                  << " |" << std::endl;
      }
  }
  return 0;
}
