#include "util/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "util/error.h"

namespace fs = std::filesystem;

namespace r1 {

namespace {

nlohmann::json to_json(const toml::node& node) {
  if (node.is_table()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : *node.as_table()) j[std::string(k.str())] = to_json(v);
    return j;
  }
  if (node.is_array()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : *node.as_array()) j.push_back(to_json(v));
    return j;
  }
  if (node.is_integer()) return node.as_integer()->get();
  if (node.is_floating_point()) return node.as_floating_point()->get();
  if (node.is_boolean()) return node.as_boolean()->get();
  if (node.is_string()) return node.as_string()->get();
  return node.is_date_time() || node.is_date() || node.is_time() ? nlohmann::json("<date>")
                                                                 : nlohmann::json();
}

void assign(const Field& f, const toml::node& node, const std::string& where) {
  std::visit(
      [&](auto* ptr) {
        using T = std::remove_pointer_t<decltype(ptr)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          if (!node.is_integer()) fail(where, ": '", f.key, "' must be an integer");
          *ptr = node.as_integer()->get();
        } else if constexpr (std::is_same_v<T, double>) {
          if (node.is_integer())
            *ptr = static_cast<double>(node.as_integer()->get());
          else if (node.is_floating_point())
            *ptr = node.as_floating_point()->get();
          else
            fail(where, ": '", f.key, "' must be a number");
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!node.is_boolean()) fail(where, ": '", f.key, "' must be true or false");
          *ptr = node.as_boolean()->get();
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) fail(where, ": '", f.key, "' must be a string");
          *ptr = node.as_string()->get();
        } else {
          if (!node.is_table() && !node.is_array())
            fail(where, ": '", f.key, "' must be a table {key = value, ...} or an array [...]");
          *ptr = to_json(node);
        }
      },
      f.value);
}

bool is_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

const Field* find(const FieldTable& table, const std::string& key) {
  for (const Field& f : table) {
    if (f.key == key) return &f;
    for (const auto& alias : f.aliases)
      if (alias == key) return &f;
  }
  return nullptr;
}

std::string unknown_key(const FieldTable& table, const std::string& key) {
  std::string hint = suggest_key(table, key);
  return "unknown key '" + key + "'" + (hint.empty() ? "" : " (" + hint + ")");
}

void walk(const FieldTable& table, const toml::table& t, const std::string& prefix,
          const std::string& source, ConfigOrigin* origin) {
  for (const auto& [k, v] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const Field* f = find(table, key);
    if (!f && v.is_table()) {
      walk(table, *v.as_table(), key, source, origin);
      continue;
    }
    if (!f) fail(source, ":", k.source().begin.line, ": ", unknown_key(table, key));
    assign(*f, v, source);
    if (origin) origin->where[f->key] = cat(source, ":", k.source().begin.line);
  }
}

std::string last_part(const std::string& key) {
  return key.substr(key.rfind('.') + 1);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The names in a peer description ("TRL num_generations, veRL rollout.n").
std::vector<std::string> peer_names(const std::string& peer) {
  std::vector<std::string> names;
  std::string word;
  for (char ch : peer + " ") {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.') {
      word += ch;
    } else if (!word.empty()) {
      if (word != "TRL" && word != "veRL" && word != "OpenRLHF") names.push_back(word);
      word.clear();
    }
  }
  return names;
}

// TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

// The shortest decimal that reads back to exactly `x`, with a '.' or exponent
// so TOML keeps it a float.
std::string toml_float(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string toml_key(const std::string& key) {
  bool bare = !key.empty();
  for (unsigned char ch : key) bare &= std::isalnum(ch) || ch == '_' || ch == '-';
  return bare ? key : toml_string(key);
}

std::string comment(const Field& f) {
  return "  # " + f.doc + (f.peer.empty() ? "" : " [" + f.peer + "]");
}

}  // namespace

std::string toml_value(const nlohmann::json& v) {
  if (v.is_string()) return toml_string(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return toml_float(v.get<double>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_value(v[i]);
    return out + "]";
  }
  if (v.is_object()) {
    if (v.empty()) return "{}";
    std::string out = "{ ";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      out += (first ? "" : ", ") + toml_key(k) + " = " + toml_value(item);
      first = false;
    }
    return out + " }";
  }
  fail("config: a null value has no TOML form");
}

