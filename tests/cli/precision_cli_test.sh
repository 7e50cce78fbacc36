#!/bin/sh
# --precision / model.precision and --device / model.device through the CLI:
# GRPO and SFT train in bf16 (fp32 master weights in resume/, finite metrics,
# resume continues), generate / score / eval run a bf16 model, and device or
# precision names this machine cannot honour are clear errors, never a crash.
# usage: precision_cli_test.sh R1 SOURCE_DIR SHARED_DIR WORKDIR
set -eu
R1=$1
SRC=$2
SHARED=$3
W=$4
rm -rf "$W" && mkdir -p "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$R1" init --out "$W/model" --family qwen3 --tokenizer "$SHARED/tokenizers/qwen3" \
  --vocab 151936 --layers 2 --hidden 32 --heads 2 --kv-heads 1 --context 512 \
  --dtype bfloat16 --seed 1 > /dev/null
for i in 1 2 3 4; do
  printf '{"prompt": "What is %s + %s?", "answer": "%s"}\n' "$i" "$i" "$((i + i))"
done > "$W/train.jsonl"

cat > "$W/run.toml" <<TOML
[model]
path = "$W/model"
precision = "bf16"
[data]
path = "$W/train.jsonl"
[rollout]
group_size = 4
questions_per_step = 2
max_new_tokens = 24
[train]
max_steps = 2
output_dir = "$W/run"
checkpoint_every = 1
[[rewards]]
name = "math"
[[rewards]]
name = "language"   # a random model's completions vary in it: a gradient to step on
TOML

"$R1" train "$W/run.toml" > "$W/train.out" 2>&1 || { cat "$W/train.out"; fail "bf16 train"; }
CK="$W/run/checkpoints/step-2"
[ -f "$CK/resume/master.safetensors" ] || fail "no fp32 master weights in resume/"
python3 - "$W/run/metrics.jsonl" "$CK/resume/master.safetensors" <<'PY' || fail "metrics/master"
import json, math, struct, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
for r in rows:
    assert math.isfinite(r["grad_norm"]) and r["grad_norm"] > 0, r
with open(sys.argv[2], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
assert dtypes == {"F32"}, dtypes
PY
grep -q 'precision = "bf16"' "$W/run/config.toml" || fail "config.toml lost the precision"

# Resume from step 2 to step 3 in bf16.
"$R1" train "$W/run.toml" --resume --set train.max_steps=3 > "$W/resume.out" 2>&1 ||
  { cat "$W/resume.out"; fail "bf16 resume"; }
[ -d "$W/run/checkpoints/step-3" ] || fail "resume did not reach step 3"

# SFT in bf16.
"$R1" sft "$SRC/examples/sft/cold_start.toml" --set model.path="$W/model" \
  --set train.output_dir="$W/sft" --set model.precision=bf16 --set train.max_steps=2 \
  --set data.max_length=512 \
  > "$W/sft.out" 2>&1 || { cat "$W/sft.out"; fail "bf16 sft"; }
grep -q '"loss"' "$W/sft/metrics.jsonl" || fail "sft metrics"

# Inference commands on a bf16 model.
"$R1" generate --model "$CK" --prompt "1 + 1 =" --max-new-tokens 8 --temperature 0 \
  --precision bf16 > "$W/gen.out" 2>&1 || { cat "$W/gen.out"; fail "bf16 generate"; }
echo '{"ids": [1, 2, 3, 4, 5]}' | "$R1" score --model "$CK" --precision bf16 > "$W/score.out" ||
  fail "bf16 score"
grep -q '"logprobs"' "$W/score.out" || fail "score output"
"$R1" eval --model "$CK" --data "$W/train.jsonl" -k 2 --max-new-tokens 8 --precision bf16 \
  --out "$W/eval" --quiet > "$W/eval.out" 2>&1 || { cat "$W/eval.out"; fail "bf16 eval"; }
grep -q '"precision": "bf16"' "$W/eval/config.json" || fail "eval records no precision"

# What this machine cannot do: a clear error naming the flag or key, exit 1.
expect_error() {  # expect_error NEEDLE cmd...
  needle=$1; shift
  set +e; "$@" > "$W/err.out" 2>&1; rc=$?; set -e
  [ "$rc" -eq 1 ] || { cat "$W/err.out"; fail "'$*' exited $rc, not 1"; }
  grep -q -- "$needle" "$W/err.out" || { cat "$W/err.out"; fail "'$*' does not say '$needle'"; }
}
expect_error "--precision = 'fp8'" "$R1" generate --model "$CK" --prompt x --precision fp8
expect_error "--device = 'tpu'" "$R1" generate --model "$CK" --prompt x --device tpu
expect_error "model.precision = 'half'" "$R1" train "$W/run.toml" --set model.precision=half \
  --set train.output_dir="$W/bad"
if ! "$R1" info --system 2>/dev/null | grep -q "cuda: *yes"; then
  expect_error "CUDA" "$R1" generate --model "$CK" --prompt x --device cuda
  expect_error "model.device" "$R1" train "$W/run.toml" --set model.device=cuda:1 \
    --set train.output_dir="$W/bad"
fi
echo "precision_cli_test: ok"
