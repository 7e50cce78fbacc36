// The decode products (model/decode_gemm.h) equal a double-precision matmul
// for every lane count, with a tail of weight rows that fills no full panel.
#include "model/decode_gemm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace r1
