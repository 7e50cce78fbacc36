// Range checks for configuration numbers, done once at load: a value outside
// its range (inf, nan, a negative learning rate) would otherwise train NaN
// weights or run something else than asked, with exit status 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "util/error.h"

namespace r1 {

// Error "optim.lr = inf: must be ..." unless `ok`.
inline void require(bool ok, const std::string& key, double value, const char* must_be) {
  if (!ok) fail(key, " = ", value, ": must be ", must_be);
}

// The common ranges; NaN fails every one of them.
inline void require_positive(const std::string& key, double v) {
  require(std::isfinite(v) && v > 0, key, v, "a finite number > 0");
}
inline void require_non_negative(const std::string& key, double v) {
  require(std::isfinite(v) && v >= 0, key, v, "a finite number >= 0");
}
inline void require_unit(const std::string& key, double v) {  // [0, 1]
  require(v >= 0 && v <= 1, key, v, "in [0, 1]");
}
inline void require_beta(const std::string& key, double v) {  // Adam's [0, 1)
  require(v >= 0 && v < 1, key, v, "in [0, 1)");
}
inline void require_lr(const std::string& key, double v) {
  require(std::isfinite(v) && v > 0 && v <= 1, key, v, "a learning rate in (0, 1]");
}

}  // namespace r1
