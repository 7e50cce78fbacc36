#!/bin/sh
# examples/pipelines/r1.toml end to end at a tiny size (--set shrinks every
# stage): usage: pipeline_cli_test.sh R1 SOURCE_DIR WORKDIR.
# Checks: all seven stages run and write their markers; a stage that failed
# (its input missing) runs on the next invocation while finished stages are
# skipped; a re-run skips every stage and changes no file; a changed stage
# config is refused with a hint, and --restart reruns from that stage.
set -e
r1=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
examples/pipelines/prepare.sh "$r1" "$dir/inputs" 40 2> /dev/null
mv "$dir/inputs/test.jsonl" "$dir/test.jsonl"   # the eval stages' input appears later
run() {
  "$r1" pipeline examples/pipelines/r1.toml --quiet --set pipeline.dir="$dir/run" \
    --set inputs.cold="$dir/inputs/cold.jsonl" --set inputs.train="$dir/inputs/train.jsonl" \
    --set inputs.test="$dir/inputs/test.jsonl" \
    --set cold_start.train.max_steps=3 \
    --set rl.train.max_steps=2 --set rl.rollout.questions_per_step=4 --set rl.rollout.group_size=4 \
    --set rs.data.limit=8 --set rs.sampling.k=2 --set rs.filter.min_accuracy=0 \
    --set rs.filter.min_reward=0 --set rs.filter.drop_truncated=false \
    --set sft.train.max_steps=2 \
    --set rl2.train.max_steps=2 --set rl2.rollout.questions_per_step=4 --set rl2.rollout.group_size=4 \
    --set eval.data.limit=4 --set eval.sampling.k=2 \
    --set eval_base.data.limit=4 --set eval_base.sampling.k=2 "$@"
}
fail() { echo "FAIL: $*"; cat "$dir/log" "$dir/out" 2> /dev/null; exit 1; }

# 1. Stages 1-5 run, the eval stage (6) fails: its data is missing.
if run > "$dir/out" 2> "$dir/log"; then fail "eval without data succeeded"; fi
grep -q "stage 'eval' (eval) failed: .*test.jsonl" "$dir/log" || fail "no eval failure message"
for s in cold_start rl rs sft rl2; do
  grep -q '"state": "done"' "$dir/run/$s/stage.json" || fail "$s not done"
done
grep -q '"state": "running"' "$dir/run/eval/stage.json" || fail "eval not marked running"

# 2. With its data back, only the failed stage and the one after it run.
mv "$dir/test.jsonl" "$dir/inputs/test.jsonl"
run > "$dir/out" 2> "$dir/log" || fail "second run"
[ "$(grep -c ': skipped ->' "$dir/out")" -eq 5 ] || fail "expected 5 skipped stages"
grep -q '^eval (eval): ran' "$dir/out" || fail "eval did not run"
grep -q '^eval_base (eval): ran' "$dir/out" || fail "eval_base did not run"
[ -f "$dir/run/eval/summary.json" ] || fail "no eval summary"
[ -s "$dir/run/rs/samples.jsonl" ] || fail "no rejection-sampled data"
grep -q '"completion"' "$dir/run/rs/samples.jsonl" || fail "samples are not SFT pairs"
ls "$dir/run/rl2/checkpoints/step-2/model.safetensors" > /dev/null || fail "no final rl2 model"

# 3. A re-run skips everything and rewrites nothing.
find "$dir/run" -type f -exec md5sum {} + | sort > "$dir/before"
run > "$dir/out" 2> "$dir/log" || fail "third run"
[ "$(grep -c ': skipped ->' "$dir/out")" -eq 7 ] || fail "expected 7 skipped stages"
find "$dir/run" -type f -exec md5sum {} + | sort > "$dir/after"
cmp "$dir/before" "$dir/after" || fail "a skipped stage changed files"

# 4. A changed config is refused; --restart reruns that stage and the ones after it.
if run --set rl2.train.max_steps=3 > "$dir/out" 2> "$dir/log"; then fail "changed config accepted"; fi
grep -q "stage 'rl2': its config (or a stage it uses) changed since it completed" "$dir/log" ||
  fail "no changed-config message"
run --set rl2.train.max_steps=3 --restart rl2 > "$dir/out" 2> "$dir/log" || fail "restart"
[ "$(grep -c ': skipped ->' "$dir/out")" -eq 4 ] || fail "restart: expected 4 skipped stages"
ls "$dir/run/rl2/checkpoints/step-3/model.safetensors" > /dev/null || fail "no restarted rl2 model"
echo "pipeline ok"
