#!/usr/bin/env python3
"""The malformed-input census: every kind of input r1 reads (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json's chat template, the
run TOML, trainer_state.json, optimizer.pt), broken on purpose, through the
real CLI. The named cases are the defects of issue #17; the mutations are
truncations and bit flips of each file (seeded, so the same every run).

Each run must end with no signal, no sanitizer report, within the timeout and
without "internal error"; an error must name the file it is about (and the
named cases their key, line or byte). A mutation may also load: a flipped
bit in weight bytes is still a valid file. Prints the census (tried / clean /
accepted / crash / hang / unclear / silent) and exits 1 if any run breaks a rule.

Usage: malformed_inputs_test.py R1 SOURCE_DIR WORKDIR"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys

R1, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
TIMEOUT = 60
census = {"tried": 0, "clean": 0, "accepted": 0, "crash": 0, "hang": 0, "unclear": 0, "silent": 0}
failures = []


def run(args, cwd=WORK):
    try:
        p = subprocess.run([R1] + args, cwd=cwd, capture_output=True, text=True, errors="replace",
                           timeout=TIMEOUT)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def check(name, args, names, expect=None, may_succeed=False):
    """Runs r1 `args`; the error must mention every string in `names` (the
    file) and `expect` (the key, line or byte), if given."""
    census["tried"] += 1
    rc, out = run(args)
    if rc is None:
        kind = "hang"
    elif rc < 0 or rc >= 128 or "Sanitizer" in out or "runtime error" in out:
        kind = "crash"
    elif rc == 0:
        kind = "accepted" if may_succeed else "silent"
    elif rc == 1 and "internal error" not in out and all(n in out for n in names) and (
            expect is None or expect in out):
        kind = "clean"
    else:
        kind = "unclear"
    census[kind] += 1
    if kind not in ("clean", "accepted"):
        failures.append(f"{kind}: {name}: r1 {' '.join(args)} -> {rc}: {out.strip()[-300:]}")


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def fresh_model(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(WORK, "base"), d)
    return d


def mutations(data, rng, n_trunc=6, n_flip=6, region=None):
    """Truncations at spread-out lengths, then single-bit flips (within
    `region`, a byte range, if given)."""
    for i in range(n_trunc):
        yield f"truncated to {len(data) * i // n_trunc} bytes", data[: len(data) * i // n_trunc]
    lo, hi = region or (0, len(data))
    for _ in range(n_flip):
        pos = rng.randrange(lo, hi)
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        yield f"bit flip at byte {pos}", bytes(flipped)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rng = random.Random(17)
    tiny_tok = os.path.join(SRC, "tests/fixtures/tokenizer/tiny")
    rc, out = run(["init", "--out", "base", "--tokenizer", tiny_tok])
    assert rc == 0, out
    write(os.path.join(WORK, "ids.jsonl"), '{"ids": [1, 2, 3]}\n')
    write(os.path.join(WORK, "chat.jsonl"), '{"messages": [{"role": "user", "content": "hi"}]}\n')
    write(os.path.join(WORK, "train.jsonl"),
          "".join(json.dumps({"prompt": f"{i} + 1", "answer": str(i + 1)}) + "\n" for i in range(8)))
    run_toml = ('[model]\npath = "base"\n[data]\npath = "train.jsonl"\ntemplate = "raw"\n'
                '[rollout]\ngroup_size = 2\nquestions_per_step = 2\nmax_new_tokens = 2\n'
                '[train]\nsteps = 1\noutput_dir = "run"\n[[rewards]]\nname = "arithmetic"\n')
    write(os.path.join(WORK, "run.toml"), run_toml)
    score = lambda m: ["score", "--model", m, "--in", "ids.jsonl", "--out", "scores.jsonl"]
    chat = lambda m: ["generate", "--model", m, "--prompts", "chat.jsonl", "--out", "gen.jsonl",
                      "-n", "1", "--max-new-tokens", "2"]

    # --- the named defects of issue #17 ---
    m = fresh_model("fifo")
    os.remove(os.path.join(m, "model.safetensors"))
    os.mkfifo(os.path.join(m, "model.safetensors"))
    check("FIFO model.safetensors", score(m), ["model.safetensors"], "not a regular file")
    m = fresh_model("header63")
    raw = open(os.path.join(m, "model.safetensors"), "rb").read()
    write(os.path.join(m, "model.safetensors"), (2**63 + 5).to_bytes(8, "little") + raw[8:])
    check("header length >= 2^63", score(m), ["model.safetensors"], "9,223,372,036,854,775,813")
    check("empty run file path", ["train", ""], ["file name is empty"])
    for key, value in [("rope_theta", 0), ("rms_norm_eps", -1e-6), ("max_position_embeddings", 0),
                       ("vocab_size", 2**62), ("num_hidden_layers", 2**40)]:
        m = fresh_model("cfg")
        cfg = json.load(open(os.path.join(m, "config.json")))
        cfg[key] = value
        write(os.path.join(m, "config.json"), json.dumps(cfg))
        check(f"config.json {key} = {value}", score(m), ["config.json"], f"'{key}'")
    for template, expect in [("{{-}}", "line 1"), ("{%-%}", "line 1"),
                             ("{% for i in range(1000000000) %}{% endfor %}", "items"),
                             ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "nested"),
                             ("{% set ns = namespace(s='ab') %}{% for i in range(99) %}"
                              "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "more than"),
                             ("{{ 123456789012345678901 }}", "integer literal"),
                             ("{{ '\\uZZZZ' }}", "escape"),
                             ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested")]:
        m = fresh_model("tmpl")
        tc = json.load(open(os.path.join(m, "tokenizer_config.json")))
        tc["chat_template"] = template
        write(os.path.join(m, "tokenizer_config.json"), json.dumps(tc))
        check(f"chat template {template[:40]}", chat(m), ["tokenizer_config.json"], expect)
    for setting, key in [("optim.lr=inf", "optim.lr"), ("optim.lr=1e30", "optim.lr"),
                         ("optim.min_lr_ratio=-3", "optim.min_lr_ratio"),
                         ("optim.max_grad_norm=-1", "optim.max_grad_norm"),
                         ("optim.adam_beta1=1.0", "optim.adam_beta1"),
                         ("optim.adam_beta2=2.0", "optim.adam_beta2"),
                         ("optim.weight_decay=-0.1", "optim.weight_decay"),
                         ("rl.beta=inf", "rl.beta"), ("data.eval_size=0", "data.eval_size")]:
        check(f"--set {setting}", ["train", "run.toml", "--set", setting],
              ["run.toml (--set)", key])
    # The same in the run file: the error names its line.
    for extra, where in [("[optim]\nlr = inf\n", "bad.toml:16: optim.lr"),
                         ("[optim]\nlr = 1e-5\nadam_beta2 = 2.0\n", "bad.toml:17: optim.adam_beta2"),
                         ("[rl]\nbeta = inf\n", "bad.toml:16: rl.beta")]:
        write(os.path.join(WORK, "bad.toml"), run_toml + extra)
        check(f"run file {extra.strip()}", ["train", "bad.toml"], [where])
    # A prompt longer than the run allows stops it before sampling, naming the row.
    check("prompt over data.max_prompt_tokens",
          ["train", "run.toml", "--set", "data.max_prompt_tokens=2"], ["train.jsonl:1"],
          "over data.max_prompt_tokens = 2")
    census["tried"] += 1  # --set 'model.path=a"b' is a value, not an error
    rc, out = run(["train", "run.toml", "--set", 'model.path=a"b', "--print-config"])
    census["accepted" if rc == 0 and 'a\\"b' in out else "unclear"] += 1
    if not (rc == 0 and 'a\\"b' in out):
        failures.append(f"--set model.path=a\"b -> {rc}: {out[-300:]}")

    # A checkpoint to damage: one GRPO step.
    rc, out = run(["train", "run.toml"])
    assert rc == 0, out
    ckpt = os.path.join(WORK, "run/checkpoints/step-1")
    state_path = os.path.join(ckpt, "trainer_state.json")
    good_state = open(state_path, "rb").read()
    for state, expect in [('{"step": 1, "updates": 1, "data_position": -5}', "data_position"),
                          ('{"step": 1, "updates": 1}', "data_position"),
                          ('{"step": 1, "updates": "x", "data_position": 2}', "updates")]:
        write(state_path, state)
        check(f"trainer_state.json {state}", ["train", "run.toml", "--resume"],
              ["trainer_state.json"], expect)
    write(state_path, good_state)
    opt_path = os.path.join(ckpt, "resume", "optimizer.pt")
    good_opt = open(opt_path, "rb").read()
    write(opt_path, b"not a torch archive")
    check("garbage optimizer.pt", ["train", "run.toml", "--resume"], ["optimizer.pt"])
    write(opt_path, good_opt)
    shutil.copytree(ckpt, os.path.join(WORK, "run/checkpoints/step-13-backup"))
    shutil.copytree(ckpt, os.path.join(WORK, "run/checkpoints/step-abc"))
    census["tried"] += 1  # copies are ignored: the run resumes from step-1 and is done
    rc, out = run(["train", "run.toml", "--resume"])
    ok = rc == 0 and "resumed from" in out and "step-1\n" in out.replace("step-1 ", "step-1\n")
    census["accepted" if ok else "silent"] += 1
    if not ok:
        failures.append(f"step-13-backup chosen or resume failed -> {rc}: {out[-300:]}")

    # --- truncations and bit flips of each input kind ---
    base = os.path.join(WORK, "base")
    kinds = [
        ("config.json", score, None),
        ("model.safetensors", score, "header"),
        ("tokenizer.json", lambda m: ["tokenize", "--tokenizer", m, "hello world"], None),
        ("tokenizer_config.json", chat, None),
    ]
    for file, command, region in kinds:
        data = open(os.path.join(base, file), "rb").read()
        if region == "header":
            region = (0, 8 + int.from_bytes(data[:8], "little"))
        for what, broken in mutations(data, rng, region=region):
            m = fresh_model("mut")
            write(os.path.join(m, file), broken)
            check(f"{file} {what}", command(m), [file], may_succeed=True)
    toml = run_toml.encode()
    for what, broken in mutations(toml, rng):
        write(os.path.join(WORK, "mut.toml"), broken)
        check(f"run TOML {what}", ["train", "mut.toml", "--print-config"], ["mut.toml"],
              may_succeed=True)
    for what, broken in mutations(good_state, rng):
        write(state_path, broken)
        check(f"trainer_state.json {what}", ["train", "run.toml", "--resume"],
              ["trainer_state.json"], may_succeed=True)
    write(state_path, good_state)

    print("census: " + ", ".join(f"{k} {v}" for k, v in census.items()))
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main())
