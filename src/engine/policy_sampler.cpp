#include "engine/policy_sampler.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "model/decode_gemm.h"
#include "model/decode_layers.h"
#include "model/gemm.h"
#include "model/vec_math.h"
#include "util/chunk_queue.h"
#include "util/error.h"

namespace r1 {
namespace {

// Vocabulary rows per LM head block: a (kBlock, 64) block of logits is 256 KB,
// well inside one core's 1 MB L2 while it is reduced.
constexpr int64_t kBlock = 1024;
// Tokens per partial sum of e^(logit - block max). The draw walks these sums,
// then recomputes the kChunk logits of the chosen chunk (kChunk dot products
// of length C for that row) instead of keeping the block's logits.
constexpr int64_t kChunk = 64;
static_assert(kBlock % kChunk == 0, "blocks hold whole chunks");

// logits (n, Bp): one block of the LM head product, row v holding token v's
// logit for every batch row (lane b; lanes run over Bp >= B so the loops are
// whole vectors). Writes each lane's maximum over the block to block_max (Bp)
// and its sums of e^(logit - max) over runs of kChunk tokens to chunk_sums
// (ceil(n / kChunk), Bp). The inner loops over lanes vectorise.
R1_VECTOR_CLONES
void block_stats(const float* __restrict logits, int64_t n, int64_t Bp, float* __restrict block_max,
                 float* __restrict chunk_sums) {
  std::copy(logits, logits + Bp, block_max);
  for (int64_t v = 1; v < n; ++v) {
    const float* row = logits + v * Bp;
    for (int64_t b = 0; b < Bp; ++b) block_max[b] = row[b] > block_max[b] ? row[b] : block_max[b];
  }
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    float* sums = chunk_sums + c0 / kChunk * Bp;
    std::fill(sums, sums + Bp, 0.0f);
    for (int64_t v = c0; v < std::min(n, c0 + kChunk); ++v) {
      const float* row = logits + v * Bp;
      for (int64_t b = 0; b < Bp; ++b) sums[b] += exp_approx(row[b] - block_max[b]);
    }
  }
}

__attribute__((always_inline)) inline float float_of_bf16(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

// Dot product of two length-C vectors; sixteen partial sums so it vectorises.
__attribute__((always_inline)) inline float dot(const float* a, const float* b, int64_t C) {
  float acc[16] = {};
  int64_t c = 0;
  for (; c + 16 <= C; c += 16)
    for (int j = 0; j < 16; ++j) acc[j] += a[c + j] * b[c + j];
  float sum = 0;
  for (; c < C; ++c) sum += a[c] * b[c];
  for (float x : acc) sum += x;
  return sum;
}

// The same for a bf16 weight row (bits; a bf16 is the top half of an fp32).
__attribute__((always_inline)) inline float dot(const uint16_t* a, const float* b, int64_t C) {
  float acc[16] = {};
  int64_t c = 0;
  for (; c + 16 <= C; c += 16)
    for (int j = 0; j < 16; ++j) acc[j] += float_of_bf16(a[c + j]) * b[c + j];
  float sum = 0;
  for (; c < C; ++c) sum += float_of_bf16(a[c]) * b[c];
  for (float x : acc) sum += x;
  return sum;
}

// logits[i] = w[i] . h for the n rows of w (n, C).
template <typename T>
__attribute__((always_inline)) inline void chunk_logits(const T* w, const float* h, int64_t n,
                                                        int64_t C, float* logits) {
  for (int64_t i = 0; i < n; ++i) logits[i] = dot(w + i * C, h, C);
}
R1_VECTOR_CLONES void chunk_logits_of(const float* w, const float* h, int64_t n, int64_t C,
                                      float* logits) {
  chunk_logits(w, h, n, C, logits);
}
R1_VECTOR_CLONES void chunk_logits_of(const uint16_t* w, const float* h, int64_t n, int64_t C,
                                      float* logits) {
  chunk_logits(w, h, n, C, logits);
}

// logits (n, Bp) = w (n, C) h^T for B < 8 rows of h (row stride ld): each
// weight row is read once (from memory) and dotted with every row while it is
// in L1, a matrix-vector product's memory traffic.
template <typename T>
__attribute__((always_inline)) inline void few_rows_logits(const T* w, int64_t n, int64_t C,
                                                           const float* h, int64_t ld, int64_t B,
                                                           int64_t Bp, float* logits) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < B; ++b) logits[i * Bp + b] = dot(w + i * C, h + b * ld, C);
}
R1_VECTOR_CLONES void few_rows_logits_of(const float* w, int64_t n, int64_t C, const float* h,
                                         int64_t ld, int64_t B, int64_t Bp, float* logits) {
  few_rows_logits(w, n, C, h, ld, B, Bp, logits);
}
R1_VECTOR_CLONES void few_rows_logits_of(const uint16_t* w, int64_t n, int64_t C, const float* h,
                                         int64_t ld, int64_t B, int64_t Bp, float* logits) {
  few_rows_logits(w, n, C, h, ld, B, Bp, logits);
}

