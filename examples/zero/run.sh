#!/usr/bin/env bash
# R1-Zero in miniature, end to end (issue 8): held-out evaluation of the base
# model, pure GRPO from it (examples/zero/zero.toml), evaluation of the result
# side by side with the base, and the curves as a PNG. scripts/demo.sh runs
# this after building; the test suite runs it with fewer steps.
#
#   examples/zero/run.sh R1_BINARY OUT_DIR [STEPS] [HELD_OUT_QUESTIONS] [--set KEY=VALUE ...]
#
# Arguments after the fourth go to `r1 train` (the variants of
# examples/zero/compare.sh: --set rl.loss_type=cispo ...).
set -euo pipefail
# Paths the caller gave are made absolute before moving to the repo root, so
# the script runs from any directory (a bare command name stays on PATH).
abs() { case "$1" in */*) realpath -m "$1" ;; *) echo "$1" ;; esac; }
R1=$(abs "$1")
OUT=$(realpath -m "$2")
cd "$(dirname "$0")/../.."
STEPS=${3:-40}
HELD_OUT=${4:-200}
shift $(($# < 4 ? $# : 4))
rm -rf "$OUT"
mkdir -p "$OUT"

# Training questions, and held-out ones: a problem's split is a hash of the
# problem, so no test question is ever trained on (nor was in the base corpus).
$R1 data gen --task arithmetic --digits 4 --ops + --n 4000 --seed 0 --out "$OUT/train.jsonl"
$R1 data gen --task arithmetic --digits 4 --ops + --n "$HELD_OUT" --seed 0 --split test \
  --out "$OUT/test.jsonl"

# R1's protocol (docs/design.md §1.5): k samples at temperature 0.6, pass@1 = mean.
eval_flags=(--data "$OUT/test.jsonl" --template raw -k 4 --temperature 0.6 --top-p 0.95
  --max-new-tokens 128 --quiet)
echo "== the base model on $HELD_OUT held-out problems"
$R1 eval --model examples/zero/base "${eval_flags[@]}" --out "$OUT/eval-base"

echo
echo "== GRPO from the base: accuracy + format rewards only ($STEPS steps)"
$R1 train examples/zero/zero.toml --set train.max_steps="$STEPS" --set train.output_dir="$OUT/grpo" \
  --set data.path="$OUT/train.jsonl" --set data.eval_path="$OUT/test.jsonl" "$@"

echo
echo "== the trained model on the same held-out problems"
$R1 eval --model "$OUT/grpo/checkpoints/step-$STEPS" "${eval_flags[@]}" \
  --out "$OUT/eval-trained" --baseline "$OUT/eval-base"
echo
$R1 plot "$OUT/grpo" --out "$OUT/curves.png" --title "R1-Zero in miniature: GRPO on 4-digit addition"
