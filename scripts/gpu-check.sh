#!/usr/bin/env bash
# One command on a machine with an NVIDIA GPU (docs/gpu.md): builds r1cpp
# against the torch wheel of the machine's Python and the dependency bundle
# that travels with the tree (scripts/bundle-deps.sh; no network, no Debian
# -dev packages, no pkg-config needed), then runs the test suite with the CUDA
# device, a short GRPO run of examples/zero/zero.toml on cuda and the engine
# benchmark. Everything it sees goes into one results folder: env.log
# (nvidia-smi, toolkit, torch, compiler, glibc), one log per stage, gpu.csv
# (utilisation and memory, sampled each second) and summary.md (each stage's
# status and seconds). Each stage has a timeout; the whole run stays under
# 10 minutes. Exit status: 0 when every stage passed.
#
#   scripts/gpu-check.sh [results-dir]   (default: runs/gpu-check-<UTC time>)
#
# R1_PYTHON       the Python whose torch to build against (default: python3.12,
#                 else python3)
# R1_DEPS_BUNDLE  the bundle (default: third_party/debs)
# R1_GPU_BUILD    the build folder (default: build-gpu; reused when present)
# R1_CHECK_CTEST_ARGS  more ctest arguments (e.g. "-R Transformer")
# R1_CHECK_SCALE  multiplies every timeout (default 1; >1 only to try the
#                 script on a slow machine)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RES=$(realpath -m "${1:-runs/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}")
BUNDLE=$(realpath -m "${R1_DEPS_BUNDLE:-third_party/debs}")
BUILD=$(realpath -m "${R1_GPU_BUILD:-build-gpu}")
SCALE=${R1_CHECK_SCALE:-1}
if [ -z "${R1_PYTHON:-}" ]; then
  R1_PYTHON=$(command -v python3.12 || command -v python3 || true)
fi
mkdir -p "$RES"
START=$(date +%s)
JOBS=$(nproc)

# Seconds each stage may take (sum 590 s, under the 10-minute bound).
T_ENV=20 T_CONFIGURE=60 T_BUILD_TOOLS=180 T_BUILD_ALL=120 T_TESTS=110 T_GRPO=60 T_BENCH=40

printf '| stage | status | seconds |\n|---|---|---|\n' > "$RES/summary.md"
failed=0
# stage NAME TIMEOUT COMMAND...: runs COMMAND with its output in NAME.log.
stage() {
  local name=$1 limit=$(($2 * SCALE)) t0 rc status
  shift 2
  t0=$(date +%s)
  echo "gpu-check: $name (at most ${limit}s)"
  # bash -c: the stages are the functions below (exported).
  timeout --kill-after=5 "$limit" bash -c '"$@"' stage "$@" > "$RES/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timed out after ${limit}s" ;;
    *) status="failed (exit $rc)" ;;
  esac
  [ $rc -eq 0 ] || failed=1
  printf '| %s | %s | %d |\n' "$name" "$status" $(($(date +%s) - t0)) >> "$RES/summary.md"
  echo "gpu-check: $name: $status"
  return $rc
}

