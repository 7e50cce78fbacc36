// N = rows (all leading dims flattened), C = normalised width, F = FFN width;
// attention: B = batch, T = tokens, H = query heads, K = KV heads, G = H / K,
// D = head dim.
#include "model/train_ops.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/version.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "model/gemm.h"
#include "model/row_ops.h"
#include "model/vec_math.h"
#include "util/error.h"

namespace r1::ops {

namespace {
// R1_KERNELS=aten starts a process on the plain path (tests run whole suites
// that way); anything else but "fused" is an error, not a silent default.
Kernels kernels_from_env() {
  const char* v = std::getenv("R1_KERNELS");
  if (!v || !*v || std::string(v) == "fused") return Kernels::kFused;
  if (std::string(v) == "aten") return Kernels::kAten;
  fail("R1_KERNELS='", v, "': expected 'fused' or 'aten'");
}
// Read at first use, inside main, where a bad value is a clean error.
Kernels& current_kernels() {
  static Kernels kernels = kernels_from_env();
  return kernels;
}
}  // namespace

void set_kernels(Kernels kernels) {
  current_kernels() = kernels;
}
Kernels kernels() {
  return current_kernels();
}

bool fused_dtype(const at::Tensor& t) {
  return current_kernels() == Kernels::kFused && t.device().is_cpu() &&
         (t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble);
}

at::Tensor plain_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (x.scalar_type() == weight.scalar_type()) return at::linear(x, weight, bias);
  return at::linear(x.to(weight.scalar_type()), weight, bias).to(x.scalar_type());
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// y = x [W_0; W_1; ...]^T: one or more linear layers of the same input
// written side by side into one (N, sum of outs) output, without
// concatenating the weights. Backward on model/gemm.h:
//   dx = sum_i dy_i W_i (accumulated in the GEMM), dW_i = dy_i^T x.
template <typename T>
void packed_forward(const at::Tensor& x2, at::TensorList weights, at::Tensor& y) {
  const int64_t N = x2.size(0), in = x2.size(1), width = y.size(1);
  int64_t offset = 0;
  for (const at::Tensor& w : weights) {
    gemm<T>(false, true, N, w.size(0), in, T(1), x2.data_ptr<T>(), in, w.data_ptr<T>(), in, T(0),
            y.data_ptr<T>() + offset, width);
    offset += w.size(0);
  }
}

template <typename T>
void packed_backward(const at::Tensor& x2, at::TensorList weights, const at::Tensor& dy,
                     at::Tensor* dx, std::vector<at::Tensor>* dws) {
  const int64_t N = x2.size(0), in = x2.size(1), width = dy.size(1);
  int64_t offset = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const at::Tensor& w = weights[i];
    const int64_t out = w.size(0);
    const T* dyi = dy.data_ptr<T>() + offset;
    if (dx)
      gemm<T>(false, false, N, in, out, T(1), dyi, width, w.data_ptr<T>(), in, i ? T(1) : T(0),
              dx->data_ptr<T>(), in);
    if (dws)
      gemm<T>(true, false, out, in, N, T(1), dyi, width, x2.data_ptr<T>(), in, T(0),
              (*dws)[i].data_ptr<T>(), in);
    offset += out;
  }
}

struct PackedLinearFn : public torch::autograd::Function<PackedLinearFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, at::TensorList weights) {
    const int64_t in = x.size(-1);
    auto x2 = x.reshape({-1, in}).contiguous();  // (N, in)
    int64_t width = 0;
    std::vector<at::Tensor> ws;
    for (const at::Tensor& w : weights) {
      ws.push_back(w.contiguous());
      width += w.size(0);
    }
    auto y = at::empty({x2.size(0), width}, x2.options());  // (N, sum of outs)
    AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "packed_linear_forward",
                               [&] { packed_forward<scalar_t>(x2, ws, y); });
    ws.insert(ws.begin(), x2);
    ctx->save_for_backward(ws);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = width;
    return y.view(shape);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor x2 = saved[0];
    std::vector<at::Tensor> ws(saved.begin() + 1, saved.end());
    auto dy = grads[0].reshape({x2.size(0), -1}).contiguous();  // (N, sum of outs)
    at::Tensor dx;
    std::vector<at::Tensor> dws;
    bool weight_grads = false;
    for (size_t i = 0; i < ws.size(); ++i) {
      weight_grads = weight_grads || ctx->needs_input_grad(1 + i);
      dws.push_back(at::empty_like(ws[i]));
    }
    if (ctx->needs_input_grad(0)) dx = at::empty_like(x2);
    AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "packed_linear_backward", [&] {
      packed_backward<scalar_t>(x2, ws, dy, dx.defined() ? &dx : nullptr,
                                weight_grads ? &dws : nullptr);
    });
    variable_list out;
    if (dx.defined()) {
      std::vector<int64_t> shape = grads[0].sizes().vec();
      shape.back() = x2.size(1);
      dx = dx.view(shape);
    }
    out.push_back(dx);
    for (size_t i = 0; i < ws.size(); ++i)
      out.push_back(ctx->needs_input_grad(1 + i) ? dws[i] : at::Tensor());
    return out;
  }
};

