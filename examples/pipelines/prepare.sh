#!/bin/sh
# Inputs for the example pipelines (from any directory):
#   examples/pipelines/prepare.sh [R1_BINARY] [OUT_DIR] [N_TRAIN]
# The base model is the committed 0.8M-parameter one of the R1-Zero demo
# (examples/zero/base: it adds 4-digit numbers, mostly answering directly and
# wrongly, sometimes working it out in <think>); the distillation student is a
# random 2-layer model with its tokenizer. Data: 4-digit additions (r1 data gen).
set -e
# The caller's paths, absolute, before moving to the repo root (any directory works).
here=$(cd "$(dirname "$0")/../.." && pwd)
r1=${1:-$here/build/tools/r1/r1} out=${2:-$here/runs/pipelines/inputs} n=${3:-400}
case "$r1" in */*) r1=$(realpath -m "$r1") ;; esac
out=$(realpath -m "$out")
cd "$here"
mkdir -p "$out"
"$r1" init --family qwen2 --tokenizer examples/zero/base --layers 2 --hidden 64 --context 256 \
  --out "$out/student_base" > /dev/null
gen() { "$r1" data gen --task arithmetic --digits 4 --ops + "$@"; }
gen --n "$n" --seed 11 --with-solution --out "$out/cold.jsonl"   # worked solutions in <think>
gen --n "$n" --seed 12 --out "$out/train.jsonl"                  # {prompt, answer}
gen --n 100 --seed 13 --split test --out "$out/test.jsonl"       # held out
