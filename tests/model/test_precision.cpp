// Kernels, precision and device (model/compute.h, model/master_weights.h):
// the plain ATen path (what CUDA and bf16 run) equals the fused CPU kernels
// on the same fp32 model, forward and backward; bf16 weights keep fp32
// activations and stay close to fp32; mixed-precision gradients accumulate in
// fp32 and the optimizer's master weights round into the working copy; bad
// device and precision names are clear errors.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "../test_helpers.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "model/compute.h"
#include "model/decode_gemm.h"
#include "model/decode_layers.h"
#include "model/logit_ops.h"
#include "model/master_weights.h"
#include "model/train_ops.h"

namespace r1 {
namespace {

using test::error_of;

const char* kFamilies[] = {"qwen2-gqa", "qwen3-qknorm", "llama3-rope", "mistral"};

Model fixture_model(const std::string& name, at::ScalarType dtype = at::kFloat) {
  return load_model(std::string(R1_FIXTURES) + "/models/" + name, at::kCPU, dtype);
}

// Restores the process's kernel choice when a test ends.
struct KernelsScope {
  ops::Kernels saved = ops::kernels();
  explicit KernelsScope(ops::Kernels k) { ops::set_kernels(k); }
  ~KernelsScope() { ops::set_kernels(saved); }
};

struct Pass {
  at::Tensor logprobs, logits;
  std::vector<at::Tensor> grads;
};

// Log-probs of a left-padded batch and the gradient of their masked mean
// with respect to every parameter, on the given kernels.
Pass forward_backward(Model& model, ops::Kernels kernels) {
  KernelsScope scope(kernels);
  for (auto& p : model.parameters()) {
    p.requires_grad_(true);
    p.mutable_grad().reset();
  }
  auto ids = at::randint(1, model.config.vocab_size, {3, 9}, at::TensorOptions(at::kLong));
  auto mask = at::ones({3, 9}, at::kLong);
  mask[1].narrow(0, 0, 4).zero_();
  mask[2].narrow(0, 0, 2).zero_();
  auto positions = positions_from_mask(mask);
  auto hidden =
      forward_hidden(model, ids.narrow(1, 0, 8), positions.narrow(1, 0, 8), mask.narrow(1, 0, 8));
  auto lp = token_logprobs(model, hidden, ids.narrow(1, 1, 8));
  auto keep = mask.narrow(1, 1, 8).to(at::kFloat);
  ((lp * keep).sum() / keep.sum()).backward();
  Pass out{lp.detach(), lm_logits(model, hidden).detach(), {}};
  for (auto& p : model.parameters()) out.grads.push_back(p.grad().clone());
  return out;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

class Paths : public ::testing::TestWithParam<const char*> {};

TEST_P(Paths, AtenPathEqualsFusedKernelsForwardAndBackward) {
  Model model = fixture_model(GetParam());
  at::manual_seed(3);
  Pass fused = forward_backward(model, ops::Kernels::kFused);
  at::manual_seed(3);
  Pass aten = forward_backward(model, ops::Kernels::kAten);
  EXPECT_LT(max_diff(fused.logprobs, aten.logprobs), 2e-5) << GetParam();
  EXPECT_GT(fused.logprobs.std().item<double>(), 0.01);  // not vacuous
  ASSERT_EQ(fused.grads.size(), aten.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    const double scale = fused.grads[i].abs().max().item<double>();
    EXPECT_GT(scale, 0.0) << GetParam() << " parameter " << i;
    EXPECT_LT(max_diff(fused.grads[i], aten.grads[i]), 1e-4 * scale + 1e-7)
        << GetParam() << " parameter " << i;
  }
}

// The engine's cached decode (fused decode layers, fused sampler) and the plain
// path's produce the same tokens and log-probs.
TEST_P(Paths, AtenPathGeneratesWhatTheFusedEngineGenerates) {
  Model model = fixture_model(GetParam());
  std::vector<GenerateRequest> requests;
  for (uint64_t i = 0; i < 3; ++i) {
    std::vector<int64_t> prompt;
    for (int64_t t = 0; t < 5 + static_cast<int64_t>(i); ++t)
      prompt.push_back(1 + (7 * t + 13 * i) % (model.config.vocab_size - 1));
    requests.push_back({prompt, 4, 100 + i});  // 12 rows: the fused decode layers apply
  }
  SamplingParams params;
  params.temperature = 1.0f;
  params.max_new_tokens = 12;
  at::NoGradGuard no_grad;
  std::vector<std::vector<Completion>> runs[2];
  for (int k = 0; k < 2; ++k) {
    KernelsScope scope(k == 0 ? ops::Kernels::kFused : ops::Kernels::kAten);
    runs[k] = generate(model, requests, params, GenerateOptions{});
  }
  for (size_t r = 0; r < requests.size(); ++r)
    for (size_t j = 0; j < runs[0][r].size(); ++j) {
      EXPECT_EQ(runs[0][r][j].tokens, runs[1][r][j].tokens) << GetParam() << " " << r << "/" << j;
      ASSERT_EQ(runs[0][r][j].logprobs.size(), runs[1][r][j].logprobs.size());
      for (size_t t = 0; t < runs[0][r][j].logprobs.size(); ++t)
        EXPECT_NEAR(runs[0][r][j].logprobs[t], runs[1][r][j].logprobs[t], 1e-4);
    }
}

// The device under test: R1_TEST_DEVICE (scripts/gpu-check.sh sets "cuda"),
// else the CPU. The model there must compute what the fused CPU kernels do:
// on a GPU this is the check that CUDA runs the plain path correctly.
at::Device test_device() {
  const char* name = std::getenv("R1_TEST_DEVICE");
  return parse_device(name && *name ? name : "cpu", "R1_TEST_DEVICE");
}

TEST_P(Paths, TheTestDeviceComputesWhatTheCpuComputes) {
  const at::Device device = test_device();
  Model cpu = fixture_model(GetParam());
  Model dev = fixture_model(GetParam());
  model_to_device(dev, device);
  at::NoGradGuard no_grad;
  auto ids = at::randint(1, cpu.config.vocab_size, {2, 9}, at::TensorOptions(at::kLong));
  auto positions = at::arange(8, at::kLong).expand({2, 8});
  auto lp_cpu = token_logprobs(cpu, forward_hidden(cpu, ids.narrow(1, 0, 8), positions, {}),
                               ids.narrow(1, 1, 8));
  auto ids_dev = ids.to(device);
  auto lp_dev =
      token_logprobs(dev, forward_hidden(dev, ids_dev.narrow(1, 0, 8), positions.to(device), {}),
                     ids_dev.narrow(1, 1, 8));
  EXPECT_EQ(lp_dev.device(), device);
  EXPECT_LT(max_diff(lp_cpu, lp_dev.cpu()), 1e-4) << GetParam() << " on " << device;
  // The engine on the device: greedy tokens as on the CPU.
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_new_tokens = 8;
  GenerateRequest request{{3, 1, 4, 1, 5, 9}, 1, 0};
  EXPECT_EQ(generate(dev, {request}, params, GenerateOptions{})[0][0].tokens,
            generate(cpu, {request}, params, GenerateOptions{})[0][0].tokens)
      << GetParam() << " on " << device;
}

INSTANTIATE_TEST_SUITE_P(Families, Paths, ::testing::ValuesIn(kFamilies));

TEST(Precision, Bf16WeightsKeepFp32ActivationsAndStayCloseToFp32) {
  Model fp32 = fixture_model("qwen2-bf16");
  Model bf16 = fixture_model("qwen2-bf16", at::kBFloat16);
  EXPECT_EQ(bf16.embed_tokens.scalar_type(), at::kBFloat16);
  EXPECT_EQ(bf16.layers[0].q_proj.scalar_type(), at::kBFloat16);
  EXPECT_EQ(activation_dtype(bf16), at::kFloat);
  at::NoGradGuard no_grad;
  auto ids = at::randint(1, fp32.config.vocab_size, {2, 10}, at::TensorOptions(at::kLong));
  auto positions = at::arange(10, at::kLong).expand({2, 10});
  auto h32 = forward_hidden(fp32, ids, positions, {});
  auto h16 = forward_hidden(bf16, ids, positions, {});
  EXPECT_EQ(h16.scalar_type(), at::kFloat);
  auto lp32 = token_logprobs(fp32, h32.narrow(1, 0, 9), ids.narrow(1, 1, 9));
  auto lp16 = token_logprobs(bf16, h16.narrow(1, 0, 9), ids.narrow(1, 1, 9));
  EXPECT_EQ(lp16.scalar_type(), at::kFloat);
  // The weights are the same numbers (the fixture stores bf16); only the
  // products' rounding differs: bf16 keeps 8 bits of mantissa. Over 60 draws
  // of ids (R1_TEST_SEED=1..60) the largest |d log p| was 0.058 and the mean
  // at most 0.012, on oneDNN's AVX512-BF16 and plain AVX-512 kernels alike.
  const double diff = max_diff(lp32, lp16);
  EXPECT_LT(diff, 0.1);
  EXPECT_LT((lp32 - lp16).abs().mean().item<double>(), 0.02);
  EXPECT_GT(diff, 0.0);  // the bf16 path really ran in bf16
}

// The engine samples on the bf16 weights and records their log-probs: the
// training forward of the same bf16 model agrees up to bf16 rounding (each
// product's output keeps 8 bits of mantissa, and a batch of 9 rows and the
// training forward accumulate in different orders), far closer than the fp32
// model does. The trainer logs this mismatch every step (docs/grpo.md).
TEST(Precision, Bf16GenerationRecordsTheLogprobsOfTheBf16Model) {
  Model model = fixture_model("qwen3-qknorm", at::kBFloat16);
  Model fp32 = fixture_model("qwen3-qknorm");
  GenerateRequest request{{5, 9, 2, 7, 11}, 9, 1};
  SamplingParams params;
  params.temperature = 1.0f;
  params.max_new_tokens = 10;
  at::NoGradGuard no_grad;
  auto out = generate(model, {request}, params, GenerateOptions{});
  double same = 0, other = 0, worst = 0, n = 0;
  for (const Completion& c : out[0]) {
    std::vector<int64_t> ids = request.prompt;
    ids.insert(ids.end(), c.tokens.begin(), c.tokens.end());
    const int64_t T = ids.size(), P = request.prompt.size();
    auto x = at::tensor(ids, at::kLong).view({1, T});
    auto positions = at::arange(T - 1, at::kLong).view({1, -1});
    auto lp = token_logprobs(model, forward_hidden(model, x.narrow(1, 0, T - 1), positions, {}),
                             x.narrow(1, 1, T - 1))
                  .view({-1});
    auto lp32 = token_logprobs(fp32, forward_hidden(fp32, x.narrow(1, 0, T - 1), positions, {}),
                               x.narrow(1, 1, T - 1))
                    .view({-1});
    for (size_t t = 0; t < c.tokens.size(); ++t) {
      const double d = std::abs(c.logprobs[t] - lp[P - 1 + t].item<double>());
      same += d;
      worst = std::max(worst, d);
      other += std::abs(c.logprobs[t] - lp32[P - 1 + t].item<double>());
      ++n;
    }
  }
  EXPECT_LT(same / n, 0.02);
  EXPECT_LT(worst, 0.1);
  EXPECT_LT(same, other);  // the engine ran the bf16 model, not an fp32 copy
}

// A bf16 LM head with fp32 hidden states (a bf16 working copy in training)
// runs the fused log-prob kernels with bf16 products: log-probs, entropies
// and both gradients equal the plain ATen path's (the same bf16 products,
// the weight's gradient summed over the 2 row chunks in bf16 as autograd does).
TEST(Precision, Bf16LmHeadLogprobsOnTheFusedKernelsEqualThePlainPath) {
  at::manual_seed(7);
  const int64_t V = 100000, C = 32, N = 200;  // 167 rows per logit chunk: 2 chunks
  auto weight = (at::randn({V, C}) * 0.3).to(at::kBFloat16);
  auto hidden = at::randn({N, C});
  auto targets = at::randint(0, V, {N}, at::TensorOptions(at::kLong));
  auto g = at::randn({N});
  struct Result {
    at::Tensor lp, entropy, dh, dw;
  };
  auto run = [&](ops::Kernels kernels) {
    KernelsScope scope(kernels);
    auto w = weight.clone().requires_grad_(true), h = hidden.clone().requires_grad_(true);
    at::Tensor entropy;
    auto lp = ops::token_logprobs(h, w, targets, &entropy);
    ((lp * g).sum() + 0.1 * entropy.sum()).backward();
    return Result{lp.detach(), entropy.detach(), h.grad(), w.grad()};
  };
  Result fused = run(ops::Kernels::kFused), plain = run(ops::Kernels::kAten);
  EXPECT_EQ(fused.lp.scalar_type(), at::kFloat);
  EXPECT_EQ(fused.dw.scalar_type(), at::kBFloat16);
  EXPECT_LT(max_diff(fused.lp, plain.lp), 1e-4);
  EXPECT_LT(max_diff(fused.entropy, plain.entropy), 1e-4);
  const double dh_scale = plain.dh.abs().max().item<double>();
  const double dw_scale = plain.dw.abs().max().item<double>();
  EXPECT_LT(max_diff(fused.dh, plain.dh), 1e-3 * dh_scale);
  EXPECT_LT(max_diff(fused.dw, plain.dw), 1e-2 * dw_scale);
  // And both are the log-softmax of the bf16 product, not of an fp32 one.
  auto logits = at::matmul(hidden.to(at::kBFloat16).to(at::kDouble), weight.to(at::kDouble).t());
  auto want = at::log_softmax(logits, 1).gather(1, targets.unsqueeze(1)).squeeze(1);
  EXPECT_LT(max_diff(fused.lp, want), 0.05);
}

// A bf16 norm weight on fp32 activations runs the fused RMSNorm on the weight
// in fp32: output and both gradients as the plain path.
TEST(Precision, Bf16NormWeightRunsTheFusedNormAsThePlainPath) {
  at::manual_seed(8);
  auto x = at::randn({4, 7, 32}), weight = (1 + 0.1 * at::randn({32})).to(at::kBFloat16);
  auto dy = at::randn({4, 7, 32});
  std::vector<at::Tensor> out[2];
  for (int k = 0; k < 2; ++k) {
    KernelsScope scope(k == 0 ? ops::Kernels::kFused : ops::Kernels::kAten);
    auto xk = x.clone().requires_grad_(true), wk = weight.clone().requires_grad_(true);
    auto y = ops::rms_norm(xk, wk, 1e-6);
    (y * dy).sum().backward();
    out[k] = {y.detach(), xk.grad(), wk.grad()};
  }
  EXPECT_EQ(out[0][2].scalar_type(), at::kBFloat16);
  for (int i = 0; i < 3; ++i)
    EXPECT_LT(max_diff(out[0][i], out[1][i]), 1e-2 * out[1][i].abs().max().item<double>()) << i;
  EXPECT_LT(max_diff(out[0][0], out[1][0]), 1e-5);  // no bf16 rounding on the way
}

// From 8 rows the engine decodes a bf16 working copy on the fused bf16
// kernels (model/decode_gemm.h: vdpbf16ps, or widened to fp32 on a CPU
// without AVX512-BF16): both ways of multiplying give the same tokens and
// log-probs up to fp32 summation order, and the same as the plain ATen bf16
// path up to its rounding of every product to bf16.
TEST(Precision, Bf16DecodeRunsTheFusedKernelsWithEitherDot) {
  Model model = fixture_model("qwen2-bf16", at::kBFloat16);
  at::NoGradGuard no_grad;
  KernelsScope fused(ops::Kernels::kFused);  // also under the aten.* suite
  EXPECT_TRUE(decode_layers_apply(model, at::zeros({9, 1, model.config.hidden_size})));
  GenerateRequest request{{5, 9, 2, 7, 11}, 12, 3};
  SamplingParams params;
  params.temperature = 1.0f;
  params.max_new_tokens = 10;
  const Bf16Dot saved = bf16_dot();
  std::vector<std::vector<Completion>> runs;
  for (Bf16Dot dot : {Bf16Dot::kWiden, saved}) {
    set_bf16_dot(dot);
    runs.push_back(generate(model, {request}, params, GenerateOptions{})[0]);
  }
  {
    KernelsScope scope(ops::Kernels::kAten);
    runs.push_back(generate(model, {request}, params, GenerateOptions{})[0]);
  }
  set_bf16_dot(saved);
  double plain_diff = 0, n = 0;
  for (size_t j = 0; j < runs[0].size(); ++j) {
    EXPECT_EQ(runs[0][j].tokens, runs[1][j].tokens) << j;
    ASSERT_EQ(runs[0][j].logprobs.size(), runs[1][j].logprobs.size());
    for (size_t t = 0; t < runs[0][j].logprobs.size(); ++t)
      EXPECT_NEAR(runs[0][j].logprobs[t], runs[1][j].logprobs[t], 1e-4);
    if (runs[2][j].tokens != runs[1][j].tokens) continue;  // a draw at a rounding boundary
    for (size_t t = 0; t < runs[1][j].logprobs.size(); ++t, ++n)
      plain_diff += std::abs(runs[1][j].logprobs[t] - runs[2][j].logprobs[t]);
  }
  ASSERT_GT(n, 0);
  EXPECT_LT(plain_diff / n, 0.02);
}

TEST(MasterWeights, Fp32WorkingCopyIsTheMasterItself) {
  Model master = fixture_model("qwen2-gqa");
  Model working = working_copy(master, at::kFloat);
  EXPECT_TRUE(working.layers[0].q_proj.is_same(master.layers[0].q_proj));
  EXPECT_TRUE(working.lm_head.is_same(master.lm_head));
}

TEST(MasterWeights, GradientsAccumulateInFp32AndStepsRoundIntoTheWorkingCopy) {
  Model master = fixture_model("qwen2-gqa");
  for (auto& p : master.parameters()) p.requires_grad_(true);
  Model working = working_copy(master, at::kBFloat16);
  EXPECT_EQ(working.layers[0].q_proj.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(working.layers[0].q_proj.requires_grad());
  if (master.config.tie_word_embeddings) {
    EXPECT_TRUE(working.lm_head.is_same(working.embed_tokens));
  }

  // Two micro-batches: the master's gradient is the fp32 sum of both bf16 ones.
  auto ids = at::randint(1, master.config.vocab_size, {2, 7}, at::TensorOptions(at::kLong));
  auto positions = at::arange(6, at::kLong).expand({2, 6});
  at::Tensor expected;
  for (int64_t b = 0; b < 2; ++b) {
    auto h =
        forward_hidden(working, ids.narrow(0, b, 1).narrow(1, 0, 6), positions.narrow(0, b, 1), {});
    token_logprobs(working, h, ids.narrow(0, b, 1).narrow(1, 1, 6)).sum().backward();
    auto g = working.layers[0].down_proj.grad().to(at::kFloat);
    expected = b == 0 ? g.clone() : expected + g;
    accumulate_gradients(working, master);
    EXPECT_FALSE(working.layers[0].down_proj.grad().defined());
  }
  EXPECT_EQ(master.layers[0].down_proj.grad().scalar_type(), at::kFloat);
  EXPECT_TRUE(master.layers[0].down_proj.grad().equal(expected));

  // A step smaller than bf16's resolution still moves the master; the working
  // copy is the master rounded, in place (the engine keeps its tensors).
  const void* storage = working.layers[0].down_proj.data_ptr();
  {
    at::NoGradGuard no_grad;
    master.layers[0].down_proj.add_(1e-4);
  }
  copy_master_to_working(master, working);
  EXPECT_EQ(working.layers[0].down_proj.data_ptr(), storage);
  EXPECT_TRUE(working.layers[0].down_proj.equal(master.layers[0].down_proj.to(at::kBFloat16)));
}

TEST(Compute, BadNamesAreClearErrors) {
  EXPECT_EQ(parse_precision("bf16", "k"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp32", "k"), Precision::kFp32);
  EXPECT_NE(error_of([] { parse_precision("fp16", "model.precision"); }).find("model.precision"),
            std::string::npos);
  EXPECT_TRUE(parse_device("cpu", "k").is_cpu());
  EXPECT_NE(error_of([] { parse_device("gpu", "--device"); }).find("--device = 'gpu'"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_device("cuda:x", "--device"); }).find("device index"),
            std::string::npos);
  if (!at::globalContext().hasCUDA()) {
    EXPECT_NE(error_of([] { parse_device("cuda", "model.device"); }).find("CUDA"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace r1
