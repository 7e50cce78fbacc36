// Run configuration from one TOML file. Each config struct lists its fields
// once (key, pointer, one-line doc) in a FieldTable; the parser, `--set
// key=value` overrides, unknown-key/type errors and the resolved config.toml
// written into the run directory all come from that one table.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace r1 {

struct Field {
  std::string key;  // "section.name"
  std::variant<int64_t*, double*, bool*, std::string*> value;
  std::string doc;
};

using FieldTable = std::vector<Field>;

// Values from TOML text into the table's fields. Tables whose name is in
// `list_sections` (arrays of tables such as [[rewards]]) are returned as JSON
// instead. Errors name `source`, the key and what was expected.
nlohmann::json apply_toml(const FieldTable& table, const std::string& text,
                          const std::string& source, const std::vector<std::string>& list_sections);

// `--set key=value`: value in TOML syntax (numbers, true/false, "strings"; a
// bare word is taken as a string).
void apply_override(const FieldTable& table, const std::string& assignment);

// The resolved configuration as TOML, every field with its doc as a comment.
std::string dump_toml(const FieldTable& table, const nlohmann::json& lists);

}  // namespace r1
