#include "model/transformer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/decode_attention.h"
#include "model/decode_gemm.h"
#include "model/decode_layers.h"
#include "model/gemm.h"
#include "model/logit_ops.h"
#include "model/train_ops.h"
#include "util/error.h"

namespace r1 {

std::vector<std::pair<std::string, at::Tensor*>> Model::named_parameters() {
  std::vector<std::pair<std::string, at::Tensor*>> out;
  out.emplace_back("model.embed_tokens.weight", &embed_tokens);
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerWeights& l = layers[i];
    std::string p = "model.layers." + std::to_string(i) + ".";
    out.emplace_back(p + "input_layernorm.weight", &l.input_layernorm);
    out.emplace_back(p + "self_attn.q_proj.weight", &l.q_proj);
    out.emplace_back(p + "self_attn.k_proj.weight", &l.k_proj);
    out.emplace_back(p + "self_attn.v_proj.weight", &l.v_proj);
    if (config.attention_bias) {
      out.emplace_back(p + "self_attn.q_proj.bias", &l.q_bias);
      out.emplace_back(p + "self_attn.k_proj.bias", &l.k_bias);
      out.emplace_back(p + "self_attn.v_proj.bias", &l.v_bias);
    }
    out.emplace_back(p + "self_attn.o_proj.weight", &l.o_proj);
    if (config.qk_norm) {
      out.emplace_back(p + "self_attn.q_norm.weight", &l.q_norm);
      out.emplace_back(p + "self_attn.k_norm.weight", &l.k_norm);
    }
    out.emplace_back(p + "post_attention_layernorm.weight", &l.post_attention_layernorm);
    out.emplace_back(p + "mlp.gate_proj.weight", &l.gate_proj);
    out.emplace_back(p + "mlp.up_proj.weight", &l.up_proj);
    out.emplace_back(p + "mlp.down_proj.weight", &l.down_proj);
  }
  out.emplace_back("model.norm.weight", &norm);
  if (!config.tie_word_embeddings) out.emplace_back("lm_head.weight", &lm_head);
  return out;
}

std::vector<at::Tensor> Model::parameters() {
  std::vector<at::Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(*t);
  return out;
}