// Rows are split into a fixed number of blocks (not per thread), so sums
// across rows add up in the same order whatever the thread count or timing:
// runs stay bit-for-bit reproducible.
constexpr int64_t kRowBlocks = 32;

// Rows [begin, end): y = x inv w, inv = (mean(x^2) + eps)^(-1/2) (model/row_ops.h).
template <typename T>
R1_VECTOR_CLONES void rms_norm_rows(const T* x, const T* w, T* y, T* inv, int64_t begin,
                                    int64_t end, int64_t C, double eps) {
  for (int64_t r = begin; r < end; ++r) inv[r] = rms_norm_row(x + r * C, w, y + r * C, C, eps);
}

template <typename T>
void rms_norm_forward(const T* x, const T* w, T* y, T* inv, int64_t N, int64_t C, double eps) {
  at::parallel_for(0, N, parallel_grain(N, C), [&](int64_t begin, int64_t end) {
    rms_norm_rows(x, w, y, inv, begin, end, C, eps);
  });
}

// y_c = x_c inv w_c with inv = (mean(x^2) + eps)^(-1/2):
//   dx_c = inv w_c dy_c - x_c inv^3 / C * sum_j dy_j w_j x_j
//   dw_c = sum over rows of dy_c x_c inv
// Rows [begin, end) into dx, their dw terms added to pw (C, double).
template <typename T>
R1_VECTOR_CLONES void rms_norm_backward_rows(const T* x, const T* w, const T* inv, const T* dy,
                                             T* dx, double* pw, int64_t begin, int64_t end,
                                             int64_t C) {
  constexpr int kLanes = 8;
  for (int64_t r = begin; r < end; ++r) {
    const T *xr = x + r * C, *dyr = dy + r * C;
    const double iv = inv[r];
    double lanes[kLanes] = {};
    int64_t c = 0;
    for (; c + kLanes <= C; c += kLanes)
      for (int j = 0; j < kLanes; ++j)
        lanes[j] += static_cast<double>(dyr[c + j]) * w[c + j] * xr[c + j];
    double dot = 0;
    for (; c < C; ++c) dot += static_cast<double>(dyr[c]) * w[c] * xr[c];
    for (double l : lanes) dot += l;
    for (int64_t c = 0; c < C; ++c) pw[c] += static_cast<double>(dyr[c]) * xr[c] * iv;
    const double k = iv * iv * iv / C * dot;
    T* dxr = dx + r * C;
    for (int64_t c = 0; c < C; ++c) dxr[c] = static_cast<T>(iv * w[c] * dyr[c] - xr[c] * k);
  }
}

template <typename T>
void rms_norm_backward(const T* x, const T* w, const T* inv, const T* dy, T* dx, T* dw, int64_t N,
                       int64_t C) {
  const int64_t blocks = std::min(N, kRowBlocks);
  std::vector<double> partial(blocks * C, 0.0);
  at::parallel_for(0, blocks, parallel_grain(blocks, 2.0 * N / blocks * C),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t blk = begin; blk < end; ++blk)
                       rms_norm_backward_rows(x, w, inv, dy, dx, partial.data() + blk * C,
                                              N * blk / blocks, N * (blk + 1) / blocks, C);
                   });
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) s += partial[blk * C + c];
    dw[c] = static_cast<T>(s);
  }
}

