#!/usr/bin/env python3
"""r1 as PID 1 of its PID namespace (a container without an init) runs N code
rewards through the sandbox; afterwards it must have no zombie children (each
run used to leave one `bwrap` zombie: the sandbox's init, re-parented to r1
when bwrap exits before it). Usage: sandbox_pid1_test.py R1 [N]"""
import json
import os
import subprocess
import sys


def zombie_children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if state == "Z" and int(ppid) == pid:
            found.append(f"{entry} ({name})")
    return found


def main():
    r1 = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", r1, "verify"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        # Passing runs, failing ones and one in six killed at the wall clock (5 s).
        programs = ["print(int(input()) * 2)", "raise SystemExit(3)"] * 2 + [
            "while True: pass", "import time\ntime.sleep(100)"]
        for i in range(n):
            row = {"id": i, "kind": "code", "gold": "",
                   "pred": f"```python\n{programs[i % len(programs)]}\n```",
                   "tests": [{"input": "3\n", "output": "6\n"}]}
            proc.stdin.write(json.dumps(row) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                sys.exit("r1 verify under `unshare --pid --fork --mount-proc` ended early "
                         "(unshare needs root or CAP_SYS_ADMIN)")
            verdict = json.loads(line)
            assert verdict.get("id") == i, verdict
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            r1_pid = int(f.read().split()[0])
        with open(f"/proc/{r1_pid}/status") as f:
            nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
        if nspid[-1] != "1":
            sys.exit(f"r1 is not PID 1 of its namespace: NSpid {nspid}")
        zombies = zombie_children(r1_pid)
        print(f"{n} sandbox runs with r1 as PID 1: {len(zombies)} zombie children")
        if zombies:
            sys.exit("unreaped: " + ", ".join(zombies[:10]))
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
