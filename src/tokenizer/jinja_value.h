// Values of the chat-template Jinja interpreter and the Python behaviour they
// need: truthiness, str() and repr(), json.dumps, and str methods (strip,
// split, upper/lower) over Unicode code points. Private to src/tokenizer/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace r1::jinja {

using json = nlohmann::ordered_json;

// A JSON value, or Jinja's "undefined" (a missing variable or attribute).
struct Value {
  json j;
  bool undefined = false;
  static Value undef() {
    Value v;
    v.undefined = true;
    return v;
  }
};

inline Value val(json j) {
  return Value{std::move(j), false};
}

[[noreturn]] void error_at(int line, const std::string& msg);

bool truthy(const Value& v);
std::string to_str(const Value& v);      // Python str(): what {{ value }} prints
std::string python_repr(const json& j);  // Python repr()
// json.dumps(j, ensure_ascii=False[, indent=n]); indent < 0 means none.
void dumps(const json& j, int indent, int depth, std::string& out);

std::vector<uint32_t> code_points(const std::string& s);
std::string from_code_points(const std::vector<uint32_t>& cps, size_t b, size_t e);
// str.strip/lstrip/rstrip; `chars` null = whitespace.
std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right);
// str.split(sep=None, maxsplit=-1).
json py_split(const std::string& s, const Value* sep, int64_t maxsplit);
std::string title_case(const std::string& s);
std::string unicode_case(const std::string& s, bool upper);

}  // namespace r1::jinja
