#!/usr/bin/env bash
# Builds everything and runs the whole test suite, plus the torch-free parsers
# under AddressSanitizer + UBSan, and each libFuzzer harness (its committed
# corpus as a regression suite, then a few seconds of fuzzing). This is what
# CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
scripts/venv.sh
R1_CMAKE_ARGS="-DR1_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" scripts/setup.sh build-asan
(cd build && ctest --output-on-failure -j2)
(cd build-asan && ctest --output-on-failure -j2)
scripts/fuzz.sh 4
# libtorch 2.x (PyPI's wheel, docs/install.md): the same suite against it.
# Opt-in until it is the default: a cold venv and build cost ~45 min here.
if [ "${R1_CI_TORCH2:-0}" = 1 ]; then
  R1_TORCH=pypi scripts/setup.sh build-torch2
  (cd build-torch2 && ctest --output-on-failure -j2)
fi