// Inverse RoPE frequencies theta^(-2i/D), with Llama 3's frequency-dependent
// scaling (long wavelengths divided by `factor`, short kept, a smooth ramp
// between), as in transformers' _compute_llama3_parameters.
static at::Tensor rope_inv_freq(const ModelConfig& c) {
  const int64_t D = c.head_dim;
  std::vector<float> inv(D / 2);
  for (int64_t i = 0; i < D / 2; ++i) {
    float exponent = static_cast<float>(2 * i) / static_cast<float>(D);
    inv[i] = 1.0f / std::pow(static_cast<float>(c.rope_theta), exponent);
  }
  const RopeScaling& s = c.rope_scaling;
  if (s.rope_type == "linear") {
    for (float& f : inv) f /= static_cast<float>(s.factor);
  } else if (s.rope_type == "llama3") {
    const double old_len = static_cast<double>(s.original_max_position_embeddings);
    const double low_freq_wavelen = old_len / s.low_freq_factor;
    const double high_freq_wavelen = old_len / s.high_freq_factor;
    for (float& f : inv) {
      double wavelen = 2.0 * M_PI / f;
      if (wavelen > low_freq_wavelen) {
        f = static_cast<float>(f / s.factor);
      } else if (wavelen >= high_freq_wavelen) {
        double smooth =
            (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = static_cast<float>((1.0 - smooth) * f / s.factor + smooth * f);
      }
    }
  } else if (s.rope_type == "yarn") {
    // YaRN (arXiv 2309.00071 §3.2, transformers' _compute_yarn_parameters):
    // dimensions that turn fewer than beta_slow times over the original
    // context are interpolated (divided by factor), those turning more than
    // beta_fast times keep their frequency, a linear ramp in between.
    const double dim = static_cast<double>(D), base = c.rope_theta;
    const double old_len = static_cast<double>(s.original_max_position_embeddings);
    auto correction_dim = [&](double rotations) {
      return dim * std::log(old_len / (rotations * 2.0 * M_PI)) / (2.0 * std::log(base));
    };
    double low = correction_dim(s.beta_fast), high = correction_dim(s.beta_slow);
    if (s.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, dim - 1.0);
    if (low == high) high += 0.001;  // no zero-width ramp
    for (int64_t i = 0; i < D / 2; ++i) {
      const float extrapolated = inv[i], interpolated = inv[i] / static_cast<float>(s.factor);
      const float ramp = std::clamp((static_cast<float>(i) - static_cast<float>(low)) /
                                        (static_cast<float>(high) - static_cast<float>(low)),
                                    0.0f, 1.0f);
      const float keep = 1.0f - ramp;  // the share of the unscaled frequency
      inv[i] = interpolated * (1.0f - keep) + extrapolated * keep;
    }
  }
  return at::tensor(inv, at::kFloat);
}

// YaRN's scale on cos and sin (its attention temperature, eq. 21:
// 0.1 ln(factor) + 1), or DeepSeek-V3's ratio of two such terms; 1 otherwise.
static double rope_attention_scale(const RopeScaling& s) {
  if (s.rope_type != "yarn") return 1.0;
  if (s.attention_factor > 0) return s.attention_factor;
  auto mscale = [&](double m) { return s.factor <= 1 ? 1.0 : 0.1 * m * std::log(s.factor) + 1.0; };
  if (s.mscale > 0 && s.mscale_all_dim > 0) return mscale(s.mscale) / mscale(s.mscale_all_dim);
  return mscale(1.0);
}

void finalize_model(Model& model) {
  at::Device device = model.embed_tokens.defined() ? model.embed_tokens.device() : at::kCPU;
  model.rope_inv_freq = rope_inv_freq(model.config).to(device);
  model.rope_scale = rope_attention_scale(model.config.rope_scaling);
  if (model.config.tie_word_embeddings) model.lm_head = model.embed_tokens;
}

Model allocate_model(const ModelConfig& c, const TensorFactory& make) {
  const int64_t C = c.hidden_size, D = c.head_dim, H = c.num_attention_heads,
                K = c.num_key_value_heads, F = c.intermediate_size;
  Model m;
  m.config = c;
  m.embed_tokens = make({c.vocab_size, C}, ParamKind::kWeight);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    LayerWeights l;
    l.input_layernorm = make({C}, ParamKind::kNorm);
    l.q_proj = make({H * D, C}, ParamKind::kWeight);
    l.k_proj = make({K * D, C}, ParamKind::kWeight);
    l.v_proj = make({K * D, C}, ParamKind::kWeight);
    if (c.attention_bias) {
      l.q_bias = make({H * D}, ParamKind::kBias);
      l.k_bias = make({K * D}, ParamKind::kBias);
      l.v_bias = make({K * D}, ParamKind::kBias);
    }
    l.o_proj = make({C, H * D}, ParamKind::kWeight);
    if (c.qk_norm) {
      l.q_norm = make({D}, ParamKind::kNorm);
      l.k_norm = make({D}, ParamKind::kNorm);
    }
    l.post_attention_layernorm = make({C}, ParamKind::kNorm);
    l.gate_proj = make({F, C}, ParamKind::kWeight);
    l.up_proj = make({F, C}, ParamKind::kWeight);
    l.down_proj = make({C, F}, ParamKind::kWeight);
    m.layers.push_back(std::move(l));
  }
  m.norm = make({C}, ParamKind::kNorm);
  if (!c.tie_word_embeddings) m.lm_head = make({c.vocab_size, C}, ParamKind::kWeight);
  return m;
}

Model init_model(const ModelConfig& c, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  Model m = allocate_model(c, [&](std::vector<int64_t> shape, ParamKind kind) {
    switch (kind) {
      case ParamKind::kWeight:
        return at::normal(0.0, c.initializer_range, shape, gen, at::kFloat);
      case ParamKind::kBias:
        return at::zeros(shape, at::kFloat);
      case ParamKind::kNorm:
        return at::ones(shape, at::kFloat);
    }
    return at::Tensor();
  });
  finalize_model(m);
  return m;
}

