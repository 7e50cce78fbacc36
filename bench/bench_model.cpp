// Forward (prefill) and forward+backward throughput of the transformer on two
// random-weight Qwen2 shapes with the real Qwen2.5 vocabulary, against an
// sgemm measured in the same run.
//   build/bench/bench_model [--quick]
//   build/bench/bench_model --threads
// --threads measures what model/gemm.h's one-thread rule rests on: the cost of
// waking OpenMP's workers, and oneDNN's sgemm at one and at all threads on the
// small shapes of a tiny model's decode step and GRPO update.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstring>
#include <iostream>

#include "bench_util.h"
#include "model/gemm.h"
#include "model/transformer.h"
#include "util/system.h"

#ifdef R1_HAVE_ONEDNN
// As in model/gemm.cpp (oneDNN's headers are not installed): the raw call,
// without the one-thread rule, so both thread counts can be timed.
extern "C" int dnnl_sgemm(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                          const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                          float* C, int64_t ldc);
#endif

using namespace r1;

namespace {

void bench_threads() {
  const int threads = compute_threads();
  // An empty parallel region over two items: the wake-up and join alone.
  double wake = bench::median_seconds(
      [] {
        for (int i = 0; i < 100; ++i) at::parallel_for(0, 2, 1, [](int64_t, int64_t) {});
      },
      5, 0.5);
  std::cout << "empty parallel region, " << threads << " threads: " << bench::fixed(wake * 1e4, 1)
            << " us\n\n";
#ifdef R1_HAVE_ONEDNN
  std::cout << "| M x N x K | MFLOP | 1 thread us | " << threads
            << " threads us | speed-up | dispatched on |\n|---|---|---|---|---|---|\n";
  const int64_t shapes[][3] = {{64, 64, 64},   {64, 344, 64},   {64, 592, 128},  {64, 256, 256},
                               {64, 768, 256}, {64, 1024, 384}, {512, 192, 64},  {512, 768, 256},
                               {4096, 64, 64}, {4096, 192, 64}, {4096, 768, 256}};
  for (const auto& s : shapes) {
    const int64_t M = s[0], N = s[1], K = s[2];
    auto a = at::randn({M, K}), b = at::randn({N, K}), c = at::empty({M, N});
    auto run = [&] {
      dnnl_sgemm('N', 'T', M, N, K, 1.0f, a.data_ptr<float>(), K, b.data_ptr<float>(), K, 0.0f,
                 c.data_ptr<float>(), N);
    };
    at::set_num_threads(1);
    double one = bench::median_seconds(run, 20, 0.3);
    at::set_num_threads(threads);
    double all = bench::median_seconds(run, 20, 0.3);
    const double flops = 2.0 * M * N * K;
    std::cout << "| " << M << " x " << N << " x " << K << " | " << bench::fixed(flops / 1e6, 1)
              << " | " << bench::fixed(one * 1e6, 1) << " | " << bench::fixed(all * 1e6, 1) << " | "
              << bench::fixed(one / all, 2) << " | "
              << (flops < kParallelMinFlops ? "1 thread" : "all threads") << " |" << std::endl;
  }
#else
  std::cout << "(built without oneDNN: no sgemm table)\n";
#endif
}

// FLOPs of one forward over B x T tokens: 2 per multiply-add in every linear
// layer and the LM head, plus the two attention products (QK^T and PV, full
// T x T as computed here).
double forward_flops(const ModelConfig& c, int64_t B, int64_t T) {
  const double C = c.hidden_size, D = c.head_dim, H = c.num_attention_heads,
               K = c.num_key_value_heads, F = c.intermediate_size;
  double linear = C * H * D + 2 * C * K * D + H * D * C + 3 * C * F;
  double per_token = 2 * (c.num_hidden_layers * linear + c.vocab_size * C);
  double attention = c.num_hidden_layers * 2.0 * 2.0 * H * D * T * T;
  return B * (T * per_token + attention);
}

}  // namespace

int main(int argc, char** argv) {
  select_blas_kernels(argv);
  configure_threads();
  configure_allocator();
  bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
  std::cout << "blas: " << blas_library() << ", threads: " << compute_threads() << "\n";
  if (argc > 1 && !std::strcmp(argv[1], "--threads")) {
    bench_threads();
    return 0;
  }
  const double gemm = bench::sgemm_gflops();
  std::cout << "baseline sgemm 1024^3: " << bench::fixed(gemm, 1) << " GFLOP/s\n\n";

  std::cout << "| model | pass | B x T | tokens/s | GFLOP/s | vs sgemm |\n"
            << "|---|---|---|---|---|---|\n";
  for (const bench::BenchShape& s : bench::bench_shapes()) {
    if (quick && std::string(s.name) == "0.5B") continue;
    ModelConfig c = bench::qwen2_bench_config(s);
    Model model = init_model(c, 0);
    for (auto [B, T] : {std::pair<int64_t, int64_t>{1, 128}, {8, 128}}) {
      auto ids = at::randint(c.vocab_size, {B, T}, at::kLong);
      auto positions = at::arange(T, at::kLong).expand({B, T}).contiguous();
      const double tokens = static_cast<double>(B * T);
      const double flops = forward_flops(c, B, T);

      double t_fwd = bench::median_seconds([&] {
        at::NoGradGuard no_grad;
        auto h = forward_hidden(model, ids, positions, at::Tensor());
        lm_logits(model, h);
      });
      std::cout << "| " << s.name << " | forward | " << B << "x" << T << " | "
                << bench::fixed(tokens / t_fwd, 0) << " | " << bench::fixed(flops / t_fwd / 1e9, 1)
                << " | " << bench::fixed(flops / t_fwd / 1e9 / gemm, 2) << " |" << std::endl;

      for (auto& p : model.parameters()) p.requires_grad_(true);
      double t_train = bench::median_seconds([&] {
        auto h = forward_hidden(model, ids, positions, at::Tensor());
        auto lp = token_logprobs(model, h.narrow(1, 0, T - 1), ids.narrow(1, 1, T - 1));
        lp.mean().backward();
        for (auto& p : model.parameters()) p.mutable_grad().reset();
      });
      for (auto& p : model.parameters()) p.requires_grad_(false);
      std::cout << "| " << s.name << " | fwd+bwd | " << B << "x" << T << " | "
                << bench::fixed(tokens / t_train, 0) << " | "
                << bench::fixed(3 * flops / t_train / 1e9, 1) << " | "
                << bench::fixed(3 * flops / t_train / 1e9 / gemm, 2) << " |" << std::endl;
    }
  }
  std::cout << "\nGFLOP/s counts useful work (fwd+bwd = 3x forward FLOPs).\n";
  return 0;
}