struct RmsNormFn : public torch::autograd::Function<RmsNormFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            double eps) {
    const int64_t C = x.size(-1);
    auto xc = x.contiguous(), wc = weight.contiguous();
    auto y = at::empty_like(xc);
    auto inv = at::empty({xc.numel() / C}, xc.options());  // (N)
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "rms_norm_forward", [&] {
      rms_norm_forward(xc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(),
                       inv.data_ptr<scalar_t>(), inv.numel(), C, eps);
    });
    ctx->save_for_backward({xc, wc, inv});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &weight = saved[1], &inv = saved[2];
    auto dy = grads[0].contiguous();
    auto dx = at::empty_like(x), dw = at::empty_like(weight);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rms_norm_backward", [&] {
      rms_norm_backward(x.data_ptr<scalar_t>(), weight.data_ptr<scalar_t>(),
                        inv.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), dx.data_ptr<scalar_t>(),
                        dw.data_ptr<scalar_t>(), inv.numel(), x.size(-1));
    });
    return {dx, dw, at::Tensor()};
  }
};

// y = g s u with s = sigmoid(g), g and u the two halves of each row of the
// packed (N, 2F) input; s is kept for the backward pass:
//   dg = dy u s (1 + g (1 - s)),  du = dy g s
template <typename T>
R1_VECTOR_CLONES void swiglu_forward_rows(const T* in, T* y, T* s, int64_t begin, int64_t end,
                                          int64_t F) {
  for (int64_t r = begin; r < end; ++r) {
    const T *g = in + r * 2 * F, *u = g + F;
    T *yr = y + r * F, *sr = s + r * F;
    for (int64_t i = 0; i < F; ++i) {
      const T si = T(1) / (T(1) + exp_of(-g[i]));
      sr[i] = si;
      yr[i] = g[i] * si * u[i];
    }
  }
}

template <typename T>
R1_VECTOR_CLONES void swiglu_backward_rows(const T* in, const T* s, const T* dy, T* dgu,
                                           int64_t begin, int64_t end, int64_t F) {
  for (int64_t r = begin; r < end; ++r) {
    const T *g = in + r * 2 * F, *u = g + F, *sr = s + r * F, *dyr = dy + r * F;
    T *dg = dgu + r * 2 * F, *du = dg + F;
    for (int64_t i = 0; i < F; ++i) {
      du[i] = dyr[i] * g[i] * sr[i];
      dg[i] = dyr[i] * u[i] * sr[i] * (T(1) + g[i] * (T(1) - sr[i]));
    }
  }
}

struct SwigluFn : public torch::autograd::Function<SwigluFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gate_up) {
    auto gu = gate_up.contiguous();
    const int64_t F = gu.size(-1) / 2, N = gu.numel() / (2 * F);
    std::vector<int64_t> shape = gu.sizes().vec();
    shape.back() = F;
    auto y = at::empty(shape, gu.options()), s = at::empty(shape, gu.options());
    AT_DISPATCH_FLOATING_TYPES(gu.scalar_type(), "swiglu_forward", [&] {
      const scalar_t* in = gu.data_ptr<scalar_t>();
      scalar_t *yp = y.data_ptr<scalar_t>(), *sp = s.data_ptr<scalar_t>();
      at::parallel_for(0, N, parallel_grain(N, 4.0 * F), [&](int64_t begin, int64_t end) {
        swiglu_forward_rows(in, yp, sp, begin, end, F);
      });
    });
    ctx->save_for_backward({gu, s});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &gu = saved[0], &s = saved[1];
    const int64_t F = gu.size(-1) / 2, N = gu.numel() / (2 * F);
    auto dy = grads[0].contiguous();
    auto dgu = at::empty_like(gu);
    AT_DISPATCH_FLOATING_TYPES(gu.scalar_type(), "swiglu_backward", [&] {
      const scalar_t *in = gu.data_ptr<scalar_t>(), *sp = s.data_ptr<scalar_t>(),
                     *dyp = dy.data_ptr<scalar_t>();
      scalar_t* out = dgu.data_ptr<scalar_t>();
      at::parallel_for(0, N, parallel_grain(N, 4.0 * F), [&](int64_t begin, int64_t end) {
        swiglu_backward_rows(in, sp, dyp, out, begin, end, F);
      });
    });
    return {dgu};
  }
};

