// A small flag parser for the r1 subcommands: each command declares its flags
// with help text, so `r1 CMD --help` is generated and unknown flags are errors.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1 {

class ArgParser {
 public:
  ArgParser(std::string usage, std::string summary);

  // A flag taking a value (`--name VALUE` or `--name=VALUE`).
  void add(const std::string& name, const std::string& value_name, const std::string& help,
           const std::string& default_value = "", bool required = false);
  // A flag that may be given many times (`--set a=1 --set b=2`); see all().
  void add_repeated(const std::string& name, const std::string& value_name,
                    const std::string& help);
  // A switch (`--name`), false unless given.
  void add_switch(const std::string& name, const std::string& help);
  // Allows (and documents) positional arguments.
  void allow_positional(const std::string& name, const std::string& help);

  // Returns false if --help was printed or R1_PARSE_ONLY=1 is set (the caller
  // then exits 0 without doing anything); throws Error on bad arguments.
  bool parse(const std::vector<std::string>& args);

  const std::string& str(const std::string& name) const;
  int64_t i64(const std::string& name) const;
  double f64(const std::string& name) const;
  bool on(const std::string& name) const;
  bool given(const std::string& name) const;
  // A flag whose value is a JSON object ('{"enable_thinking": false}').
  nlohmann::json json_object(const std::string& name) const;
  const std::vector<std::string>& all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  std::string help() const;

 private:
  struct Flag {
    std::string value_name, help, value;
    std::vector<std::string> values;  // every occurrence, for repeated flags
    bool is_switch = false, required = false, given = false, repeated = false;
  };
  std::string usage_, summary_, positional_name_, positional_help_;
  std::vector<std::string> order_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> positional_;
  const Flag& flag(const std::string& name) const;
};

}  // namespace r1
