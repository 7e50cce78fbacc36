#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer harnesses (fuzz/corpus/<name>/)
from the repository's fixtures. Run once after fixtures change; the output is
committed. Files whose names start with "crash-" are inputs that once crashed
a harness and are never removed (the regression suite replays them all)."""
import hashlib
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def safetensors_file(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def main():
    # safetensors: the fixtures' small files, hand-made headers, truncations.
    for model in sorted(os.listdir(os.path.join(FIX, "models"))):
        p = os.path.join(FIX, "models", model, "expected.safetensors")
        if os.path.exists(p):
            raw = open(p, "rb").read()
            put("fuzz_safetensors", raw)
            put("fuzz_safetensors", raw[: len(raw) // 2])
    put("fuzz_safetensors", safetensors_file(
        {"__metadata__": {"format": "pt"},
         "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
         "c": {"dtype": "I64", "shape": [], "data_offsets": [22, 30]}}, bytes(30)))
    put("fuzz_safetensors", safetensors_file({}))

    # tokenizer: byte 0 even = a tokenizer.json, odd = text for the tiny one.
    tiny = os.path.join(FIX, "tokenizer", "tiny")
    put("fuzz_tokenizer", b"\x00" + open(os.path.join(tiny, "tokenizer.json"), "rb").read())
    for row in jsonl(os.path.join(tiny, "corpus.jsonl"))[:20]:
        put("fuzz_tokenizer", "\x01" + row["text"])
    put("fuzz_tokenizer", "\x01" + "\u4e2d\u6587 \U0001F600 <|endoftext|>\t\r\n")

    # chat templates: the published ones and the feature probes (with context).
    for t in json.load(open(os.path.join(FIX, "tokenizer", "chat_templates.json"))):
        put("fuzz_chat_template", t["template"])
    for p in json.load(open(os.path.join(FIX, "tokenizer", "jinja_probes.json"))):
        put("fuzz_chat_template", p["template"] + "\0" + json.dumps(p["context"]))

    # math: response NUL reference, from the answer-pair table.
    for row in jsonl(os.path.join(FIX, "reward", "math_pairs.jsonl"))[::4]:
        put("fuzz_math", row["pred"] + "\0" + row["gold"])

    # config: the example run files (and a few --set lines).
    for dirpath, _, files in os.walk(os.path.join(ROOT, "examples")):
        for f in sorted(files):
            if f.endswith(".toml"):
                text = open(os.path.join(dirpath, f), encoding="utf-8").read()
                put("fuzz_config", text)
    put("fuzz_config", '[model]\npath = "m"\n[[rewards]]\nname = "math"\nweight = 0.5\n'
                       '\0model.path=a"b\ntrain.steps=3\noptim.lr=inf\n')

    # reward rows: the verify fixture, and rows for each row-reading reward.
    put("fuzz_reward_rows", open(os.path.join(FIX, "reward", "verify_in.jsonl"), "rb").read())
    put("fuzz_reward_rows", "\n".join(json.dumps(r) for r in [
        {"completion": "<think>x</think> <answer>3</answer>", "answer": "3"},
        {"completion": "<answer>(1+2)*3</answer>", "numbers": [1, 2, 3], "target": 9},
        {"completion": "<think>\u4e2d\u6587</think>\\boxed{4}", "answer": "4"},
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
