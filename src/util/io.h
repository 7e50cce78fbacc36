// Small file helpers shared by every command: "-" means stdin/stdout, whole
// files are read with a clear error naming the path, and JSONL is read line by
// line so one bad line can be reported without losing the rest.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

namespace r1 {

std::string read_file(const std::string& path);

// Opens `path` for reading, or stdin for "-". Throws Error naming the path.
std::shared_ptr<std::istream> open_input(const std::string& path);
// Opens `path` for writing (truncating), or stdout for "-".
std::shared_ptr<std::ostream> open_output(const std::string& path);

// Calls `fn(line_number, line)` for each non-empty line (1-based numbers).
void for_each_line(std::istream& in, const std::function<void(int64_t, const std::string&)>& fn);

bool file_exists(const std::string& path);
bool is_directory(const std::string& path);

}  // namespace r1
