// What r1 train and r1 sft share about a run directory: finding the newest
// complete checkpoint to resume from, and trimming logs written after it so a
// resumed run's files match an uninterrupted run's.
#pragma once

#include <cstdint>
#include <string>

namespace r1 {

// The newest run_dir/checkpoints/step-N holding trainer_state.json (written
// last, so its presence means the checkpoint is complete); "" if none.
std::string latest_checkpoint(const std::string& run_dir);

// Keeps only the JSONL lines of `path` whose "step" is <= `step` (atomic
// rewrite; a missing file is left missing).
void truncate_jsonl_after_step(const std::string& path, int64_t step);

}  // namespace r1