// Shapes and pointers of one causal_attention call. Head h of row b in a
// (B, T, heads, D) tensor is a (T, D) matrix with row stride heads * D.
template <typename R>
struct AttentionShapes {
  int64_t B, T, H, K, D;
  const int64_t* key_mask;  // (B, T) or null
  R scale;
  // Key bias of row b into out (T): 0 for a real key, -inf for padding.
  void key_bias(int64_t b, R* out) const {
    for (int64_t s = 0; s < T; ++s)
      out[s] = !key_mask || key_mask[b * T + s] ? R(0) : -std::numeric_limits<R>::infinity();
  }
};

// Causal softmax of one head's (T, T) scores S in place: query t sees keys
// s <= t that are not padding (key_bias (T): 0 or -inf), and always itself,
// so a padding query's row stays finite. With compute_lse the probabilities
// are e / sum(e), e = exp(score - row max), and lse (T) receives each row's
// log-sum-exp; otherwise they are recomputed as exp(score - lse) from it
// (backward). Lane arrays keep the max and the double sum vectorisable
// without reassociating anything: the result does not depend on timing or
// thread count.
template <typename R>
R1_VECTOR_CLONES void causal_softmax(R* S, int64_t T, const R* key_bias, R* lse, bool compute_lse) {
  constexpr int kLanes = 16;
  for (int64_t t = 0; t < T; ++t) {
    R* row = S + t * T;
    for (int64_t s = t + 1; s < T; ++s) row[s] = R(0);
    if (!compute_lse) {
      const R l = lse[t];
      for (int64_t s = 0; s < t; ++s) row[s] = exp_of(row[s] + key_bias[s] - l);
      row[t] = exp_of(row[t] - l);
      continue;
    }
    R max_lanes[kLanes];
    for (R& m : max_lanes) m = row[t];
    int64_t s = 0;
    for (; s + kLanes <= t; s += kLanes)
      for (int j = 0; j < kLanes; ++j)
        max_lanes[j] = std::max(max_lanes[j], row[s + j] + key_bias[s + j]);
    R max = row[t];
    for (; s < t; ++s) max = std::max(max, row[s] + key_bias[s]);
    for (R m : max_lanes) max = std::max(max, m);

    for (int64_t s = 0; s < t; ++s) row[s] = exp_of(row[s] + key_bias[s] - max);
    row[t] = exp_of(row[t] - max);
    double sum_lanes[kLanes] = {};
    s = 0;
    for (; s + kLanes <= t + 1; s += kLanes)
      for (int j = 0; j < kLanes; ++j) sum_lanes[j] += row[s + j];
    double sum = 0;
    for (; s <= t; ++s) sum += row[s];
    for (double x : sum_lanes) sum += x;
    lse[t] = max + static_cast<R>(std::log(sum));
    const R inv = static_cast<R>(1.0 / sum);
    for (int64_t s = 0; s <= t; ++s) row[s] *= inv;
  }
}

// Scores of head h of row b into S (T, T), scaled, then causal_softmax.
template <typename R>
void head_probs(const AttentionShapes<R>& a, const R* q, const R* k, int64_t b, int64_t h,
                const R* key_bias, R* S, R* lse, bool compute_lse) {
  const int64_t kh = h / (a.H / a.K);
  gemm<R>(false, true, a.T, a.T, a.D, a.scale, q + (b * a.T * a.H + h) * a.D, a.H * a.D,
          k + (b * a.T * a.K + kh) * a.D, a.K * a.D, R(0), S, a.T);
  causal_softmax(S, a.T, key_bias, lse, compute_lse);
}

template <typename R>
void attention_forward(const AttentionShapes<R>& a, const R* q, const R* k, const R* v, R* out,
                       R* lse) {
  // Per head: two small GEMMs (~20 GFLOP/s at these shapes) and a softmax.
  const double nanos = a.T * a.T * (a.D / 5.0 + 3.0);
  at::parallel_for(0, a.B * a.H, parallel_grain(a.B * a.H, nanos), [&](int64_t begin, int64_t end) {
    std::vector<R> S(a.T * a.T), bias(a.T);  // (T, T), (T)
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / a.H, h = i % a.H, kh = h / (a.H / a.K);
      if (i == begin || h == 0) a.key_bias(b, bias.data());
      head_probs(a, q, k, b, h, bias.data(), S.data(), lse + i * a.T, /*compute_lse=*/true);
      gemm<R>(false, false, a.T, a.D, a.T, R(1), S.data(), a.T, v + (b * a.T * a.K + kh) * a.D,
              a.K * a.D, R(0), out + (b * a.T * a.H + h) * a.D, a.H * a.D);
    }
  });
}

