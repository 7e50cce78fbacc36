#!/bin/sh
# r1 info --system: the OpenMP waiting r1 sets for itself (a bounded spin,
# src/util/system.cpp) unless the user set one, which wins.
# usage: info_system_test.sh R1
set -eu
R1=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u R1_NO_BLAS_REEXEC "$R1" info --system)
echo "$out" | grep -q "^omp waiting: GOMP_SPINCOUNT=3000$" || fail "default waiting: $out"
echo "$out" | grep -q "^threads: " || fail "threads line: $out"

out=$(env -u GOMP_SPINCOUNT -u R1_NO_BLAS_REEXEC OMP_WAIT_POLICY=PASSIVE "$R1" info --system)
echo "$out" | grep -q "^omp waiting: OMP_WAIT_POLICY=PASSIVE$" || fail "user's policy: $out"
echo ok
