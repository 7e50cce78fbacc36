#!/usr/bin/env python3
"""Compares demo runs of examples/zero/run.sh (one per algorithm variant): a Markdown
table of held-out pass@1 before / after and the reward, and one PNG with every run's
held-out accuracy and training reward against the step (gnuplot, as `r1 plot`).

    tools/compare_runs.py --out compare.png --table compare.md NAME=RUN_OUT_DIR ...

RUN_OUT_DIR is run.sh's OUT_DIR: grpo/metrics.jsonl, eval-base/ and eval-trained/
summary.json. Standard library only.
"""

import argparse
import json
import os
import subprocess
import sys


def metrics(run):
    path = os.path.join(run, "grpo", "metrics.jsonl")
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        sys.exit(f"{path}: no metrics")
    return rows


def pass_at_1(run, which):
    path = os.path.join(run, which, "summary.json")
    with open(path) as f:
        return json.load(f)["pass@1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--table", required=True, help="Markdown table to write")
    ap.add_argument("runs", nargs="+", help="NAME=RUN_OUT_DIR")
    args = ap.parse_args()

    runs = []
    for spec in args.runs:
        name, _, path = spec.partition("=")
        if not path:
            sys.exit(f"compare_runs: '{spec}' is not NAME=DIR")
        runs.append((name, path, metrics(path)))

    lines = ["| variant | held-out pass@1 base | after | first step with held-out >= 0.9 "
             "| reward, last 5 steps | mean length, last 5 |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, path, rows in runs:
        evals = [(r["step"], r["eval_accuracy"]) for r in rows if "eval_accuracy" in r]
        first = next((str(s) for s, a in evals if a >= 0.9), "-")
        tail = [r for r in rows if "reward" in r][-5:]
        reward = sum(r["reward"] for r in tail) / max(1, len(tail))
        length = sum(r["completion_length"]["mean"] for r in tail) / max(1, len(tail))
        lines.append(f"| {name} | {pass_at_1(path, 'eval-base'):.3f} | "
                     f"**{pass_at_1(path, 'eval-trained'):.3f}** | {first} | {reward:.3f} | {length:.1f} |")
    with open(args.table, "w") as f:
        f.write("\n".join(lines) + "\n")

    # gnuplot: one inline data block per run, two panels.
    script = ["set terminal pngcairo size 1200,480 font ',10'", f"set output '{args.out}'",
              "set multiplot layout 1,2 title 'examples/zero: the variants on the same demo'",
              "set key bottom right", "set grid", "set termoption noenhanced", "set xlabel 'step'", "set datafile missing 'NaN'"]
    for i, (name, _, rows) in enumerate(runs):
        script.append(f"$d{i} << EOD")
        for r in rows:
            acc = r.get("eval_accuracy", float("nan"))
            script.append(f"{r['step']} {acc} {r.get('reward', float('nan'))}")
        script.append("EOD")
    for column, title in ((2, "held-out pass@1 (k = 4, T = 0.6)"), (3, "training reward")):
        script.append(f"set title '{title}'")
        script.append("set yrange [0:1.1]")
        style = "linespoints pt 7 ps 0.5" if column == 2 else "lines"
        # gnuplot cycles 8 colours: the runs past the eighth are dashed
        plots = [f"$d{i} using 1:{column} with {style} dt {1 + i // 8} title '{name}'"
                 for i, (name, _, _) in enumerate(runs)]
        script.append("set key bottom right" if column == 2 else "set key top left")
        script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
    print(f"wrote {args.out} and {args.table}")


if __name__ == "__main__":
    main()
