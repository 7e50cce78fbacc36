// How a run works: posix_spawn sh, which joins the run's memory cgroup and
// execs setpriv (as root; it first drops to an unused uid), which execs bwrap
// (without a cgroup or root, those steps are left out); bwrap builds the namespaces, copies the
// files in, installs the seccomp filter and execs prlimit, which sets the rlimits and execs the
// program. r1 feeds nothing interactively (stdin is a memfd), reads stdout/stderr up to the cap,
// and on timeout or overflow kills the sandbox's pid-namespace init, whose death makes the kernel
// kill every process left in the sandbox. When bwrap dies before that init, the init is re-parented
// to r1 if r1 is PID 1 of its namespace (a container without an init) or a child subreaper: it is
// then reaped here through its pidfd.
//
// posix_spawn, not fork: fork copies the page tables of the whole trainer
// (measured here: 113 ms from a process with 2 GB resident, vs 2.5 ms).
#include "reward/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "reward/sandbox/memory_cgroup.h"
#include "reward/sandbox/seccomp.h"
#include "util/error.h"

namespace r1 {
namespace {

constexpr const char* kBwrap = "/usr/bin/bwrap";
constexpr const char* kPrlimit = "/usr/bin/prlimit";
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kShell = "/bin/sh";
constexpr int kPidfdIdType = 3;  // waitid's P_PIDFD (Linux 5.4), not in every libc's headers
// When r1 runs as root the sandbox must not: RLIMIT_NPROC is not enforced for
// uid 0, and root is one kernel bug away from the host. This uid owns no files
// and no other processes, so the sandbox can touch nothing as it.
constexpr uid_t kSandboxUid = 2000000000;
// The program's uid/gid inside its user namespace ("nobody").
constexpr const char* kInnerId = "65534";
// Fds the bwrap child receives; files to copy in follow from kFirstFileFd.
constexpr int kSeccompFd = 3, kStatusFd = 4, kFirstFileFd = 5;
constexpr size_t kReadChunk = 64 * 1024;
// /home is for dot-files programs insist on writing.
constexpr int64_t kHomeBytes = int64_t(1) << 20;
// Open files per process: each pipe or socket can hold kernel buffers.
constexpr int kMaxOpenFiles = 256;

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset(int f = -1) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

[[noreturn]] void fail_errno(const char* what) {
  fail("sandbox: ", what, ": ", strerror(errno));
}

// An anonymous in-memory file holding `data`, positioned at the start.
int memfd_with(const char* name, const std::string& data) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) fail_errno("memfd_create");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail_errno("writing a memfd");
    }
    done += n;
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

void check_installed() {
  static const bool installed = [] {
    if (access(kBwrap, X_OK) != 0) {
      fail("sandbox: ", kBwrap, " not found; code rewards need bubblewrap to run model-written ",
           "programs (install it: scripts/setup.sh, or apt-get install bubblewrap)");
    }
    for (const char* tool : {kPrlimit, kSetpriv}) {
      if (access(tool, X_OK) != 0) fail("sandbox: ", tool, " not found (util-linux)");
    }
    return true;
  }();
  (void)installed;
}

std::string limit_flag(const char* name, int64_t value) {
  return cat("--", name, "=", value);
}

