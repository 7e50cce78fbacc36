// A Jinja2 interpreter for chat templates: the subset Hugging Face chat
// templates use, rendered the way transformers does (trim_blocks,
// lstrip_blocks, loopcontrols, tojson as json.dumps, raise_exception,
// strftime_now). Values are JSON plus "undefined"; Python semantics for
// truthiness, str(), comparisons, string methods and slicing. A construct
// outside the subset (call blocks, imports, unknown filters...) is an Error
// naming it and its line, never a silent misrender.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace r1::jinja {

class Template {
 public:
  // Parses `source`; throws Error ("chat template line N: ...").
  explicit Template(const std::string& source);
  // Renders with the variables in `context` (an object).
  std::string render(const nlohmann::ordered_json& context) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace r1::jinja
