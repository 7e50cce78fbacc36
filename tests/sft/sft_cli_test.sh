#!/bin/sh
# `r1 init` + `r1 sft` on the shipped example, end to end: usage:
# sft_cli_test.sh R1 SOURCE_DIR WORKDIR. An interrupted run resumed with
# --resume logs the same losses as an uninterrupted one; a bad row is an
# error naming file:line with exit code 1.
set -e
r1=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
"$r1" init --out "$dir/model" --tokenizer tests/fixtures/tokenizer/tiny > /dev/null
run() {
  out=$1 && shift
  "$r1" sft examples/sft/cold_start.toml --set model.path="$dir/model" \
    --set train.output_dir="$dir/$out" --set train.max_steps=6 --set optim.lr=3e-3 \
    --set train.keep_resume_state=all "$@" 2> "$dir/log"
}
loss() { sed 's/.*"loss":\([^,]*\),.*/\1/' "$dir/$1/metrics.jsonl"; }
run full
[ "$(wc -l < "$dir/full/metrics.jsonl")" -eq 6 ] || { echo "expected 6 metric lines"; exit 1; }
grep -q '"eval_loss"' "$dir/full/metrics.jsonl" || { echo "no eval_loss"; exit 1; }
[ -f "$dir/full/checkpoints/step-6/model.safetensors" ] || { echo "no final checkpoint"; exit 1; }
# Interrupt after the step-4 checkpoint (every checkpoint keeps its resume
# state here), leaving step-5 metrics behind, then resume.
mkdir -p "$dir/cut" && cp -r "$dir/full/checkpoints" "$dir/cut/" && rm -rf "$dir/cut/checkpoints/step-6"
head -5 "$dir/full/metrics.jsonl" > "$dir/cut/metrics.jsonl"
run cut --resume
loss full > "$dir/a.txt" && loss cut > "$dir/b.txt" && diff -u "$dir/a.txt" "$dir/b.txt"

printf '{"messages": [{"role": "user", "content": "hi"}]}\n' > "$dir/bad.jsonl"
if run bad --set data.path="$dir/bad.jsonl"; then echo "bad data accepted"; exit 1; fi
grep -q "bad.jsonl:1: conversation has no assistant turn" "$dir/log" || { cat "$dir/log"; exit 1; }