std::vector<std::string> launch_argv(const SandboxSpec& spec, const std::string& out_dir,
                                     bool drop_root, const MemoryCgroup* cgroup) {
  const SandboxLimits& lim = spec.limits;
  std::vector<std::string> a;
  auto add = [&a](std::initializer_list<std::string> args) { a.insert(a.end(), args); };
  const std::string uid = std::to_string(kSandboxUid);
  // Joins the cgroup before exec, so that every process of the run starts in it.
  if (cgroup) add({kShell, "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup->procs_file()});
  if (drop_root) add({kSetpriv, "--reuid", uid, "--regid", uid, "--clear-groups", "--"});
  add({kBwrap});
  // Every namespace; --disable-userns stops the program nesting new ones;
  // --die-with-parent: neither bwrap nor the sandbox outlives r1.
  add({"--unshare-all", "--unshare-user", "--disable-userns", "--uid", kInnerId, "--gid", kInnerId,
       "--die-with-parent", "--new-session", "--hostname", "sandbox"});
  // Debian's merged /usr: everything a compiler or interpreter needs is under
  // it. No /etc (passwords, host config), no /home, /root, /work or /var.
  add({"--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin",
       "/sbin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"});
  // Every writable file system is a size-capped tmpfs; / and /dev (tmpfs
  // bwrap makes without a cap) are remounted read-only below.
  const std::string file_bytes = std::to_string(lim.max_file_bytes);
  add({"--proc", "/proc", "--dev", "/dev", "--size", file_bytes, "--tmpfs", "/dev/shm"});
  add({"--size", file_bytes, "--tmpfs", "/tmp"});
  add({"--size", std::to_string(kHomeBytes), "--tmpfs", "/home"});
  add({"--chdir", "/tmp", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME",
       "/home", "--setenv", "LANG", "C.UTF-8"});
  add({"--seccomp", std::to_string(kSeccompFd), "--json-status-fd", std::to_string(kStatusFd)});
  if (!out_dir.empty()) add({"--bind", out_dir, "/out"});
  for (size_t i = 0; i < spec.files.size(); ++i) {
    add({"--perms", spec.files[i].executable ? "0555" : "0444", "--ro-bind-data",
         std::to_string(kFirstFileFd + i), spec.files[i].path});
  }
  add({"--remount-ro", "/dev", "--remount-ro", "/"});
  // Set inside the sandbox (not before bwrap) so that RLIMIT_NPROC counts the
  // processes of this sandbox's user namespace, not every sandbox running.
  add({"--", kPrlimit, limit_flag("cpu", std::max<int64_t>(1, std::ceil(lim.cpu_seconds))),
       limit_flag("as", lim.memory_bytes), limit_flag("nproc", lim.max_processes),
       limit_flag("fsize", lim.max_file_bytes), limit_flag("nofile", kMaxOpenFiles),
       limit_flag("core", 0), "--"});
  a.insert(a.end(), spec.argv.begin(), spec.argv.end());
  return a;
}

// Starts `argv` with exactly `fds` as its fds 0..n-1 (nothing else: other
// runs' pipes stay out), default signal handling, in a new session so the
// whole process group can be killed at once.
pid_t spawn(const std::vector<std::string>& args, const std::vector<int>& fds) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int n = static_cast<int>(fds.size());
  // Copies numbered >= n, so no dup2 below overwrites a source it still needs.
  std::vector<std::unique_ptr<Fd>> high;
  for (int fd : fds) high.push_back(std::make_unique<Fd>(fcntl(fd, F_DUPFD_CLOEXEC, n)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < n; ++i) posix_spawn_file_actions_adddup2(&actions, high[i]->fd, i);
  posix_spawn_file_actions_addclosefrom_np(&actions, n);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);    // the trainer's blocked signals
  posix_spawnattr_setsigdefault(&attr, &all);  // and ignored ones (SIGPIPE) survive exec
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char* const envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) fail("sandbox: cannot start ", argv[0], ": ", strerror(rc));
  return pid;
}

