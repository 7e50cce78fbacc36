#!/bin/sh
# "Bring your own model and data" end to end: a Qwen2 body whose LM head has
# 151,936 rows (as every Qwen2.5/Qwen3 checkpoint) under the real Qwen3
# tokenizer (151,669 tokens), MATH-style conversational rows with the answer
# in a worked "solution", a system prompt and enable_thinking = false. GRPO
# for 2 steps, then eval, sample and generate on the checkpoint; the same row
# renders to the same prompt in all three; checkpoints are bf16 with one
# consistent dtype, pruned to save_total_limit, resumable.
# usage: own_model_test.sh R1 SHARED_DIR WORKDIR
set -eu
R1=$1
SHARED=$2
W=$3
rm -rf "$W" && mkdir -p "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$R1" init --out "$W/model" --family qwen2 --tokenizer "$SHARED/tokenizers/qwen3" \
  --vocab 151936 --layers 2 --hidden 32 --heads 2 --kv-heads 1 --context 1024 \
  --dtype bfloat16 --seed 1 > /dev/null
grep -q '"vocab_size": 151936' "$W/model/config.json" || fail "model vocab"
# The model's own sampling settings: greedy, so generate's default is checkable.
printf '{"temperature": 0.0, "top_p": 0.9}\n' > "$W/model/generation_config.json"

for i in 1 2 3 4; do
  printf '{"prompt": [{"role": "user", "content": "What is %s + %s?"}], "solution": "Adding, %s + %s = \\\\boxed{%s}."}\n' \
    "$i" "$i" "$i" "$i" "$((i + i))"
done > "$W/train.jsonl"

cat > "$W/run.toml" <<TOML
[model]
path = "$W/model"
[data]
path = "$W/train.jsonl"
template = "chat"
answer_field = "solution"
system_prompt = "Think, then put the answer in \\\\boxed{}."
chat_template_kwargs = { enable_thinking = false }
[rollout]
group_size = 4
questions_per_step = 2
max_new_tokens = 48
[train]
max_steps = 2
output_dir = "$W/run"
checkpoint_every = 1
save_total_limit = 1
log_samples = 8
[[rewards]]
name = "math"
[[rewards]]
name = "format"
params = { require_think = false }
TOML

"$R1" train "$W/run.toml" > "$W/train.out" 2>&1 || { cat "$W/train.out"; fail "train"; }
CK="$W/run/checkpoints/step-2"
[ -d "$CK" ] || fail "no final checkpoint"
[ ! -d "$W/run/checkpoints/step-1" ] || fail "save_total_limit = 1 kept step-1"
[ -f "$CK/resume/optimizer.pt" ] && [ -f "$CK/resume/master.safetensors" ] || fail "resume state"
grep -q '"torch_dtype": "bfloat16"' "$CK/config.json" || fail "torch_dtype"
grep -q '"dtype": "bfloat16"' "$CK/config.json" || fail "dtype"
head -c 400 "$CK/model.safetensors" | grep -q '"dtype":"BF16"' || fail "weights not bf16"
grep -q '"vocab_size": 151936' "$CK/config.json" || fail "checkpoint vocab"

# The same rows through eval (prompt settings from the run file) and sample.
"$R1" eval --model "$CK" --data "$W/train.jsonl" --config "$W/run.toml" -k 2 --max-new-tokens 16 \
  --temperature 1.0 --out "$W/eval" --quiet > "$W/eval.out" 2>&1 || { cat "$W/eval.out"; fail "eval"; }
grep -q '"answer_field": "solution"' "$W/eval/summary.json" || fail "eval answer field"
cat > "$W/sample.toml" <<TOML
[model]
path = "$CK"
[data]
path = "$W/train.jsonl"
template = "chat"
answer_field = "solution"
system_prompt = "Think, then put the answer in \\\\boxed{}."
chat_template_kwargs = { enable_thinking = false }
[sampling]
k = 2
max_new_tokens = 16
[filter]
min_accuracy = 0.0
[output]
dir = "$W/sample"
[[rewards]]
name = "math"
TOML
"$R1" sample "$W/sample.toml" --quiet > "$W/sample.out" 2>&1 || { cat "$W/sample.out"; fail "sample"; }

python3 - "$W" <<'PY' || fail "prompts differ between train, eval and sample"
import json, sys
w = sys.argv[1]
def lines(p):
    return [json.loads(l) for l in open(p) if l.strip()]
