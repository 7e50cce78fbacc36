#!/usr/bin/env bash
# Installs what r1cpp needs on Debian 12 and builds it. Idempotent: packages
# already present are not reinstalled; the build is incremental (ccache).
# Usage: scripts/setup.sh [build-dir]   (default: build)
#   R1_TORCH=debian (default)  Debian's libtorch-dev (1.13, CPU, OpenBLAS)
#   R1_TORCH=pypi              PyPI's torch wheel (version pinned in
#                              scripts/torch-requirements.txt; the CUDA build, MKL
#                              inside) in a git-ignored venv, R1_TORCH_VENV
#                              (default .venv-torch/), created or reused
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
R1_TORCH=${R1_TORCH:-debian}
case "$R1_TORCH" in
  debian | pypi) ;;
  *) echo "setup: error: R1_TORCH='$R1_TORCH': expected debian or pypi" >&2; exit 1 ;;
esac

# Every system dependency, in one place.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgloo-dev             # c10d's Gloo headers (src/dist), for both torches: the wheel has none
  nlohmann-json3-dev libtomlplusplus-dev libpcre2-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  bubblewrap libseccomp-dev python3   # the code reward's sandbox (g++ comes with build-essential)
  gnuplot-nox             # r1 plot: the PNG curves of a run
  libcpp-httplib-dev      # r1 serve, r1 dashboard: the HTTP server
  libjs-dygraphs          # r1 dashboard: its charts (served locally, no CDN)
  python3-venv            # scripts/venv.sh: the tests' reference packages (openai, tensorboard)
  chromium                # tests/serve/dashboard_test.py: the dashboard in a headless browser
  clang libclang-rt-14-dev  # the libFuzzer harnesses (scripts/fuzz.sh)
)

if [ "$R1_TORCH" = debian ]; then
  PACKAGES+=(
    libtorch-dev            # libtorch 1.13 (CPU)
    libopenblas0-pthread    # without it torch uses reference BLAS: ~30x slower matmuls
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

TORCH_ARGS=()
if [ "$R1_TORCH" = debian ]; then
  # torch loads whatever libblas.so.3 the alternatives system points at.
  blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
  case "$blas" in
    *openblas*) ;;
    *) echo "setup: error: libblas.so.3 resolves to '$blas', not OpenBLAS;" \
            "run: update-alternatives --auto libblas.so.3-x86_64-linux-gnu" >&2; exit 1 ;;
  esac
else
  VENV=${R1_TORCH_VENV:-.venv-torch}
  REQ=scripts/torch-requirements.txt
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  want=$(sed -n 's/^torch==\([^ ]*\).*/\1/p' "$REQ")
  have=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)
  if [ "${have%%+*}" != "$want" ]; then
    echo "setup: installing torch $want into $VENV (about 4 GB with its CUDA libraries)"
    "$VENV/bin/pip" install -q -r "$REQ"
  fi
  # The folder that holds share/cmake/Torch *and* lib/: CMake then searches
  # the wheel's lib/ before the system's (see CMakeLists.txt).
  TORCH_ROOT=$("$VENV/bin/python" -c 'import os, importlib.util as u; print(os.path.dirname(u.find_spec("torch").origin))')
  TORCH_ARGS=(-DCMAKE_PREFIX_PATH="$TORCH_ROOT")
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout: clones and worktrees elsewhere share the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${TORCH_ARGS[@]+"${TORCH_ARGS[@]}"} \
    ${R1_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$BUILD_DIR" -j"${R1_JOBS:-2}"
