// Where a model computes and in what precision: `model.device` / --device
// ("cpu", "cuda", "cuda:N") and `precision` / --precision ("fp32", "bf16").
// bf16 keeps the weights in bf16 and runs every matrix product in bf16 (AMX
// through oneDNN on CPUs that have it, tensor cores on CUDA); the residual
// stream, norms, softmax, log-probs and losses stay fp32, and a trainer keeps
// fp32 master weights and optimizer state (model/master_weights.h).
// docs/precision.md.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "util/config.h"

namespace r1 {

enum class Precision { kFp32, kBf16 };

// "fp32" | "bf16"; an error naming `where` (a config key or flag) otherwise.
Precision parse_precision(const std::string& name, const std::string& where);
std::string precision_name(Precision precision);

// The dtype a model's weights are held in.
at::ScalarType weight_dtype(Precision precision);

// "cpu", "cuda" or "cuda:N", checked against this build and machine: an error
// naming `where` when libtorch has no CUDA, no GPU is visible, or N is past
// the last one.
at::Device parse_device(const std::string& name, const std::string& where);

// "yes (N devices)", or "no" and why (r1 info --system).
std::string cuda_summary();

// The [model] keys of a command that runs a model.
struct ComputeConfig {
  std::string device = "cpu";
  std::string precision = "fp32";

  // Errors name `where`: the config key, or the flag of a command.
  at::Device parsed_device(const std::string& where = "model.device") const;
  Precision parsed_precision(const std::string& where = "model.precision") const;
  at::ScalarType weight_dtype(const std::string& where = "model.precision") const {
    return r1::weight_dtype(parsed_precision(where));
  }
};
void add_compute_fields(FieldTable& table, ComputeConfig& config);

}  // namespace r1
