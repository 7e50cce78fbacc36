#!/usr/bin/env bash
# Data-parallel GRPO on CPU: one process with 2 compute threads against two
# processes (r1 launch, Gloo over loopback) with 1 thread each, same run,
# same machine, on the demo (examples/zero: 0.8M parameters, 16 questions x 8)
# and on a larger random model (hidden 256, 4 layers). Prints the mean step
# time (steps after the first), each process's time in communication and the
# bytes all-reduced per step, from the runs' metrics.jsonl.
#   bench/dist_grpo.sh R1_BINARY OUT_DIR [STEPS]
set -euo pipefail
R1=$(realpath "$1")
OUT=$(realpath -m "$2")
STEPS=${3:-6}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
$R1 data gen --task arithmetic --digits 4 --ops + --n 4000 --seed 0 --out "$OUT/train.jsonl" > /dev/null
[ -d "$OUT/h256x4" ] || $R1 init --out "$OUT/h256x4" --hidden 256 --layers 4 \
  --tokenizer examples/zero/base > /dev/null
common=(--set train.max_steps="$STEPS" --set data.path="$OUT/train.jsonl" --set data.eval_every=0
  --set data.eval_path= --set train.checkpoint_every=0 --set train.log_samples=0)
for shape in demo h256x4; do
  model=$([ $shape = demo ] && echo examples/zero/base || echo "$OUT/h256x4")
  R1_THREADS=2 $R1 train examples/zero/zero.toml "${common[@]}" --set model.path="$model" \
    --set train.output_dir="$OUT/$shape-1x2" 2> "$OUT/$shape-1x2.log"
  R1_THREADS=1 $R1 launch --nproc 2 -- train examples/zero/zero.toml "${common[@]}" \
    --set model.path="$model" --set train.output_dir="$OUT/$shape-2x1" 2> "$OUT/$shape-2x1.log"
done
python3 - "$OUT" << 'PY'
import json, sys
out = sys.argv[1]
def steps(run):
    m = [json.loads(l) for l in open(f"{out}/{run}/metrics.jsonl") if '"time"' in l]
    return m[1:]  # the first step pays the warm-up
print(f"{'shape':8} {'procs x threads':16} {'s/step':>7} {'rollout':>8} {'update':>7} "
      f"{'comm s':>7} {'MB reduced':>10} {'speed-up':>8}")
for shape in ("demo", "h256x4"):
    base = None
    for run, label in ((f"{shape}-1x2", "1 x 2"), (f"{shape}-2x1", "2 x 1")):
        m = steps(run)
        n = len(m)
        t = sum(x["time"]["total"] for x in m) / n
        ro = sum(x["time"]["rollout"] for x in m) / n
        up = sum(x["time"]["update"] for x in m) / n
        comm = sum(x["time"].get("communication", 0) for x in m) / n
        mb = sum(x.get("dist", {}).get("bytes_all_reduced", 0) for x in m) / n / 1e6
        base = base or t
        print(f"{shape:8} {label:16} {t:7.2f} {ro:8.2f} {up:7.2f} {comm:7.3f} {mb:10.2f} "
              f"{base / t:7.2f}x")
PY