void model_to_device(Model& model, const at::Device& device) {
  for (auto& [name, t] : model.named_parameters()) *t = t->to(device);
  finalize_model(model);
}

at::ScalarType activation_dtype(const Model& model) {
  return at::promote_types(model.embed_tokens.scalar_type(), at::kFloat);
}

at::Tensor positions_from_mask(const at::Tensor& mask) {
  return (mask.to(at::kLong).cumsum(1) - 1).clamp_min(0);
}

namespace {

// Calls fn(w, first, count, row) for the rows [lo, hi) of the weights stacked
// on top of each other, one call per weight they touch: rows first..first +
// count of weight w, which are rows row.. of the stack.
template <typename Fn>
void for_stacked_rows(const std::vector<at::Tensor>& weights, int64_t lo, int64_t hi, Fn fn) {
  int64_t offset = 0;
  for (const at::Tensor& w : weights) {
    const int64_t a = std::max(lo, offset), b = std::min(hi, offset + w.size(0));
    if (a < b) fn(w, a - offset, b - a, a);
    offset += w.size(0);
  }
}

// x (rows, in) packed for model/decode_gemm.h: (in, decode_lanes(rows)).
at::Tensor pack_for_decode(const at::Tensor& x) {
  const int64_t rows = x.size(0), in = x.size(1), lanes = decode_lanes(rows);
  auto xt = at::empty({in, lanes}, x.options());
  pack_rows(x.data_ptr<float>(), rows, in, x.stride(0), lanes, xt.data_ptr<float>());
  return xt;
}

// at::parallel_for grain over n weight rows of `in` inputs each, for `rows`
// rows: a weight row costs its multiply-adds (~150 GFLOP/s a core) or its
// bytes (~12 GB/s a core), whichever is slower. At 8 rows reading the weights
// is the work, and a FLOP count alone kept those products on one core.
int64_t decode_grain(int64_t n, int64_t in, int64_t rows) {
  return parallel_grain(n, std::max(2.0 * rows * in / 150.0, 4.0 * in / 12.0));
}

// y (rows, sum of outs) = [x W_0^T + b_0 | ...] (+ residual, (rows, sum of
// outs), when defined) from xt = pack_for_decode(x), the stacked weight rows
// split between threads, results and biases written straight into y. The
// residual add rides along: as a separate ATen add it woke the second thread
// for a pass of a few microseconds, twice per layer.
at::Tensor decode_products(const at::Tensor& xt, int64_t rows,
                           const std::vector<at::Tensor>& weights,
                           const std::vector<at::Tensor>& biases, const at::Tensor& residual = {}) {
  const int64_t in = xt.size(0), lanes = xt.size(1);
  int64_t width = 0;
  for (const at::Tensor& w : weights) width += w.size(0);
  auto y = at::empty({rows, width}, xt.options());
  if (residual.defined()) {
    auto r = residual.reshape({rows, width}).contiguous();
    std::memcpy(y.data_ptr<float>(), r.data_ptr<float>(), rows * width * sizeof(float));
  }
  at::parallel_for(0, width, decode_grain(width, in, rows), [&](int64_t lo, int64_t hi) {
    for_stacked_rows(weights, lo, hi,
                     [&](const at::Tensor& w, int64_t first, int64_t n, int64_t row) {
                       RowsOut out{y.data_ptr<float>() + row, width};
                       if (!biases.empty())
                         out.bias = biases[&w - weights.data()].data_ptr<float>() + first;
                       out.accumulate = residual.defined();
                       weight_times_rows_into(w.data_ptr<float>() + first * in, n, in,
                                              xt.data_ptr<float>(), lanes, rows, out);
                     });
  });
  return y;
}

// [x W_0^T + b_0 | x W_1^T + b_1 | ...] (q|k|v, gate|up) for the decode path:
// one output and one bias add, no weight copies. 8 to 64 rows (a decode
// batch) run on decode_products; 2 to 7 take oneDNN's (W x^T)^T (it packs the
// weight matrix for x W^T; 1.25-1.6x on the 0.5B shapes at 8 rows); more (a
// prefill) x W^T. One row (batch-1 decode) is a matrix-vector product per
// weight. x (..., in), weights (out_i, in), biases empty or (out_i) each ->
// (..., sum of outs), plus `residual` (same shape) when it is defined.
at::Tensor dense_packed(const at::Tensor& x, const std::vector<at::Tensor>& weights,
                        const std::vector<at::Tensor>& biases = {},
                        const at::Tensor& residual = {}) {
  const int64_t in = x.size(-1);
  int64_t width = 0;
  bool plain = ops::fused_dtype(x) && x.scalar_type() == at::kFloat;
  bool needs_grad = x.requires_grad();
  for (const at::Tensor& w : weights) {
    width += w.size(0);
    plain = plain && w.is_contiguous() && w.scalar_type() == at::kFloat;
    needs_grad = needs_grad || w.requires_grad();
  }
  for (const at::Tensor& b : biases) {
    plain = plain && b.is_contiguous() && b.scalar_type() == at::kFloat;
    needs_grad = needs_grad || b.requires_grad();
  }
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = width;
  if (!plain || (at::GradMode::is_enabled() && needs_grad)) {
    std::vector<at::Tensor> parts;
    for (size_t i = 0; i < weights.size(); ++i)
      parts.push_back(ops::plain_linear(x, weights[i], biases.empty() ? at::Tensor() : biases[i]));
    auto y = at::cat(parts, -1);
    return residual.defined() ? residual + y : y;
  }
  auto x2 = x.reshape({-1, in}).contiguous();  // (rows, in)
  const int64_t rows = x2.size(0);
  const float* xp = x2.data_ptr<float>();
  at::Tensor y;  // (rows, width)
  if (rows >= kDecodeGemmMinRows && rows <= kDecodeGemmMaxRows) {
    return decode_products(pack_for_decode(x2), rows, weights, biases, residual).view(shape);
  } else if (rows == 1) {
    // Matrix-vector BLAS: GEMM with one row first packs (copies) the whole
    // weight matrix (batch-1 decode of the 0.5B model ran at 8 tok/s for 13).
    y = at::empty({1, width}, x2.options());
    auto row_out = y.view({width});
    for_stacked_rows(weights, 0, width, [&](const at::Tensor& w, int64_t, int64_t n, int64_t row) {
      auto slice = row_out.narrow(0, row, n);
      at::mv_out(slice, w, x2[0]);
    });
  } else if (rows < kDecodeGemmMinRows) {
    auto yt = at::empty({width, rows}, x2.options());
    for_stacked_rows(weights, 0, width, [&](const at::Tensor& w, int64_t, int64_t n, int64_t row) {
      gemm<float>(false, true, n, rows, in, 1.0f, w.data_ptr<float>(), in, xp, in, 0.0f,
                  yt.data_ptr<float>() + row * rows, rows);
    });
    y = yt.t().contiguous();
  } else {
    y = at::empty({rows, width}, x2.options());
    for_stacked_rows(weights, 0, width, [&](const at::Tensor& w, int64_t, int64_t n, int64_t row) {
      gemm<float>(false, true, rows, n, in, 1.0f, xp, in, w.data_ptr<float>(), in, 0.0f,
                  y.data_ptr<float>() + row, width);
    });
  }
  if (!biases.empty()) y.add_(at::cat(biases));
  return residual.defined() ? residual + y.view(shape) : y.view(shape);
}

// y = x W^T + b for the decode path and lm_logits. A single row (batch-1
// decode) goes through matrix-vector BLAS: GEMM with one row first packs
// (copies) the whole weight matrix, which made the LM head of a decode step
// several times slower than one read of it. More rows: dense_packed. Plus
// `residual` when defined.
at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {},
                 const at::Tensor& residual = {}) {
  const int64_t in = x.size(-1);
  if (x.numel() == in) {
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = w.size(0);
    auto xw = x.reshape({in}).to(w.scalar_type());  // the product in the weight's dtype
    auto y = (b.defined() ? at::addmv(b, w, xw) : at::mv(w, xw)).to(x.scalar_type());
    return residual.defined() ? residual + y.view(shape) : y.view(shape);
  }
  return dense_packed(x, {w}, b.defined() ? std::vector<at::Tensor>{b} : std::vector<at::Tensor>{},
                      residual);
}