void resolve_input_path(std::string& path, const std::string& run_file) {
  if (path.empty() || path[0] == '/' || fs::exists(path)) return;
  const fs::path beside = fs::path(run_file).parent_path() / path;
  if (fs::exists(beside)) path = beside.lexically_normal().string();
}

std::string suggest_key(const FieldTable& table, const std::string& unknown) {
  const std::string last = last_part(unknown);
  for (const Field& f : table)
    for (const auto& name : peer_names(f.peer))
      if (name == unknown || last_part(name) == last)
        return "did you mean '" + f.key + "'? [" + f.peer + "]";
  const Field* best = nullptr;
  size_t best_distance = SIZE_MAX;
  for (const Field& f : table) {
    std::vector<std::string> names = {f.key};
    names.insert(names.end(), f.aliases.begin(), f.aliases.end());
    for (const auto& p : peer_names(f.peer)) names.push_back(p);
    for (const auto& name : names) {
      size_t d = std::min(edit_distance(unknown, name), edit_distance(last, last_part(name)));
      if (d < best_distance) best_distance = d, best = &f;
    }
  }
  if (!best || best_distance > std::max<size_t>(2, last.size() / 3)) return "";
  return "did you mean '" + best->key + "'?" + (best->peer.empty() ? "" : " [" + best->peer + "]");
}

nlohmann::json apply_toml(const FieldTable& table, const std::string& text,
                          const std::string& source, const std::vector<std::string>& list_sections,
                          ConfigOrigin* origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(source, ":", e.source().begin.line, ": ", e.description());
  }
  nlohmann::json lists = nlohmann::json::object();
  for (const auto& name : list_sections) {
    if (auto* node = doc.get(name)) {
      if (!node->is_array())
        fail(source, ": '", name, "' must be an array of tables ([[", name, "]])");
      lists[name] = to_json(*node);
      doc.erase(name);
    }
  }
  if (origin) origin->file = source;
  walk(table, doc, "", source, origin);
  return lists;
}

void apply_override(const FieldTable& table, const std::string& assignment, ConfigOrigin* origin) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos) fail("--set ", assignment, ": expected key=value");
  std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  const Field* f = find(table, key);
  if (!f) fail("--set: ", unknown_key(table, key));
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    // Not a TOML value: the text itself, as a string (a bare path or word). It
    // must be text: the resolved config (config.toml, --print-config) is TOML.
    if (!is_utf8(value)) fail("--set ", key, ": the value is not valid UTF-8");
    parsed.insert_or_assign("v", value);
  }
  assign(*f, *parsed.get("v"), "--set");
  if (origin) origin->where[f->key] = origin->file.empty() ? "--set" : origin->file + " (--set)";
}

void ConfigOrigin::locate_errors(const std::function<void()>& check) const {
  try {
    check();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (file.empty() || message.rfind(file, 0) == 0) throw;
    const std::string key = message.substr(0, message.find_first_of(" :="));
    auto it = where.find(key);
    fail(it != where.end() ? it->second : file, ": ", message);
  }
}

std::string dump_toml(const FieldTable& table, const nlohmann::json& lists,
                      const std::string& list_help) {
  std::map<std::string, std::vector<const Field*>> sections;
  for (const Field& f : table) sections[f.key.substr(0, f.key.rfind('.'))].push_back(&f);
  std::ostringstream out;
  for (const auto& [section, fields] : sections) {
    out << "[" << section << "]\n";
    for (const Field* f : fields) {
      out << last_part(f->key) << " = ";
      std::visit(
          [&](auto* ptr) {
            using T = std::remove_pointer_t<decltype(ptr)>;
            if constexpr (std::is_same_v<T, nlohmann::json>)
              out << toml_value(*ptr);
            else
              out << toml_value(nlohmann::json(*ptr));
          },
          f->value);
      out << comment(*f) << "\n";
    }
    out << "\n";
  }
  bool any_items = false;
  for (auto& [name, items] : lists.items()) {
    for (const auto& item : items) {
      any_items = true;
      out << "[[" << name << "]]\n";
      for (auto& [k, v] : item.items()) out << toml_key(k) << " = " << toml_value(v) << "\n";
      out << "\n";
    }
  }
  if (!any_items && !list_help.empty()) {
    std::istringstream help(list_help);
    for (std::string line; std::getline(help, line);) out << "# " << line << "\n";
  }
  return out.str();
}

}  // namespace r1
