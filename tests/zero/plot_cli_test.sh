#!/bin/sh
# r1 plot end to end: a PNG from a run's metrics (held-out accuracy only on
# some lines, an old run without think_fraction), and clear errors for a
# missing run and a broken metrics line.
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
echo "plot cli: ok"
