// See memory_cgroup.h. Layout: one directory per run, r1-sandbox-<pid>-<n>,
// directly under r1's own cgroup of the chosen hierarchy (so any limit on r1
// also bounds its sandboxes).
#include "reward/sandbox/memory_cgroup.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "util/error.h"

namespace r1 {
namespace {

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has_word(const std::string& list, const std::string& word, char sep) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, sep)) {
    while (!item.empty() && isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    if (item == word) return true;
  }
  return false;
}

// "key N" from a flat-keyed file (memory.events, memory.oom_control); -1 if absent.
int64_t keyed_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  int64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return -1;
}

struct Hierarchy {
  int version = 0;   // 0: none
  std::string base;  // r1's own cgroup directory in it
  std::string why_not;
};

// r1's cgroup paths from /proc/self/cgroup: the v2 path and the v1 memory path.
void own_paths(std::string& v2, std::string& v1_memory) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string id = line.substr(0, a), controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (id == "0" && controllers.empty()) v2 = path;
    if (has_word(controllers, "memory", ',')) v1_memory = path;
  }
}

// The directory for cgroup `path` under a mount of the hierarchy whose root is
// `root` (a container sees its own cgroup as the mount's root).
std::string under_mount(const std::string& mount, const std::string& root,
                        const std::string& path) {
  std::string rel = path;
  if (root != "/" && rel.compare(0, root.size(), root) == 0) rel = rel.substr(root.size());
  std::string dir = mount + (rel == "/" ? "" : rel);
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? dir : mount;
}

// Makes and removes one cgroup under `base` to see that r1 may.
std::string try_create(const Hierarchy& h) {
  std::string dir = cat(h.base, "/r1-sandbox-", getpid(), "-probe");
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return cat("cannot create a cgroup under ", h.base, ": ", strerror(errno));
  }
  std::string limit_file = h.version == 2 ? "/memory.max" : "/memory.limit_in_bytes";
  bool ok = write_file(dir + limit_file, "67108864");
  std::string why = ok ? "" : cat("cannot write ", dir, limit_file);
  rmdir(dir.c_str());
  return why;
}

// Directories of runs whose r1 was killed (SIGKILL leaves no time to clean
// up); rmdir only removes a cgroup without processes.
void remove_stale(const std::string& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind("r1-sandbox-", 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + 11, nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      rmdir(entry.path().c_str());
    }
  }
}

Hierarchy detect() {
  if (const char* off = getenv("R1_SANDBOX_NO_CGROUP"); off && *off && std::string(off) != "0") {
    return {0, "", "R1_SANDBOX_NO_CGROUP is set"};
  }
  std::string v2_path, v1_path;
  own_paths(v2_path, v1_path);
  std::string v2_mount, v2_root, v1_mount, v1_root;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::stringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, dev, root, mount, fstype, source, options;
    pre >> id >> parent >> dev >> root >> mount;
    post >> fstype >> source >> options;
    if (fstype == "cgroup2" && v2_mount.empty()) {
      v2_mount = mount;
      v2_root = root;
    } else if (fstype == "cgroup" && has_word(options, "memory", ',') && v1_mount.empty()) {
      v1_mount = mount;
      v1_root = root;
    }
  }
  std::vector<std::string> reasons;
  if (!v2_mount.empty() && !v2_path.empty()) {
    Hierarchy h{2, under_mount(v2_mount, v2_root, v2_path), ""};
    if (!has_word(read_file(h.base + "/cgroup.controllers"), "memory", ' ')) {
      reasons.push_back(cat("cgroup v2 at ", h.base, " has no memory controller"));
    } else if (!has_word(read_file(h.base + "/cgroup.subtree_control"), "memory", ' ') &&
               !write_file(h.base + "/cgroup.subtree_control", "+memory")) {
      reasons.push_back(cat("cannot enable the memory controller for children of ", h.base,
                            " (r1's cgroup must be delegated to r1 and hold no other process)"));
    } else if (std::string why = try_create(h); !why.empty()) {
      reasons.push_back(why);
    } else {
      return h;
    }
  }
  if (!v1_mount.empty()) {
    Hierarchy h{1, under_mount(v1_mount, v1_root, v1_path.empty() ? "/" : v1_path), ""};
    if (std::string why = try_create(h); !why.empty()) {
      reasons.push_back(why);
    } else {
      return h;
    }
  }
  if (reasons.empty()) reasons.push_back("no cgroup file system with the memory controller");
  Hierarchy none;
  for (const auto& r : reasons) none.why_not += (none.why_not.empty() ? "" : "; ") + r;
  return none;
}

const Hierarchy& hierarchy() {
  static const Hierarchy h = [] {
    Hierarchy found = detect();
    if (found.version != 0) remove_stale(found.base);
    if (found.version == 0) {
      std::cerr << "r1: sandbox: no memory cgroup (" << found.why_not
                << "); each sandboxed process is held to its address-space limit and every "
                   "file system to its size, memfd_create and SysV shared memory are refused, "
                   "but the run's total memory is not capped (see docs/hardening.md)\n";
    }
    return found;
  }();
  return h;
}

}  // namespace

std::string memory_cgroup_description() {
  const Hierarchy& h = hierarchy();
  return h.version == 0 ? "" : cat("cgroup v", h.version, " at ", h.base);
}

std::string memory_cgroup_unavailable_reason() {
  return hierarchy().why_not;
}

MemoryCgroup::MemoryCgroup(int version, std::string dir)
    : version_(version), dir_(std::move(dir)), procs_file_(dir_ + "/cgroup.procs") {}

std::unique_ptr<MemoryCgroup> MemoryCgroup::create(int64_t bytes) {
  const Hierarchy& h = hierarchy();
  if (h.version == 0) return nullptr;
  static std::atomic<int64_t> counter{0};
  std::string dir = cat(h.base, "/r1-sandbox-", getpid(), "-", counter++);
  if (mkdir(dir.c_str(), 0755) != 0) {
    fail("sandbox: cannot create the memory cgroup ", dir, ": ", strerror(errno));
  }
  std::unique_ptr<MemoryCgroup> cg(new MemoryCgroup(h.version, dir));
  const std::string limit = std::to_string(bytes);
  bool ok;
  if (h.version == 2) {
    ok = write_file(dir + "/memory.max", limit);
    write_file(dir + "/memory.swap.max", "0");   // absent without swap accounting
    write_file(dir + "/memory.oom.group", "1");  // one OOM kill ends the whole run
  } else {
    ok = write_file(dir + "/memory.limit_in_bytes", limit);
    write_file(dir + "/memory.memsw.limit_in_bytes", limit);  // absent without swap accounting
  }
  if (!ok) fail("sandbox: cannot set the memory limit of cgroup ", dir);
  return cg;
}

MemoryCgroup::~MemoryCgroup() {
  // Processes leave the cgroup as they exit; the last ones of a killed run
  // may take a moment.
  for (int i = 0; i < 200; ++i) {
    if (rmdir(dir_.c_str()) == 0 || errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::cerr << "r1: sandbox: could not remove cgroup " << dir_ << " (still busy)\n";
}

int64_t MemoryCgroup::oom_kills() const {
  int64_t n = version_ == 2 ? keyed_value(dir_ + "/memory.events", "oom_kill")
                            : keyed_value(dir_ + "/memory.oom_control", "oom_kill");
  return n < 0 ? 0 : n;
}

int64_t MemoryCgroup::peak_bytes() const {
  std::ifstream in(dir_ + (version_ == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes"));
  int64_t v = -1;
  in >> v;
  return in ? v : -1;
}

}  // namespace r1
