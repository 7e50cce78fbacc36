// The sandbox escape suite: each test is a hostile program that must be
// contained (reported as a failed run, or its attempt failing inside), with
// the host checked afterwards. Then the code reward built on it. Limits are
// short so the whole file runs in seconds. Without user namespaces every test
// fails with run_sandboxed's message saying so; nothing is skipped.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "reward/code_reward.h"
#include "reward/sandbox/memory_cgroup.h"
#include "reward/sandbox/sandbox.h"
#include "util/error.h"

namespace r1 {
namespace {

SandboxLimits fast_limits() {
  SandboxLimits lim;
  lim.cpu_seconds = 1;
  lim.wall_seconds = 3;
  lim.memory_bytes = int64_t(256) << 20;
  lim.max_processes = 16;
  lim.max_output_bytes = int64_t(64) << 10;
  return lim;
}

// A random marker to find on the host afterwards (files, process command lines).
std::string make_token() {
  std::random_device rd;
  return cat("r1escape", rd(), rd());
}

RunResult run_python(const std::string& code, const SandboxLimits& lim = fast_limits(),
                     const std::vector<std::string>& args = {}) {
  SandboxSpec spec;
  spec.argv = {"/usr/bin/python3", "-I", "/box/main.py"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.files = {{"/box/main.py", code, false}};
  spec.limits = lim;
  return run_sandboxed(spec);
}

// Host processes whose command line contains `token` (NULs read as spaces).
int host_processes_with(const std::string& token) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(token) != std::string::npos) ++found;
  }
  return found;
}

TEST(Sandbox, RunsAProgram) {
  SandboxSpec spec;
  spec.argv = {"/usr/bin/python3", "-I", "-c",
               "import sys; print(sum(map(int, sys.stdin.read().split())))"};
  spec.stdin_data = "1 2 3\n";
  spec.limits = fast_limits();
  RunResult r = run_sandboxed(spec);
  EXPECT_TRUE(r.ok()) << to_string(r.status) << " " << r.exit_code << " " << r.err;
  EXPECT_EQ(r.out, "6\n");
}

TEST(Sandbox, ReportsExitCodeAndStderr) {
  RunResult r = run_python("import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)\n");
  EXPECT_EQ(r.status, RunStatus::kExited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "oops\n");
}

TEST(Sandbox, RunsAsNobodyAndSeesOnlyItsOwnProcesses) {
  RunResult r = run_python(
      "import os\n"
      "print(os.getuid(), os.getgid())\n"
      "print(len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
      "print(sorted(os.listdir('/')))\n");
  ASSERT_TRUE(r.ok()) << r.err;
  std::istringstream in(r.out);
  std::string ids, procs, root;
  std::getline(in, ids);
  std::getline(in, procs);
  std::getline(in, root);
  EXPECT_EQ(ids, "65534 65534");
  EXPECT_LE(std::stoi(procs), 3) << "bwrap's init, the program and nothing of the host";
  EXPECT_EQ(root.find("etc"), std::string::npos) << root;
  EXPECT_EQ(root.find("root"), std::string::npos) << root;
}

