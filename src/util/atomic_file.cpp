#include "util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "util/error.h"

namespace fs = std::filesystem;

namespace r1 {

static void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(tmp, ": cannot create: ", std::strerror(errno));
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(tmp, ": write failed: ", std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail(tmp, ": fsync/close failed: ", std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(path, ": rename from temp file failed: ", std::strerror(err));
  }
  fsync_path(fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string());
}

std::string make_staging_dir(const std::string& final_dir) {
  std::string staging = final_dir + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(staging, ec);
  make_dirs(staging);
  return staging;
}

void publish_dir_atomic(const std::string& staging_dir, const std::string& final_dir) {
  std::error_code ec;
  std::string old = final_dir + ".old-" + std::to_string(::getpid());
  bool had_old = fs::exists(final_dir);
  if (had_old) {
    fs::remove_all(old, ec);
    fs::rename(final_dir, old, ec);
    if (ec) fail(final_dir, ": cannot move aside to replace it: ", ec.message());
  }
  fs::rename(staging_dir, final_dir, ec);
  if (ec) {
    if (had_old) fs::rename(old, final_dir, ec);
    fail(final_dir, ": cannot rename staging directory into place: ", ec.message());
  }
  fsync_path(
      fs::path(final_dir).parent_path().empty() ? "." : fs::path(final_dir).parent_path().string());
  if (had_old) fs::remove_all(old, ec);
}

void remove_stale_staging(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path());
  for (const auto& path : entries) {
    const std::string name = path.filename().string();
    for (const char* mark : {".tmp-", ".old-"}) {
      const auto at = name.rfind(mark);
      if (at == std::string::npos || at == 0) continue;
      const std::string suffix = name.substr(at + 5);
      if (suffix.empty() || suffix.find_first_not_of("0123456789") != std::string::npos) continue;
      const fs::path final_dir = path.parent_path() / name.substr(0, at);
      if (std::string(mark) == ".old-" && !fs::exists(final_dir, ec))
        fs::rename(path, final_dir, ec);
      else
        fs::remove_all(path, ec);
    }
  }
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) fail(path, ": cannot create directory: ", ec.message());
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace r1
