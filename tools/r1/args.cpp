#include "args.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "util/error.h"

namespace r1 {

ArgParser::ArgParser(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {}

void ArgParser::add(const std::string& name, const std::string& value_name, const std::string& help,
                    const std::string& default_value, bool required) {
  Flag f;
  f.value_name = value_name;
  f.help = help;
  f.value = default_value;
  f.required = required;
  flags_[name] = f;
  order_.push_back(name);
}

void ArgParser::add_repeated(const std::string& name, const std::string& value_name,
                             const std::string& help) {
  add(name, value_name, help);
  flags_[name].repeated = true;
}

void ArgParser::add_switch(const std::string& name, const std::string& help) {
  Flag f;
  f.help = help;
  f.is_switch = true;
  flags_[name] = f;
  order_.push_back(name);
}

void ArgParser::allow_positional(const std::string& name, const std::string& help) {
  positional_name_ = name;
  positional_help_ = help;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help();
      return false;
    }
    if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && std::isdigit(arg[1]))) {
      std::string value;
      bool inline_value = false;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inline_value = true;
      }
      auto it = flags_.find(arg);
      if (it == flags_.end()) fail(usage_, ": unknown flag '", arg, "' (see --help)");
      Flag& f = it->second;
      f.given = true;
      if (f.is_switch) {
        if (inline_value) fail(usage_, ": ", arg, " takes no value");
        f.value = "1";
      } else if (inline_value) {
        f.value = value;
      } else {
        if (i + 1 >= args.size()) fail(usage_, ": ", arg, " needs a value (", f.value_name, ")");
        f.value = args[++i];
      }
      if (f.repeated) f.values.push_back(f.value);
      continue;
    }
    if (positional_name_.empty()) fail(usage_, ": unexpected argument '", arg, "' (see --help)");
    positional_.push_back(arg);
  }
  for (const auto& name : order_) {
    if (flags_[name].required && !flags_[name].given) fail(usage_, ": ", name, " is required");
  }
  // R1_PARSE_ONLY=1: stop here, as after --help, so the command exits 0 having
  // done nothing. tests/docs/check_docs.py runs every r1 command line of
  // README.md and docs/ this way: an unknown flag or subcommand fails the test.
  const char* parse_only = std::getenv("R1_PARSE_ONLY");
  if (parse_only && std::string(parse_only) == "1") return false;
  return true;
}

const ArgParser::Flag& ArgParser::flag(const std::string& name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) fail("internal: flag ", name, " was not declared");
  return it->second;
}

const std::string& ArgParser::str(const std::string& name) const {
  return flag(name).value;
}

int64_t ArgParser::i64(const std::string& name) const {
  const std::string& v = flag(name).value;
  try {
    size_t used = 0;
    int64_t x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  fail(usage_, ": ", name, " expects an integer, got '", v, "'");
}

double ArgParser::f64(const std::string& name) const {
  const std::string& v = flag(name).value;
  try {
    size_t used = 0;
    double x = std::stod(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  fail(usage_, ": ", name, " expects a number, got '", v, "'");
}

bool ArgParser::on(const std::string& name) const {
  return flag(name).value == "1";
}
bool ArgParser::given(const std::string& name) const {
  return flag(name).given;
}

nlohmann::json ArgParser::json_object(const std::string& name) const {
  const std::string& v = flag(name).value;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(v);
  } catch (const nlohmann::json::exception&) {
    fail(usage_, ": ", name, " expects a JSON object, got '", v, "'");
  }
  if (!j.is_object()) fail(usage_, ": ", name, " expects a JSON object, got '", v, "'");
  return j;
}

const std::vector<std::string>& ArgParser::all(const std::string& name) const {
  return flag(name).values;
}

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: " << usage_ << "\n\n" << summary_ << "\n\n";
  if (!positional_name_.empty())
    out << "  " << positional_name_ << "\n      " << positional_help_ << "\n";
  for (const auto& name : order_) {
    const Flag& f = flags_.at(name);
    out << "  " << name;
    if (!f.is_switch) out << " " << f.value_name;
    out << "\n      " << f.help;
    if (f.required)
      out << " (required)";
    else if (!f.is_switch && !f.value.empty())
      out << " [default: " << f.value << "]";
    out << "\n";
  }
  return out.str();
}

}  // namespace r1
