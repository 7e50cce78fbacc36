// The GRPO policy update (teacher-forced log-probs with autograd, the GRPO
// loss, backward, gradient clipping, AdamW) on the workload of
// tools/bench_trl_grpo.py: 64 sequences (8 questions x G = 8) of a 7-token
// prompt and up to 64 completion tokens, on the tiny test tokenizer's
// vocabulary, at the two model sizes that script runs. Reported against an
// sgemm measured in the same run.
//   build/bench/bench_grpo [--profile] [--precision fp32,bf16] [h64x2 | h256x4 | 0.5B]
// --profile prints the autograd profiler's top operators (self time) of one
// update at each size; a size name runs that size only (0.5B, Qwen2.5-0.5B's
// shape with its 151,936-token vocabulary and 16 sequences, runs only when
// named). --precision runs each listed precision on the same weights in this
// process, bf16 as the trainer runs it (model/master_weights.h: bf16 working
// copy, fp32 gradients, master weights and AdamW), with its ratio to fp32.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "bench_util.h"
#include "engine/scoring.h"
#include "model/compute.h"
#include "model/master_weights.h"
#include "model/transformer.h"
#include "rl/grpo_loss.h"
#include "util/system.h"

using namespace r1;

namespace {

struct Size {
  int64_t hidden, layers;
  int64_t seqs = 64;
};

ModelConfig tiny_qwen2(const Size& s) {
  ModelConfig c = default_config("qwen2");
  c.vocab_size = 600;  // the tiny test tokenizer, as `r1 init` sizes it
  c.hidden_size = s.hidden;
  c.num_hidden_layers = s.layers;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = s.hidden / 4;
  c.intermediate_size = 3 * s.hidden;
  c.tie_word_embeddings = true;
  return c;
}

// Useful FLOPs of forward + backward (3x forward) over the real tokens:
// linear layers and LM head per token, causal attention per sequence.
double update_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, int64_t scored) {
  const double C = c.hidden_size, D = c.head_dim, H = c.num_attention_heads,
               K = c.num_key_value_heads, F = c.intermediate_size;
  const double linear =
      2 * c.num_hidden_layers * (C * H * D + 2 * C * K * D + H * D * C + 3 * C * F);
  double f = 2.0 * c.vocab_size * C * scored;
  for (int64_t L : lengths) f += L * linear + c.num_hidden_layers * 2.0 * H * D * L * L;
  return 3 * f;
}

