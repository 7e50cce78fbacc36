// Run configuration from one TOML file. Each config struct lists its fields
// once (key, pointer, one-line doc, the peers' name) in a FieldTable; the
// parser, `--set key=value` overrides, unknown-key errors with suggestions and
// the resolved config.toml written into the run directory (and printed by
// --print-config) all come from that one table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace r1 {

struct Field {
  std::string key;  // "section.name"
  // json: any TOML table or array (e.g. chat_template_kwargs = {enable_thinking = false}).
  std::variant<int64_t*, double*, bool*, std::string*, nlohmann::json*> value;
  std::string doc;
  // What TRL / veRL call this setting ("TRL num_generations"): shown in the
  // docs, and an unknown key equal to one of these names suggests this field.
  std::string peer = "";
  // Older names of this key, still accepted ("train.steps").
  std::vector<std::string> aliases = {};
};

using FieldTable = std::vector<Field>;

// Where a run's settings came from, so that a range error found later (in
// validate()) names the run file and line of the key it is about.
struct ConfigOrigin {
  std::string file;                          // the run file; "" when built in code
  std::map<std::string, std::string> where;  // key -> "run.toml:12" or "run.toml (--set)"
  // Runs `check`; an Error it throws whose message starts with a key
  // ("optim.lr = inf: ...") gets that key's place in front, any other the file.
  void locate_errors(const std::function<void()>& check) const;
};

// Values from TOML text into the table's fields. Tables whose name is in
// `list_sections` (arrays of tables such as [[rewards]]) are returned as JSON
// instead. Errors name `source`, the key and what was expected; an unknown
// key names the closest known one. `origin`, if given, records where each key was set.
nlohmann::json apply_toml(const FieldTable& table, const std::string& text,
                          const std::string& source, const std::vector<std::string>& list_sections,
                          ConfigOrigin* origin = nullptr);

// `--set key=value`: value in TOML syntax (numbers, true/false, "strings",
// {tables}, [arrays]; a bare word is taken as a string).
void apply_override(const FieldTable& table, const std::string& assignment,
                    ConfigOrigin* origin = nullptr);

// The configuration as TOML that apply_toml reads back to the same values:
// every field with its doc (and peer name) as a comment, then the list
// sections. `list_help` lines are written, commented, where a list section is
// empty (so a printed default config still documents [[rewards]]).
std::string dump_toml(const FieldTable& table, const nlohmann::json& lists,
                      const std::string& list_help = "");

// A JSON value (object, array, string, number, bool) as a TOML value: inline
// tables and arrays; floats written so they read back exactly.
std::string toml_value(const nlohmann::json& value);

// An input path a run file names (a model, a dataset), as the commands open
// it: relative to the working directory where it exists there, else relative
// to the run file's folder, so examples run from any directory.
void resolve_input_path(std::string& path, const std::string& run_file);

// "did you mean 'rollout.group_size' (TRL num_generations)?" for an unknown
// key, or "" when nothing is close.
std::string suggest_key(const FieldTable& table, const std::string& unknown);

}  // namespace r1
