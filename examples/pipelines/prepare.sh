#!/bin/sh
# Inputs for the example pipelines: random tiny base models (r1 init, the
# test tokenizer) and 2-digit addition data (r1 data gen). Run from the repo
# root:  examples/pipelines/prepare.sh [R1_BINARY] [OUT_DIR] [N_TRAIN]
set -e
r1=${1:-build/tools/r1/r1} out=${2:-runs/pipelines/inputs} n=${3:-400}
tok=tests/fixtures/tokenizer/tiny
mkdir -p "$out"
"$r1" init --family qwen2 --tokenizer $tok --out "$out/base" > /dev/null
# The distillation teacher is larger than its student; both share the tokenizer.
"$r1" init --family qwen2 --tokenizer $tok --layers 4 --hidden 128 --out "$out/teacher_base" > /dev/null
"$r1" data gen --task arithmetic --digits 2 --ops + --n "$n" --seed 1 --with-solution --out "$out/cold.jsonl"
"$r1" data gen --task arithmetic --digits 2 --ops + --n "$n" --seed 2 --out "$out/train.jsonl"
"$r1" data gen --task arithmetic --digits 2 --ops + --n 100 --seed 3 --split test --out "$out/test.jsonl"