// Self time per operator from the legacy profiler's push/pop events.
void print_profile(const torch::autograd::profiler::thread_event_lists& lists, double wall) {
  using torch::autograd::profiler::EventKind;
  using torch::autograd::profiler::LegacyEvent;
  std::map<std::string, std::pair<double, int64_t>> self;  // us, calls
  for (const auto& events : lists) {
    struct Open {
      const LegacyEvent* e;
      double child_us;
    };
    std::vector<Open> stack;
    for (const LegacyEvent& e : events) {
      if (e.kind() == EventKind::PushRange) {
        stack.push_back({&e, 0});
      } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
        Open o = stack.back();
        stack.pop_back();
        double us = o.e->cpuElapsedUs(e);
        auto& slot = self[o.e->name()];
        slot.first += us - o.child_us;
        slot.second += 1;
        if (!stack.empty()) stack.back().child_us += us;
      }
    }
  }
  std::vector<std::pair<double, std::string>> rows;
  double total = 0;
  for (auto& [name, v] : self) {
    rows.push_back({v.first, name});
    total += v.first;
  }
  std::sort(rows.rbegin(), rows.rend());
  std::cout << "profile: " << bench::fixed(wall * 1e3, 1) << " ms wall, "
            << bench::fixed(total / 1e3, 1) << " ms in operators (self time)\n";
  for (size_t i = 0; i < std::min<size_t>(25, rows.size()); ++i)
    std::cout << "  " << bench::fixed(rows[i].first / 1e3, 2) << " ms  "
              << bench::fixed(100 * rows[i].first / total, 1) << "%  " << rows[i].second << " x"
              << self[rows[i].second].second << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  select_blas_kernels(argv);
  configure_threads();
  configure_allocator();
  bool profile = false;
  std::string only;  // one size's name, or all
  std::vector<std::string> precisions = {"fp32"};
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--profile")) {
      profile = true;
    } else if (!std::strcmp(argv[i], "--precision") && i + 1 < argc) {
      precisions.clear();
      std::stringstream in(argv[++i]);
      for (std::string item; std::getline(in, item, ',');) precisions.push_back(item);
    } else {
      only = argv[i];
    }
  std::cout << "blas: " << blas_library() << ", threads: " << compute_threads() << "\n";
  const double gemm = bench::sgemm_gflops();
  std::cout << "baseline sgemm 1024^3: " << bench::fixed(gemm, 1) << " GFLOP/s\n\n";
  std::cout << "| model | precision | pass | ms | GFLOP/s | vs fp32 sgemm | vs fp32 |\n"
            << "|---|---|---|---|---|---|---|\n";

  const int64_t kPrompt = 7, kNew = 64;
  std::vector<std::pair<std::string, ModelConfig>> sizes;
  for (Size size : {Size{64, 2}, Size{256, 4}})
    sizes.emplace_back("h" + std::to_string(size.hidden) + "x" + std::to_string(size.layers),
                       tiny_qwen2(size));
  if (only == "0.5B")
    for (const bench::BenchShape& s : bench::bench_shapes())
      if (s.name == "0.5B") sizes.emplace_back(s.name, bench::qwen2_bench_config(s));
  for (const auto& [name, c] : sizes) {
    if (!only.empty() && only != name) continue;
    const int64_t kSeqs = name == "0.5B" ? 16 : 64;
    // Completion lengths as a random model's rollouts have them: most run to
    // the limit, a few stop early.
    std::mt19937 rng(0);
    std::vector<std::vector<int64_t>> prompts(kSeqs), completions(kSeqs);
    std::vector<int64_t> lengths;
    int64_t scored = 0;
    for (int64_t i = 0; i < kSeqs; ++i) {
      int64_t n = rng() % 4 ? kNew : 1 + rng() % kNew;
      for (int64_t t = 0; t < kPrompt; ++t) prompts[i].push_back(rng() % c.vocab_size);
      for (int64_t t = 0; t < n; ++t) completions[i].push_back(rng() % c.vocab_size);
      lengths.push_back(kPrompt + n);
      scored += n;
    }
    const double flops = update_flops(c, lengths, scored);
    auto advantages = at::randn({kSeqs});
    std::map<std::string, double> fp32_ms;  // pass -> ms

    for (const std::string& precision : precisions) {
      // The trainer's arrangement (rl/trainer.cpp): fp32 master weights stepped by
      // AdamW, a working copy in the compute dtype that the forward runs on.
      Model master = init_model(c, 0);
      auto params = master.parameters();
      for (auto& p : params) p.requires_grad_(true);
      Model model = working_copy(master, weight_dtype(parse_precision(precision, "--precision")));
      torch::optim::AdamW adamw(params, torch::optim::AdamWOptions(1e-5));
      GrpoLossConfig loss_config;
      auto update = [&] {
        adamw.zero_grad();
        ScoredBatch sb = score_completions(model, prompts, completions, /*with_entropy=*/true);
        GrpoLossInputs in;
        in.logprobs = sb.logprobs;
        in.old_logprobs = sb.logprobs.detach();
        in.advantages = advantages;
        in.mask = sb.mask;
        grpo_loss(loss_config, in).backward();
        accumulate_gradients(model, master);
        (sb.entropy * sb.mask).sum().item<double>();
        torch::nn::utils::clip_grad_norm_(params, 1.0);
        adamw.step();
        copy_master_to_working(master, model);
      };
      auto forward = [&] {
        at::NoGradGuard no_grad;
        score_completions(model, prompts, completions);
      };

      const int runs = name == "0.5B" ? 3 : 5;
      double t_fwd = bench::median_seconds(forward, runs);
      double t_update = bench::median_seconds(update, runs);
      auto row = [&](const std::string& pass, double t, double f) {
        if (precision == "fp32") fp32_ms[pass] = t;
        const std::string ratio =
            fp32_ms.count(pass) ? bench::fixed(fp32_ms[pass] / t, 2) + "x" : "-";
        std::cout << "| " << name << " | " << precision << " | " << pass << " | "
                  << bench::fixed(t * 1e3, 1) << " | " << bench::fixed(f / t / 1e9, 1) << " | "
                  << bench::fixed(f / t / 1e9 / gemm, 2) << " | " << ratio << " |" << std::endl;
      };
      row("forward (no grad)", t_fwd, flops / 3);
      row("update", t_update, flops);
      if (profile) {
        using namespace torch::autograd::profiler;
        auto start = std::chrono::steady_clock::now();
        thread_event_lists lists;
        {
          TLSLegacyProfilerGuard guard(
              torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU),
              [&](const thread_event_lists& l) { lists = l; });
          update();
        }
        print_profile(
            lists, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  }
  std::cout << "\nGFLOP/s counts useful work over real tokens (update = 3x forward FLOPs).\n";
  return 0;
}
