#!/bin/sh
# Ctrl-C during `r1 sft`: the run finishes its step, saves a checkpoint and
# exits 130 (as a shell reports a process ended by SIGINT), not 0 as a
# finished run does. Usage: interrupt_cli_test.sh R1 SOURCE_DIR WORKDIR
set -e
r1=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
"$r1" init --out "$dir/model" --tokenizer tests/fixtures/tokenizer/tiny > /dev/null
"$r1" sft examples/sft/cold_start.toml --set model.path="$dir/model" \
  --set train.output_dir="$dir/run" --set train.max_steps=100000 2> "$dir/log" &
pid=$!
# Wait (at most 120 s) for the first step's metrics, then interrupt.
i=0
while [ ! -s "$dir/run/metrics.jsonl" ]; do
  i=$((i + 1))
  [ $i -le 1200 ] || { echo "no step in 120 s"; kill -9 $pid; cat "$dir/log"; exit 1; }
  kill -0 $pid 2> /dev/null || { echo "r1 sft ended early"; cat "$dir/log"; exit 1; }
  sleep 0.1
done
kill -INT $pid
rc=0
wait $pid || rc=$?
[ "$rc" -eq 130 ] || { echo "exit status $rc, expected 130"; cat "$dir/log"; exit 1; }
grep -q "stopped at step" "$dir/log" || { echo "no 'stopped at step' line"; cat "$dir/log"; exit 1; }
ls "$dir/run/checkpoints" | grep -q '^step-[0-9]*$' || { echo "no checkpoint saved"; exit 1; }
echo "ok: exit 130 with $(ls "$dir/run/checkpoints")"
