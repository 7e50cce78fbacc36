#!/bin/sh
# CI's reduced R1-Zero demo (issue 8): GRPO from the committed base for a few
# steps must raise held-out pass@1 by a clear margin, and the run must leave
# its curves and the before/after report.
# usage: zero_demo_test.sh R1 WORKDIR STEPS MIN_GAIN
set -eu
R1=$1
W=$2
STEPS=$3
MIN_GAIN=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
"$(dirname "$0")/../../examples/zero/run.sh" "$R1" "$W" "$STEPS" 64 > "$W.log" 2>&1 ||
  { cat "$W.log"; fail "run.sh failed"; }
cat "$W.log"
pass1() { sed -n 's/.*"pass@1": *\([0-9.e-]*\).*/\1/p' "$1/summary.json" | head -1; }
before=$(pass1 "$W/eval-base")
after=$(pass1 "$W/eval-trained")
[ -n "$before" ] && [ -n "$after" ] || fail "no pass@1 in the summaries"
awk -v b="$before" -v a="$after" -v g="$MIN_GAIN" 'BEGIN { exit !(a >= b + g) }' ||
  fail "held-out pass@1 $before -> $after: less than +$MIN_GAIN"
[ -s "$W/curves.png" ] || fail "no curves.png"
grep -q '"think_fraction"' "$W/grpo/metrics.jsonl" || fail "no think_fraction in metrics"
echo "zero demo: held-out pass@1 $before -> $after"
