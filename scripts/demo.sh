#!/usr/bin/env bash
# The main job. Until the R1-Zero demo lands: a smoke run that creates a tiny
# Qwen2 model, prints its facts and scores a token sequence with it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
R1=build/tools/r1/r1
OUT=runs/smoke
mkdir -p "$OUT"
$R1 init --family qwen2 --layers 2 --hidden 64 --out "$OUT/model" --seed 0
$R1 info --model "$OUT/model" --system
echo '{"ids": [1, 2, 3, 4, 5, 6, 7, 8]}' | $R1 score --model "$OUT/model"
