#!/usr/bin/env python3
"""Keeps README.md and docs/*.md honest against the real r1 binary.

    check_docs.py R1_BINARY REPO_ROOT

Checks, for every page:
  1. Commands: every `r1 ...` line in a code block (fenced, or indented by four
     spaces) parses with the real binary. Each runs with R1_PARSE_ONLY=1, which
     makes r1 exit 0 right after parsing its flags (tools/r1/args.cpp): an
     unknown subcommand or flag, a missing required flag or a flag without its
     value fails. Runs in an empty temporary directory, so nothing is written.
  2. Config keys: every `section.key` named in backticks, in a `--set KEY=...`
     of a command, in a TOML block (keys under a [section]; pipeline files'
     [[stage]] tables and their set = [...] overrides) exists in the field table
     of some command: `r1 train/sft/sample --print-config` and r1 pipeline's eval
     stage. [[rewards]] names (and `--reward NAME`) must be in the registry.
  3. Links: every Markdown link stays inside the repository (no URLs) and
     points at a file that exists, and an #anchor at a heading of that page.
Reward params are not checked (building a reward may start a process).
"""
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib

# Pages other helpers are writing for issue 18 at the same time; a link to one
# of them is allowed while it is missing (then its anchors go unchecked).
PENDING_PAGES = {"docs/hardening.md", "docs/serve.md"}
# Backticked `a.b` that are file names, not config keys (model.safetensors, train.jsonl).
FILE_SUFFIXES = {"safetensors", "json", "jsonl", "toml", "pt", "py", "sh", "cpp", "h", "md",
                 "png", "txt", "jinja", "log"}
# Table columns headed by another project's name hold its keys (veRL's
# `data.max_response_length`), which are not r1's.
FOREIGN = r"TRL|veRL|OpenRLHF"
# Keys of a pipeline file itself (src/pipeline/pipeline.cpp), not of a stage's config.
PIPELINE_KEYS = {"pipeline.dir", "stage.name", "stage.kind", "stage.config", "stage.set"}

errors = []


def error(where, message):
    errors.append(f"{where}: {message}")


# ---------------------------------------------------------------- pages


def pages(root):
    out = [os.path.join(root, "README.md")]
    docs = os.path.join(root, "docs")
    if os.path.isdir(docs):
        out += sorted(os.path.join(docs, f) for f in os.listdir(docs) if f.endswith(".md"))
    return out


def split_blocks(text):
    """Yields (kind, language, first_line, lines): kind is 'code' or 'prose'."""
    lines = text.split("\n")
    i, prose, prose_start = 0, [], 1
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", line)
        indented = (line.startswith("    ") and line.strip() and
                    (i == 0 or not lines[i - 1].strip()) and not prose_in_list(lines, i))
        if fence:
            if prose:
                yield "prose", "", prose_start, prose
            marker, language, start = fence.group(2), fence.group(3), i + 2
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            yield "code", language, start, body
            i += 1
            prose, prose_start = [], i + 1
        elif indented:
            if prose:
                yield "prose", "", prose_start, prose
            start, body = i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            yield "code", "", start, body
            prose, prose_start = [], i + 1
        else:
            if not prose:
                prose_start = i + 1
            prose.append(line)
            i += 1
    if prose:
        yield "prose", "", prose_start, prose


def prose_in_list(lines, i):
    """An indented line continuing a list item is prose, not a code block."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j >= 0 and re.match(r"^\s*([-*+]|\d+\.)\s", lines[j]) is not None


# ---------------------------------------------------------------- commands


def is_r1(word):
    return word == "r1" or word.endswith("/tools/r1/r1")


def r1_commands(block_lines, first_line):
    """(line number, argv after 'r1') for each r1 invocation in a code block."""
    out, i = [], 0
    while i < len(block_lines):
        number, line = first_line + i, block_lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(block_lines):
            i += 1
            line = line.rstrip()[:-1] + " " + block_lines[i]
        i += 1
        text = re.sub(r"^\s*\$\s+", "", line)
        text = re.sub(r"<([A-Za-z_][\w.-]*)>", r"\1", text)  # <DIR> placeholders, not redirections
        try:
            lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            continue  # not shell (an unbalanced quote in output text)
        segment = []
        for token in tokens + [";"]:
            if token and set(token) <= set("|&;"):
                start = 0
                while start < len(segment) and re.match(r"^\w+=", segment[start]):
                    start += 1  # FOO=1 r1 ...
                if start < len(segment) and is_r1(segment[start]):
                    out.append((number, clean_args(segment[start + 1:])))
                segment = []
            else:
                segment.append(token)
    return out


def clean_args(args):
    """Drops redirections and usage-style [optional] brackets and ellipses."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in (">", ">>", "<", "2>"):
            skip = True
            continue
        if a in ("...", "…"):
            continue
        if a.startswith("[") and not a.startswith("[["):
            a = a[1:]
        if a.endswith("]") and not a.endswith("]]"):
            a = a[:-1]
        if a:
            out.append(a)
    return out


