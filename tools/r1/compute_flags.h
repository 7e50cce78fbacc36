// --device and --precision, the same two flags on every command that runs a
// model directly (generate, score, eval, serve): model/compute.h.
#pragma once

#include <string>

#include "args.h"
#include "model/compute.h"
#include "model/transformer.h"

namespace r1 {

void add_compute_flags(ArgParser& p);
ComputeConfig compute_flags(const ArgParser& p);

// The model in `dir` on the flags' device and precision.
Model load_model_with_flags(const std::string& dir, const ArgParser& p);

}  // namespace r1
