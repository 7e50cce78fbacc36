// A Jinja2 interpreter for chat templates: the subset Hugging Face chat
// templates use, rendered the way transformers does (trim_blocks,
// lstrip_blocks, loopcontrols, tojson as json.dumps, raise_exception,
// strftime_now). Values are JSON plus "undefined"; Python semantics for
// truthiness, str(), comparisons, string methods and slicing. A construct
// outside the subset (call blocks, imports, unknown filters...) is an Error
// naming it and its line, never a silent misrender. A template is untrusted
// input (it comes with a downloaded model), so parsing bounds nesting and
// rendering bounds work, memory, time and depth (Limits).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace r1::jinja {

// What one render may use. Real chat templates stay orders of magnitude
// below each: a 100-turn conversation takes ~10^5 steps and microseconds.
struct Limits {
  int64_t max_steps = 20'000'000;  // statements and expressions evaluated, loop turns
  int64_t max_bytes = 16 << 20;    // the output, and any one string or value built (a
                                   // 128k-token prompt is ~0.5 MB)
  double max_seconds = 20;         // wall clock
  int max_depth = 400;             // nested statements, expressions and macro calls
};

class Template {
 public:
  // Parses `source`; throws Error ("<name>: chat template line N: ...");
  // `name` says where the template came from (a file), "" for none.
  explicit Template(const std::string& source, std::string name = "");
  // Renders with the variables in `context` (an object).
  std::string render(const nlohmann::ordered_json& context, const Limits& limits = {}) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::string name_;
};

}  // namespace r1::jinja