// Additive attention bias (B, 1, T, S): 0 where query t may see key s, -inf
// elsewhere. Causal, and padding keys hidden; each query always sees itself so
// a padding row stays finite (its output is ignored anyway).
at::Tensor attention_bias(const at::Tensor& key_mask, int64_t B, int64_t T, int64_t S,
                          const at::Device& device) {
  auto opts = at::TensorOptions().device(device);
  auto q_index = at::arange(S - T, S, opts.dtype(at::kLong)).unsqueeze(1);  // (T, 1)
  auto k_index = at::arange(0, S, opts.dtype(at::kLong)).unsqueeze(0);      // (1, S)
  auto allowed = (k_index <= q_index).unsqueeze(0);                         // (1, T, S)
  if (key_mask.defined()) allowed = allowed & key_mask.to(at::kBool).unsqueeze(1);
  allowed = allowed | (k_index == q_index).unsqueeze(0);
  auto bias = at::zeros({allowed.size(0), T, S}, opts.dtype(at::kFloat));
  bias.masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  return bias.unsqueeze(1).expand({B, 1, T, S});
}

// Grouped-query attention without copying K/V per query head: query head h
// uses KV head h / G, so q is viewed as (B, K, G*T, D) and multiplied against
// (B, K, S, D) directly. The products in `compute` (the weights' dtype), the
// softmax in q's.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& bias, int64_t K, at::ScalarType compute) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3), S = k.size(2);
  const int64_t G = H / K;
  auto qg = q.reshape({B, K, G * T, D}).to(compute);
  auto scores = at::matmul(qg, k.to(compute).transpose(2, 3)).to(q.scalar_type()) *
                (1.0 / std::sqrt(static_cast<double>(D)));
  scores = scores.view({B, K, G, T, S}) + bias.view({B, 1, 1, T, S});
  auto probs = at::softmax(scores, -1).view({B, K, G * T, S}).to(compute);
  return at::matmul(probs, v.to(compute)).to(q.scalar_type()).view({B, H, T, D});
}

