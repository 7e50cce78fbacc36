// Mixed-precision training (Micikevicius et al. 2018, "Mixed Precision
// Training", §3.1): the optimizer updates fp32 master weights; forwards,
// backwards and the rollout engine run on a working copy in the compute dtype
// (bf16). Gradients are accumulated in fp32 (each micro-batch's bf16 gradients
// are added into the master's), and after each optimizer step the master is
// rounded into the working copy, in place: the engine samples on the very
// tensors the next forward trains, with no separate inference copy to sync.
// In fp32 the working copy *is* the master (the same tensors) and both
// gradient and weight steps are no-ops.
#pragma once

#include <c10/core/ScalarType.h>

#include "model/transformer.h"

namespace r1 {

// The working copy of `master` in `dtype`: the same tensors when dtype is the
// master's, otherwise new tensors (ties re-made), trainable.
Model working_copy(const Model& master, at::ScalarType dtype);

// After a backward: adds working's gradients into master's (in fp32) and clears
// working's. No-op where working and master share tensors.
void accumulate_gradients(Model& working, Model& master);

// After an optimizer step: master's values rounded into working, in place.
void copy_master_to_working(Model& master, Model& working);

}  // namespace r1