std::string read_output_file(const std::string& dir, const std::string& name, int64_t max_bytes) {
  // The program controls this directory: do not follow a symlink it planted,
  // nor block on a fifo, nor read a device.
  Fd fd(::open((dir + "/" + name).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max_bytes) {
    return {};
  }
  std::string data(st.st_size, '\0');
  ssize_t n = pread(fd.fd, data.data(), data.size(), 0);
  data.resize(n > 0 ? n : 0);
  return data;
}

// A per-run scratch directory on the host, bound to /out, writable only by the sandbox uid.
struct ScratchDir {
  std::string path;
  ScratchDir(bool needed, bool drop_root) {
    if (!needed) return;
    char tmpl[] = "/tmp/r1-sandbox-XXXXXX";
    if (!mkdtemp(tmpl)) fail_errno("mkdtemp /tmp/r1-sandbox-XXXXXX");
    path = tmpl;
    if (drop_root && chown(tmpl, kSandboxUid, kSandboxUid) != 0) fail_errno("chown scratch dir");
  }
  ~ScratchDir() {
    std::error_code ec;  // remove_all does not follow symlinks the program left
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// The sandbox's init is bwrap's child, but when bwrap dies first (killed on
// timeout, or exiting as its child does) the init is re-parented to the
// nearest subreaper or the namespace's PID 1, which may be r1: then it is our
// zombie to reap. The pidfd names exactly that process (no pid reuse race);
// for a process that is not our child waitid fails with ECHILD, harmlessly.
void reap_if_orphaned(int init_pidfd) {
  if (init_pidfd < 0) return;
  pollfd p = {init_pidfd, POLLIN, 0};  // readable once it has exited
  if (poll(&p, 1, 1000) <= 0) return;
  siginfo_t info;
  while (waitid(static_cast<idtype_t>(kPidfdIdType), static_cast<id_t>(init_pidfd), &info,
                WEXITED | WNOHANG) < 0 &&
         errno == EINTR) {
  }
}

void validate(const SandboxSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    fail("sandbox: argv[0] must be an absolute path inside the sandbox");
  }
  if (spec.files.size() > 32) fail("sandbox: at most 32 files, got ", spec.files.size());
  for (const auto& f : spec.files) {
    if (f.path.empty() || f.path[0] != '/')
      fail("sandbox: file path '", f.path, "' is not absolute");
  }
  for (const auto& name : spec.output_files) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      fail("sandbox: output file '", name, "' must be a plain file name");
    }
  }
}

}  // namespace

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kExited:
      return "exited";
    case RunStatus::kTimedOut:
      return "timed out";
    case RunStatus::kOutputLimit:
      return "output limit";
    case RunStatus::kMemoryLimit:
      return "memory limit";
  }
  return "?";
}

std::string sandbox_memory_cgroup() {
  return memory_cgroup_description();
}