// With P the probabilities and dO the output gradient of one head:
//   dV += P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(P * dP)),
//   dQ = scale dS K,  dK += scale dS^T Q.
// One task per (row, KV head), so the G query heads sharing dK and dV add
// into them in a fixed order.
template <typename R>
void attention_backward(const AttentionShapes<R>& a, const R* q, const R* k, const R* v,
                        const R* lse, const R* dout, R* dq, R* dk, R* dv) {
  const int64_t G = a.H / a.K;
  const double nanos = G * a.T * a.T * (a.D / 2.5 + 6.0);  // four GEMMs and two passes per head
  at::parallel_for(0, a.B * a.K, parallel_grain(a.B * a.K, nanos), [&](int64_t begin, int64_t end) {
    std::vector<R> P(a.T * a.T), dP(a.T * a.T), bias(a.T);  // (T, T), (T, T), (T)
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / a.K, kh = i % a.K;
      if (i == begin || kh == 0) a.key_bias(b, bias.data());
      const R* kp = k + (b * a.T * a.K + kh) * a.D;
      const R* vp = v + (b * a.T * a.K + kh) * a.D;
      R* dkp = dk + (b * a.T * a.K + kh) * a.D;
      R* dvp = dv + (b * a.T * a.K + kh) * a.D;
      for (int64_t g = 0; g < G; ++g) {
        const int64_t h = kh * G + g;
        const int64_t head = (b * a.T * a.H + h) * a.D;
        head_probs(a, q, k, b, h, bias.data(), P.data(), const_cast<R*>(lse + (b * a.H + h) * a.T),
                   /*compute_lse=*/false);
        gemm<R>(true, false, a.T, a.D, a.T, R(1), P.data(), a.T, dout + head, a.H * a.D,
                g == 0 ? R(0) : R(1), dvp, a.K * a.D);
        gemm<R>(false, true, a.T, a.T, a.D, R(1), dout + head, a.H * a.D, vp, a.K * a.D, R(0),
                dP.data(), a.T);
        for (int64_t t = 0; t < a.T; ++t) {
          R* p = P.data() + t * a.T;
          R* dp = dP.data() + t * a.T;
          double dot = 0;
          for (int64_t s = 0; s <= t; ++s) dot += static_cast<double>(p[s]) * dp[s];
          for (int64_t s = 0; s < a.T; ++s) dp[s] = p[s] * (dp[s] - static_cast<R>(dot));
        }
        gemm<R>(false, false, a.T, a.D, a.T, a.scale, dP.data(), a.T, kp, a.K * a.D, R(0),
                dq + head, a.H * a.D);
        gemm<R>(true, false, a.T, a.D, a.T, a.scale, dP.data(), a.T, q + head, a.H * a.D,
                g == 0 ? R(0) : R(1), dkp, a.K * a.D);
      }
    }
  });
}

template <typename R>
AttentionShapes<R> attention_shapes(const at::Tensor& q, const at::Tensor& k,
                                    const at::Tensor& mask) {
  return {q.size(0),
          q.size(1),
          q.size(2),
          k.size(2),
          q.size(3),
          mask.numel() ? mask.data_ptr<int64_t>() : nullptr,
          static_cast<R>(1.0 / std::sqrt(static_cast<double>(q.size(3))))};
}

