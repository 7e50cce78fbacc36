#!/usr/bin/env bash
# The demo (examples/zero/run.sh) once per policy loss / advantage estimator of
# docs/grpo-algorithms.md, same base, data, seed and steps: a table of held-out
# pass@1 before and after, and every run's held-out curve in one PNG.
#
#   examples/zero/compare.sh R1_BINARY OUT_DIR [STEPS] [VARIANT ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
R1=$1
OUT=$2
STEPS=${3:-40}
shift $(($# < 3 ? $# : 3))

# name: the --set overrides on top of zero.toml (dr_grpo loss, grpo advantages)
declare -A SETS=(
  [grpo]=""
  [cispo]="rl.loss_type=cispo rl.epsilon_high=5.0"
  [sapo]="rl.loss_type=sapo"
  [grpo_aggregation]="rl.loss_type=grpo"
  [dapo_top_entropy]="rl.loss_type=dapo rl.epsilon_high=0.28 rl.top_entropy_quantile=0.2"
  [rloo]="rl.advantage_estimator=rloo"
  [reinforce_plus_plus]="rl.advantage_estimator=reinforce_plus_plus"
  [reinforce_plus_plus_baseline]="rl.advantage_estimator=reinforce_plus_plus_baseline"
  [remax]="rl.advantage_estimator=remax"
)
VARIANTS=("$@")
[ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(grpo cispo sapo dapo_top_entropy rloo reinforce_plus_plus
  reinforce_plus_plus_baseline remax)

mkdir -p "$OUT"
for v in "${VARIANTS[@]}"; do
  [ -n "${SETS[$v]+x}" ] || { echo "compare.sh: unknown variant '$v' (${!SETS[*]})" >&2; exit 2; }
  args=()
  for s in ${SETS[$v]}; do args+=(--set "$s"); done
  start=$(date +%s)
  examples/zero/run.sh "$R1" "$OUT/$v" "$STEPS" 200 "${args[@]}" > "$OUT/$v.log" 2>&1
  echo "$v: $(($(date +%s) - start)) s"
done
python3 tools/compare_runs.py --out "$OUT/compare.png" --table "$OUT/compare.md" \
  $(for v in "${VARIANTS[@]}"; do echo "$v=$OUT/$v"; done)
cat "$OUT/compare.md"