TEST(SandboxEscape, NetworkConnectFails) {
  // A listener on the host's loopback: the sandbox must not reach it.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  RunResult r =
      run_python(cat("import socket\n"
                     "for host, port in [('127.0.0.1', ",
                     port,
                     "), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
                     "    try:\n"
                     "        socket.create_connection((host, port), timeout=0.5)\n"
                     "        print('CONNECTED', host)\n"
                     "    except OSError as e:\n"
                     "        print('blocked', host, e.errno)\n"));
  EXPECT_EQ(r.out.find("CONNECTED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("blocked 1.1.1.1"), std::string::npos) << r.out << r.err;
  EXPECT_LT(accept(listener, nullptr, nullptr), 0) << "the host listener got a connection";
  close(listener);
}

TEST(SandboxEscape, WritesOutsideDoNotReachTheHost) {
  const std::string token = make_token();
  const std::string home = getenv("HOME") ? getenv("HOME") : "/root";
  const std::vector<std::string> targets = {"/tmp/" + token,
                                            std::string(R1_SOURCE_DIR) + "/" + token,
                                            home + "/" + token, "/usr/" + token, "/" + token};
  std::string code = "paths = [";
  for (const auto& t : targets) code += "'" + t + "', ";
  code +=
      "]\n"
      "for p in paths:\n"
      "    try:\n"
      "        open(p, 'w').write('escaped')\n"
      "        print('wrote', p)\n"
      "    except OSError as e:\n"
      "        print('blocked', p, e.errno)\n";
  RunResult r = run_python(code);
  EXPECT_TRUE(r.ok()) << r.err;
  for (const auto& t : targets) {
    EXPECT_FALSE(std::filesystem::exists(t)) << t << " was created on the host";
    std::error_code ec;
    std::filesystem::remove(t, ec);
  }
  // The /usr bind is read-only: the one host directory the sandbox sees.
  EXPECT_NE(r.out.find("blocked /usr/"), std::string::npos) << r.out;
}

TEST(SandboxEscape, CannotReadHostSecretsOrFiles) {
  ASSERT_TRUE(std::filesystem::exists("/etc/shadow")) << "the host has /etc/shadow to protect";
  const std::string home = getenv("HOME") ? getenv("HOME") : "/root";
  const std::vector<std::string> targets = {
      "/etc/shadow",     "/etc/passwd", home,
      home + "/.bashrc", R1_SOURCE_DIR, std::string(R1_SOURCE_DIR) + "/CMakeLists.txt"};
  std::string code = "import os\npaths = [";
  for (const auto& t : targets) code += "'" + t + "', ";
  code +=
      "]\n"
      "for p in paths:\n"
      "    try:\n"
      "        print('READ', p, os.listdir(p) if os.path.isdir(p) else len(open(p).read()))\n"
      "    except OSError as e:\n"
      "        print('blocked', p, e.errno)\n";
  RunResult r = run_python(code);
  EXPECT_TRUE(r.ok()) << r.err;
  // /home exists in the sandbox as an empty tmpfs: listing it shows nothing of the host.
  for (const auto& line : {std::string("READ /etc"), std::string("READ ") + R1_SOURCE_DIR}) {
    EXPECT_EQ(r.out.find(line), std::string::npos) << r.out;
  }
  if (home != "/home") {
    EXPECT_EQ(r.out.find("READ " + home), std::string::npos) << r.out;
  }
}

TEST(SandboxEscape, ForkBombIsContained) {
  const std::string token = make_token();
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_python(
      "import os\n"
      "while True:\n"
      "    try:\n"
      "        os.fork()\n"
      "    except OSError:\n"
      "        pass\n",
      fast_limits(), {token});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(r.ok());
  EXPECT_LT(seconds, 6.0);
  EXPECT_EQ(host_processes_with(token), 0) << "fork bomb processes survived the run";
}

TEST(SandboxEscape, ProcessLimitHolds) {
  // Even as root on the host (where RLIMIT_NPROC is not enforced for uid 0).
  RunResult r = run_python(
      "import os, time\n"
      "n = 0\n"
      "try:\n"
      "    for _ in range(200):\n"
      "        if os.fork() == 0:\n"
      "            time.sleep(30)\n"
      "            os._exit(0)\n"
      "        n += 1\n"
      "except OSError:\n"
      "    pass\n"
      "print(n, flush=True)\n"
      "os._exit(0)\n");
  ASSERT_EQ(r.status, RunStatus::kExited) << r.err;
  EXPECT_LT(std::stoi(r.out), fast_limits().max_processes) << r.out;
}

TEST(SandboxEscape, MemoryBombFails) {
  RunResult r = run_python(
      "chunks = []\n"
      "while True:\n"
      "    chunks.append(bytearray(64 << 20))\n");
  EXPECT_EQ(r.status, RunStatus::kExited);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("MemoryError"), std::string::npos) << r.err;
}

TEST(SandboxEscape, InfiniteLoopHitsTheCpuLimit) {
  RunResult r = run_python("while True:\n    pass\n");
  EXPECT_FALSE(r.ok());
  EXPECT_LT(r.wall_seconds, fast_limits().wall_seconds + 1.0);
}

TEST(SandboxEscape, SleepingForeverHitsTheWallClock) {
  SandboxLimits lim = fast_limits();
  lim.wall_seconds = 1;
  RunResult r = run_python("import time\ntime.sleep(1000)\n", lim);
  EXPECT_EQ(r.status, RunStatus::kTimedOut);
  EXPECT_LT(r.wall_seconds, 2.0);
}

TEST(SandboxEscape, GigabyteOfOutputIsCutAtTheCap) {
  RunResult r = run_python(
      "import sys\n"
      "chunk = 'x' * (1 << 20)\n"
      "for _ in range(1024):\n"
      "    sys.stdout.write(chunk)\n");
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_EQ(static_cast<int64_t>(r.out.size()), fast_limits().max_output_bytes);
  EXPECT_LT(r.wall_seconds, 2.0);
}

TEST(SandboxEscape, BackgroundProcessDoesNotOutliveTheRun) {
  const std::string token = make_token();
  // Double fork + setsid: the classic daemon, detached from the program.
  RunResult r = run_python(
      "import os, sys, time\n"
      "if os.fork() == 0:\n"
      "    os.setsid()\n"
      "    if os.fork() == 0:\n"
      "        os.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(1000)', "
      "sys.argv[1]])\n"
      "    os._exit(0)\n"
      "time.sleep(0.2)\n"
      "print('parent exits')\n",
      fast_limits(), {token});
  EXPECT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(host_processes_with(token), 0) << "a background process outlived the sandbox";
}

TEST(SandboxEscape, BackgroundProcessDiesWithATimedOutRun) {
  const std::string token = make_token();
  SandboxLimits lim = fast_limits();
  lim.wall_seconds = 1;
  RunResult r = run_python(
      "import os, sys, time\n"
      "if os.fork() == 0:\n"
      "    os.setsid()\n"
      "    os.execv('/usr/bin/sleep', ['sleep', '1000'])\n"
      "os.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(1000)', "
      "sys.argv[1]])\n",
      lim, {token});
  EXPECT_EQ(r.status, RunStatus::kTimedOut);
  EXPECT_EQ(host_processes_with(token), 0);
}

TEST(SandboxEscape, SandboxDiesWithR1) {
  // A trainer killed mid-run (OOM killer, Ctrl-C) must not leave sandboxes behind.
  const std::string token = make_token();
  pid_t trainer = fork();
  if (trainer == 0) {
    SandboxLimits lim = fast_limits();
    lim.wall_seconds = 30;
    run_python("import time\ntime.sleep(1000)\n", lim, {token});
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_GE(host_processes_with(token), 1) << "the sandbox should be running by now";
  kill(trainer, SIGKILL);
  waitpid(trainer, nullptr, 0);
  int left = 0;
  for (int i = 0; i < 50 && (left = host_processes_with(token)) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(left, 0) << "sandbox processes outlived r1";
}

TEST(SandboxEscape, DangerousSyscallsAreBlocked) {
  RunResult r = run_python(
      "import ctypes, os\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "def attempt(name, rc):\n"
      "    print(name, 'ALLOWED' if rc == 0 else os.strerror(ctypes.get_errno()))\n"
      "attempt('ptrace', libc.ptrace(0, 0, 0, 0))\n"    // PTRACE_TRACEME
      "attempt('unshare', libc.unshare(0x10000000))\n"  // CLONE_NEWUSER
      "attempt('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
      "attempt('keyctl', libc.syscall(250, 0, 0, 0, 0, 0))\n"  // keyctl(GET_KEYRING_ID)
      "attempt('bpf', libc.syscall(321, 0, 0, 0))\n");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out.find("ALLOWED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ptrace Operation not permitted"), std::string::npos) << r.out;
}

// Sandbox memory (issue #17 item 6): every writable file system is a capped
// tmpfs and the run's total memory is one cgroup's, so a program filling any
// of them stops at the configured limit. The programs print how much they
// hold after each MiB, so the test sees how far they got before the stop.
SandboxLimits memory_limits() {
  SandboxLimits lim = fast_limits();
  lim.cpu_seconds = 5;
  lim.wall_seconds = 20;
  lim.memory_bytes = int64_t(128) << 20;
  lim.max_file_bytes = int64_t(16) << 20;
  return lim;
}

// The last "held N" line of the program's output (0 if none).
int64_t last_held(const std::string& out) {
  int64_t held = 0;
  size_t at = 0;
  while ((at = out.find("held ", at)) != std::string::npos) {
    held = std::stoll(out.substr(at + 5));
    at += 5;
  }
  return held;
}

// Fills directory argv[1] with 4 MiB files (each under RLIMIT_FSIZE, so only
// the file system's size can stop it), up to 512 MiB.
const char* const kFillDirectory =
    "import os, sys\n"
    "chunk = b'x' * (1 << 20)\n"
    "held = 0\n"
    "try:\n"
    "    for i in range(128):\n"
    "        with open(os.path.join(sys.argv[1], f'fill{i}'), 'wb', buffering=0) as f:\n"
    "            for _ in range(4):\n"
    "                f.write(chunk)\n"
    "                held += len(chunk)\n"
    "                print('held', held, flush=True)\n"
    "except OSError as e:\n"
    "    print('stopped', e.errno, flush=True)\n";

TEST(SandboxMemory, WritableFileSystemsAreCapped) {
  const SandboxLimits lim = memory_limits();
  struct Case {
    std::string dir;
    int64_t cap;  // bytes a program may hold there; 0: read-only
  };
  const std::vector<Case> cases = {{"/", 0},
                                   {"/dev", 0},
                                   {"/dev/shm", lim.max_file_bytes},
                                   {"/tmp", lim.max_file_bytes},
                                   {".", lim.max_file_bytes},  // the working directory
                                   {"/home", int64_t(1) << 20}};
  for (const auto& c : cases) {
    RunResult r = run_python(kFillDirectory, lim, {c.dir});
    ASSERT_TRUE(r.ok()) << c.dir << ": " << to_string(r.status) << " " << r.err;
    const int64_t held = last_held(r.out);
    std::cout << c.dir << ": held " << held << " bytes, then "
              << r.out.substr(r.out.rfind("stopped"));
    EXPECT_LE(held, c.cap) << c.dir;
    // Read-only: EROFS at once; capped: ENOSPC within the last MiB of the cap.
    EXPECT_NE(r.out.find(c.cap == 0 ? "stopped 30" : "stopped 28"), std::string::npos)
        << c.dir << ": " << r.out.substr(r.out.size() > 200 ? r.out.size() - 200 : 0);
    if (c.cap > 0) {
      EXPECT_GE(held, c.cap - (int64_t(2) << 20)) << c.dir;
    }
  }
}

// Memory no RLIMIT_AS bounds: a memfd written to (never mapped) and SysV
// segments attached, filled and detached. With a memory cgroup the run is
// killed at memory_bytes; without one both calls are refused.
TEST(SandboxMemory, MemfdAndSharedMemoryAreBounded) {
  const SandboxLimits lim = memory_limits();
  const std::vector<std::string> programs = {
      // A new memfd every 4 MiB: each one alone is held to RLIMIT_FSIZE.
      "import os\n"
      "chunk = b'x' * (1 << 20)\n"
      "fds, held = [], 0\n"
      "while held < (1 << 30):\n"
      "    if held % (4 << 20) == 0:\n"
      "        try:\n"
      "            fds.append(os.memfd_create('fill'))\n"
      "        except OSError as e:\n"
      "            print('refused', e.errno, flush=True)\n"
      "            raise SystemExit(0)\n"
      "    os.write(fds[-1], chunk)\n"
      "    held += len(chunk)\n"
      "    print('held', held, flush=True)\n",
      "import ctypes\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "libc.shmat.restype = ctypes.c_void_p\n"
      "held = 0\n"
      "while held < (1 << 30):\n"
      "    sid = libc.shmget(0, 1 << 20, 0o1600)\n"  // IPC_PRIVATE, IPC_CREAT | 0600
      "    if sid < 0:\n"
      "        print('refused', ctypes.get_errno(), flush=True)\n"
      "        raise SystemExit(0)\n"
      "    addr = libc.shmat(sid, None, 0)\n"
      "    ctypes.memset(addr, 1, 1 << 20)\n"
      "    libc.shmdt(ctypes.c_void_p(addr))\n"
      "    held += 1 << 20\n"
      "    print('held', held, flush=True)\n"};
  const bool cgroup = !sandbox_memory_cgroup().empty();
  for (const auto& program : programs) {
    RunResult r = run_python(program, lim);
    std::cout << to_string(r.status) << " after holding " << last_held(r.out)
              << " bytes; peak of the run " << r.peak_memory_bytes << "\n";
    EXPECT_LE(last_held(r.out), lim.memory_bytes) << program;
    if (cgroup) {
      EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << to_string(r.status) << " " << r.err;
      EXPECT_GT(r.peak_memory_bytes, 0);
      EXPECT_LE(r.peak_memory_bytes, lim.memory_bytes);
      EXPECT_GE(last_held(r.out), int64_t(32) << 20) << "the limit stopped it far too early";
    } else {
      EXPECT_TRUE(r.ok()) << r.err;
      EXPECT_NE(r.out.find("refused 1"), std::string::npos) << r.out;  // EPERM
    }
  }
}

// Plain malloc over several processes, each under its own address-space
// limit but together past the run's: only the cgroup can stop this.
TEST(SandboxMemory, ProcessesTogetherStopAtTheRunsLimit) {
  if (sandbox_memory_cgroup().empty()) {
    GTEST_SKIP() << "no memory cgroup on this machine: " << memory_cgroup_unavailable_reason();
  }
  const SandboxLimits lim = memory_limits();
  RunResult r = run_python(
      "import os, time\n"
      "for _ in range(6):\n"
      "    if os.fork() == 0:\n"
      "        block = bytearray(64 << 20)\n"
      "        for i in range(0, len(block), 4096):\n"
      "            block[i] = 1\n"
      "        time.sleep(2)\n"
      "        os._exit(0)\n"
      "failed = 0\n"
      "for _ in range(6):\n"
      "    failed += os.wait()[1] != 0\n"
      "print('failed', failed, flush=True)\n",
      lim);
  std::cout << to_string(r.status) << ", " << r.out << "peak of the run " << r.peak_memory_bytes
            << "\n";
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << to_string(r.status) << " " << r.out << r.err;
  EXPECT_GT(r.peak_memory_bytes, int64_t(64) << 20);
  EXPECT_LE(r.peak_memory_bytes, lim.memory_bytes);
}

TEST(Sandbox, ConcurrentRunsInheritOnlyStdio) {
  // Runs on other threads hold pipes and memfds while this one forks; none may leak in.
  std::vector<std::string> fds(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < fds.size(); ++i) {
    threads.emplace_back([&fds, i] {
      fds[i] = run_python("import os\nprint(sorted(os.listdir('/proc/self/fd')))\n").out;
    });
  }
  for (auto& t : threads) t.join();
  // 0-2, plus the directory listdir itself has open.
  for (const auto& f : fds) EXPECT_EQ(f, "['0', '1', '2', '3']\n");
}

TEST(Sandbox, CollectsOutputFilesButNotSymlinks) {
  SandboxSpec spec;
  spec.argv = {
      "/usr/bin/python3", "-I", "-c",
      "import os\nopen('/out/a', 'w').write('made')\nos.symlink('/etc/passwd', '/out/b')\n"};
  spec.output_files = {"a", "b"};
  spec.limits = fast_limits();
  RunResult r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.outputs["a"], "made");
  EXPECT_EQ(r.outputs.count("b"), 0u);
}

TEST(Sandbox, RejectsARelativeProgramPath) {
  SandboxSpec spec;
  spec.argv = {"python3"};
  EXPECT_THROW(run_sandboxed(spec), Error);
}

// ---- the code reward ------------------------------------------------------

nlohmann::json add_tests() {
  return {{"tests",
           {{{"input", "1 2\n"}, {"output", "3\n"}},
            {{"input", "10 -4\n"}, {"output", "6\n"}},
            {{"input", "0 0\n"}, {"output", "0\n"}}}}};
}

std::vector<double> score_one(const std::string& completion, CodeRewardOptions options = {}) {
  options.run_limits = fast_limits();
  return score_code({{"prompt", completion, add_tests()}}, options);
}

TEST(CodeReward, ExtractsTheLastClosedSupportedBlock) {
  EXPECT_EQ(extract_program("```python\nprint(1)\n```").source, "print(1)\n");
  Program p =
      extract_program("think\n```cpp\nint main(){}\n```\nthen\n```py\nx=1\n```\n```text\nno\n```");
  EXPECT_EQ(p.language, "python");
  EXPECT_EQ(p.source, "x=1\n");
  EXPECT_EQ(extract_program("```c++\nint main(){}\n```").language, "cpp");
  EXPECT_EQ(extract_program("```python\nprint(1)\n```\n```python\nprint(2)").source, "print(1)\n")
      << "a truncated last block does not count";
  EXPECT_EQ(extract_program("no code here").language, "");
  EXPECT_EQ(extract_program("```\nprint(1)\n```").language, "") << "untagged";
}

TEST(CodeReward, ComparesOutputsUpToTrailingWhitespace) {
  EXPECT_TRUE(outputs_match("3\n", "3"));
  EXPECT_TRUE(outputs_match("1 2  \r\n3\n\n\n", "1 2\n3\n"));
  EXPECT_FALSE(outputs_match("3\n", "4\n"));
  EXPECT_FALSE(outputs_match(" 3", "3")) << "leading whitespace matters";
  EXPECT_FALSE(outputs_match("3\n\n4", "3\n4"));
}

TEST(CodeReward, PythonAllPassPartialAndNone) {
  EXPECT_EQ(score_one("```python\na, b = map(int, input().split())\nprint(a + b)\n```")[0], 1.0);
  double partial =
      score_one("```python\na, b = map(int, input().split())\nprint(a + abs(b))\n```")[0];
  EXPECT_DOUBLE_EQ(partial, 2.0 / 3.0);
  EXPECT_EQ(score_one("```python\nprint(3)\n```")[0], 1.0 / 3.0);
  EXPECT_EQ(score_one("```python\nraise SystemExit(1)\n```")[0], 0.0);
  EXPECT_EQ(score_one("The answer is 3.")[0], 0.0);
}

TEST(CodeReward, AllOrNone) {
  CodeRewardOptions options;
  options.all_or_none = true;
  EXPECT_EQ(score_one("```python\nprint(3)\n```", options)[0], 0.0);
  EXPECT_EQ(score_one("```python\na, b = map(int, input().split())\nprint(a + b)\n```", options)[0],
            1.0);
}

TEST(CodeReward, CompilesAndRunsCpp) {
  EXPECT_EQ(score_one("```cpp\n#include <iostream>\nint main() { long a, b; std::cin >> a >> b; "
                      "std::cout << a + b << \"\\n\"; }\n```")[0],
            1.0);
  EXPECT_EQ(score_one("```cpp\nint main() { this does not compile }\n```")[0], 0.0);
  EXPECT_EQ(score_one("```cpp\n#include \"/etc/shadow\"\nint main() {}\n```")[0], 0.0);
}

TEST(CodeReward, HostileProgramsScoreZero) {
  const std::vector<std::string> hostile = {
      "```python\nimport os\nwhile True:\n    os.fork()\n```",
      "```python\nx = bytearray(1 << 34)\n```",
      "```python\nwhile True:\n    print('x' * 100000)\n```",
      "```python\nopen('/etc/shadow').read()\n```",
      "```cpp\nint main() { for (volatile int i = 0;; ++i) {} }\n```",
      "```cpp\n#include <unistd.h>\nint main() { for (;;) fork(); }\n```",
  };
  std::vector<RewardInput> batch;
  for (const auto& c : hostile) batch.push_back({"prompt", c, add_tests()});
  CodeRewardOptions options;
  options.run_limits = fast_limits();
  options.run_limits.wall_seconds = 1.5;
  options.all_or_none = true;  // one contained failure per program is enough
  for (double s : score_code(batch, options)) EXPECT_EQ(s, 0.0);
}

TEST(CodeReward, ScoresABatchInParallel) {
  std::vector<RewardInput> batch;
  for (int i = 0; i < 8; ++i) {
    batch.push_back({"prompt",
                     i % 2 ? "```python\nprint(sum(map(int, input().split())))\n```"
                           : "```python\nprint(0)\n```",
                     add_tests()});
  }
  RewardFn reward = make_code_reward({{"workers", 4}, {"timeout", 3}});
  std::vector<double> scores = reward(batch);
  ASSERT_EQ(scores.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_DOUBLE_EQ(scores[i], i % 2 ? 1.0 : 1.0 / 3.0) << i;
}

TEST(CodeReward, BadRowsAndParamsAreErrors) {
  EXPECT_THROW(score_code({{"p", "```python\nprint(1)\n```", {{"answer", "1"}}}}, {}), Error);
  EXPECT_THROW(score_code({{"p", "x", {{"tests", {{{"input", 1}}}}}}}, {}), Error);
  EXPECT_THROW(make_code_reward({{"timeoot", 3}}), Error);
}

}  // namespace
}  // namespace r1
