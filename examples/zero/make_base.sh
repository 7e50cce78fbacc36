#!/usr/bin/env bash
# Rebuilds the R1-Zero demo's base model from nothing, with r1's own commands
# (issue 8 item 2): a corpus of 4-digit additions where 25% of the rows work
# the columns out in <think>...</think> and 75% answer directly, a byte-level
# BPE tokenizer trained on it, a random tiny Qwen2, and one epoch of SFT.
# Deterministic on CPU. The result is committed as examples/zero/base/.
#
#   examples/zero/make_base.sh [OUT_DIR]      # default runs/zero-base; ~5 min on 2 cores
#
# ROWS=N shrinks the corpus (the test suite runs it with a few hundred rows).
set -euo pipefail
# The caller's paths, absolute, before moving to the repo root (any directory works).
OUT=$(realpath -m "${1:-$(dirname "$0")/../../runs/zero-base}")
case "${R1:-}" in */*) R1=$(realpath -m "$R1") ;; esac
cd "$(dirname "$0")/../.."
R1=${R1:-build/tools/r1/r1}
ROWS=${ROWS:-40000}
mkdir -p "$OUT"

$R1 data gen --task arithmetic --digits 4 --ops + --n "$ROWS" --seed 1 \
  --with-solution --think-fraction 0.25 --out "$OUT/corpus.jsonl"
$R1 tokenizer train --in "$OUT/corpus.jsonl" --field prompt --field completion \
  --vocab-size 300 --out "$OUT/tokenizer"
$R1 init --family qwen2 --tokenizer "$OUT/tokenizer" --layers 4 --hidden 128 --heads 4 \
  --kv-heads 2 --ffn 384 --context 256 --seed 1 --out "$OUT/init"
$R1 sft examples/zero/base_sft.toml --set model.path="$OUT/init" \
  --set data.path="$OUT/corpus.jsonl" --set train.output_dir="$OUT/sft"
# The last checkpoint, without its optimizer and trainer state, is the base model.
last=$(ls -d "$OUT"/sft/checkpoints/step-* | sort -t- -k2 -n | tail -1)
rm -rf "$OUT/model"
cp -r "$last" "$OUT/model"
rm -f "$OUT/model/optimizer.pt" "$OUT/model/trainer_state.json"
echo "base model: $OUT/model"
