#!/bin/sh
# train.report_to = "tensorboard": a short GRPO run and a short SFT run write
# event files that TensorBoard's own reader (tools/tensorboard_check.py) reads
# back equal to their metrics.jsonl (and the GRPO samples as text); a changed
# metrics line is caught.
# usage: tensorboard_test.sh R1 SOURCE_DIR WORKDIR
set -eu
R1=$1 SRC=$2 W=$3
PY="$SRC/.venv/bin/python"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$PY" -c "import tensorboard" 2>/dev/null || fail "$SRC/.venv lacks tensorboard: run scripts/venv.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$SRC"

"$R1" data gen --task arithmetic --digits 4 --ops + --n 200 --seed 0 --out "$W/train.jsonl" > /dev/null
"$R1" train examples/zero/zero.toml --set train.steps=3 --set train.output_dir="$W/grpo" \
  --set data.path="$W/train.jsonl" --set data.eval_path='""' --set rollout.questions_per_step=4 \
  --set rollout.group_size=4 --set rollout.max_new_tokens=32 --set 'train.report_to=["tensorboard"]' \
  2> "$W/grpo.log" || { cat "$W/grpo.log"; fail "r1 train"; }
"$PY" tools/tensorboard_check.py "$W/grpo" || fail "GRPO event files"

"$R1" init --out "$W/model" --tokenizer tests/fixtures/tokenizer/tiny > /dev/null
"$R1" sft examples/sft/cold_start.toml --set model.path="$W/model" --set train.output_dir="$W/sft" \
  --set train.max_steps=4 --set 'train.report_to=["none", "tensorboard"]' 2> "$W/sft.log" ||
  { cat "$W/sft.log"; fail "r1 sft"; }
"$PY" tools/tensorboard_check.py "$W/sft" || fail "SFT event files"

# A resumed run: the interrupted one logged step 3 past its step-2 checkpoint
# (metrics.jsonl is trimmed to step 2 on resume); TensorBoard must show each
# step once, equal to the continued metrics.jsonl, not step 3 twice.
sft_cut() {
  "$R1" sft examples/sft/cold_start.toml --set model.path="$W/model" --set train.output_dir="$W/cut" \
    --set train.max_steps=4 --set train.checkpoint_every=2 --set train.keep_resume_state=all \
    --set 'train.report_to=["tensorboard"]' \
    "$@" 2> "$W/cut.log" || { cat "$W/cut.log"; fail "r1 sft (cut) $*"; }
}
sft_cut
rm -rf "$W/cut/checkpoints/step-4"
head -3 "$W/cut/metrics.jsonl" > "$W/cut3" && mv "$W/cut3" "$W/cut/metrics.jsonl"
sleep 1  # event files are read in name order, and their names hold the second they were made
sft_cut --resume
[ "$(ls "$W/cut/tensorboard" | wc -l)" -eq 2 ] || fail "expected 2 event files"
"$PY" tools/tensorboard_check.py "$W/cut" || fail "resumed SFT event files"

# The check can fail: a metrics line that no longer matches its event file.
sed -i '2s/"loss":[0-9.e-]*/"loss":123.5/' "$W/sft/metrics.jsonl"
if "$PY" tools/tensorboard_check.py "$W/sft" 2> "$W/err.txt"; then fail "a changed loss passed"; fi
grep -q "loss" "$W/err.txt" || fail "unexpected error: $(cat "$W/err.txt")"

if "$R1" sft examples/sft/cold_start.toml --set model.path="$W/model" \
     --set train.output_dir="$W/bad" --set 'train.report_to=["wandb"]' 2> "$W/err.txt"; then
  fail "report_to = wandb accepted"
fi
grep -q 'train.report_to: "wandb" is not a known logger' "$W/err.txt" || fail "error: $(cat "$W/err.txt")"
echo "tensorboard: ok"
