#!/bin/sh
# Start-up (issue 21): r1 runs its torch-free commands without loading
# libtorch, and loads it once for the others (r1 sets the BLAS/OpenMP
# environment, then execs r1-torch; r1-torch run directly re-executes itself
# to set it, loading libtorch twice). The dynamic loader counts the loads
# (LD_DEBUG=files prints one "calling init" per library and process).
# usage: startup_test.sh R1 PAIRS_JSONL
set -eu
R1=$1
PAIRS=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
loads() { grep -c "calling init: .*libtorch_cpu" || true; }

# Library names only: a checkout's own path may contain "torch".
ldd "$R1" | awk '{print $1}' | grep -q torch && fail "r1 links libtorch: $(ldd "$R1" | grep torch)"

n=$(LD_DEBUG=files "$R1" --help 2>&1 >/dev/null | loads)
[ "$n" = 0 ] || fail "r1 --help loaded libtorch $n times"
n=$(LD_DEBUG=files "$R1" verify < "$PAIRS" 2>&1 >/dev/null | loads)
[ "$n" = 0 ] || fail "r1 verify loaded libtorch $n times"

n=$(env -u R1_NO_BLAS_REEXEC -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY -u OPENBLAS_CORETYPE \
    LD_DEBUG=files "$R1" info --system 2>&1 >/dev/null | loads)
[ "$n" = 1 ] || fail "r1 info loaded libtorch $n times, expected once"
n=$(env -u R1_NO_BLAS_REEXEC -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY -u OPENBLAS_CORETYPE \
    LD_DEBUG=files "$(dirname "$R1")/r1-torch" info --system 2>&1 >/dev/null | loads)
[ "$n" = 2 ] || fail "r1-torch run directly: $n loads, expected 2 (its re-exec sets the environment)"

# The environment reached r1-torch: libgomp was told the bounded spin.
out=$(env -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY -u R1_NO_BLAS_REEXEC "$R1" info --system)
echo "$out" | grep -q "^omp waiting: GOMP_SPINCOUNT=3000$" || fail "environment not passed: $out"

# A missing r1-torch is a clear error, not a crash.
dir=$(mktemp -d)
cp "$R1" "$dir/r1"
if "$dir/r1" train x.toml 2>"$dir/err"; then fail "r1 train without r1-torch succeeded"; fi
grep -q "cannot run .*r1-torch" "$dir/err" || fail "missing r1-torch: $(cat "$dir/err")"
rm -rf "$dir"
echo ok
