// What the resumable commands share about a run directory: finding the
// newest complete checkpoint to resume from, trimming logs written after it so
// a resumed run's files match an uninterrupted run's (r1 train, r1 sft), and
// refusing to mix the output of different settings (r1 eval, r1 sample).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace r1 {

// N of a checkpoint directory named exactly "step-N" (N decimal digits only);
// -1 for any other name ("step-abc", "step-13-backup", "step-13.tmp"), which
// is never taken for a checkpoint.
int64_t checkpoint_dir_step(const std::string& dir_name);

// The newest run_dir/checkpoints/step-N holding trainer_state.json (written
// last, so its presence means the checkpoint is complete); "" if none.
// Directories with other names are ignored (checkpoint_dir_step).
std::string latest_checkpoint(const std::string& run_dir);

// The integers `keys` of checkpoint/trainer_state.json. Each must be a whole
// number in [0, 2^53], and "step" the N of the directory's name; else an
// Error names the file and the key.
std::map<std::string, int64_t> read_trainer_state(const std::string& checkpoint,
                                                  const std::vector<std::string>& keys);

// Keeps only the JSONL lines of `path` whose "step" is <= `step` (atomic
// rewrite; a missing file is left missing).
void truncate_jsonl_after_step(const std::string& path, int64_t step);

// Records the settings that change results in `path`; once the run has
// output (`started`), a later run must match them, else an Error names the
// differing key and says `how_to_restart`. Before that, a run that failed
// early leaves nothing to mix with, so the file is simply rewritten. A key
// the earlier run's file lacks (a setting added since) counts as its value
// in `added_later`, the one that behaves as before it existed.
void check_same_settings(const std::string& path, const nlohmann::json& now, bool started,
                         const std::string& how_to_restart, const nlohmann::json& added_later);

}  // namespace r1
