#include "util/config.h"

#include <toml++/toml.h>
#include <map>
#include <sstream>

#include "util/error.h"

namespace r1 {

namespace {

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
        } else {
          if (!node.is_string()) fail(where, ": '", f.key, "' must be a string");
          *ptr = node.as_string()->get();
        }
      },
      f.value);
}

const Field* find(const FieldTable& table, const std::string& key) {
  for (const Field& f : table)
    if (f.key == key) return &f;
  return nullptr;
}

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
  return nullptr;
}

void walk(const FieldTable& table, const toml::table& t, const std::string& prefix,
          const std::string& source) {
  for (const auto& [k, v] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (v.is_table() && !find(table, key)) {
      walk(table, *v.as_table(), key, source);
      continue;
    }
    const Field* f = find(table, key);
    if (!f) fail(source, ": unknown key '", key, "'");
    assign(*f, v, source);
  }
}

}  // namespace

nlohmann::json apply_toml(const FieldTable& table, const std::string& text,
                          const std::string& source,
                          const std::vector<std::string>& list_sections) {
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
  walk(table, doc, "", source);
  return lists;
}

void apply_override(const FieldTable& table, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos) fail("--set ", assignment, ": expected key=value");
  std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  const Field* f = find(table, key);
  if (!f) fail("--set: unknown key '", key, "'");
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::parse("v = \"" + value + "\"");  // a bare word is a string
  }
  assign(*f, *parsed.get("v"), "--set");
}

std::string dump_toml(const FieldTable& table, const nlohmann::json& lists) {
  std::map<std::string, std::vector<const Field*>> sections;
  for (const Field& f : table) sections[f.key.substr(0, f.key.rfind('.'))].push_back(&f);
  std::ostringstream out;
  for (const auto& [section, fields] : sections) {
    out << "[" << section << "]\n";
    for (const Field* f : fields) {
      std::string name = f->key.substr(f->key.rfind('.') + 1);
      out << name << " = ";
      std::visit(
          [&](auto* ptr) {
            using T = std::remove_pointer_t<decltype(ptr)>;
            if constexpr (std::is_same_v<T, std::string>)
              out << nlohmann::json(*ptr).dump();
            else if constexpr (std::is_same_v<T, bool>)
              out << (*ptr ? "true" : "false");
            else if constexpr (std::is_same_v<T, double>) {
              std::ostringstream num;
              num.precision(10);
              num << *ptr;
              std::string s = num.str();
              if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
              out << s;
            } else
              out << *ptr;
          },
          f->value);
      out << "  # " << f->doc << "\n";
    }
    out << "\n";
  }
  for (auto& [name, items] : lists.items()) {
    for (const auto& item : items) {
      out << "[[" << name << "]]\n";
      for (auto& [k, v] : item.items()) out << k << " = " << v.dump() << "\n";
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace r1
