// The LM head's log-probs, entropies and distillation terms, computed in row
// chunks of the (N, V) logits with hand-written backward passes. N = rows
// (tokens), C = hidden size, V = vocabulary.
#include "model/logit_ops.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>

#include "model/gemm.h"
#include "model/train_ops.h"
#include "model/vec_math.h"
#include "util/error.h"

namespace r1::ops {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// log p(target) and the entropy of each row's distribution over the
// vocabulary, logits = h W^T, in chunks of rows so that only one (rows, V)
// block of logits exists at a time, in forward and in backward (which
// recomputes it from h: one more LM-head GEMM instead of keeping N x V
// floats, 10 GB for 64 x 256 tokens of a 151,936-token vocabulary).
//   lp = logit_y - lse,  H = lse - sum_v p_v logit_v
//   dlogit_v = g (1[v = y] - p_v),  dh = dlogit W,  dW = dlogit^T h
constexpr int64_t kLogitChunkFloats = int64_t(16) << 20;  // 64 MB of fp32 logits

// Rows of logits per chunk for a vocabulary of V.
inline int64_t chunk_rows(int64_t V) {
  return std::max<int64_t>(1, kLogitChunkFloats / V);
}

// op(a) op(b) for the LM head: a bf16 weight (a bf16 working copy) with fp32
// activations multiplies in bf16 (oneDNN's bf16 GEMM; each operand rounded,
// as the plain path's product) and returns fp32 for the fused row kernels.
at::Tensor lm_product(const at::Tensor& a, bool transpose_a, const at::Tensor& b,
                      bool transpose_b) {
  if (a.scalar_type() == b.scalar_type()) return matmul(a, transpose_a, b, transpose_b);
  const at::ScalarType low = at::kBFloat16;
  const at::Tensor A = transpose_a ? a.t() : a, B = transpose_b ? b.t() : b;
  return at::mm(A.to(low), B.to(low)).to(at::kFloat);
}

// Whether the fused LM-head kernels take hidden (N, C) and weight (V, C):
// the same fused dtype, or fp32 activations with a bf16 weight.
bool fused_head(const at::Tensor& hidden, const at::Tensor& weight) {
  return fused_dtype(hidden) &&
         (hidden.scalar_type() == weight.scalar_type() ||
          (hidden.scalar_type() == at::kFloat && weight.scalar_type() == at::kBFloat16 &&
           weight.device().is_cpu()));
}

// The gradient d (rows, V) of a chunk of logits = h[start, start + rows) W^T
// back through the LM head: dh rows = d W, dW += d^T h rows. A bf16 weight's
// gradient is a bf16 product summed in bf16 over the chunks, as autograd sums
// the plain path's: in fp32 each chunk's (V, C) sum was another 1.1 GB
// through memory at the 0.5B shape, 6% of a GRPO update.
void backprop_logit_chunk(const at::Tensor& d, const at::Tensor& h, const at::Tensor& w,
                          int64_t start, at::Tensor& dh, at::Tensor& dw) {
  const int64_t rows = d.size(0);
  const at::Tensor h_rows = h.narrow(0, start, rows);
  dh.narrow(0, start, rows).copy_(lm_product(d, false, w, false));
  if (dw.scalar_type() == d.scalar_type())
    dw.add_(matmul(d, /*transpose_a=*/true, h_rows, false));
  else
    dw.add_(at::mm(d.t().to(dw.scalar_type()), h_rows.to(dw.scalar_type())));
}

// Rows [begin, end) of logits l (rows, V): log-sum-exp, log p(target) and
// entropy, in two reads of each row (max; then sum e and sum e l with
// e = exp(l - max)) instead of ATen's eight passes.
//   lse = max + log S,  S = sum e,  H = lse - (sum e l) / S
template <typename T>
R1_VECTOR_CLONES void logprob_rows(const T* l, int64_t begin, int64_t end, int64_t V,
                                   const int64_t* y, T* lse, T* lp, T* entropy) {
  constexpr int kLanes = 16;
  for (int64_t r = begin; r < end; ++r) {
    const T* row = l + r * V;
    const T max = max_of(row, V);
    double sum_lanes[kLanes] = {}, dot_lanes[kLanes] = {};
    int64_t v = 0;
    for (; v + kLanes <= V; v += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const T e = exp_of(row[v + j] - max);
        sum_lanes[j] += e;
        dot_lanes[j] += e * row[v + j];
      }
    double sum = 0, dot = 0;
    for (; v < V; ++v) {
      const T e = exp_of(row[v] - max);
      sum += e;
      dot += e * row[v];
    }
    for (int j = 0; j < kLanes; ++j) sum += sum_lanes[j], dot += dot_lanes[j];
    const double row_lse = max + std::log(sum);
    lse[r] = static_cast<T>(row_lse);
    lp[r] = static_cast<T>(row[y[r]] - row_lse);
    entropy[r] = static_cast<T>(row_lse - dot / sum);
  }
}

// Rows [begin, end) of logits d (rows, V) into their gradient in place:
// d_v = g (1[v = y] - exp(d_v - lse)).
template <typename T>
R1_VECTOR_CLONES void logprob_grad_rows(T* d, int64_t begin, int64_t end, int64_t V,
                                        const int64_t* y, const T* lse, const T* g) {
  for (int64_t r = begin; r < end; ++r) {
    T* row = d + r * V;
    const T l = lse[r], gr = g[r];
    for (int64_t v = 0; v < V; ++v) row[v] = -gr * exp_of(row[v] - l);
    row[y[r]] += gr;
  }
}

// The same with a gradient gh reaching the entropies H too (an entropy bonus):
// dH/dl_v = -p_v (log p_v + H), so d_v = g (1[v = y] - p_v) - gh p_v (l_v - lse + H).
template <typename T>
R1_VECTOR_CLONES void logprob_entropy_grad_rows(T* d, int64_t begin, int64_t end, int64_t V,
                                                const int64_t* y, const T* lse, const T* h,
                                                const T* g, const T* gh) {
  for (int64_t r = begin; r < end; ++r) {
    T* row = d + r * V;
    const T l = lse[r], gr = g[r], ghr = gh[r], shift = h[r] - l;
    for (int64_t v = 0; v < V; ++v) {
      const T p = exp_of(row[v] - l);
      row[v] = -p * (gr + ghr * (row[v] + shift));
    }
    row[y[r]] += gr;
  }
}

struct TokenLogprobFn : public torch::autograd::Function<TokenLogprobFn> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                               const at::Tensor& weight, const at::Tensor& targets) {
    auto h = hidden.contiguous(), w = weight.contiguous(), y = targets.to(at::kLong).contiguous();
    const int64_t N = h.size(0), V = w.size(0);
    if (N > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= V))
      fail("token_logprobs: a target id is outside the vocabulary of ", V);
    const int64_t chunk = chunk_rows(V);
    auto lp = at::empty({N}, h.options()), lse = at::empty({N}, h.options());
    auto entropy = at::empty({N}, h.options());
    at::Tensor kept;
    for (int64_t start = 0; start < N; start += chunk) {
      const int64_t rows = std::min(chunk, N - start);
      auto l = lm_product(h.narrow(0, start, rows), false, w, /*transpose_b=*/true);  // (rows, V)
      if (rows == N) kept = l;
      AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "token_logprobs_forward", [&] {
        const scalar_t* lp_rows = l.data_ptr<scalar_t>();
        at::parallel_for(0, rows, parallel_grain(rows, 2.0 * V), [&](int64_t b, int64_t e) {
          logprob_rows(lp_rows, b, e, V, y.data_ptr<int64_t>() + start,
                       lse.data_ptr<scalar_t>() + start, lp.data_ptr<scalar_t>() + start,
                       entropy.data_ptr<scalar_t>() + start);
        });
      });
    }
    ctx->save_for_backward({h, w, y, lse, entropy});
    // Logits that fit in one chunk are kept for backward instead of
    // recomputed (one LM-head GEMM fewer; most of a small vocabulary's cost).
    if (kept.defined()) ctx->saved_data["logits"] = kept;
    return {lp, entropy};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &h = saved[0], &w = saved[1], &y = saved[2], &lse = saved[3];
    const at::Tensor& entropy = saved[4];
    auto g = grads[0].defined() ? grads[0].contiguous() : at::zeros_like(lse);
    // The entropies' gradient is there only when a loss used them (a bonus).
    const at::Tensor gh = grads[1].defined() ? grads[1].contiguous() : at::Tensor();
    const int64_t N = h.size(0), V = w.size(0);
    const int64_t chunk = chunk_rows(V);
    auto dh = at::empty_like(h), dw = at::zeros_like(w);
    for (int64_t start = 0; start < N; start += chunk) {
      const int64_t rows = std::min(chunk, N - start);
      // (rows, V): the logits (kept, or again), turned in place into their gradient
      at::Tensor d;
      if (rows == N && ctx->saved_data.count("logits")) {
        d = ctx->saved_data["logits"].toTensor();
        ctx->saved_data.erase("logits");  // consumed: a second backward recomputes
      } else {
        d = lm_product(h.narrow(0, start, rows), false, w, /*transpose_b=*/true);
      }
      AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "token_logprobs_backward", [&] {
        scalar_t* dp = d.data_ptr<scalar_t>();
        at::parallel_for(0, rows, parallel_grain(rows, 1.0 * V), [&](int64_t b, int64_t e) {
          if (gh.defined())
            logprob_entropy_grad_rows(
                dp, b, e, V, y.data_ptr<int64_t>() + start, lse.data_ptr<scalar_t>() + start,
                entropy.data_ptr<scalar_t>() + start, g.data_ptr<scalar_t>() + start,
                gh.data_ptr<scalar_t>() + start);
          else
            logprob_grad_rows(dp, b, e, V, y.data_ptr<int64_t>() + start,
                              lse.data_ptr<scalar_t>() + start, g.data_ptr<scalar_t>() + start);
        });
      });
      backprop_logit_chunk(d, h, w, start, dh, dw);
    }
    return {dh, dw, at::Tensor()};
  }
};

