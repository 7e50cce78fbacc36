#!/usr/bin/env python3
"""The peer side of bench/bench_tokenizer: Hugging Face `tokenizers` encoding
the same text on one thread. Prints one JSON line for the C++ benchmark.

  .venv/bin/python tools/bench_tokenizer_hf.py --make-text FILE [--mb 4]
      writes the mixed benchmark text (Python sources = code + English,
      plus multilingual text from the fixture corpus), deterministic
  .venv/bin/python tools/bench_tokenizer_hf.py --tokenizer DIR --text FILE [--ids-out F]
      [--mode docs|whole]
      {"mode", "load_s", "cold_s", "warm_s", "mb_s", "num_ids", "decode_s"};
      --decoded-out writes the decode of the ids; --ids-out writes the
      ids (int32 little-endian) so the C++ side can check they are equal
"""
import argparse
import glob
import json
import os
import random
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, os.path.dirname(__file__))


def make_text(path, mb):
    from tokenizer_corpus import corpus
    target = int(mb * 1e6)
    code_part = int(target * 0.6)
    parts, n = [], 0
    for f in sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True)):
        try:
            with open(f, encoding="utf-8") as fh:
                s = fh.read()
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(s)
        n += len(s.encode())
        if n >= code_part:
            break
    rng = random.Random(5)
    pool = [t for t in corpus() if t]
    while n < target:
        s = " ".join(rng.choice(pool) for _ in range(8)) + f" {rng.randint(0, 10**9)}\n"
        parts.append(s)
        n += len(s.encode())
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("".join(parts))


def documents(text):
    """Cuts after the first newline at least 4096 bytes past the last cut
    (the C++ benchmark cuts the same way)."""
    data = text.encode()
    docs, start = [], 0
    while start < len(data):
        nl = data.find(b"\n", start + 4096)
        end = len(data) if nl < 0 else nl + 1
        docs.append(data[start:end].decode())
        start = end
    return docs


def measure(tokenizer_dir, text_path, ids_out, runs, mode, decoded_out=None):
    from tokenizers import Tokenizer
    with open(text_path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    t0 = time.perf_counter()
    tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    load_s = time.perf_counter() - t0
    docs = documents(text)

    def run():
        if mode == "whole":
            return tok.encode(text, add_special_tokens=False).ids
        ids = []
        for d in docs:
            ids.extend(tok.encode(d, add_special_tokens=False).ids)
        return ids

    t0 = time.perf_counter()
    ids = run()
    cold_s = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    warm_s = statistics.median(times)
    if ids_out:
        import array
        with open(ids_out, "wb") as fh:
            array.array("i", ids).tofile(fh)
    mb = len(text.encode()) / 1e6
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        decoded = tok.decode(ids, skip_special_tokens=False)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"mode": mode, "load_s": load_s, "cold_s": cold_s, "warm_s": warm_s,
                      "mb_s": mb / warm_s, "num_ids": len(ids),
                      "decode_s": statistics.median(times)}))
    if decoded_out:
        with open(decoded_out, "w", encoding="utf-8", newline="") as fh:
            fh.write(decoded)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make-text")
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--tokenizer")
    ap.add_argument("--text")
    ap.add_argument("--ids-out")
    ap.add_argument("--decoded-out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", choices=["whole", "docs"], default="docs",
                    help="encode the text as one string, or as ~4 KB documents one by one")
    a = ap.parse_args()
    if a.make_text:
        make_text(a.make_text, a.mb)
    if a.tokenizer:
        measure(a.tokenizer, a.text, a.ids_out, a.runs, a.mode, a.decoded_out)


if __name__ == "__main__":
    main()
