#include "util/io.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "util/error.h"

namespace r1 {

std::string digits_with_commas(uint64_t magnitude, bool negative) {
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string read_file(const std::string& path) {
  if (path.empty()) fail("a file name is empty (\"\")");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) fail(path, ": read error");
  return buf.str();
}

std::shared_ptr<std::istream> open_input(const std::string& path) {
  if (path == "-") return std::shared_ptr<std::istream>(&std::cin, [](std::istream*) {});
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
  if (!*in) fail(path, ": cannot open for reading");
  return in;
}

std::shared_ptr<std::ostream> open_output(const std::string& path) {
  if (path == "-") return std::shared_ptr<std::ostream>(&std::cout, [](std::ostream*) {});
  auto out = std::make_shared<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*out) fail(path, ": cannot open for writing");
  return out;
}

void for_each_line(std::istream& in, const std::function<void(int64_t, const std::string&)>& fn) {
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    fn(number, line);
  }
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace r1
