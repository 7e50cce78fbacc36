#include "model/decode_layers.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <type_traits>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "model/decode_gemm.h"
#include "model/row_ops.h"
#include "model/train_ops.h"
#include "model/transformer.h"
#include "model/vec_math.h"
#include "util/chunk_queue.h"
#include "util/error.h"

namespace r1 {
namespace {

// Weight rows go to threads in whole register panels at every lane count
// (24, 12, 8 or 6 rows: model/decode_gemm.cpp), so no chunk ends in the
// kernel's one-row tail loop.
constexpr int64_t kRowUnit = 24;

// Thread t's share [begin, end) of n items, in whole units.
struct Share {
  int64_t begin, end;
};

Share share(int64_t n, int t, int nt, int64_t unit = 1) {
  const int64_t units = (n + unit - 1) / unit;
  return {std::min(n, units * t / nt * unit), std::min(n, units * (t + 1) / nt * unit)};
}

void barrier(){
#pragma omp barrier
}

// RMSNorm of the residual stream in the lane layout x_t (C, Rp), each lane
// one row, written packed for the next product: y_t = x_t inv w. The threads
// split the feature rows c: each adds its rows' squares (in double, as
// rms_norm_row, model/row_ops.h) into its own partial sums, and after a
// barrier every thread combines the partials in thread order (the same
// bits in every run) and scales its rows. Split by lanes instead, each
// thread read all C rows at a stride, half of them from the other core's
// cache: 62 us a norm at 64 rows of the 0.5B model.
R1_VECTOR_CLONES
    void sum_squares(const float* x_t, int64_t Rp, int64_t begin, int64_t end, double* sum) {
  for (int64_t l = 0; l < Rp; ++l) sum[l] = 0;
  for (int64_t c = begin; c < end; ++c)
    for (int64_t l = 0; l < Rp; ++l) {
      const double v = x_t[c * Rp + l];
      sum[l] += v * v;
    }
}

R1_VECTOR_CLONES void scale_rows(const float* x_t, const float* w, const float* inv, int64_t begin,
                                 int64_t end, int64_t Rp, float* y_t) {
  for (int64_t c = begin; c < end; ++c)
    for (int64_t l = 0; l < Rp; ++l) y_t[c * Rp + l] = (x_t[c * Rp + l] * inv[l]) * w[c];
}

// partials: one row of Rp sums per thread.
void norm_share(const float* x_t, const at::Tensor& w, double eps, int64_t C, int64_t Rp,
                double* partials, float* y_t, int t, int nt) {
  const Share rows = share(C, t, nt, 16);
  sum_squares(x_t, Rp, rows.begin, rows.end, partials + t * Rp);
  barrier();
  float inv[kDecodeGemmMaxRows];
  for (int64_t l = 0; l < Rp; ++l) {
    double sum = 0;
    for (int u = 0; u < nt; ++u) sum += partials[u * Rp + l];
    inv[l] = static_cast<float>(1.0 / std::sqrt(sum / C + eps));
  }
  scale_rows(x_t, w.data_ptr<float>(), inv, rows.begin, rows.end, Rp, y_t);
}

// xt (C, Rp) = x (R, C) packed (model/decode_gemm.h), columns split between threads.
void pack_share(const float* x, int64_t R, int64_t C, int64_t Rp, float* xt, int t, int nt) {
  const Share cols = share(C, t, nt, 16);
  if (cols.begin < cols.end)
    pack_rows(x + cols.begin, R, cols.end - cols.begin, C, Rp, xt + cols.begin * Rp);
}

// The products read fp32 weights with the rows packed as xt (C, Rp), or
// bf16 weights (a bf16 working copy) with the rows in bf16 pairs
// (model/decode_gemm.h): T is the weights' element, float or uint16_t.

// The products' input for rows [begin, end) of xt (C, Rp): xt itself for
// fp32 weights, its bf16 pairs in `in` for bf16 (begin and end even).
void product_input(const float*, int64_t, int64_t, int64_t, float*) {}
void product_input(const float* xt, int64_t begin, int64_t end, int64_t Rp, uint16_t* in) {
  if (begin < end) lanes_to_bf16_pairs(xt + begin * Rp, end - begin, Rp, in + begin * Rp);
}

// y[:, col..] = x w^T (+ b) for weight rows [lo, hi) and the R rows packed
// in xt: w (n, in), y rows ldy apart.
template <typename T>
void product_rows(const at::Tensor& w, const at::Tensor& b, int64_t lo, int64_t hi, const T* xt,
                  int64_t Rp, int64_t R, float* y, int64_t ldy) {
  const int64_t in = w.size(1);
  RowsOut out{y + lo, ldy};
  if (b.defined()) out.bias = b.data_ptr<float>() + lo;
  weight_times_rows_into(kernel_weights<T>(w) + lo * in, hi - lo, in, xt, Rp, R, out);
}

// fn(lo, hi) over weight rows [0, n): in guided chunks from `queue` when the
// products are bound by multiply-adds (16 or more lanes), else (8 lanes:
// bound by the weight read) one contiguous share per thread. Chunks taken in
// turn broke each thread's weight stream, and the prefetchers with it: 0.5B
// layers at 8 rows 73 -> 96 ms a step.
template <typename Fn>
void for_weight_rows(ChunkQueue& queue, int64_t n, int64_t Rp, int t, int nt, Fn fn) {
  if (Rp > 8) return queue.drain_guided(n, kRowUnit, nt, fn);
  const Share rows = share(n, t, nt, kRowUnit);
  if (rows.begin < rows.end) fn(rows.begin, rows.end);
}

// All of a product, its rows shared by for_weight_rows, into rows (RowsOut).
template <typename T>
void product(ChunkQueue& queue, const at::Tensor& w, const at::Tensor& b, const T* xt, int64_t Rp,
             int64_t R, float* y, int64_t ldy, int t, int nt) {
  for_weight_rows(queue, w.size(0), Rp, t, nt,
                  [&](int64_t lo, int64_t hi) { product_rows(w, b, lo, hi, xt, Rp, R, y, ldy); });
}

// y_t (n, Rp) += w xt, all of it, in the lane layout.
template <typename T>
void product_add_lanes(ChunkQueue& queue, const at::Tensor& w, const T* xt, int64_t Rp, float* y_t,
                       int t, int nt) {
  const int64_t in = w.size(1);
  for_weight_rows(queue, w.size(0), Rp, t, nt, [&](int64_t lo, int64_t hi) {
    weight_times_rows(kernel_weights<T>(w) + lo * in, hi - lo, in, xt, Rp, y_t + lo * Rp, true);
  });
}

// The matrices of every layer: all fp32 or all bf16, contiguous on the CPU,
// not being trained. bf16 products pair their inputs, so their input sizes
// (C, H D, F) must be even.
at::ScalarType matrix_dtype(const Model& model) {
  const at::ScalarType dtype = model.layers.front().q_proj.scalar_type();
  const ModelConfig& c = model.config;
  if (dtype == at::kBFloat16 &&
      (c.hidden_size % 2 || (c.num_attention_heads * c.head_dim) % 2 || c.intermediate_size % 2))
    return at::ScalarType::Undefined;
  for (const LayerWeights& l : model.layers)
    for (const at::Tensor* t :
         {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      if (t->scalar_type() != dtype || !t->device().is_cpu() || !t->is_contiguous() ||
          (at::GradMode::is_enabled() && t->requires_grad()))
        return at::ScalarType::Undefined;
  return dtype;
}

// Norm weights and biases: read as fp32 (a bf16 working copy has them in
// bf16; converting a layer's few thousand values per step is noise).
bool small_ok(const at::Tensor& t) {
  return !t.defined() || (t.device().is_cpu() &&
                          (t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16));
}

at::Tensor as_fp32(const at::Tensor& t) {
  return t.defined() ? t.to(at::kFloat).contiguous() : t;
}

// A layer's weights as the kernels read them: matrices as they are, the
// norm weights and biases fp32.
LayerWeights with_fp32_small(const LayerWeights& l) {
  LayerWeights out = l;
  for (at::Tensor* t : {&out.input_layernorm, &out.q_bias, &out.k_bias, &out.v_bias, &out.q_norm,
                        &out.k_norm, &out.post_attention_layernorm})
    *t = as_fp32(*t);
  return out;
}

}  // namespace

DecodeAttention layer_decode_attention(const ModelConfig& config, const LayerWeights& layer,
                                       size_t index, const at::Tensor& qkv, const at::Tensor& cos,
                                       const at::Tensor& sin, const at::Tensor& bias,
                                       const KVCache& cache) {
  DecodeAttention step;
  step.qkv = qkv;
  step.cos = cos;
  step.sin = sin;
  if (config.qk_norm) {
    step.q_norm = layer.q_norm;
    step.k_norm = layer.k_norm;
  }
  step.norm_eps = config.rms_norm_eps;
  step.keys = cache.keys[index];
  step.values = cache.values[index];
  step.slot = cache.length;
  step.bias = bias;
  if (!cache.shared.empty()) {
    if (static_cast<int64_t>(cache.shared.size()) != qkv.size(0))
      fail("KV cache: ", cache.shared.size(), " shared-column entries for ", qkv.size(0), " rows");
    step.shared = cache.shared.data();
  }
  return step;
}

template <>
const float* kernel_weights(const at::Tensor& w) {
  return w.data_ptr<float>();
}
template <>
const uint16_t* kernel_weights(const at::Tensor& w) {
  return reinterpret_cast<const uint16_t*>(w.data_ptr<at::BFloat16>());
}

bool decode_layers_apply(const Model& model, const at::Tensor& x) {
  if (!x.defined() || x.dim() != 3 || x.size(1) != 1 || x.size(0) < 1 ||
      x.size(0) > kDecodeGemmMaxRows || !ops::fused_dtype(x) || x.scalar_type() != at::kFloat ||
      (at::GradMode::is_enabled() && x.requires_grad()) || model.layers.empty())
    return false;
  // fp32 from 8 rows (below, BLAS reads the weights about as fast); bf16
  // from 1: a matrix-vector product on bf16 weights is no faster in ATen
  // (slower on libtorch 1.13), and here it reads half of fp32's bytes.
  const at::ScalarType dtype = matrix_dtype(model);
  if (dtype == at::kFloat && x.size(0) < kDecodeGemmMinRows) return false;
  if (dtype != at::kFloat && dtype != at::kBFloat16) return false;
  for (const LayerWeights& l : model.layers)
    for (const at::Tensor* t : {&l.input_layernorm, &l.q_bias, &l.k_bias, &l.v_bias, &l.q_norm,
                                &l.k_norm, &l.post_attention_layernorm})
      if (!small_ok(*t)) return false;
  return true;
}

namespace {

template <typename T>
at::Tensor layers_on(const Model& model, const at::Tensor& x, const at::Tensor& cos,
                     const at::Tensor& sin, const at::Tensor& bias, KVCache& cache) {
  const ModelConfig& c = model.config;
  const int64_t B = x.size(0), C = c.hidden_size, K = c.num_key_value_heads, D = c.head_dim;
  const int64_t HD = c.num_attention_heads * D, W = HD + 2 * K * D, F = c.intermediate_size;
  constexpr bool kBf16 = std::is_same_v<T, uint16_t>;
  const int64_t Rp = kBf16 ? decode_lanes_bf16(B) : decode_lanes(B);
  const double eps = c.rms_norm_eps;

  // The residual stream stays in the lane layout (C, Rp) of the products'
  // inputs (model/decode_gemm.h) from the first layer to the last: o_proj and
  // down add onto it in place, and the norms read it and write their output
  // packed, so no product result is transposed and no norm output repacked.
  auto opts = x.options();
  auto residual_t = at::empty({C, Rp}, opts);
  auto xt = at::empty({std::max(C, HD), Rp}, opts);
  // The products' inputs: xt and act_t themselves for fp32 weights; for
  // bf16, xt's pairs in `in` and act_t written in pairs by the SwiGLU.
  const auto input_opts = kBf16 ? opts.dtype(at::kBFloat16) : opts;
  auto in = kBf16 ? at::empty({std::max(C, HD), Rp}, input_opts) : at::Tensor();
  auto act_t = at::empty({F, Rp}, input_opts);
  auto qkv = at::empty({B, W}, opts);
  auto attn = at::empty({B, HD}, opts);
  auto out = at::empty({B, C}, opts);
  std::vector<double> norm_partials(at::get_num_threads() * Rp);
  std::vector<LayerWeights> layers;
  std::vector<DecodeAttention> steps;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    layers.push_back(with_fp32_small(model.layers[i]));
    steps.push_back(layer_decode_attention(c, layers[i], i, qkv, cos, sin, bias, cache));
    check_decode_attention(steps.back());  // nothing may throw inside the parallel region
  }
  const auto x_rows = x.reshape({B, C}).contiguous();
  const float* xp = x_rows.data_ptr<float>();
  float *rtp = residual_t.data_ptr<float>(), *xtp = xt.data_ptr<float>();
  float* qkvp = qkv.data_ptr<float>();
  T* inp = kBf16 ? static_cast<T*>(in.data_ptr()) : reinterpret_cast<T*>(xtp);
  T* actp = static_cast<T*>(act_t.data_ptr());
  float *attnp = attn.data_ptr<float>(), *outp = out.data_ptr<float>();
  double* partials = norm_partials.data();

  // A queue per chunked step of each layer (util/chunk_queue.h): q, k, v,
  // attention, o_proj, gate/up, down.
  constexpr int kQueues = 7;
  std::vector<ChunkQueue> queues(model.layers.size() * kQueues);

#pragma omp parallel num_threads(at::get_num_threads())
  {
    int t = 0, nt = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nt = omp_get_num_threads();
#endif
    pack_share(xp, B, C, Rp, rtp, t, nt);
    barrier();
    const Share hidden_rows = share(C, t, nt, 16), head_rows = share(HD, t, nt, 16);
    for (size_t i = 0; i < layers.size(); ++i) {
      const LayerWeights& l = layers[i];
      ChunkQueue* q = &queues[i * kQueues];
      norm_share(rtp, l.input_layernorm, eps, C, Rp, partials, xtp, t, nt);
      product_input(xtp, hidden_rows.begin, hidden_rows.end, Rp, inp);
      barrier();
      product(q[0], l.q_proj, l.q_bias, inp, Rp, B, qkvp, W, t, nt);
      product(q[1], l.k_proj, l.k_bias, inp, Rp, B, qkvp + HD, W, t, nt);
      product(q[2], l.v_proj, l.v_bias, inp, Rp, B, qkvp + HD + K * D, W, t, nt);
      barrier();
      // Guided too: within a run of blocks each asks for the next one's keys
      // and values (model/decode_attention.cpp), so long runs first.
      q[3].drain_guided(B * K, 2, nt, [&](int64_t begin, int64_t end) {
        decode_attention_blocks(steps[i], attnp, begin, end);
      });
      barrier();
      pack_share(attnp, B, HD, Rp, xtp, t, nt);
      product_input(xtp, head_rows.begin, head_rows.end, Rp, inp);
      barrier();
      product_add_lanes(q[4], l.o_proj, inp, Rp, rtp, t, nt);  // residual +=
      barrier();
      norm_share(rtp, l.post_attention_layernorm, eps, C, Rp, partials, xtp, t, nt);
      product_input(xtp, hidden_rows.begin, hidden_rows.end, Rp, inp);
      barrier();
      for_weight_rows(q[5], F, Rp, t, nt, [&](int64_t lo, int64_t hi) {
        swiglu_times_rows(kernel_weights<T>(l.gate_proj) + lo * C,
                          kernel_weights<T>(l.up_proj) + lo * C, hi - lo, C, inp, Rp,
                          actp + lo * Rp);
      });
      barrier();
      product_add_lanes(q[6], l.down_proj, actp, Rp, rtp, t, nt);  // residual +=
      barrier();
    }
    // Back to rows: out[b][c] = residual_t[c][b], rows split between threads.
    const Share rows = share(B, t, nt);
    if (rows.begin < rows.end)
      pack_rows(rtp + rows.begin, C, rows.end - rows.begin, Rp, C, outp + rows.begin * C);
  }
  return out.view({B, 1, C});
}

}  // namespace

at::Tensor decode_layers(const Model& model, const at::Tensor& x, const at::Tensor& cos,
                         const at::Tensor& sin, const at::Tensor& bias, KVCache& cache) {
  if (matrix_dtype(model) == at::kBFloat16)
    return layers_on<uint16_t>(model, x, cos, sin, bias, cache);
  return layers_on<float>(model, x, cos, sin, bias, cache);
}

}  // namespace r1
