// Crash-safe writes. A checkpoint or output file is either the old one or the
// complete new one, never half of each: write to a temp name in the same
// directory, fsync, then rename (atomic on POSIX within one file system).
#pragma once

#include <string>
#include <string_view>

namespace r1 {

void write_file_atomic(const std::string& path, std::string_view data);

// Makes `staging_dir` (fully written) appear as `final_dir`. If `final_dir`
// exists it is replaced: it is moved aside first and removed only after the
// new directory is in place, so a crash leaves one complete copy.
void publish_dir_atomic(const std::string& staging_dir, const std::string& final_dir);

// A fresh staging directory next to `final_dir` ("<final_dir>.tmp-<pid>").
std::string make_staging_dir(const std::string& final_dir);

// Cleans up after a process killed inside publish_dir_atomic: "<name>.tmp-<pid>"
// staging directories in `dir` are removed, and a "<name>.old-<pid>" is moved
// back to <name> if the kill fell between the two renames, else removed.
void remove_stale_staging(const std::string& dir);

void make_dirs(const std::string& path);
void remove_tree(const std::string& path);

}  // namespace r1