// Rows [begin, end) of student logits ls (rows, V) and teacher logits lt
// (rows, Vk), Vk <= V (the KL runs over the first Vk ids: the vocabulary both
// models have), at temperature tau: the log-sum-exps of ls at 1 (lse1) and of
// the first Vk at tau (lse_s, lse_t), log p_s(target) and
//   tau^2 KL(p_t || p_s) = tau^2 (sum_v p_t (zt - zs) - lse_t + lse_s),
// z = l / tau, in one pass after the maxima.
template <typename T>
R1_VECTOR_CLONES void distill_rows(const T* ls, const T* lt, int64_t begin, int64_t end, int64_t V,
                                   int64_t Vk, const int64_t* y, T tau, T* lse1, T* lse_s, T* lse_t,
                                   T* lp, T* kd) {
  constexpr int kLanes = 8;
  const T inv_tau = T(1) / tau;
  for (int64_t r = begin; r < end; ++r) {
    const T *s = ls + r * V, *t = lt + r * Vk;
    const T ms_shared = max_of(s, Vk), mt = max_of(t, Vk) * inv_tau;
    const T ms_tau = ms_shared * inv_tau;  // tau > 0: the max of l / tau
    const T ms = Vk < V ? std::max(ms_shared, max_of(s + Vk, V - Vk)) : ms_shared;
    double s1[kLanes] = {}, st_s[kLanes] = {}, st_t[kLanes] = {}, cross[kLanes] = {};
    int64_t v = 0;
    for (; v + kLanes <= Vk; v += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const T zs = s[v + j] * inv_tau, zt = t[v + j] * inv_tau;
        const T et = exp_of(zt - mt);
        s1[j] += exp_of(s[v + j] - ms);
        st_s[j] += exp_of(zs - ms_tau);
        st_t[j] += et;
        cross[j] += et * (zt - zs);
      }
    double sum1 = 0, sum_s = 0, sum_t = 0, sum_cross = 0;
    for (; v < Vk; ++v) {
      const T zs = s[v] * inv_tau, zt = t[v] * inv_tau;
      const T et = exp_of(zt - mt);
      sum1 += exp_of(s[v] - ms);
      sum_s += exp_of(zs - ms_tau);
      sum_t += et;
      sum_cross += et * (zt - zs);
    }
    for (; v < V; ++v) sum1 += exp_of(s[v] - ms);  // ids only the student has: CE only
    for (int j = 0; j < kLanes; ++j)
      sum1 += s1[j], sum_s += st_s[j], sum_t += st_t[j], sum_cross += cross[j];
    const double l1 = ms + std::log(sum1), l_s = ms_tau + std::log(sum_s),
                 l_t = mt + std::log(sum_t);
    lse1[r] = static_cast<T>(l1);
    lse_s[r] = static_cast<T>(l_s);
    lse_t[r] = static_cast<T>(l_t);
    lp[r] = static_cast<T>(s[y[r]] - l1);
    kd[r] = static_cast<T>(double(tau) * tau * (sum_cross / sum_t - l_t + l_s));
  }
}