// The hidden rows as the LM head multiplies them: fp32 weights take them as
// they are, (C, Bp) packed for decode_gemm from 8 rows; bf16 weights take
// them rounded to bf16 (a bf16 product's input), packed in bf16 pairs from 8
// rows, and as fp32 values of those bf16 for fewer rows and the draw's
// recomputed chunk, so every path multiplies the same numbers.
template <typename T>
struct HeadInput {
  const float* rows;  // (B, C), row stride `stride`
  int64_t stride;
  const T* packed;  // from 8 rows, else null
  at::Tensor keep_rows, keep_packed;
};

HeadInput<float> head_input(const at::Tensor& hidden, const float*) {
  const int64_t B = hidden.size(0), C = hidden.size(1), Bp = decode_lanes(B);
  HeadInput<float> in{hidden.data_ptr<float>(), hidden.stride(0), nullptr, {}, {}};
  if (B >= kDecodeGemmMinRows && Bp <= kDecodeGemmMaxRows) {
    in.keep_packed = at::empty({C, Bp}, hidden.options());
    pack_rows(in.rows, B, C, in.stride, Bp, in.keep_packed.data_ptr<float>());
    in.packed = in.keep_packed.data_ptr<float>();
  }
  return in;
}

HeadInput<uint16_t> head_input(const at::Tensor& hidden, const uint16_t*) {
  const int64_t B = hidden.size(0), C = hidden.size(1), Bp = decode_lanes(B);
  HeadInput<uint16_t> in;
  in.keep_rows = hidden.to(at::kBFloat16).to(at::kFloat);
  in.rows = in.keep_rows.data_ptr<float>();
  in.stride = C;
  in.packed = nullptr;
  if (B >= kDecodeGemmMinRows && Bp <= kDecodeGemmMaxRows) {
    auto lanes = at::empty({C, Bp}, hidden.options());
    pack_rows(in.rows, B, C, in.stride, Bp, lanes.data_ptr<float>());
    in.keep_packed = at::empty({C, Bp}, hidden.options().dtype(at::kBFloat16));
    auto* pairs = reinterpret_cast<uint16_t*>(in.keep_packed.data_ptr<at::BFloat16>());
    lanes_to_bf16_pairs(lanes.data_ptr<float>(), C, Bp, pairs);
    in.packed = pairs;
  }
  return in;
}

}  // namespace

