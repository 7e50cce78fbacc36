#!/bin/sh
# r1 sample from the command line, on the committed demo base: flags map onto
# the config, the output is SFT pairs with provenance, a re-run without
# --resume is refused, with --resume it adds nothing, and r1 sft trains on the
# output. usage: sample_cli_test.sh R1 SOURCE_DIR WORKDIR
set -e
r1=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
fail() { echo "FAIL: $*"; cat "$dir/log" 2> /dev/null; exit 1; }
"$r1" data gen --task arithmetic --digits 4 --ops + --n 6 --seed 5 --out "$dir/p.jsonl" 2> /dev/null
sample() {
  "$r1" sample --model examples/zero/base --data "$dir/p.jsonl" --template raw -k 3 \
    --max-new-tokens 128 --reward arithmetic --reward format:0.5 --set filter.min_accuracy=0 \
    --set filter.drop_truncated=false --set sampling.max_batch=6 --out "$dir/rs" --quiet "$@"
}
sample > "$dir/out" 2> "$dir/log" || fail "sample"
grep -q "prompts 6  sampled 18" "$dir/out" || fail "summary line: $(cat "$dir/out")"
for key in '"prompt":"Compute' '"completion":' '"model":"examples/zero/base"' '"seed":' \
  '"sample":' '"rewards":{"arithmetic":' '"tokens":'; do
  grep -q "$key" "$dir/rs/samples.jsonl" || fail "samples.jsonl lacks $key"
done
[ "$(wc -l < "$dir/rs/prompts.jsonl")" -eq 6 ] || fail "expected 6 prompt records"
cp "$dir/rs/samples.jsonl" "$dir/first.jsonl"
if sample > "$dir/out" 2> "$dir/log"; then fail "re-run without --resume accepted"; fi
grep -q "resume it with --resume" "$dir/log" || fail "no --resume hint"
sample --resume > "$dir/out" 2> "$dir/log" || fail "resume"
cmp "$dir/first.jsonl" "$dir/rs/samples.jsonl" || fail "resume changed samples.jsonl"
if "$r1" sample --model examples/zero/base --data "$dir/p.jsonl" --reward acuracy \
  --out "$dir/bad" > /dev/null 2> "$dir/log"; then fail "unknown reward accepted"; fi
grep -q "unknown reward 'acuracy'" "$dir/log" || fail "no unknown-reward message"
"$r1" sft examples/sft/cold_start.toml --set model.path=examples/zero/base \
  --set data.path="$dir/rs/samples.jsonl" --set data.template=raw --set data.eval_path="" \
  --set data.max_length=0 --set train.max_steps=1 --set train.output_dir="$dir/sft" 2> "$dir/log" ||
  fail "r1 sft on the samples"
echo "sample ok"
