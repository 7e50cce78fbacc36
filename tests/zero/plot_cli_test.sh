#!/bin/sh
# r1 plot end to end: a PNG from a run's metrics (held-out accuracy only on
# some lines, an old run without think_fraction), an SFT run's, smoothing, and
# clear errors for a missing run, a broken metrics line and metrics with
# nothing to draw.
# usage: plot_cli_test.sh R1 WORKDIR
set -eu
R1=$1
W=$2
rm -rf "$W" && mkdir -p "$W/run" "$W/old" "$W/bad"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$W/run/metrics.jsonl" <<'J'
{"step":0,"eval_accuracy":0.1}
{"step":1,"reward":0.2,"accuracy":0.2,"completion_length":{"mean":10,"min":8,"max":12},"think_fraction":0.1}
{"step":2,"reward":0.5,"accuracy":0.5,"completion_length":{"mean":30,"min":8,"max":52},"think_fraction":0.6,"eval_accuracy":0.5}
{"step":3,"reward":0.9,"accuracy":0.9,"completion_length":{"mean":50,"min":40,"max":60},"think_fraction":1.0}
J
"$R1" plot "$W/run" > "$W/out.txt"
grep -q "wrote $W/run/curves.png" "$W/out.txt" || fail "no 'wrote' line"
# A PNG starts with \211PNG; a 2x2 figure with curves is tens of KB.
[ "$(head -c 4 "$W/run/curves.png" | tail -c 3)" = "PNG" ] || fail "not a PNG"
[ "$(wc -c < "$W/run/curves.png")" -gt 20000 ] || fail "PNG suspiciously small"

sed "s/,\"think_fraction\":[0-9.]*//" "$W/run/metrics.jsonl" > "$W/old/metrics.jsonl"
"$R1" plot "$W/old" --out "$W/old.png" --title "old run" > /dev/null || fail "old run"
[ -s "$W/old.png" ] || fail "old run: no PNG"

if "$R1" plot "$W/missing" 2> "$W/err.txt"; then fail "missing run accepted"; fi
grep -q "missing/metrics.jsonl" "$W/err.txt" || fail "error does not name the file: $(cat "$W/err.txt")"

printf '{"step":1,"reward":0.5}\n{"step":2,"rew\n' > "$W/bad/metrics.jsonl"
if "$R1" plot "$W/bad" 2> "$W/err.txt"; then fail "broken line accepted"; fi
grep -q "bad/metrics.jsonl:2: not valid JSON" "$W/err.txt" || fail "error: $(cat "$W/err.txt")"
# Every metric of the GRPO lines: reward(+std), accuracy(+eval), length (mean,min,max),
# think_fraction = 4 panels, 7 series.
grep -q "(4 panels, 7 series)" "$W/out.txt" || fail "panels: $(cat "$W/out.txt")"

mkdir -p "$W/sft"
cat > "$W/sft/metrics.jsonl" <<'J'
{"step":1,"loss":2.5,"grad_norm":1.5,"lr":1e-5,"tokens_per_second":900,"time":0.2}
{"step":2,"loss":2.1,"grad_norm":1.2,"lr":2e-5,"tokens_per_second":950,"time":0.2,"eval_loss":2.3}
{"step":3,"loss":1.8,"grad_norm":1.1,"lr":3e-5,"tokens_per_second":990,"time":0.2}
J
"$R1" plot "$W/sft" --smooth 0.6 > "$W/out.txt" || fail "SFT run"
grep -q "(5 panels, 6 series)" "$W/out.txt" || fail "SFT panels: $(cat "$W/out.txt")"
[ "$(wc -c < "$W/sft/curves.png")" -gt 20000 ] || fail "SFT PNG suspiciously small"
if "$R1" plot "$W/sft" --smooth 1 2> "$W/err.txt"; then fail "--smooth 1 accepted"; fi
grep -q "smooth must be in" "$W/err.txt" || fail "error: $(cat "$W/err.txt")"

mkdir -p "$W/steps"
printf '{"step":1}\n{"step":2,"note":"x"}\n' > "$W/steps/metrics.jsonl"
if "$R1" plot "$W/steps" 2> "$W/err.txt"; then fail "metrics without numbers accepted"; fi
grep -q "steps/metrics.jsonl: no numeric metrics" "$W/err.txt" || fail "error: $(cat "$W/err.txt")"
mkdir -p "$W/empty" && : > "$W/empty/metrics.jsonl"
if "$R1" plot "$W/empty" 2> "$W/err.txt"; then fail "empty metrics accepted"; fi
grep -q "empty/metrics.jsonl: no metrics yet" "$W/err.txt" || fail "error: $(cat "$W/err.txt")"
echo "plot cli: ok"
