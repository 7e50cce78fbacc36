// The seccomp filter bwrap installs on the sandboxed program (bwrap --seccomp
// takes a compiled BPF program). Namespaces already hide the host; the filter
// closes the kernel interfaces that have been used to break out of them.
#pragma once

#include <string>

namespace r1 {

// The compiled BPF program (built once with libseccomp, then cached). Blocked
// calls fail with EPERM (clone3 with ENOSYS, so libc falls back to clone,
// whose namespace flags can be checked); other architectures' ABIs are killed.
// `deny_uncharged_memory`: also refuse memfd_create, memfd_secret and SysV
// shmget (EPERM), whose memory no per-process limit bounds; for runs without
// a memory cgroup, which charges it to the run.
const std::string& seccomp_bpf_program(bool deny_uncharged_memory);

}  // namespace r1