def parses(r1, argv):
    env = dict(os.environ, R1_PARSE_ONLY="1", R1_NO_BLAS_REEXEC="1")
    with tempfile.TemporaryDirectory() as cwd:
        p = subprocess.run([r1] + argv, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=60)
    return p.returncode, (p.stderr.strip() or p.stdout.strip()).splitlines()[-1:] or [""]


# ---------------------------------------------------------------- config keys


def field_tables(r1, root):
    """section.key of every command's config, and the reward registry's names."""
    env = dict(os.environ, R1_NO_BLAS_REEXEC="1")
    keys = set()
    for command, run_file in [("train", "examples/zero/zero.toml"),
                              ("sft", "examples/sft/cold_start.toml"),
                              ("sample", "examples/sample/arithmetic.toml")]:
        p = subprocess.run([r1, command, "--print-config"], cwd=root, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:  # --print-config that still needs a run file
            p = subprocess.run([r1, command, run_file, "--print-config"], cwd=root, env=env,
                               capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"r1 {command} --print-config failed: {p.stderr.strip()}")
        for section, table in tomllib.loads(p.stdout).items():
            if isinstance(table, dict):
                keys.update(f"{section}.{k}" for k in table)

    # r1 pipeline's eval stage has its own table; and an unknown reward name
    # makes the pipeline list the registry.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "p.toml")
        with open(path, "w") as f:
            f.write('[pipeline]\ndir = "out"\n'
                    '[[stage]]\nname = "s"\nkind = "sample"\n'
                    '[stage.config.model]\npath = "m"\n[stage.config.data]\npath = "d"\n'
                    '[[stage.config.rewards]]\nname = "no-such-reward"\n')
        p = subprocess.run([r1, "pipeline", path, "--check"], cwd=tmp, env=env,
                           capture_output=True, text=True)
        m = re.search(r"unknown reward 'no-such-reward' \(known: ([^)]*)\)", p.stderr)
        if not m:
            sys.exit(f"could not read the reward registry from r1 pipeline: {p.stderr.strip()}")
        rewards = {name.strip() for name in m.group(1).split(",")}
    return keys, rewards


class EvalStageKeys:
    """Keys of r1 pipeline's eval stage, asked of the binary one at a time."""

    def __init__(self, r1):
        self.r1, self.known = r1, {}

    def __contains__(self, key):
        if key not in self.known:
            env = dict(os.environ, R1_NO_BLAS_REEXEC="1")
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "p.toml")
                with open(path, "w") as f:
                    f.write('[pipeline]\ndir = "out"\n[[stage]]\nname = "e"\nkind = "eval"\n'
                            '[stage.config.model]\npath = "m"\n[stage.config.data]\npath = "d"\n')
                p = subprocess.run([self.r1, "pipeline", path, "--check", "--set", f"e.{key}=0"],
                                   cwd=tmp, env=env, capture_output=True, text=True)
            self.known[key] = "unknown key" not in p.stderr
        return self.known[key]


def section_of(key):
    return key.split(".", 1)[0]


def check_key(where, key, keys, eval_keys, sections):
    if section_of(key) not in sections or key in keys or key in PIPELINE_KEYS:
        return
    if section_of(key) == "inputs":  # a pipeline's [inputs] names are free
        return
    if key in eval_keys:
        return
    error(where, f"config key `{key}` is in no command's field table")