struct AttentionFn : public torch::autograd::Function<AttentionFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, const at::Tensor& mask) {
    auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    auto out = at::empty_like(qc);
    auto lse = at::empty({q.size(0), q.size(2), q.size(1)}, q.options());  // (B, H, T)
    AT_DISPATCH_FLOATING_TYPES(qc.scalar_type(), "attention_forward", [&] {
      attention_forward(attention_shapes<scalar_t>(qc, kc, mask), qc.data_ptr<scalar_t>(),
                        kc.data_ptr<scalar_t>(), vc.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                        lse.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({qc, kc, vc, lse, mask});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &lse = saved[3], &mask = saved[4];
    auto dout = grads[0].contiguous();
    auto dq = at::empty_like(q), dk = at::empty_like(k), dv = at::empty_like(v);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "attention_backward", [&] {
      attention_backward(attention_shapes<scalar_t>(q, k, mask), q.data_ptr<scalar_t>(),
                         k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), lse.data_ptr<scalar_t>(),
                         dout.data_ptr<scalar_t>(), dq.data_ptr<scalar_t>(),
                         dk.data_ptr<scalar_t>(), dv.data_ptr<scalar_t>());
    });
    return {dq, dk, dv, at::Tensor()};
  }
};

// Rotary embedding (model/row_ops.h) per token row of H heads; cos and sin
// (rows, D). Backward is the rotation by -angle: dx_i = dy_i cos_i + dy_{i+D/2}
// sin_i, dx_{i+D/2} = dy_{i+D/2} cos_i - dy_i sin_i. `sign` = +1 forward, -1 backward.
template <typename T>
R1_VECTOR_CLONES void rotate_rows(const T* x, int64_t x_row_stride, const T* cos, const T* sin,
                                  T* y, int64_t begin, int64_t end, int64_t H, int64_t D, T sign) {
  for (int64_t r = begin; r < end; ++r)
    for (int64_t h = 0; h < H; ++h)
      rotate_head(x + r * x_row_stride + h * D, cos + r * D, sin + r * D, y + (r * H + h) * D, D,
                  sign);
}

template <typename T>
void rotate(const T* x, int64_t x_row_stride, const T* cos, const T* sin, T* y, int64_t rows,
            int64_t H, int64_t D, T sign) {
  at::parallel_for(0, rows, parallel_grain(rows, H * D), [&](int64_t begin, int64_t end) {
    rotate_rows(x, x_row_stride, cos, sin, y, begin, end, H, D, sign);
  });
}

struct RopeFn : public torch::autograd::Function<RopeFn> {
  // x (B, T, H, D) whose rows of H * D are contiguous; cos, sin (B, T, D)
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos,
                            const at::Tensor& sin) {
    const int64_t B = x.size(0), T = x.size(1), H = x.size(2), D = x.size(3);
    const bool rows_ok = x.stride(3) == 1 && x.stride(2) == D && x.stride(0) == T * x.stride(1);
    auto xc = rows_ok ? x : x.contiguous();
    auto y = at::empty({B, T, H, D}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rope_forward", [&] {
      rotate<scalar_t>(xc.data_ptr<scalar_t>(), xc.stride(1), cos.data_ptr<scalar_t>(),
                       sin.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), B * T, H, D, 1);
    });
    ctx->save_for_backward({cos, sin});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto dy = grads[0].contiguous();
    const int64_t B = dy.size(0), T = dy.size(1), H = dy.size(2), D = dy.size(3);
    auto dx = at::empty_like(dy);
    AT_DISPATCH_FLOATING_TYPES(dy.scalar_type(), "rope_backward", [&] {
      rotate<scalar_t>(dy.data_ptr<scalar_t>(), H * D, saved[0].data_ptr<scalar_t>(),
                       saved[1].data_ptr<scalar_t>(), dx.data_ptr<scalar_t>(), B * T, H, D, -1);
    });
    return {dx, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& key_mask, at::ScalarType compute) {
  // The mask travels as a (possibly empty) int64 tensor: autograd functions
  // take defined tensors only.
  auto mask = key_mask.defined() ? key_mask.to(at::kLong).contiguous()
                                 : at::empty({0}, q.options().dtype(at::kLong));
  if (compute == at::ScalarType::Undefined) compute = q.scalar_type();
  if (fused_dtype(q) && compute == q.scalar_type() && q.scalar_type() == k.scalar_type() &&
      k.scalar_type() == v.scalar_type())
    return AttentionFn::apply(q, k, v, mask);
  // Plain ATen, with the same visibility rule as an additive -inf mask: the
  // products in `compute`, the softmax in fp32 (or fp64).
  const int64_t T = q.size(1), G = q.size(2) / k.size(2);
  const at::ScalarType out = q.scalar_type();
  auto qh = q.transpose(1, 2).to(compute);                          // (B, H, T, D)
  auto kh = k.transpose(1, 2).repeat_interleave(G, 1).to(compute);  // (B, H, T, D)
  auto vh = v.transpose(1, 2).repeat_interleave(G, 1).to(compute);  // (B, H, T, D)
#if TORCH_VERSION_MAJOR >= 2
  // libtorch 2.x: ATen's fused attention (flash / memory-efficient kernels on
  // CUDA, a blocked kernel on the CPU), which accumulates in fp32 itself.
  // Without padding the causal flag selects the flash kernels.
  if (!key_mask.defined())
    return at::scaled_dot_product_attention(qh, kh, vh, {}, 0.0, /*is_causal=*/true)
        .to(out)
        .transpose(1, 2);
#endif
  auto index = at::arange(T, q.options().dtype(at::kLong));
  auto allowed = (index.unsqueeze(0) <= index.unsqueeze(1)).unsqueeze(0);  // (1, T, T)
  if (key_mask.defined()) allowed = allowed & key_mask.to(at::kBool).unsqueeze(1);
  allowed = (allowed | (index.unsqueeze(0) == index.unsqueeze(1))).unsqueeze(1);  // (B|1, 1, T, T)
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(qh, kh, vh, allowed, 0.0, false).to(out).transpose(1, 2);
#else
  const at::ScalarType soft = at::promote_types(out, at::kFloat);
  auto scores =
      at::matmul(qh, kh.transpose(2, 3)).to(soft) / std::sqrt(static_cast<double>(q.size(3)));
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  auto probs = at::softmax(scores, -1).to(compute);
  return at::matmul(probs, vh).to(out).transpose(1, 2);  // (B, T, H, D)
#endif
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!fused_dtype(x) || x.scalar_type() != weight.scalar_type())
    return plain_linear(x, weight, bias);
  auto y = PackedLinearFn::apply(x, at::TensorList(weight));
  return bias.defined() ? y + bias : y;
}

