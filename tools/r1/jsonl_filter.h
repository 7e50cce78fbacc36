// The line-by-line JSONL filter behind r1 score, r1 tokenize and r1 verify:
// each input line becomes one output line, in order. A line that is not a JSON
// object, or whose handler throws r1::Error, becomes {"error": "IN:N: why"}
// and the rest go on; an input "id" is echoed on every output line so callers
// can match them up. Reading stdin (--in -), each output line is flushed as
// it is written, so the command also serves as a co-process (one line in, one
// line out).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace r1 {

// `handle(row, line)` gets the parsed object and its raw text. Returns the
// command's exit code: 0, or 1 if any line failed (counted on stderr).
int filter_jsonl(const std::string& command, const std::string& in_path,
                 const std::string& out_path,
                 const std::function<nlohmann::json(const nlohmann::json& row,
                                                    const std::string& line)>& handle);

}  // namespace r1
