#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang + ASan + UBSan) and runs each:
# first its committed corpus as a regression suite (every input, crashers
# included, must pass), then SECONDS of new fuzzing from that corpus.
# Usage: scripts/fuzz.sh [SECONDS]   (default 4: the test suite's short run;
#        scripts/fuzz.sh 600 is the long run, ten minutes per harness)
# New inputs go to build-fuzz/work/<name>/ (not the committed corpus); a
# crash stops the script with the input's path: fix it, then commit the input
# as fuzz/corpus/<name>/crash-<what> so the regression pass keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-4}
BUILD=build-fuzz
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DR1_FUZZ=ON > /dev/null
fi
cmake --build "$BUILD" -j"${R1_JOBS:-2}" --target fuzzers
status=0
for corpus in fuzz/corpus/*/; do
  name=$(basename "$corpus")
  bin="$BUILD/fuzz/$name"
  work="$BUILD/work/$name" && mkdir -p "$work" "$BUILD/artifacts"
  flags=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$BUILD/artifacts/$name-")
  if ! "$bin" "${flags[@]}" -runs=0 "$corpus" > "$BUILD/$name.regress.log" 2>&1; then
    echo "fuzz: $name: a committed input fails (log: $BUILD/$name.regress.log)" >&2
    status=1
    continue
  fi
  if ! "$bin" "${flags[@]}" -max_total_time="$SECONDS_EACH" "$work" "$corpus" \
      > "$BUILD/$name.log" 2>&1; then
    echo "fuzz: $name: crash, input in $BUILD/artifacts/ (log: $BUILD/$name.log)" >&2
    status=1
    continue
  fi
  echo "fuzz: $name: $(ls "$corpus" | wc -l) corpus inputs pass;" \
       "$(grep -o 'DONE.*exec/s: [0-9]*' "$BUILD/$name.log" | sed 's/.*#//' | head -1)"
done
exit $status
