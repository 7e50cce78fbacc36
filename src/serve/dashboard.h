// The live training dashboard (r1 dashboard DIR..., r1 serve --runs DIR): a
// local page that follows run directories while they train. The server hands
// out what the runs wrote (metrics.jsonl from a byte offset, so a page polls
// only what is new; the last lines of samples.jsonl) and the page
// (dashboard.html) draws every metric with dygraphs from Debian's
// libjs-dygraphs, served from this machine: no CDN, works offline.
#pragma once

#include <string>
#include <vector>

namespace r1 {

class HttpServer;

// Adds GET / (the page), /dygraph.min.js and .css, /api/runs,
// /api/metrics?run=I&offset=B and /api/samples?run=I&last=K. A directory
// that does not exist yet is shown as waiting (a run about to start).
void add_dashboard_routes(HttpServer& server, const std::vector<std::string>& run_dirs);

// The new complete lines of a JSONL file from byte `offset` on, as a JSON
// array of the lines that parse, and the offset after them; a file shorter
// than `offset` (a resumed run trims its logs) is read from the start with
// `reset` set. A missing file is no lines.
struct JsonlTail {
  std::string lines_json;  // "[...]"
  size_t offset = 0;
  bool reset = false;
};
JsonlTail read_jsonl_from(const std::string& path, size_t offset);

}  // namespace r1