// Attention from the q|k|v projections (B, T, (H+2K)*D) in ATen-sized steps:
// split, the optional per-head q/k norm, RoPE; then without a cache
// (training, scoring) the fused causal attention, which takes the key mask
// itself, and with one (a prefill, or a decode step off the CPU) an append to
// the cache and attention over all of it with the additive bias. (B, T, H*D).
at::Tensor split_attention(const ModelConfig& c, const LayerWeights& l, const at::Tensor& qkv,
                           const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& key_mask,
                           const at::Tensor& bias, KVCache* cache, size_t layer_index) {
  const int64_t B = qkv.size(0), T = qkv.size(1);
  const int64_t H = c.num_attention_heads, K = c.num_key_value_heads, D = c.head_dim;
  auto parts = qkv.split_with_sizes({H * D, K * D, K * D}, -1);
  auto q = parts[0].view({B, T, H, D});
  auto k = parts[1].view({B, T, K, D});
  auto v = parts[2].view({B, T, K, D});
  if (c.qk_norm) {
    q = ops::rms_norm(q, l.q_norm, c.rms_norm_eps);
    k = ops::rms_norm(k, l.k_norm, c.rms_norm_eps);
  }
  q = ops::rope(q, cos.squeeze(2), sin.squeeze(2));
  k = ops::rope(k, cos.squeeze(2), sin.squeeze(2));
  const at::ScalarType compute = l.q_proj.scalar_type();
  if (!cache) return ops::causal_attention(q, k, v, key_mask, compute).reshape({B, T, H * D});
  q = q.transpose(1, 2);  // (B, H, T, D)
  k = k.transpose(1, 2);  // (B, K, T, D)
  v = v.transpose(1, 2);  // (B, K, T, D)
  // Append, then attend over everything cached so far: (B, K, S, D).
  at::Tensor& keys = cache->keys[layer_index];
  at::Tensor& values = cache->values[layer_index];
  keys.narrow(2, cache->length, T).copy_(k);
  values.narrow(2, cache->length, T).copy_(v);
  auto attn = attention(q, keys.narrow(2, 0, cache->length + T),
                        values.narrow(2, 0, cache->length + T), bias, K, compute);
  return attn.transpose(1, 2).reshape({B, T, H * D});
}

