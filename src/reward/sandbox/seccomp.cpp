#include "reward/sandbox/seccomp.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include "util/error.h"

namespace r1 {
namespace {

// Debugging other processes, mounting, new namespaces, kernel keyrings, BPF,
// perf, userfaultfd (a classic exploit helper), io_uring (a long CVE list),
// file handles (open_by_handle_at was the original container escape), modules,
// and host-wide settings. No test program or compiler needs any of them.
const char* const kBlocked[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_by_handle_at",
    "name_to_handle_at",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "vhangup",
    "uselib",
    "fanotify_init",
    "lookup_dcookie",
};

const uint64_t kNamespaceFlags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
                                    CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP};

void check(int rc, const char* what) {
  if (rc < 0) fail("sandbox: libseccomp ", what, " failed: error ", -rc);
}

// Memory outside RLIMIT_AS: a memfd or a SysV segment keeps its pages after
// being unmapped (or without ever being mapped: write() into a memfd).
const char* const kUnchargedMemory[] = {"memfd_create", "memfd_secret", "shmget"};

std::string build(bool deny_uncharged_memory) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ALLOW),
                                                       seccomp_release);
  if (!ctx) fail("sandbox: seccomp_init failed");
  for (const char* name : kBlocked) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0), name);
  }
  for (const char* name : kUnchargedMemory) {
    int nr = seccomp_syscall_resolve_name(name);
    if (!deny_uncharged_memory || nr == __NR_SCMP_ERROR) continue;
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0), name);
  }
  // clone3 passes its flags in memory, out of the filter's reach.
  check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3");
  for (uint64_t flag : kNamespaceFlags) {
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
          "clone");
  }
  // Pushing characters into the controlling terminal's input (bwrap
  // --new-session also prevents it; this is the belt to those braces).
  check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI)),
        "ioctl");

  int fd = memfd_create("r1-seccomp", MFD_CLOEXEC);
  if (fd < 0) fail("sandbox: memfd_create failed: errno ", errno);
  int rc = seccomp_export_bpf(ctx.get(), fd);
  std::string program;
  if (rc == 0) {
    off_t size = lseek(fd, 0, SEEK_END);
    program.resize(size > 0 ? size : 0);
    if (pread(fd, program.data(), program.size(), 0) != static_cast<ssize_t>(program.size())) {
      rc = -EIO;
    }
  }
  close(fd);
  check(rc, "export");
  return program;
}

}  // namespace

const std::string& seccomp_bpf_program(bool deny_uncharged_memory) {
  static const std::string with_cgroup = build(false);
  static const std::string without_cgroup = build(true);
  return deny_uncharged_memory ? without_cgroup : with_cgroup;
}

}  // namespace r1
