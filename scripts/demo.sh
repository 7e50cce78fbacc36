#!/usr/bin/env bash
# The main job: R1-Zero's "aha" in miniature (issue 8). A tiny base model
# (examples/zero/base: 0.8M parameters, made by examples/zero/make_base.sh)
# mostly guesses 4-digit sums and sometimes works them out in <think>; pure
# GRPO with accuracy + format rewards teaches it that thinking pays. Prints
# held-out pass@1 before and after, and writes the curves to runs/zero/curves.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
examples/zero/run.sh build/tools/r1/r1 runs/zero
echo
echo "run directory: runs/zero/grpo (metrics.jsonl, samples.jsonl); curves: runs/zero/curves.png"