at::Tensor linear_packed(const at::Tensor& x, const std::vector<at::Tensor>& weights,
                         const std::vector<at::Tensor>& biases) {
  bool fused = fused_dtype(x);
  for (const at::Tensor& w : weights) fused = fused && w.scalar_type() == x.scalar_type();
  if (!fused) {
    std::vector<at::Tensor> parts;
    for (size_t i = 0; i < weights.size(); ++i)
      parts.push_back(plain_linear(x, weights[i], biases.empty() ? at::Tensor() : biases[i]));
    return at::cat(parts, -1);
  }
  auto y = PackedLinearFn::apply(x, at::TensorList(weights));
  return biases.empty() ? y : y + at::cat(biases);
}

at::Tensor rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (!fused_dtype(x)) {
    const int64_t half = x.size(-1) / 2;
    auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * cos.unsqueeze(2) + rotated * sin.unsqueeze(2);
  }
  auto c = cos.to(x.scalar_type()).contiguous(), s = sin.to(x.scalar_type()).contiguous();
  return RopeFn::apply(x, c, s);
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // A bf16 working copy's norm weight on fp32 activations: the fused kernel
  // on the weight in fp32 (C values; the cast passes the gradient back).
  if (fused_dtype(x) && x.scalar_type() == at::kFloat && weight.scalar_type() == at::kBFloat16)
    return RmsNormFn::apply(x, weight.to(at::kFloat), eps);
  if (!fused_dtype(x) || x.scalar_type() != weight.scalar_type()) {
    // In fp32 at least, whatever the weight's dtype (transformers' Qwen2RMSNorm
    // upcasts too), returned in x's dtype.
    auto xf = x.to(at::promote_types(x.scalar_type(), at::kFloat));
    auto y =
        xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight.to(xf.scalar_type());
    return y.to(x.scalar_type());
  }
  return RmsNormFn::apply(x, weight, eps);
}

at::Tensor swiglu(const at::Tensor& gate_up) {
  if (!fused_dtype(gate_up)) {
    auto halves = gate_up.chunk(2, -1);
    return at::silu(halves[0]) * halves[1];
  }
  return SwigluFn::apply(gate_up);
}

}  // namespace r1::ops