train = {s["prompt"] for s in lines(w + "/run/samples.jsonl")}
evals = {q["prompt"] for q in lines(w + "/eval/questions.jsonl")}
sample = {p["prompt"] for p in lines(w + "/sample/prompts.jsonl")}
assert train and train <= evals and evals == sample, (train, evals, sample)
p = next(iter(evals))
assert p.startswith("<|im_start|>system\nThink, then put the answer in \\boxed{}.<|im_end|>"), p
assert p.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n"), p
PY

# generate: generation_config.json's temperature 0 is the default (greedy).
"$R1" generate --model "$CK" --prompt "What is 1 + 1?" --chat --max-new-tokens 24 > "$W/g1" 2>&1 || fail "generate"
"$R1" generate --model "$CK" --prompt "What is 1 + 1?" --chat --max-new-tokens 24 \
  --temperature 0 --seed 7 > "$W/g2" 2>&1 || fail "generate greedy"
cmp -s "$W/g1" "$W/g2" || fail "generate did not default to generation_config.json's temperature"

# Resume continues from the newest checkpoint's fp32 state.
"$R1" train "$W/run.toml" --set train.max_steps=3 --resume > "$W/resume.out" 2>&1 || { cat "$W/resume.out"; fail "resume"; }
grep -q "resumed from .*step-2" "$W/resume.out" || fail "resume message"
[ -d "$W/run/checkpoints/step-3" ] && [ ! -d "$CK" ] || fail "resume checkpoint"

# Every command's printed config reads back to the same config.
for cmd in train sft sample; do
  "$R1" $cmd --print-config > "$W/$cmd.defaults.toml" || fail "$cmd --print-config"
  "$R1" $cmd "$W/$cmd.defaults.toml" --print-config > "$W/$cmd.again.toml" || fail "$cmd read back"
  cmp -s "$W/$cmd.defaults.toml" "$W/$cmd.again.toml" || fail "$cmd: printed config reads back different"
done
"$R1" train "$W/run.toml" --print-config > "$W/run.printed.toml"
"$R1" train "$W/run.printed.toml" --print-config | cmp -s - "$W/run.printed.toml" || fail "run config round trip"
grep -q '^params = \|^require_think = false' "$W/run.printed.toml" || fail "reward params not TOML"
"$R1" verify --list-rewards | grep -q "^math: " || fail "--list-rewards"

# A renamed answer field is an error at load, naming the file, field and reward.
sed 's/"solution"/"gold"/' "$W/train.jsonl" > "$W/renamed.jsonl"
if "$R1" train "$W/run.toml" --set data.path="$W/renamed.jsonl" --set train.output_dir="$W/r2" 2> "$W/err"; then
  fail "missing answer field accepted"
fi
grep -q "renamed.jsonl:1: missing field 'solution', which reward 'math' reads" "$W/err" || { cat "$W/err"; fail "answer field message"; }
# A Llama-family body under a SentencePiece-style tokenizer (Llama 2 / TinyLlama
# layout: U+2581 pieces, <0xNN> byte fallback) with a Llama 2 chat template:
# GRPO for one step on chat prompts, then greedy generation that decodes.
SP="$W/sp_model"
"$R1" init --out "$SP" --family llama --tokenizer "$(dirname "$0")/../fixtures/tokenizer/sentencepiece/legacy" \
  --layers 2 --hidden 32 --heads 2 --kv-heads 1 --context 512 --seed 3 > /dev/null
python3 - "$SP/tokenizer_config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["chat_template"] = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
                      "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% else %}"
                      "{{ ' ' + m['content'] + eos_token }}{% endif %}{% endfor %}")
json.dump(c, open(p, "w"))
PY
"$R1" train "$W/run.toml" --set model.path="$SP" --set train.output_dir="$W/sp_run" \
  --set data.system_prompt= --set 'data.chat_template_kwargs={}' --set train.max_steps=1 \
  > "$W/sp_train.out" 2>&1 || { cat "$W/sp_train.out"; fail "train with a SentencePiece tokenizer"; }
python3 - "$W/sp_run/samples.jsonl" <<'PY' || fail "SentencePiece chat prompt"
import json, sys
s = json.loads(open(sys.argv[1]).readline())
assert s["prompt"].startswith("<s>[INST] What is ") and s["prompt"].endswith(" [/INST]"), s["prompt"]
PY
"$R1" generate --model "$W/sp_run/checkpoints/step-1" --prompt "What is 1 + 1?" --chat \
  --max-new-tokens 8 --temperature 0 > "$W/sp_g" 2>&1 || { cat "$W/sp_g"; fail "generate (SentencePiece)"; }
echo "own model end to end: ok"
