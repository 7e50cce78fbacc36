// The decode products (model/decode_gemm.h) equal a double-precision matmul
// for every lane count, with a tail of weight rows that fills no full panel,
// in both output layouts and through the SwiGLU; decode attention
// (model/decode_attention.h) equals softmax(q k^T / sqrt(D) + bias) v
// computed with ATen.
#include "model/decode_attention.h"
#include "model/decode_gemm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

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

// Head dims 64 and 128 take the register-blocked mix, 40 the generic one.
TEST(DecodeAttention, EqualsSoftmaxAttentionAndIgnoresMaskedSlots) {
  at::manual_seed(7);
  for (int64_t D : {64, 128, 40}) {
    const int64_t B = 3, K = 2, G = 3, H = K * G, S = 37;
    auto q = at::randn({B, H, 1, D});
    auto keys = at::randn({B, K, S, D}), values = at::randn({B, K, S, D});
    auto bias = at::zeros({B, S});
    // Row 1 sees only its last 20 keys, row 2 every other key: the masked
    // cache slots hold NaN, as a slot no one wrote may.
    bias[1].narrow(0, 0, S - 20).fill_(-INFINITY);
    bias[2].slice(0, 0, S, 2).fill_(-INFINITY);
    auto masked = bias.eq(-INFINITY).view({B, 1, S, 1}).expand({B, K, S, D});
    keys.masked_fill_(masked, NAN);
    values.masked_fill_(masked, NAN);
    auto out = decode_attention(q, keys, values, bias);

    auto kh = keys.masked_fill(masked, 0).to(at::kDouble).repeat_interleave(G, 1);
    auto vh = values.masked_fill(masked, 0).to(at::kDouble).repeat_interleave(G, 1);
    auto scores = at::matmul(q.to(at::kDouble), kh.transpose(2, 3)) / std::sqrt(double(D)) +
                  bias.to(at::kDouble).view({B, 1, 1, S});
    auto want = at::matmul(at::softmax(scores, -1), vh);
    ASSERT_TRUE(out.isfinite().all().item<bool>()) << "D " << D;
    EXPECT_LT((out.to(at::kDouble) - want).abs().max().item<double>(), 1e-5) << "D " << D;
  }
}

}  // namespace
}  // namespace r1