environment() {
  echo "== date"; date -u
  echo "== git"; git -C "$ROOT" log -1 --format='%H %s' 2>/dev/null || echo "(not a git checkout)"
  # Recorded, not required: without a GPU the script still builds and tests
  # (on the CPU) and its exit status says no GPU ran.
  echo "== nvidia-smi"; nvidia-smi || echo "(no nvidia-smi)"
  echo "== nvcc"; nvcc --version || echo "(no nvcc)"
  echo "== torch"
  "$R1_PYTHON" -c 'import torch, sys; print(sys.version.split()[0], torch.__version__, "cuda", torch.version.cuda,
"available", torch.cuda.is_available(), "cxx11 abi", torch.compiled_with_cxx11_abi());
print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no device")'
  echo "== compiler"; c++ --version | head -1; cmake --version | head -1; echo "ninja $(ninja --version)"
  echo "== cpu"; nproc; grep -m1 "model name" /proc/cpuinfo; free -g | head -2
  echo "== bundle"; cat "$BUNDLE/MANIFEST"
  # The bundle comes from Debian 12: its shared libraries ask for symbol
  # versions up to glibc 2.34 and GCC 12's libstdc++ (GLIBCXX_3.4.30). An
  # older system cannot load them: stop here with the versions named.
  local libs=("$BUNDLE"/usr/lib/x86_64-linux-gnu/*.so*) stdcxx
  stdcxx=$(c++ -print-file-name=libstdc++.so.6)
  newer_than_system() {  # VERSION-PREFIX LIBRARY: the bundle's newest the system lacks
    local need
    need=$(objdump -T "${libs[@]}" | grep -o "$1[0-9.]*" | sort -V -u | tail -1)
    echo "$1: the bundle needs $need"
    objdump -T "$2" | grep -q "$need" || { echo "gpu-check: error: $2 has no $need"; return 1; }
  }
  newer_than_system GLIBC_ "$(readlink -f "$(c++ -print-file-name=libc.so.6)")" &&
    newer_than_system GLIBCXX_ "$(readlink -f "$stdcxx")" || return 1
  [ -f "$BUNDLE/usr/include/pcre2.h" ] ||
    { echo "gpu-check: error: no bundle at $BUNDLE (run scripts/bundle-deps.sh where apt works)"; return 1; }
}

configure() {
  local torch_root
  torch_root=$("$R1_PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))') || return 1
  # Always reconfigure (a folder from another machine or torch must not linger).
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_root" -DR1_DEPS_BUNDLE="$BUNDLE" \
    -DPython3_EXECUTABLE="$R1_PYTHON"
}

# The device switches exist once issue 19's devices land: until then the run
# and the benchmark go on the CPU and summary.md says so.
has_device_option() { grep -q '^| `model.device`' "$ROOT/docs/config.md"; }
bench_has_device() { grep -q -- '"--device"' "$ROOT/bench/bench_engine.cpp"; }

grpo() {
  local r1=$BUILD/tools/r1/r1 dev=()
  has_device_option && dev=(--set model.device=cuda)
  "$r1" data gen --task arithmetic --digits 4 --ops + --n 400 --seed 0 --out "$RES/grpo-train.jsonl" &&
    "$r1" data gen --task arithmetic --digits 4 --ops + --n 64 --seed 0 --split test \
      --out "$RES/grpo-test.jsonl" &&
    time "$r1" train examples/zero/zero.toml --set train.max_steps=10 \
      --set train.output_dir="$RES/grpo" --set data.path="$RES/grpo-train.jsonl" \
      --set data.eval_path="$RES/grpo-test.jsonl" ${dev[@]+"${dev[@]}"}
}

bench() {
  local dev=()
  bench_has_device && dev=(--device cuda)
  "$BUILD/bench/bench_engine" --quick ${dev[@]+"${dev[@]}"}
}

# Half as many test processes as cores, two threads each.
tests() {
  cd "$BUILD" && OMP_NUM_THREADS=2 R1_THREADS=2 ctest -j$((JOBS / 2 > 0 ? JOBS / 2 : 1)) \
    --timeout 100 --output-on-failure ${R1_CHECK_CTEST_ARGS:-}
}
export -f environment configure has_device_option bench_has_device grpo bench tests
export ROOT RES BUNDLE BUILD R1_PYTHON JOBS

# GPU utilisation and memory through the whole check: shows whether the
# stages that should use the GPU did.
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw --format=csv -l 1 \
  > "$RES/gpu.csv" 2> /dev/null &
SMI=$!
trap 'kill $SMI 2> /dev/null' EXIT

export R1_TEST_DEVICE=cuda  # the tests' device hook (issue 19)
# No LD_LIBRARY_PATH: the programs' RPATH finds the bundle's shared libraries
# (and theirs); the system's Python must keep its own OpenSSL.

if stage env $T_ENV environment && stage configure $T_CONFIGURE configure; then
  # The programs the GPU stages need first, so a slow test build cannot starve them.
  stage build-tools $T_BUILD_TOOLS cmake --build "$BUILD" -j"$JOBS" --target r1 r1-torch bench_engine
  stage build-all $T_BUILD_ALL cmake --build "$BUILD" -j"$JOBS" -- -k 0
  stage tests $T_TESTS tests
  if [ -x "$BUILD/tools/r1/r1" ]; then
    stage grpo $T_GRPO grpo
    stage bench-engine $T_BENCH bench
  fi
fi
nvidia-smi > "$RES/nvidia-smi-after.txt" 2>&1

gpu=$(nvidia-smi -L 2> /dev/null | head -1)
{
  echo
  if [ -n "$gpu" ]; then echo "GPU: $gpu"; else echo "GPU: none found; nothing ran on a GPU." && failed=1; fi
  has_device_option && echo "GRPO: --set model.device=cuda." ||
    echo "GRPO: this build has no model.device yet: the run went on the CPU."
  bench_has_device && echo "bench_engine: --device cuda." ||
    echo "bench_engine: no --device yet: it measured the CPU."
  grep -E "tests passed|tests failed" "$RES/tests.log" 2>/dev/null
  echo "total: $(($(date +%s) - START)) s"
} >> "$RES/summary.md"
cat "$RES/summary.md"
echo "gpu-check: results in $RES"
exit $failed