namespace {

template <typename T>
void sample_on(const at::Tensor& hidden, const at::Tensor& lm_head, SequenceRng* const* rngs,
               SampledToken* out) {
  const int64_t B = hidden.size(0), C = hidden.size(1), V = lm_head.size(0);
  const int64_t Bp = decode_lanes(B);  // lanes: whole vectors
  const int64_t blocks = (V + kBlock - 1) / kBlock, chunks = (V + kChunk - 1) / kChunk;
  const T* w = kernel_weights<T>(lm_head);
  std::vector<float> block_max(blocks * Bp), chunk_sums(chunks * Bp);  // (blocks | chunks, Bp)

  // Phase 1, blocks in parallel: logits^T (n, Bp) = W_block h^T, then the
  // block's statistics. From 8 rows the product is model/decode_gemm.h on the
  // rows packed once (C, Bp); fewer are dot products per weight row (oneDNN's
  // sgemm with one row, one per block and thread, ran batch-1 decode of the
  // 0.5B model at 8.0 tok/s against 12.7 with a matrix-vector product).
  const HeadInput<T> in = head_input(hidden, w);
  const float* h = in.rows;
  const int64_t h_stride = in.stride;
  ChunkQueue queue;  // blocks go to whichever thread is free (util/chunk_queue.h)
  at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
    // Lanes B..Bp are never written for fewer than 8 rows; zeros keep them finite.
    thread_local std::vector<float> logits;
    if (logits.size() < static_cast<size_t>(kBlock * Bp)) logits.assign(kBlock * Bp, 0.0f);
    queue.drain(blocks, 1, [&](int64_t k, int64_t) {
      const int64_t v0 = k * kBlock, n = std::min(kBlock, V - v0);
      if (in.packed)
        weight_times_rows(w + v0 * C, n, C, in.packed, Bp, logits.data());
      else
        few_rows_logits_of(w + v0 * C, n, C, h, h_stride, B, Bp, logits.data());
      block_stats(logits.data(), n, Bp, block_max.data() + k * Bp,
                  chunk_sums.data() + v0 / kChunk * Bp);
    });
  });
  // Phase 2, rows in parallel: the total mass, the draw (inverse CDF over the
  // chunk sums, then within the chosen chunk), and logit - logsumexp.
  const double nanos_per_row = 4.0 * chunks + 0.2 * kChunk * C;
  at::parallel_for(0, B, parallel_grain(B, nanos_per_row), [&](int64_t begin, int64_t end) {
    std::vector<double> scale(blocks);  // e^(block max - row max)
    std::vector<float> logits(kChunk);
    for (int64_t b = begin; b < end; ++b) {
      float row_max = block_max[b];
      for (int64_t k = 1; k < blocks; ++k) row_max = std::max(row_max, block_max[k * Bp + b]);
      double total = 0;
      for (int64_t k = 0; k < blocks; ++k) {
        scale[k] = std::exp(static_cast<double>(block_max[k * Bp + b]) - row_max);
        double block_sum = 0;
        for (int64_t c = k * kBlock / kChunk; c < std::min(chunks, (k + 1) * kBlock / kChunk); ++c)
          block_sum += chunk_sums[c * Bp + b];
        total += block_sum * scale[k];
      }
      const double target = rngs[b]->uniform() * total;
      double acc = 0, mass = 0;
      int64_t c = 0;
      for (; c < chunks; ++c) {
        mass = chunk_sums[c * Bp + b] * scale[c * kChunk / kBlock];
        if (acc + mass > target && mass > 0) break;
        acc += mass;
      }
      if (c == chunks) {  // rounding put the target past the last chunk: the last with mass
        for (c = chunks - 1; c > 0 && chunk_sums[c * Bp + b] <= 0.0f; --c) {
        }
        mass = chunk_sums[c * Bp + b] * scale[c * kChunk / kBlock];
        acc = total - mass;
      }
      // Within the chunk, the draw keeps its relative position: the recomputed
      // terms need not sum exactly to the stored chunk sum.
      const int64_t v0 = c * kChunk, n = std::min(kChunk, V - v0);
      const float ref = block_max[c * kChunk / kBlock * Bp + b];
      chunk_logits_of(w + v0 * C, h + b * h_stride, n, C, logits.data());
      double chunk_total = 0;
      for (int64_t i = 0; i < n; ++i) chunk_total += std::exp(logits[i] - ref);
      const double inner = std::clamp((target - acc) / mass, 0.0, 1.0) * chunk_total;
      double run = 0;
      int64_t i = 0;
      for (; i + 1 < n; ++i)
        if ((run += std::exp(logits[i] - ref)) > inner) break;
      const float logprob = static_cast<float>(logits[i] - (row_max + std::log(total)));
      out[b] = {v0 + i, logprob};
    }
  });
}

}  // namespace

bool can_sample_policy(const at::Tensor& hidden, const at::Tensor& lm_head) {
  const bool fp32 = lm_head.scalar_type() == at::kFloat;
  const bool bf16 = lm_head.scalar_type() == at::kBFloat16 && hidden.dim() == 2 &&
                    hidden.size(1) % 2 == 0;  // bf16 products pair their inputs
  return hidden.device().is_cpu() && lm_head.device().is_cpu() &&
         hidden.scalar_type() == at::kFloat && (fp32 || bf16) && hidden.dim() == 2 &&
         hidden.stride(1) == 1 && lm_head.is_contiguous();
}

void sample_policy(const at::Tensor& hidden, const at::Tensor& lm_head, SequenceRng* const* rngs,
                   SampledToken* out) {
  if (!can_sample_policy(hidden, lm_head))
    fail("sample_policy: needs fp32 hidden rows and an fp32 or bf16 LM head on the CPU");
  if (hidden.size(0) == 0) return;
  if (lm_head.scalar_type() == at::kBFloat16)
    sample_on<uint16_t>(hidden, lm_head, rngs, out);
  else
    sample_on<float>(hidden, lm_head, rngs, out);
}

}  // namespace r1