// residual + the MLP of a decode step, down(silu(gate x) * up x), for 8 to 64 rows of
// fp32 on the CPU without autograd: the SwiGLU comes out of the gate and up
// products already packed for the down projection (model/decode_gemm.h
// swiglu_times_rows). Undefined when it does not apply.
at::Tensor decode_mlp(const at::Tensor& x, const LayerWeights& l, const at::Tensor& residual) {
  const int64_t C = x.size(-1), F = l.gate_proj.size(0);
  auto x2 = x.reshape({-1, C});
  const int64_t rows = x2.size(0);
  bool applies = rows >= kDecodeGemmMinRows && rows <= kDecodeGemmMaxRows && ops::fused_dtype(x) &&
                 x.scalar_type() == at::kFloat &&
                 !(at::GradMode::is_enabled() && x.requires_grad());
  for (const at::Tensor* w : {&l.gate_proj, &l.up_proj, &l.down_proj})
    applies = applies && w->is_contiguous() && w->scalar_type() == at::kFloat &&
              !(at::GradMode::is_enabled() && w->requires_grad());
  if (!applies) return at::Tensor();
  auto xt = pack_for_decode(x2.contiguous());
  const int64_t lanes = xt.size(1);
  auto act_t = at::empty({F, lanes}, xt.options());
  at::parallel_for(0, F, decode_grain(F, 2 * C, rows), [&](int64_t lo, int64_t hi) {
    swiglu_times_rows(l.gate_proj.data_ptr<float>() + lo * C, l.up_proj.data_ptr<float>() + lo * C,
                      hi - lo, C, xt.data_ptr<float>(), lanes,
                      act_t.data_ptr<float>() + lo * lanes);
  });
  return decode_products(act_t, rows, {l.down_proj}, {}, residual).view(x.sizes());
}

// Both paths use the fused RMSNorm, RoPE and SwiGLU of model/train_ops.h (one
// pass each instead of several ATen ops, which at decode sizes cost more in
// dispatch and thread wake-ups than in arithmetic). Without a cache (training,
// scoring) the projections and attention are train_ops' too, whose backward
// passes are hand-written; with a cache (prefill and decode) the projections
// run on dense_packed (its few-row orientation), a decode step's attention on
// model/decode_attention.h, a prefill's on split_attention.
at::Tensor layer_forward(const ModelConfig& c, const LayerWeights& l, const at::Tensor& x,
                         const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& key_mask,
                         const at::Tensor& bias, KVCache* cache, size_t layer_index) {
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t H = c.num_attention_heads, D = c.head_dim;
  const bool fused = cache == nullptr;
  auto norm = [&](const at::Tensor& t, const at::Tensor& w) {
    return ops::rms_norm(t, w, c.rms_norm_eps);
  };
  auto packed = [&](const at::Tensor& t, const std::vector<at::Tensor>& ws,
                    const std::vector<at::Tensor>& bs) {
    return fused ? ops::linear_packed(t, ws, bs) : dense_packed(t, ws, bs);
  };

  auto h = norm(x, l.input_layernorm);
  std::vector<at::Tensor> biases;
  if (c.attention_bias) biases = {l.q_bias, l.k_bias, l.v_bias};
  auto qkv = packed(h, {l.q_proj, l.k_proj, l.v_proj}, biases);  // (B, T, (H+2K)*D)
  at::Tensor attn;                                               // (B, T, H*D)
  if (!fused && T == 1 && ops::fused_dtype(qkv) && qkv.scalar_type() == at::kFloat &&
      l.q_proj.scalar_type() == at::kFloat &&
      !(at::GradMode::is_enabled() && qkv.requires_grad())) {
    // A decode step: q/k norms, RoPE, cache append and attention in one pass.
    auto step = layer_decode_attention(c, l, layer_index, qkv.reshape({B, -1}).contiguous(),
                                       cos.view({B, D}), sin.view({B, D}),
                                       bias.select(1, 0).select(1, 0), *cache);
    attn = decode_attention(step).view({B, T, H * D});
  } else {
    attn = split_attention(c, l, qkv, cos, sin, key_mask, bias, cache, layer_index);
  }
  auto x1 = fused ? x + ops::linear(attn, l.o_proj) : dense(attn, l.o_proj, {}, x);

  auto h2 = norm(x1, l.post_attention_layernorm);
  at::Tensor out = fused ? at::Tensor() : decode_mlp(h2, l, x1);
  if (!out.defined()) {
    auto act = ops::swiglu(packed(h2, {l.gate_proj, l.up_proj}, {}));  // (B, T, F)
    out = fused ? x1 + ops::linear(act, l.down_proj) : dense(act, l.down_proj, {}, x1);
  }
  return out;
}

}  // namespace

