#include "compute_flags.h"

#include "model/checkpoint.h"

namespace r1 {

void add_compute_flags(ArgParser& p) {
  p.add("--device", "NAME", "cpu | cuda | cuda:N", "cpu");
  p.add("--precision", "P", "fp32 | bf16: bf16 weights and matrix products (docs/precision.md)",
        "fp32");
}

ComputeConfig compute_flags(const ArgParser& p) {
  ComputeConfig c;
  c.device = p.str("--device");
  c.precision = p.str("--precision");
  return c;
}

Model load_model_with_flags(const std::string& dir, const ArgParser& p) {
  const ComputeConfig c = compute_flags(p);
  return load_model(dir, c.parsed_device("--device"), c.weight_dtype("--precision"));
}

}  // namespace r1
