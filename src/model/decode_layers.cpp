#include "model/decode_layers.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
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

// y[:, col..] = x w^T (+ b) for weight rows [lo, hi) and the R rows packed
// in xt: w (n, in), y rows ldy apart.
void product_rows(const at::Tensor& w, const at::Tensor& b, int64_t lo, int64_t hi, const float* xt,
                  int64_t Rp, int64_t R, float* y, int64_t ldy) {
  const int64_t in = w.size(1);
  RowsOut out{y + lo, ldy};
  if (b.defined()) out.bias = b.data_ptr<float>() + lo;
  weight_times_rows_into(w.data_ptr<float>() + lo * in, hi - lo, in, xt, Rp, R, out);
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
void product(ChunkQueue& queue, const at::Tensor& w, const at::Tensor& b, const float* xt,
             int64_t Rp, int64_t R, float* y, int64_t ldy, int t, int nt) {
  for_weight_rows(queue, w.size(0), Rp, t, nt,
                  [&](int64_t lo, int64_t hi) { product_rows(w, b, lo, hi, xt, Rp, R, y, ldy); });
}

// y_t (n, Rp) += w xt, all of it, in the lane layout.
void product_add_lanes(ChunkQueue& queue, const at::Tensor& w, const float* xt, int64_t Rp,
                       float* y_t, int t, int nt) {
  const int64_t in = w.size(1);
  for_weight_rows(queue, w.size(0), Rp, t, nt, [&](int64_t lo, int64_t hi) {
    weight_times_rows(w.data_ptr<float>() + lo * in, hi - lo, in, xt, Rp, y_t + lo * Rp, true);
  });
}

bool plain(const at::Tensor& t) {
  return !t.defined() || (ops::fused_dtype(t) && t.scalar_type() == at::kFloat &&
                          t.is_contiguous() && !(at::GradMode::is_enabled() && t.requires_grad()));
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

bool decode_layers_apply(const Model& model, const at::Tensor& x) {
  if (!x.defined() || x.dim() != 3 || x.size(1) != 1 || x.size(0) < kDecodeGemmMinRows ||
      x.size(0) > kDecodeGemmMaxRows || !ops::fused_dtype(x) || x.scalar_type() != at::kFloat ||
      (at::GradMode::is_enabled() && x.requires_grad()))
    return false;
  for (const LayerWeights& l : model.layers)
    for (const at::Tensor* t :
         {&l.input_layernorm, &l.q_proj, &l.q_bias, &l.k_proj, &l.k_bias, &l.v_proj, &l.v_bias,
          &l.o_proj, &l.q_norm, &l.k_norm, &l.post_attention_layernorm, &l.gate_proj, &l.up_proj,
          &l.down_proj})
      if (!plain(*t)) return false;
  return true;
}

at::Tensor decode_layers(const Model& model, const at::Tensor& x, const at::Tensor& cos,
                         const at::Tensor& sin, const at::Tensor& bias, KVCache& cache) {
  const ModelConfig& c = model.config;
  const int64_t B = x.size(0), C = c.hidden_size, K = c.num_key_value_heads, D = c.head_dim;
  const int64_t HD = c.num_attention_heads * D, W = HD + 2 * K * D, F = c.intermediate_size;
  const int64_t Rp = decode_lanes(B);
  const double eps = c.rms_norm_eps;

  // The residual stream stays in the lane layout (C, Rp) of the products'
  // inputs (model/decode_gemm.h) from the first layer to the last: o_proj and
  // down add onto it in place, and the norms read it and write their output
  // packed, so no product result is transposed and no norm output repacked.
  auto opts = x.options();
  auto residual_t = at::empty({C, Rp}, opts);
  auto xt = at::empty({std::max(C, HD), Rp}, opts);
  auto act_t = at::empty({F, Rp}, opts);
  auto qkv = at::empty({B, W}, opts);
  auto attn = at::empty({B, HD}, opts);
  auto out = at::empty({B, C}, opts);
  std::vector<double> norm_partials(at::get_num_threads() * Rp);
  std::vector<DecodeAttention> steps;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    steps.push_back(layer_decode_attention(c, model.layers[i], i, qkv, cos, sin, bias, cache));
    check_decode_attention(steps.back());  // nothing may throw inside the parallel region
  }
  const auto x_rows = x.reshape({B, C}).contiguous();
  const float* xp = x_rows.data_ptr<float>();
  float *rtp = residual_t.data_ptr<float>(), *xtp = xt.data_ptr<float>();
  float *actp = act_t.data_ptr<float>(), *qkvp = qkv.data_ptr<float>();
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
    for (size_t i = 0; i < model.layers.size(); ++i) {
      const LayerWeights& l = model.layers[i];
      ChunkQueue* q = &queues[i * kQueues];
      norm_share(rtp, l.input_layernorm, eps, C, Rp, partials, xtp, t, nt);
      barrier();
      product(q[0], l.q_proj, l.q_bias, xtp, Rp, B, qkvp, W, t, nt);
      product(q[1], l.k_proj, l.k_bias, xtp, Rp, B, qkvp + HD, W, t, nt);
      product(q[2], l.v_proj, l.v_bias, xtp, Rp, B, qkvp + HD + K * D, W, t, nt);
      barrier();
      // Guided too: within a run of blocks each asks for the next one's keys
      // and values (model/decode_attention.cpp), so long runs first.
      q[3].drain_guided(B * K, 2, nt, [&](int64_t begin, int64_t end) {
        decode_attention_blocks(steps[i], attnp, begin, end);
      });
      barrier();
      pack_share(attnp, B, HD, Rp, xtp, t, nt);
      barrier();
      product_add_lanes(q[4], l.o_proj, xtp, Rp, rtp, t, nt);  // residual +=
      barrier();
      norm_share(rtp, l.post_attention_layernorm, eps, C, Rp, partials, xtp, t, nt);
      barrier();
      for_weight_rows(q[5], F, Rp, t, nt, [&](int64_t lo, int64_t hi) {
        swiglu_times_rows(l.gate_proj.data_ptr<float>() + lo * C,
                          l.up_proj.data_ptr<float>() + lo * C, hi - lo, C, xtp, Rp,
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

}  // namespace r1
