// Values and Python semantics for the chat-template Jinja interpreter.
#include "tokenizer/jinja_value.h"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1::jinja {

[[noreturn]] void error_at(int line, const std::string& msg) {
  fail("chat template line ", line, ": ", msg);
}

bool truthy(const Value& v) {
  if (v.undefined) return false;
  const json& j = v.j;
  switch (j.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return j.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return j.get<int64_t>() != 0;
    case json::value_t::number_float:
      return j.get<double>() != 0.0;
    case json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !j.empty();
    default:
      return false;
  }
}

namespace {

std::string python_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string python_quote(const std::string& s) {
  const char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + q;
}

}  // namespace

// Python's str(): what {{ value }} prints.
std::string to_str(const Value& v) {
  if (v.undefined) return "";
  const json& j = v.j;
  switch (j.type()) {
    case json::value_t::string:
      return j.get<std::string>();
    case json::value_t::null:
      return "None";
    case json::value_t::boolean:
      return j.get<bool>() ? "True" : "False";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return std::to_string(j.get<int64_t>());
    case json::value_t::number_float:
      return python_float(j.get<double>());
    default:
      return python_repr(j);
  }
}

std::string python_repr(const json& j) {
  if (j.is_string()) return python_quote(j.get<std::string>());
  if (j.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + python_repr(j[i]);
    return out + "]";
  }
  if (j.is_object()) {
    std::string out = "{";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out += (first ? "" : ", ") + python_quote(it.key()) + ": " + python_repr(it.value());
      first = false;
    }
    return out + "}";
  }
  return to_str(val(j));
}

// json.dumps(x, ensure_ascii=False[, indent=n]) exactly as Python writes it.
void dumps(const json& j, int indent, int depth, std::string& out) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  switch (j.type()) {
    case json::value_t::string: {
      out += '"';
      for (unsigned char c : j.get_ref<const std::string&>()) {
        switch (c) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          default:
            if (c < 0x20) {
              char buf[8];
              std::snprintf(buf, sizeof(buf), "\\u%04x", c);
              out += buf;
            } else {
              out += static_cast<char>(c);
            }
        }
      }
      out += '"';
      return;
    }
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_float: {
      const double d = j.get<double>();
      out += std::isnan(d)   ? "NaN"
             : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                             : python_float(d);
      return;
    }
    case json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(depth + 1);
        dumps(j[i], indent, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += ']';
      return;
    }
    case json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += indent >= 0 ? "," : ", ";
        first = false;
        if (indent >= 0) newline(depth + 1);
        dumps(json(it.key()), indent, depth + 1, out);
        out += ": ";
        dumps(it.value(), indent, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += '}';
      return;
    }
    default:
      out += j.dump();
      return;
  }
}

std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> cps;
  size_t i = 0;
  while (i < s.size()) {
    if (utf8::valid_length(s, i) == 0) {
      cps.push_back(0xFFFD);
      ++i;
    } else {
      cps.push_back(utf8::next(s, i));
    }
  }
  return cps;
}

std::string from_code_points(const std::vector<uint32_t>& cps, size_t b, size_t e) {
  std::string out;
  for (size_t i = b; i < e; ++i) utf8::append(out, cps[i]);
  return out;
}

namespace {

bool is_python_space(uint32_t c) {
  return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

}  // namespace

// str.strip / lstrip / rstrip; `chars` null = whitespace.
std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  const auto cps = code_points(s);
  std::vector<uint32_t> set;
  if (chars) set = code_points(*chars);
  auto strip_me = [&](uint32_t c) {
    return chars ? std::find(set.begin(), set.end(), c) != set.end() : is_python_space(c);
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_me(cps[b])) ++b;
  if (right)
    while (e > b && strip_me(cps[e - 1])) --e;
  return from_code_points(cps, b, e);
}

json py_split(const std::string& s, const Value* sep, int64_t maxsplit) {
  json out = json::array();
  if (!sep || sep->undefined || sep->j.is_null()) {  // runs of whitespace
    const auto cps = code_points(s);
    size_t i = 0;
    int64_t splits = 0;
    while (i < cps.size()) {
      while (i < cps.size() && is_python_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      if (maxsplit >= 0 && splits >= maxsplit) {
        size_t e = cps.size();
        while (e > i && is_python_space(cps[e - 1])) --e;
        out.push_back(from_code_points(cps, i, e));
        break;
      }
      size_t j = i;
      while (j < cps.size() && !is_python_space(cps[j])) ++j;
      out.push_back(from_code_points(cps, i, j));
      ++splits;
      i = j;
    }
    return out;
  }
  const std::string d = sep->j.get<std::string>();
  if (d.empty()) fail("str.split: empty separator");
  size_t start = 0;
  int64_t splits = 0;
  while (true) {
    const size_t p = s.find(d, start);
    if (p == std::string::npos || (maxsplit >= 0 && splits >= maxsplit)) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, p - start));
    start = p + d.size();
    ++splits;
  }
  return out;
}

std::string title_case(const std::string& s) {
  std::string out;
  bool prev_alpha = false;
  for (char c : s) {
    const bool alpha = std::isalpha(static_cast<unsigned char>(c));
    out += alpha ? static_cast<char>(prev_alpha ? std::tolower(c) : std::toupper(c)) : c;
    prev_alpha = alpha;
  }
  return out;
}

// str.upper() / str.lower(): full Unicode case mapping (ß -> SS, final sigma).
std::string unicode_case(const std::string& s, bool upper) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string r = s;
    for (char& c : r)
      c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                  : std::tolower(static_cast<unsigned char>(c)));
    return r;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  if (upper)
    u.toUpper(icu::Locale::getRoot());
  else
    u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace r1::jinja