RunResult run_sandboxed(const SandboxSpec& spec) {
  validate(spec);
  check_installed();
  const bool drop_root = geteuid() == 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(spec.limits.wall_seconds));

  ScratchDir scratch(!spec.output_files.empty(), drop_root);
  const std::unique_ptr<MemoryCgroup> cgroup = MemoryCgroup::create(spec.limits.memory_bytes);

  // Everything is O_CLOEXEC: a concurrent run's fork must not inherit our pipes.
  int out_pipe[2], err_pipe[2], status_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) fail_errno("pipe2");
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) fail_errno("pipe2");
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  if (pipe2(status_pipe, O_CLOEXEC) != 0) fail_errno("pipe2");
  Fd status_r(status_pipe[0]), status_w(status_pipe[1]);
  Fd stdin_fd(memfd_with("r1-stdin", spec.stdin_data));
  Fd seccomp_fd(memfd_with("r1-seccomp", seccomp_bpf_program(/*deny_uncharged_memory=*/!cgroup)));
  std::vector<std::unique_ptr<Fd>> file_fds;
  for (const auto& f : spec.files)
    file_fds.push_back(std::make_unique<Fd>(memfd_with("r1-file", f.data)));

  std::vector<int> child_fds = {stdin_fd.fd, out_w.fd, err_w.fd, seccomp_fd.fd, status_w.fd};
  for (const auto& f : file_fds) child_fds.push_back(f->fd);

  const pid_t child = spawn(launch_argv(spec, scratch.path, drop_root, cgroup.get()), child_fds);
  Fd child_pidfd(static_cast<int>(syscall(SYS_pidfd_open, child, 0)));
  if (child_pidfd.fd < 0) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    fail_errno("pidfd_open (Linux 5.3 or newer is needed)");
  }
  out_w.reset();
  err_w.reset();
  status_w.reset();
  stdin_fd.reset();
  seccomp_fd.reset();
  file_fds.clear();

  RunResult result;
  std::string status_text;
  Fd init_pidfd;  // the sandbox's pid-namespace init, once bwrap reports it
  bool out_open = true, err_open = true, status_open = true, exited = false;
  bool kill_it = false;
  int poll_errno = 0;  // reported only once the sandbox is dead and reaped

  auto read_into = [&](Fd& fd, std::string& buf, bool& open, int64_t cap) {
    char chunk[kReadChunk];
    ssize_t n = ::read(fd.fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      open = false;
      return;
    }
    int64_t room = cap - static_cast<int64_t>(buf.size());
    buf.append(chunk, std::min<int64_t>(n, room));
    if (n > room) {
      result.status = RunStatus::kOutputLimit;
      kill_it = true;
    }
  };

  while ((out_open || err_open || status_open || !exited) && !kill_it) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.status = RunStatus::kTimedOut;
      kill_it = true;
      break;
    }
    pollfd fds[4];
    int nfds = 0;
    auto watch = [&](bool open, int fd) {
      fds[nfds] = {open ? fd : -1, POLLIN, 0};
      ++nfds;
    };
    watch(out_open, out_r.fd);
    watch(err_open, err_r.fd);
    watch(status_open, status_r.fd);
    watch(!exited, child_pidfd.fd);
    int rc = poll(fds, nfds, static_cast<int>(std::min<int64_t>(left.count() + 1, 1000)));
    if (rc < 0 && errno != EINTR) {
      poll_errno = errno;
      kill_it = true;
      break;
    }
    if (rc <= 0) continue;
    if (fds[0].revents) read_into(out_r, result.out, out_open, spec.limits.max_output_bytes);
    if (fds[1].revents) read_into(err_r, result.err, err_open, spec.limits.max_output_bytes);
    if (fds[2].revents) {
      size_t before = status_text.size();
      read_into(status_r, status_text, status_open, int64_t(1) << 16);
      if (init_pidfd.fd < 0 && status_text.find('\n', before) != std::string::npos) {
        auto line = status_text.substr(0, status_text.find('\n'));
        auto json = nlohmann::json::parse(line, nullptr, false);
        if (json.is_object() && json.contains("child-pid") &&
            json["child-pid"].is_number_integer()) {
          init_pidfd.reset(
              static_cast<int>(syscall(SYS_pidfd_open, json["child-pid"].get<int>(), 0)));
        }
      }
    }
    if (fds[3].revents) exited = true;
  }

  if (kill_it) {
    // The init first: its death kills everything in the namespace, and its
    // pidfd turns readable only once they are gone. Then bwrap itself.
    if (init_pidfd.fd >= 0) syscall(SYS_pidfd_send_signal, init_pidfd.fd, SIGKILL, nullptr, 0);
    kill(-child, SIGKILL);
    if (init_pidfd.fd >= 0) {
      pollfd p = {init_pidfd.fd, POLLIN, 0};
      poll(&p, 1, 5000);
    }
  }
  int wstatus = 0;
  while (waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
  }
  reap_if_orphaned(init_pidfd.fd);
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (poll_errno != 0) fail("sandbox: poll failed: ", strerror(poll_errno));
  if (result.status == RunStatus::kExited) {
    result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  }
  if (cgroup) {
    result.peak_memory_bytes = cgroup->peak_bytes();
    if (cgroup->oom_kills() > 0 && result.status == RunStatus::kExited) {
      result.status = RunStatus::kMemoryLimit;
    }
  }

  // bwrap reports the init's pid once the namespaces exist; without it, the
  // sandbox never started and the program never ran.
  if (!kill_it && status_text.find("child-pid") == std::string::npos) {
    std::string why = result.err.substr(0, 500);
    while (!why.empty() && isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
    fail("sandbox: setpriv/bubblewrap could not create the sandbox (", why,
         "). Model-written code is only ever run sandboxed; this machine must allow user ",
         "namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone = 1 ",
         "where it exists, and a container runtime that permits them).");
  }
  for (const auto& name : spec.output_files) {
    std::string data = read_output_file(scratch.path, name, spec.limits.max_file_bytes);
    if (!data.empty()) result.outputs[name] = std::move(data);
  }
  return result;
}

}  // namespace r1
