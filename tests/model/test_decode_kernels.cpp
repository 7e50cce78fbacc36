// The decode products (model/decode_gemm.h) equal a double-precision matmul
// for every lane count, with a tail of weight rows that fills no full panel,
// in both output layouts (the lane layout also adding onto a residual) and
// through the SwiGLU; the decode step's attention
// (model/decode_attention.h) equals q/k norm, RoPE, cache append and
// softmax(q k^T / sqrt(D) + bias) v computed with ATen in double, reading a
// shared prompt's columns from the row that holds them.
#include "model/decode_attention.h"
#include "model/decode_gemm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "util/error.h"

namespace r1 {
namespace {

TEST(DecodeGemm, WeightTimesRowsEqualsMatmul) {
  at::manual_seed(5);
  const int64_t C = 37, n = 53;  // n % 24, % 12, % 8 and % 6 all leave a tail
  auto w = at::randn({n, C});
  for (int64_t R : {8, 16, 17, 40, 64}) {
    auto x = at::randn({R, C + 3}).narrow(1, 0, C);  // a row stride beyond C
    const int64_t lanes = decode_lanes(R);
    auto xt = at::full({C, lanes}, 7.0f), y = at::empty({n, lanes});
    pack_rows(x.data_ptr<float>(), R, C, x.stride(0), lanes, xt.data_ptr<float>());
    weight_times_rows(w.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes, y.data_ptr<float>());
    auto want = at::matmul(w.to(at::kDouble), x.to(at::kDouble).t());  // (n, R)
    EXPECT_LT((y.narrow(1, 0, R).to(at::kDouble) - want).abs().max().item<double>(), 1e-4)
        << R << " rows";
    if (lanes > R) {
      EXPECT_EQ(y.narrow(1, R, lanes - R).abs().max().item<float>(), 0.0f) << "padding lanes";
    }

    // accumulate: y += w x^T, a residual kept in the lane layout.
    auto residual = at::randn({n, lanes});
    y.copy_(residual);
    weight_times_rows(w.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes, y.data_ptr<float>(),
                      /*accumulate=*/true);
    EXPECT_LT((y.narrow(1, 0, R).to(at::kDouble) - residual.narrow(1, 0, R).to(at::kDouble) - want)
                  .abs()
                  .max()
                  .item<double>(),
              1e-4)
        << R << " rows, accumulated";
  }
}

TEST(DecodeGemm, RowsLayoutAddsBiasAndResidualAndKeepsTheStride) {
  at::manual_seed(6);
  const int64_t C = 41, n = 29, ldy = n + 5;
  auto w = at::randn({n, C});
  auto bias = at::randn({n});
  for (int64_t R : {8, 17, 33, 64}) {
    auto x = at::randn({R, C});
    const int64_t lanes = decode_lanes(R);
    auto xt = at::empty({C, lanes});
    pack_rows(x.data_ptr<float>(), R, C, C, lanes, xt.data_ptr<float>());
    auto product = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
    auto max_error = [&](const at::Tensor& y, const at::Tensor& want) {
      return (y.narrow(1, 0, n).to(at::kDouble) - want).abs().max().item<double>();
    };

    auto y = at::full({R, ldy}, 7.0f);
    weight_times_rows_into(w.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes, R,
                           {y.data_ptr<float>(), ldy, bias.data_ptr<float>()});
    EXPECT_LT(max_error(y, product + bias.to(at::kDouble)), 1e-4) << R << " rows";
    EXPECT_EQ(y.narrow(1, n, ldy - n).ne(7.0f).sum().item<int64_t>(), 0) << "wrote past n";

    weight_times_rows_into(w.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes, R,
                           {y.data_ptr<float>(), ldy});
    EXPECT_LT(max_error(y, product), 1e-4) << R << " rows, no bias";

    auto residual = at::randn({R, ldy});
    y.copy_(residual);
    weight_times_rows_into(w.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes, R,
                           {y.data_ptr<float>(), ldy, bias.data_ptr<float>(), true});
    auto want = product + bias.to(at::kDouble) + residual.narrow(1, 0, n).to(at::kDouble);
    EXPECT_LT(max_error(y, want), 1e-4) << R << " rows, accumulated onto a residual";
  }
}

TEST(DecodeGemm, SwigluComesOutPackedForTheNextProduct) {
  at::manual_seed(8);
  const int64_t C = 45, n = 53;  // n is not a multiple of the 24-row chunk
  auto wg = at::randn({n, C}) * 0.3, wu = at::randn({n, C}) * 0.3;
  for (int64_t R : {8, 13, 64}) {
    auto x = at::randn({R, C});
    const int64_t lanes = decode_lanes(R);
    auto xt = at::empty({C, lanes});
    pack_rows(x.data_ptr<float>(), R, C, C, lanes, xt.data_ptr<float>());
    auto act_t = at::full({n, lanes}, 7.0f);
    swiglu_times_rows(wg.data_ptr<float>(), wu.data_ptr<float>(), n, C, xt.data_ptr<float>(), lanes,
                      act_t.data_ptr<float>());
    auto xd = x.to(at::kDouble);
    auto g = at::matmul(xd, wg.to(at::kDouble).t()), u = at::matmul(xd, wu.to(at::kDouble).t());
    auto want = (at::silu(g) * u).t();  // (n, R)
    EXPECT_LT((act_t.narrow(1, 0, R).to(at::kDouble) - want).abs().max().item<double>(), 1e-5)
        << R << " rows";
    if (lanes > R) {
      EXPECT_EQ(act_t.narrow(1, R, lanes - R).abs().max().item<float>(), 0.0f) << "padding lanes";
    }
  }
}

// bf16 weights (a bf16 working copy's bits) and rows rounded to bf16 in
// pairs (one row: a matrix-vector product, inputs 32 at a time and a tail):
// the products equal a double matmul of the bf16-rounded operands
// (rounded by ATen, not by the kernels' own rounding), in every layout and
// lane count, with vdpbf16ps (where the CPU has it) and widened to fp32.
const uint16_t* bits(const at::Tensor& bf16) {
  return reinterpret_cast<const uint16_t*>(bf16.data_ptr<at::BFloat16>());
}

// The dots to test on this CPU, restoring the default when done.
struct Bf16Dots {
  Bf16Dot saved = bf16_dot();
  std::vector<Bf16Dot> all{Bf16Dot::kWiden};
  Bf16Dots() {
    if (saved == Bf16Dot::kNative) all.push_back(Bf16Dot::kNative);
  }
  ~Bf16Dots() { set_bf16_dot(saved); }
};

at::Tensor pairs_of(const at::Tensor& xt) {  // (C, lanes) fp32 -> (C/2, lanes, 2) bf16
  auto xp = at::empty(xt.sizes(), at::kBFloat16);
  lanes_to_bf16_pairs(xt.data_ptr<float>(), xt.size(0), xt.size(1),
                      reinterpret_cast<uint16_t*>(xp.data_ptr<at::BFloat16>()));
  return xp;
}

at::Tensor rounded(const at::Tensor& t) {
  return t.to(at::kBFloat16).to(at::kDouble);
}

TEST(DecodeGemm, Bf16ProductsEqualMatmulOfTheRoundedOperands) {
  at::manual_seed(9);
  const int64_t C = 38, n = 53, ldy = n + 3;
  auto w = at::randn({n, C}).to(at::kBFloat16);
  auto bias = at::randn({n});
  Bf16Dots dots;
  for (Bf16Dot dot : dots.all) {
    set_bf16_dot(dot);
    for (int64_t R : {1, 8, 16, 17, 40, 64}) {  // 1: no padding lanes
      auto x = at::randn({R, C});
      const int64_t lanes = decode_lanes_bf16(R);
      auto xt = at::empty({C, lanes});
      pack_rows(x.data_ptr<float>(), R, C, C, lanes, xt.data_ptr<float>());
      auto xp = pairs_of(xt);
      EXPECT_TRUE(at::equal(xp.view({C / 2, lanes, 2}).permute({0, 2, 1}).reshape({C, lanes}),
                            xt.to(at::kBFloat16)))
          << "pairs hold the rows rounded as ATen rounds";
      auto want = at::matmul(rounded(x), w.to(at::kDouble).t());  // (R, n)
      const char* name = dot == Bf16Dot::kNative ? "native" : "widened";

      auto y = at::full({n, lanes}, 7.0f);
      weight_times_rows(bits(w), n, C, bits(xp), lanes, y.data_ptr<float>());
      EXPECT_LT((y.narrow(1, 0, R).t().to(at::kDouble) - want).abs().max().item<double>(), 1e-4)
          << R << " rows, " << name;
      auto residual = at::randn({n, lanes});
      y.copy_(residual);
      weight_times_rows(bits(w), n, C, bits(xp), lanes, y.data_ptr<float>(), true);
      EXPECT_LT(
          (y - residual).narrow(1, 0, R).t().to(at::kDouble).sub(want).abs().max().item<double>(),
          1e-4)
          << R << " rows, " << name << ", accumulated";

      auto rows = at::full({R, ldy}, 7.0f);
      weight_times_rows_into(bits(w), n, C, bits(xp), lanes, R,
                             {rows.data_ptr<float>(), ldy, bias.data_ptr<float>()});
      EXPECT_LT((rows.narrow(1, 0, n).to(at::kDouble) - want - bias.to(at::kDouble))
                    .abs()
                    .max()
                    .item<double>(),
                1e-4)
          << R << " rows, " << name << ", rows layout";
      EXPECT_EQ(rows.narrow(1, n, ldy - n).ne(7.0f).sum().item<int64_t>(), 0) << "wrote past n";
    }
  }
}

TEST(DecodeGemm, Bf16SwigluComesOutInPairsForTheNextProduct) {
  at::manual_seed(10);
  const int64_t C = 46, n = 50;  // n is not a multiple of the 24-row chunk
  auto wg = (at::randn({n, C}) * 0.3).to(at::kBFloat16);
  auto wu = (at::randn({n, C}) * 0.3).to(at::kBFloat16);
  Bf16Dots dots;
  for (Bf16Dot dot : dots.all) {
    set_bf16_dot(dot);
    for (int64_t R : {1, 8, 13, 64}) {
      auto x = at::randn({R, C});
      const int64_t lanes = decode_lanes_bf16(R);
      auto xt = at::empty({C, lanes});
      pack_rows(x.data_ptr<float>(), R, C, C, lanes, xt.data_ptr<float>());
      auto xp = pairs_of(xt);
      auto act = at::empty({n, lanes}, at::kBFloat16);
      swiglu_times_rows(bits(wg), bits(wu), n, C, bits(xp), lanes,
                        reinterpret_cast<uint16_t*>(act.data_ptr<at::BFloat16>()));
      auto g = at::matmul(rounded(x), wg.to(at::kDouble).t());
      auto u = at::matmul(rounded(x), wu.to(at::kDouble).t());
      auto want = (at::silu(g) * u).t();  // (n, R)
      auto got = act.view({n / 2, lanes, 2}).permute({0, 2, 1}).reshape({n, lanes});
      // One bf16 rounding of the result: 2^-9 relative.
      EXPECT_LT(((got.narrow(1, 0, R).to(at::kDouble) - want).abs() / (want.abs() + 1e-3))
                    .max()
                    .item<double>(),
                4e-3)
          << R << " rows";
    }
  }
}

TEST(DecodeGemm, Bf16ProductsRejectAnOddInputSize) {
  auto w = at::zeros({8, 3}, at::kBFloat16);
  auto xp = at::zeros({4, 8}, at::kBFloat16);
  auto y = at::zeros({8, 8});
  try {
    weight_times_rows(bits(w), 8, 3, bits(xp), 8, y.data_ptr<float>());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("even input size"), std::string::npos) << e.what();
  }
}

// Reference pieces in double: RoPE (rotate_half) and the per-head RMSNorm.
at::Tensor rope_ref(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

at::Tensor norm_ref(const at::Tensor& x, const at::Tensor& w, double eps) {
  return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}

// Head dims 64 and 128 take the register-blocked mix, 40 the generic one;
// with and without the q/k norm (Qwen3).
TEST(DecodeAttention, EqualsNormRopeAppendThenSoftmaxAttention) {
  at::manual_seed(7);
  for (int64_t D : {64, 128, 40}) {
    for (bool qk_norm : {false, true}) {
      const int64_t B = 3, K = 2, G = 3, H = K * G, S = 37, capacity = 40;
      const double eps = 1e-6;
      DecodeAttention step;
      step.qkv = at::randn({B, (H + 2 * K) * D});
      auto angles = at::rand({B, D / 2}) * 6.0;
      step.cos = at::cat({angles, angles}, -1).cos();
      step.sin = at::cat({angles, angles}, -1).sin();
      if (qk_norm) {
        step.q_norm = at::rand({D}) + 0.5;
        step.k_norm = at::rand({D}) + 0.5;
      }
      step.norm_eps = eps;
      step.keys = at::randn({B, K, capacity, D});
      step.values = at::randn({B, K, capacity, D});
      step.slot = S - 1;
      // Row 1 sees only its last 20 keys, row 2 every other key (and always
      // the new one): the masked cache slots hold NaN, as a slot no one wrote may.
      step.bias = at::zeros({B, S});
      step.bias[1].narrow(0, 0, S - 20).fill_(-INFINITY);
      step.bias[2].slice(0, 0, S - 1, 2).fill_(-INFINITY);
      auto masked = step.bias.eq(-INFINITY).view({B, 1, S, 1}).expand({B, K, S, D});
      step.keys.narrow(2, 0, S).masked_fill_(masked, NAN);
      step.values.narrow(2, 0, S).masked_fill_(masked, NAN);
      auto old_keys = step.keys.to(at::kDouble), old_values = step.values.to(at::kDouble);
      auto out = decode_attention(step);

      auto qkv = step.qkv.to(at::kDouble);
      auto q = qkv.narrow(1, 0, H * D).view({B, H, D});
      auto k = qkv.narrow(1, H * D, K * D).view({B, K, D});
      auto v = qkv.narrow(1, (H + K) * D, K * D).view({B, K, D});
      if (qk_norm) {
        q = norm_ref(q, step.q_norm.to(at::kDouble), eps);
        k = norm_ref(k, step.k_norm.to(at::kDouble), eps);
      }
      auto cos = step.cos.to(at::kDouble).unsqueeze(1), sin = step.sin.to(at::kDouble).unsqueeze(1);
      q = rope_ref(q, cos, sin);
      k = rope_ref(k, cos, sin);
      // The new key and value are in the cache at the slot, nothing else moved.
      auto want_keys = old_keys.clone(), want_values = old_values.clone();
      want_keys.select(2, S - 1).copy_(k);
      want_values.select(2, S - 1).copy_(v);
      auto same = [](const at::Tensor& a, const at::Tensor& b) {
        return ((a - b).abs().le(1e-5) | (a.isnan() & b.isnan())).all().item<bool>();
      };
      EXPECT_TRUE(same(step.keys.to(at::kDouble), want_keys)) << "D " << D;
      EXPECT_TRUE(same(step.values.to(at::kDouble), want_values)) << "D " << D;

      auto all_masked = step.bias.eq(-INFINITY).view({B, 1, S, 1}).expand({B, K, S, D});
      auto kh = want_keys.narrow(2, 0, S).masked_fill(all_masked, 0).repeat_interleave(G, 1);
      auto vh = want_values.narrow(2, 0, S).masked_fill(all_masked, 0).repeat_interleave(G, 1);
      auto scores = at::matmul(q.unsqueeze(2), kh.transpose(2, 3)) / std::sqrt(double(D)) +
                    step.bias.to(at::kDouble).view({B, 1, 1, S});
      auto want = at::matmul(at::softmax(scores, -1), vh).view({B, H * D});
      ASSERT_TRUE(out.isfinite().all().item<bool>()) << "D " << D;
      EXPECT_LT((out.to(at::kDouble) - want).abs().max().item<double>(), 1e-5)
          << "D " << D << " qk_norm " << qk_norm;
    }
  }
}

// Rows sharing a prompt read its columns from the row named in `shared`:
// their own copies of those columns (NaN here) are never read, and the result
// equals every row holding the prompt itself.
TEST(DecodeAttention, ReadsSharedColumnsFromTheRowHoldingThem) {
  at::manual_seed(8);
  for (int64_t D : {64, 40}) {
    const int64_t B = 4, K = 2, H = 6, S = 37, n = 21;
    DecodeAttention step;
    step.qkv = at::randn({B, (H + 2 * K) * D});
    step.cos = at::ones({B, D});
    step.sin = at::zeros({B, D});
    step.keys = at::randn({B, K, S, D});
    step.values = at::randn({B, K, S, D});
    step.slot = S - 1;
    step.bias = at::zeros({B, S});
    step.bias[2].narrow(0, 0, 5).fill_(-INFINITY);  // masked inside the shared columns
    for (int64_t b : {2, 3}) {  // the prompt, as the engine copies it to each row
      step.keys[b].narrow(1, 0, n).copy_(step.keys[0].narrow(1, 0, n));
      step.values[b].narrow(1, 0, n).copy_(step.values[0].narrow(1, 0, n));
    }
    DecodeAttention own = step;
    own.keys = step.keys.clone();
    own.values = step.values.clone();
    auto want = decode_attention(own);

    for (int64_t b : {2, 3}) {
      step.keys[b].narrow(1, 0, n).fill_(NAN);
      step.values[b].narrow(1, 0, n).fill_(NAN);
    }
    const std::vector<SharedColumns> shared = {{0, n}, {1, 0}, {0, n}, {0, n}};
    step.shared = shared.data();
    auto out = decode_attention(step);
    EXPECT_LT((out - want).abs().max().item<float>(), 1e-5) << "D " << D;
    // The new keys went to each row's own slot.
    EXPECT_TRUE(step.keys.select(2, S - 1).equal(own.keys.select(2, S - 1))) << "D " << D;

    const std::vector<SharedColumns> bad_row = {{0, n}, {1, 0}, {4, n}, {0, n}};
    step.shared = bad_row.data();
    EXPECT_THROW(decode_attention(step), std::exception);
    const std::vector<SharedColumns> past_the_slot = {{0, n}, {1, 0}, {0, S}, {0, n}};
    step.shared = past_the_slot.data();
    EXPECT_THROW(decode_attention(step), std::exception);
  }
}

TEST(DecodeAttention, RejectsACacheSlotOutOfRange) {
  DecodeAttention step;
  step.qkv = at::randn({1, 4 * 8});
  step.cos = at::ones({1, 8});
  step.sin = at::zeros({1, 8});
  step.keys = at::zeros({1, 1, 4, 8});
  step.values = at::zeros({1, 1, 4, 8});
  step.slot = 4;
  step.bias = at::zeros({1, 5});
  EXPECT_THROW(decode_attention(step), std::exception);
}

}  // namespace
}  // namespace r1
