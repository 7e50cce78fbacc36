#!/usr/bin/env bash
# The main job. Until the R1-Zero "aha" demo lands (issue 8): GRPO from a
# randomly initialised tiny Qwen2 on 2-digit addition with rule-based rewards
# (examples/grpo/arithmetic.toml), about a minute on 2 cores; the reward rises.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
R1=build/tools/r1/r1
OUT=runs/example
mkdir -p "$OUT"
$R1 init --family qwen2 --tokenizer tests/fixtures/tokenizer/tiny --out "$OUT/model" --seed 0
$R1 data gen --task arithmetic --digits 2 --ops + --n 400 --seed 0 --out "$OUT/train.jsonl"
$R1 train examples/grpo/arithmetic.toml
echo
echo "reward by step (metrics in $OUT/grpo/metrics.jsonl, samples in $OUT/grpo/samples.jsonl):"
grep '"reward_std"' "$OUT/grpo/metrics.jsonl" | sed 's/,"reward_std".*//; s/.*"reward"://' |
  awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 } END { print "" }'