// Rows [begin, end) of ls into the gradient of g_lp lp + g_kd kd in place:
//   d_v = g_lp (1[v = y] - p1_v) + g_kd tau (p_s,v - p_t,v)   (second term for v < Vk)
template <typename T>
R1_VECTOR_CLONES void distill_grad_rows(T* ls, const T* lt, int64_t begin, int64_t end, int64_t V,
                                        int64_t Vk, const int64_t* y, T tau, const T* lse1,
                                        const T* lse_s, const T* lse_t, const T* g_lp,
                                        const T* g_kd) {
  const T inv_tau = T(1) / tau;
  for (int64_t r = begin; r < end; ++r) {
    T* s = ls + r * V;
    const T* t = lt + r * Vk;
    const T a = g_lp[r], b = g_kd[r] * tau, l1 = lse1[r], l_s = lse_s[r], l_t = lse_t[r];
    for (int64_t v = 0; v < Vk; ++v)
      s[v] = -a * exp_of(s[v] - l1) +
             b * (exp_of(s[v] * inv_tau - l_s) - exp_of(t[v] * inv_tau - l_t));
    for (int64_t v = Vk; v < V; ++v) s[v] = -a * exp_of(s[v] - l1);
    s[y[r]] += a;
  }
}

struct DistillFn : public torch::autograd::Function<DistillFn> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                               const at::Tensor& weight, const at::Tensor& teacher_hidden,
                               const at::Tensor& teacher_weight, const at::Tensor& targets,
                               double tau) {
    auto h = hidden.contiguous(), w = weight.contiguous();
    auto ht = teacher_hidden.contiguous(), wt = teacher_weight.contiguous();
    auto y = targets.to(at::kLong).contiguous();
    const int64_t N = h.size(0), V = w.size(0), Vk = wt.size(0);
    if (Vk > V || ht.size(0) != N)
      fail("distill: the teacher's logits are (", ht.size(0), ", ", Vk, "), the student's (", N,
           ", ", V, ")");
    if (!(tau > 0)) fail("distill: temperature must be > 0, got ", tau);
    if (N > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= V))
      fail("distill: a target id is outside the vocabulary of ", V);
    const int64_t chunk = chunk_rows(V);
    auto opts = h.options();
    auto lse1 = at::empty({N}, opts), lse_s = at::empty({N}, opts), lse_t = at::empty({N}, opts);
    auto lp = at::empty({N}, opts), kd = at::empty({N}, opts);
    for (int64_t start = 0; start < N; start += chunk) {
      const int64_t rows = std::min(chunk, N - start);
      auto ls = matmul(h.narrow(0, start, rows), false, w, /*transpose_b=*/true);    // (rows, V)
      auto lt = matmul(ht.narrow(0, start, rows), false, wt, /*transpose_b=*/true);  // (rows, V)
      AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "distill_forward", [&] {
        at::parallel_for(0, rows, parallel_grain(rows, 6.0 * V), [&](int64_t b, int64_t e) {
          distill_rows(ls.data_ptr<scalar_t>(), lt.data_ptr<scalar_t>(), b, e, V, Vk,
                       y.data_ptr<int64_t>() + start, static_cast<scalar_t>(tau),
                       lse1.data_ptr<scalar_t>() + start, lse_s.data_ptr<scalar_t>() + start,
                       lse_t.data_ptr<scalar_t>() + start, lp.data_ptr<scalar_t>() + start,
                       kd.data_ptr<scalar_t>() + start);
        });
      });
    }
    ctx->save_for_backward({h, w, ht, wt, y, lse1, lse_s, lse_t});
    ctx->saved_data["tau"] = tau;
    return {lp, kd};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &h = saved[0], &w = saved[1], &ht = saved[2], &wt = saved[3], &y = saved[4];
    const at::Tensor &lse1 = saved[5], &lse_s = saved[6], &lse_t = saved[7];
    const double tau = ctx->saved_data["tau"].toDouble();
    auto g_lp = grads[0].defined() ? grads[0].contiguous() : at::zeros_like(lse1);
    auto g_kd = grads[1].defined() ? grads[1].contiguous() : at::zeros_like(lse1);
    const int64_t N = h.size(0), V = w.size(0);
    const int64_t chunk = chunk_rows(V);
    auto dh = at::empty_like(h), dw = at::zeros_like(w);
    for (int64_t start = 0; start < N; start += chunk) {
      const int64_t rows = std::min(chunk, N - start);
      auto d = matmul(h.narrow(0, start, rows), false, w, /*transpose_b=*/true);     // (rows, V)
      auto lt = matmul(ht.narrow(0, start, rows), false, wt, /*transpose_b=*/true);  // (rows, V)
      AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "distill_backward", [&] {
        at::parallel_for(0, rows, parallel_grain(rows, 4.0 * V), [&](int64_t b, int64_t e) {
          distill_grad_rows(d.data_ptr<scalar_t>(), lt.data_ptr<scalar_t>(), b, e, V, wt.size(0),
                            y.data_ptr<int64_t>() + start, static_cast<scalar_t>(tau),
                            lse1.data_ptr<scalar_t>() + start, lse_s.data_ptr<scalar_t>() + start,
                            lse_t.data_ptr<scalar_t>() + start, g_lp.data_ptr<scalar_t>() + start,
                            g_kd.data_ptr<scalar_t>() + start);
        });
      });
      backprop_logit_chunk(d, h, w, start, dh, dw);
    }
    return {dh, dw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor token_logprobs(const at::Tensor& hidden, const at::Tensor& weight,
                          const at::Tensor& targets, at::Tensor* entropy) {
  if (fused_head(hidden, weight)) {
    auto out = TokenLogprobFn::apply(hidden, weight, targets);
    if (entropy) *entropy = out[1];
    return out[0];
  }
  // Plain ATen, chunked the same way (autograd keeps each chunk's logits).
  const int64_t chunk = chunk_rows(weight.size(0));
  std::vector<at::Tensor> parts, entropies;
  for (int64_t start = 0; start < hidden.size(0); start += chunk) {
    const int64_t n = std::min(chunk, hidden.size(0) - start);
    auto logits = plain_linear(hidden.narrow(0, start, n), weight)  // (n, V), fp32 at least
                      .to(at::promote_types(hidden.scalar_type(), at::kFloat));
    auto lse = at::logsumexp(logits, 1, /*keepdim=*/true);  // (n, 1)
    parts.push_back((logits.gather(1, targets.narrow(0, start, n).unsqueeze(1)) - lse).squeeze(1));
    if (entropy) entropies.push_back(lse.squeeze(1) - (at::softmax(logits, 1) * logits).sum(1));
  }
  if (entropy) *entropy = at::cat(entropies);
  return at::cat(parts);
}

DistillTerms distill_terms(const at::Tensor& hidden, const at::Tensor& weight,
                           const at::Tensor& teacher_hidden, const at::Tensor& teacher_weight,
                           const at::Tensor& targets, double temperature) {
  if (fused_dtype(hidden) && hidden.scalar_type() == weight.scalar_type() &&
      teacher_hidden.scalar_type() == hidden.scalar_type() &&
      teacher_weight.scalar_type() == hidden.scalar_type()) {
    // The KL runs over the ids both models have: a teacher's extra (padding)
    // rows are dropped here, a student's extra rows only enter the CE.
    const int64_t shared = std::min(weight.size(0), teacher_weight.size(0));
    auto out = DistillFn::apply(hidden, weight, teacher_hidden.detach(),
                                teacher_weight.detach().narrow(0, 0, shared), targets, temperature);
    return {out[0], out[1]};
  }
  // Plain ATen on the whole (N, V) logits (other devices and dtypes).
  const int64_t shared = std::min(weight.size(0), teacher_weight.size(0));
  const at::ScalarType soft = at::promote_types(hidden.scalar_type(), at::kFloat);
  auto ls = plain_linear(hidden, weight).to(soft);
  at::Tensor lt;
  {
    at::NoGradGuard no_grad;
    lt = plain_linear(teacher_hidden, teacher_weight.narrow(0, 0, shared)).to(soft);
  }
  auto lp = at::log_softmax(ls, -1).gather(1, targets.unsqueeze(1)).squeeze(1);
  auto log_ps = at::log_softmax(ls.narrow(1, 0, shared) / temperature, -1),
       log_pt = at::log_softmax(lt / temperature, -1);
  auto kd = (log_pt.exp() * (log_pt - log_ps)).sum(-1) * (temperature * temperature);
  return {lp, kd};
}

}  // namespace r1::ops
