#!/usr/bin/env python3
"""Compares r1cpp's math verifier (`r1 verify`) with Hugging Face Math-Verify
on the answer-pair table tests/fixtures/reward/math_pairs.jsonl, and both with
the table's expected verdicts. Prints the agreement and every disagreement.

  .venv/bin/pip install math-verify
  python tools/compare_math_verify.py --r1 build/tools/r1/r1
  python tools/compare_math_verify.py --pairs tests/fixtures/reward/math_hard_pairs.jsonl

docs/verifier.md lists where the two differ on purpose.

Math-Verify is called as its README shows: gold and prediction each parsed
with the default extraction configs (a gold without $ or \\boxed is wrapped in
$...$, as Math-Verify expects LaTeX golds), then verify(gold, pred)."""
import argparse
import collections
import json
import logging
import os
import subprocess
import sys

from math_verify import parse, verify


def math_verify_verdict(pred, gold):
    try:
        g = gold if ("$" in gold or "\\boxed" in gold) else "$" + gold + "$"
        return bool(verify(parse(g), parse(pred)))
    except Exception as e:  # Math-Verify may raise on odd input; count it as "not equal"
        print(f"  math-verify raised {type(e).__name__} on {pred[:40]!r}", file=sys.stderr)
        return False


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--r1", default=os.path.join(here, "..", "build", "tools", "r1", "r1"))
    ap.add_argument("--pairs", default=os.path.join(here, "..", "tests", "fixtures", "reward", "math_pairs.jsonl"))
    args = ap.parse_args()
    # Math-Verify logs each parse timeout with the whole input (10 kB here).
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    rows = [json.loads(line) for line in open(args.pairs, encoding="utf-8")]
    inp = "".join(json.dumps({"pred": r["pred"], "gold": r["gold"]}) + "\n" for r in rows)
    out = subprocess.run([args.r1, "verify"], input=inp, capture_output=True, text=True, check=True).stdout
    ours = [json.loads(line)["correct"] for line in out.splitlines()]
    assert len(ours) == len(rows)

    agree = ours_ok = mv_ok = 0
    per_rule = collections.defaultdict(lambda: [0, 0])
    disagreements = []
    for r, o in zip(rows, ours):
        m = math_verify_verdict(r["pred"], r["gold"])
        agree += o == m
        ours_ok += o == r["equal"]
        mv_ok += m == r["equal"]
        per_rule[r["rule"]][0] += o == m
        per_rule[r["rule"]][1] += 1
        if o != m:
            disagreements.append((r, o, m))

    n = len(rows)
    print(f"pairs: {n}")
    print(f"r1cpp agrees with Math-Verify: {agree}/{n} ({100 * agree / n:.1f}%)")
    print(f"r1cpp matches the table:       {ours_ok}/{n}")
    print(f"Math-Verify matches the table: {mv_ok}/{n}")
    print("\nagreement by rule:")
    for rule, (a, t) in per_rule.items():
        print(f"  {rule:28s} {a}/{t}")
    print("\ndisagreements (expected / r1cpp / Math-Verify):")
    for r, o, m in disagreements:
        pred = r["pred"] if len(r["pred"]) < 70 else r["pred"][:60] + f"... ({len(r['pred'])} chars)"
        print(f"  [{r['rule']}] pred {pred!r} gold {r['gold']!r}: {r['equal']} / {o} / {m}")


if __name__ == "__main__":
    main()