KVCache make_kv_cache(const Model& model, int64_t batch, int64_t capacity) {
  const ModelConfig& c = model.config;
  auto opts = model.embed_tokens.options().dtype(activation_dtype(model)).requires_grad(false);
  // The fused decode attention never reads a masked column; the plain path
  // multiplies them with a zero weight, and 0 x (uninitialised NaN) is NaN:
  // there, columns a row never wrote (continuous batching) must be finite.
  const bool fused =
      ops::fused_dtype(model.embed_tokens) && model.embed_tokens.scalar_type() == at::kFloat;
  auto make = [&] {
    const std::vector<int64_t> shape = {batch, c.num_key_value_heads, capacity, c.head_dim};
    return fused ? at::empty(shape, opts) : at::zeros(shape, opts);
  };
  KVCache cache;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    cache.keys.push_back(make());
    cache.values.push_back(make());
  }
  return cache;
}

at::Tensor forward_hidden(const Model& model, const at::Tensor& ids, const at::Tensor& positions,
                          const at::Tensor& key_mask, KVCache* cache) {
  const ModelConfig& c = model.config;
  const int64_t B = ids.size(0), T = ids.size(1);
  const int64_t past = cache ? cache->length : 0;
  if (cache && past + T > cache->keys[0].size(2))
    fail("KV cache overflow: ", past + T, " tokens for a capacity of ", cache->keys[0].size(2));
  auto x = at::embedding(model.embed_tokens, ids).to(activation_dtype(model));  // (B, T, C)

  auto freqs = positions.to(at::kFloat).unsqueeze(-1) * model.rope_inv_freq;  // (B, T, D/2)
  auto emb = at::cat({freqs, freqs}, -1).unsqueeze(2);                        // (B, T, 1, D)
  auto cos = emb.cos(), sin = emb.sin();
  if (model.rope_scale != 1.0) {
    cos = cos * model.rope_scale;
    sin = sin * model.rope_scale;
  }
  auto bias = cache ? attention_bias(key_mask, B, T, past + T, ids.device()) : at::Tensor();

  if (cache && T == 1 && decode_layers_apply(model, x)) {
    x = decode_layers(model, x, cos.view({B, -1}), sin.view({B, -1}),
                      bias.select(1, 0).select(1, 0), *cache);
  } else {
    for (size_t i = 0; i < model.layers.size(); ++i)
      x = layer_forward(c, model.layers[i], x, cos, sin, key_mask, bias, cache, i);
  }
  if (cache) cache->length += T;
  return ops::rms_norm(x, model.norm, c.rms_norm_eps);
}

at::Tensor lm_logits(const Model& model, const at::Tensor& hidden) {
  return dense(hidden, model.lm_head);
}

at::Tensor token_logprobs(const Model& model, const at::Tensor& hidden, const at::Tensor& targets,
                          at::Tensor* entropy) {
  auto lp = ops::token_logprobs(hidden.reshape({-1, hidden.size(-1)}), model.lm_head,
                                targets.reshape({-1}), entropy);
  if (entropy) *entropy = entropy->view(targets.sizes());
  return lp.view(targets.sizes());
}

}  // namespace r1
