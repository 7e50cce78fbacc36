#!/usr/bin/env python3
"""The rollout benchmark's workload through Hugging Face transformers, on the
same model files, in the same run as r1cpp's engine, with the ratio.

  build/bench/bench_engine --save /tmp/r1-bench --shape small --seqs 1   # writes the models
  .venv/bin/python tools/bench_hf_generate.py --models /tmp/r1-bench \
      --r1-bench build/bench/bench_engine --shape small --seqs 1,8,64

Workload: a 64-token prompt shared by all sequences, 128 new tokens (no early
stop), sampling at temperature 1; transformers uses its KV cache (generate).
torch's OpenMP waiting is what the environment says (OMP_WAIT_POLICY,
GOMP_SPINCOUNT; libgomp's default spins for milliseconds); r1's benchmark runs
with r1's own.
"""
import argparse
import os
import re
import subprocess
import time

import torch
from transformers import AutoModelForCausalLM

PROMPT, NEW = 64, 128


def hf_decode_tps(model, seqs, vocab):
    ids = torch.tensor([[(t * 7919) % vocab for t in range(PROMPT)]]).repeat(seqs, 1)
    kw = dict(do_sample=True, temperature=1.0, top_p=1.0, top_k=0, pad_token_id=0,
              eos_token_id=None)

    def run(n):
        start = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, max_new_tokens=n, min_new_tokens=n, **kw)
        return time.perf_counter() - start

    run(2)  # warm-up
    t1, tn = run(1), run(NEW)
    return PROMPT / t1, seqs * (NEW - 1) / (tn - t1)


def r1_rows(binary, shape, seqs):
    # r1 picks its own OpenMP waiting (src/util/system.cpp); the settings given
    # to this script are for torch here.
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run([binary, "--shape", shape, "--seqs", seqs], capture_output=True,
                         text=True, check=True, env=env).stdout
    rows = {}
    # | model | precision | seqs | prefill tok/s | decode tok/s | ...: fp32 rows
    for line in out.splitlines():
        m = re.match(r"\|\s*(\S+)\s*\|\s*(\S+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|",
                     line)
        if m and m.group(1) == shape and m.group(2) == "fp32":
            rows[int(m.group(3))] = (float(m.group(4)), float(m.group(5)))
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--r1-bench", required=True)
    ap.add_argument("--shape", default="small")
    ap.add_argument("--seqs", default="1,8,64")
    args = ap.parse_args()
    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(f"{args.models}/{args.shape}",
                                                 dtype=torch.float32).eval()
    ours = r1_rows(args.r1_bench, args.shape, args.seqs)
    print(f"transformers {__import__('transformers').__version__}, torch {torch.__version__}")
    print("| model | seqs | r1cpp decode tok/s | transformers decode tok/s | ratio |")
    print("|---|---|---|---|---|")
    for seqs in [int(s) for s in args.seqs.split(",")]:
        _, hf = hf_decode_tps(model, seqs, model.config.vocab_size)
        r1 = ours[seqs][1]
        print(f"| {args.shape} | {seqs} | {r1:.1f} | {hf:.1f} | {r1 / hf:.2f}x |", flush=True)