def check_toml(where, text, keys, eval_keys, sections, rewards):
    try:
        doc = tomllib.loads("\n".join(text))
    except tomllib.TOMLDecodeError as e:
        error(where, f"TOML block does not parse: {e}")
        return
    is_pipeline = "pipeline" in doc or "stage" in doc

    def run_file(table, prefix=""):
        for section, value in table.items():
            if section == "rewards":
                for r in value if isinstance(value, list) else []:
                    if r.get("name") not in rewards:
                        error(where, f"[[rewards]] name '{r.get('name')}' is not a reward "
                                     f"(known: {', '.join(sorted(rewards))})")
                continue
            if not isinstance(value, dict):
                error(where, f"`{prefix}{section}` outside a [section]")
                continue
            for k in value:
                check_key(where, f"{section}.{k}", keys, eval_keys, sections)

    if not is_pipeline:
        run_file(doc)
        return
    for k in doc.get("pipeline", {}):
        check_key(where, f"pipeline.{k}", keys, eval_keys, sections | {"pipeline"})
    for stage in doc.get("stage", []):
        for k in stage:
            if f"stage.{k}" not in PIPELINE_KEYS:
                error(where, f"[[stage]] has no key '{k}'")
        run_file(stage.get("config", {}) if isinstance(stage.get("config"), dict) else {})
        for assignment in stage.get("set", []):
            check_key(where, assignment.split("=", 1)[0], keys, eval_keys, sections)


# ---------------------------------------------------------------- links


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)  # GitHub: drop punctuation, keep letters/digits/_/-
    return s.replace(" ", "-")


def anchors(path):
    with open(path) as f:
        text = f.read()
    out = set()
    for kind, _, _, lines in split_blocks(text):
        if kind == "prose":
            for line in lines:
                m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    out.add(slug(re.sub(r"`", "", m.group(1))))
    return out


def check_link(where, page, target, root):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
        error(where, f"link to {target}: pages link only inside the repository")
        return
    file_part, _, anchor = target.partition("#")
    path = os.path.normpath(os.path.join(os.path.dirname(page), file_part)) if file_part else page
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        error(where, f"link to {target} leaves the repository")
        return
    if not os.path.exists(path):
        if rel not in PENDING_PAGES:
            error(where, f"link to {target}: {rel} does not exist")
        return
    if anchor and path.endswith(".md") and anchor not in anchors(path):
        error(where, f"link to {target}: {rel} has no heading #{anchor}")


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    r1, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    keys, rewards = field_tables(r1, root)
    eval_keys = EvalStageKeys(r1)
    sections = {section_of(k) for k in keys} | {"eval", "inputs", "pipeline"}

    commands = []  # (where, argv)
    for page in pages(root):
        rel = os.path.relpath(page, root)
        with open(page) as f:
            text = f.read()
        for kind, language, first, lines in split_blocks(text):
            if kind == "code":
                if language == "toml":
                    check_toml(f"{rel}:{first}", lines, keys, eval_keys, sections, rewards)
                    continue
                if language in ("json", "text", "python", "jsonl"):
                    continue
                for number, argv in r1_commands(lines, first):
                    where = f"{rel}:{number}"
                    commands.append((where, argv))
                    for i, a in enumerate(argv):
                        if a == "--set" and i + 1 < len(argv):
                            key = argv[i + 1].split("=", 1)[0]
                            if argv[:1] == ["pipeline"] and key.count(".") == 2:
                                key = key.split(".", 1)[1]  # STAGE.section.key
                            check_key(where, key, keys, eval_keys, sections)
                        if a == "--reward" and i + 1 < len(argv):
                            name = argv[i + 1].split(":", 1)[0]
                            if argv[:1] != ["eval"] and name not in rewards:
                                error(where, f"--reward {name}: not a reward")
                continue
            foreign = set()  # columns of the current table that hold other projects' names
            for offset, line in enumerate(lines):
                where = f"{rel}:{first + offset}"
                cells = line.strip().strip("|").split("|") if line.lstrip().startswith("|") else []
                if not cells:
                    foreign = set()
                elif offset + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[offset + 1]):
                    foreign = {i for i, c in enumerate(cells) if re.search(FOREIGN, c)}
                spans = []
                for i, cell in enumerate(cells or [line]):
                    if i not in foreign or not cells:
                        spans += re.findall(r"`([^`\n]+)`", cell)
                for span in spans:
                    m = re.match(r"^([a-z_]+)\.([a-z_0-9]+)(\s*=.*)?$", span)
                    if m and m.group(2) not in FILE_SUFFIXES:
                        check_key(where, f"{m.group(1)}.{m.group(2)}", keys, eval_keys, sections)
                for target in re.findall(r"\]\(([^)\s]+)\)", line):
                    check_link(where, page, target, root)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: parses(r1, c[1]), commands))
    for (where, argv), (rc, last) in zip(commands, results):
        if rc != 0:
            error(where, f"`r1 {shlex.join(argv)}` does not parse: {last[0]}")

    print(f"checked {len(pages(root))} pages: {len(commands)} r1 command lines, "
          f"{len(keys)} config keys known, {len(rewards)} rewards")
    for e in errors:
        print("FAIL", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
