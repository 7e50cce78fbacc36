#include "model/compute.h"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include "util/error.h"

namespace r1 {

Precision parse_precision(const std::string& name, const std::string& where) {
  if (name == "fp32" || name == "float32") return Precision::kFp32;
  if (name == "bf16" || name == "bfloat16") return Precision::kBf16;
  fail(where, " = '", name, "': expected \"fp32\" or \"bf16\"");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

at::ScalarType weight_dtype(Precision precision) {
  return precision == Precision::kBf16 ? at::kBFloat16 : at::kFloat;
}

at::Device parse_device(const std::string& name, const std::string& where) {
  if (name == "cpu") return at::kCPU;
  if (name != "cuda" && name.rfind("cuda:", 0) != 0)
    fail(where, " = '", name, "': expected \"cpu\", \"cuda\" or \"cuda:N\"");
  int64_t index = 0;
  if (name.size() > 5) {
    const std::string digits = name.substr(5);
    if (digits.empty() || digits.size() > 3 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      fail(where, " = '", name, "': the device index must be a number (cuda:0, cuda:1, ...)");
    index = std::stoi(digits);
  }
  if (!at::globalContext().hasCUDA())
    fail(where, " = '", name, "': this r1 was built against a libtorch without CUDA, or no ",
         "NVIDIA driver/GPU is visible (docs/gpu.md)");
  const int64_t count = at::detail::getCUDAHooks().getNumGPUs();
  if (index >= count)
    fail(where, " = '", name, "': this machine has ", count, " CUDA device", count == 1 ? "" : "s");
  return at::Device(at::kCUDA, static_cast<at::DeviceIndex>(index));
}

std::string cuda_summary() {
  if (!at::globalContext().hasCUDA()) return "no (libtorch without CUDA, or no driver/GPU)";
  const int64_t n = at::detail::getCUDAHooks().getNumGPUs();
  return cat("yes (", n, " device", n == 1 ? "" : "s", ")");
}

at::Device ComputeConfig::parsed_device(const std::string& where) const {
  return parse_device(device, where);
}

Precision ComputeConfig::parsed_precision(const std::string& where) const {
  return parse_precision(precision, where);
}

void add_compute_fields(FieldTable& table, ComputeConfig& c) {
  table.push_back({"model.device", &c.device, "cpu | cuda | cuda:N: where the model runs",
                   "TRL/accelerate device"});
  table.push_back({"model.precision", &c.precision,
                   "fp32 | bf16: bf16 weights and matrix products (fp32 master weights, "
                   "optimizer, norms, softmax, log-probs); docs/precision.md",
                   "TRL bf16, veRL rollout.dtype"});
}

}  // namespace r1
