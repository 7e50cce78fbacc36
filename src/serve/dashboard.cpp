#include "serve/dashboard.h"

#include <httplib.h>

#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>

#include "serve/http_server.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

extern const char* const kDashboardHtml;  // dashboard.html, embedded by CMake

namespace {

// Debian's libjs-dygraphs (scripts/setup.sh installs it).
const char* kDygraphsDir = "/usr/share/javascript/dygraphs/";

std::string last_line_step(const std::string& path, std::string* kind) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  if (last.empty()) return "null";
  try {
    auto j = nlohmann::json::parse(last);
    if (j.contains("reward"))
      *kind = "grpo";
    else if (j.contains("loss"))
      *kind = "sft";
    return j.value("step", nlohmann::json(nullptr)).dump();
  } catch (const nlohmann::json::exception&) {
    return "null";  // a line being written
  }
}

// Run index from the query, or -1.
int run_index(const httplib::Request& req, size_t runs) {
  if (!req.has_param("run")) return -1;
  try {
    const long i = std::stol(req.get_param_value("run"));
    return i >= 0 && static_cast<size_t>(i) < runs ? static_cast<int>(i) : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

void bad_request(httplib::Response& res, const std::string& message) {
  res.status = 400;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

}  // namespace

JsonlTail read_jsonl_from(const std::string& path, size_t offset) {
  JsonlTail tail;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    tail.lines_json = "[]";
    tail.reset = offset > 0;
    return tail;
  }
  in.seekg(0, std::ios::end);
  const size_t size = static_cast<size_t>(in.tellg());
  if (size < offset) {
    tail.reset = true;
    offset = 0;
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::string rest(size - offset, '\0');
  in.read(rest.data(), static_cast<std::streamsize>(rest.size()));
  // Only whole lines: the trainer may be halfway through writing the last.
  const size_t end = rest.rfind('\n');
  const size_t used = end == std::string::npos ? 0 : end + 1;
  std::string out = "[";
  size_t start = 0;
  bool first = true;
  while (start < used) {
    const size_t nl = rest.find('\n', start);
    const std::string line = rest.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || !nlohmann::json::accept(line)) continue;
    if (!first) out += ",";
    out += line;
    first = false;
  }
  tail.lines_json = out + "]";
  tail.offset = offset + used;
  return tail;
}

void add_dashboard_routes(HttpServer& server, const std::vector<std::string>& run_dirs) {
  httplib::Server& s = server.routes();
  const std::vector<std::string> runs = run_dirs;
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kDashboardHtml, "text/html; charset=utf-8");
  });
  auto asset = [](const std::string& file, const char* type) {
    return [file, type](const httplib::Request&, httplib::Response& res) {
      const std::string path = kDygraphsDir + file;
      if (!file_exists(path)) {
        res.status = 404;
        res.set_content(path + " is missing: install libjs-dygraphs (scripts/setup.sh does)",
                        "text/plain");
        return;
      }
      res.set_content(read_file(path), type);
    };
  };
  s.Get("/dygraph.min.js", asset("dygraph.min.js", "text/javascript"));
  s.Get("/dygraph.min.css", asset("dygraph.min.css", "text/css"));
  s.Get("/api/runs", [runs](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < runs.size(); ++i) {
      std::string kind;
      const std::string step = last_line_step(runs[i] + "/metrics.jsonl", &kind);
      out.push_back({{"id", i},
                     {"name", runs[i]},
                     {"exists", file_exists(runs[i] + "/metrics.jsonl")},
                     {"kind", kind},
                     {"step", nlohmann::json::parse(step)}});
    }
    res.set_content(out.dump(), "application/json");
  });
  s.Get("/api/metrics", [runs](const httplib::Request& req, httplib::Response& res) {
    const int run = run_index(req, runs.size());
    if (run < 0) return bad_request(res, "run: expected an index into /api/runs");
    size_t offset = 0;
    try {
      if (req.has_param("offset")) offset = std::stoull(req.get_param_value("offset"));
    } catch (const std::exception&) {
      return bad_request(res, "offset: expected a byte offset");
    }
    JsonlTail tail = read_jsonl_from(runs[run] + "/metrics.jsonl", offset);
    res.set_content(cat("{\"offset\":", tail.offset, ",\"reset\":", tail.reset ? "true" : "false",
                        ",\"lines\":", tail.lines_json, "}"),
                    "application/json");
  });
  s.Get("/api/samples", [runs](const httplib::Request& req, httplib::Response& res) {
    const int run = run_index(req, runs.size());
    if (run < 0) return bad_request(res, "run: expected an index into /api/runs");
    size_t last = 8;
    try {
      if (req.has_param("last"))
        last = std::min<size_t>(100, std::stoul(req.get_param_value("last")));
    } catch (const std::exception&) {
      return bad_request(res, "last: expected a count");
    }
    std::ifstream in(runs[run] + "/samples.jsonl");
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || !nlohmann::json::accept(line)) continue;
      tail.push_back(line);
      if (tail.size() > last) tail.pop_front();
    }
    std::string out = "[";
    for (size_t i = 0; i < tail.size(); ++i) out += (i ? "," : "") + tail[i];
    res.set_content(out + "]", "application/json");
  });
}

}  // namespace r1
