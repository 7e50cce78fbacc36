#!/usr/bin/env bash
# The Debian -dev packages the build needs, unpacked into one git-ignored folder
# that travels with the source tree to a machine without them (scripts/gpu-check.sh,
# docs/gpu.md). Run here, on Debian 12 with network: `apt-get download` of each
# package (no root, nothing installed), `dpkg-deb -x`, then only what the build
# uses is kept. Static archives where Debian ships them (pcre2, seccomp, gtest,
# gmock); ICU and cpp-httplib (with the OpenSSL, zlib and brotli it was built
# with) as shared libraries. No symlinks: each library is copied under the name
# the linker and the loader ask for. libtorch is not in it (the GPU machine's
# torch wheel has its own); neither is google-benchmark (bench/ does not use it).
# Usage: scripts/bundle-deps.sh [out-dir]   (default: third_party/debs, <= 64 MiB)
#        scripts/bundle-deps.sh --check BUILD-DIR
# --check: on this (Debian) machine, after building BUILD-DIR with
# -DR1_DEPS_BUNDLE, every header the compiler opened and every library the
# linker was given must come from the source tree, the build, the bundle,
# libtorch, the CUDA toolkit or the C/C++ runtime (libc6-dev, linux-libc-dev,
# GCC's own): anything else is a package the GPU machine would lack (named
# through dpkg -S).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --check ]; then
  build=$(realpath "$2")
  base='^(libc6-dev|linux-libc-dev|libstdc\+\+-[0-9]+-dev|libgcc-[0-9]+-dev|gcc-[0-9]+|libgomp1|libc6|libgcc-s1|libstdc\+\+6)$'
  torch=$(grep -oP '^Torch_DIR:PATH=\K.*(?=/share/cmake/Torch)' "$build/CMakeCache.txt" || true)
  grep -q '^R1_DEPS_BUNDLE:PATH=.' "$build/CMakeCache.txt" && [ -n "$torch" ] || {
    echo "bundle-deps: error: $build was not configured with a torch wheel and -DR1_DEPS_BUNDLE" >&2
    exit 1
  }
  inside="^($PWD|$build|/usr/local/cuda[^/]*|$torch)/"
  (cd "$build" && {
    ninja -t deps | awk '/^    [^ ]/ {print $1}'
    ninja -t commands | tr ' ' '\n' | grep -E '\.(so[.0-9]*|a)$'
  } | sort -u | xargs -r realpath -m) | sort -u | grep -vE "$inside" > "$build/outside-deps.txt" || true
  owners=$(xargs -r dpkg -S < "$build/outside-deps.txt" 2>&1 || true)
  pkgs=$(echo "$owners" | grep -v '^dpkg-query:' | sed 's/: \/.*//' | tr ',' '\n' |
    sed 's/^ *//; s/:[a-z0-9]*$//' | sort -u | grep -vE "$base" || true)
  pkgs="$pkgs $(echo "$owners" | grep -o 'no path found matching pattern .*' | sed 's/.* /unowned:/' || true)"
  echo "bundle-deps: $(wc -l < "$build/outside-deps.txt") files outside the tree, bundle, torch and CUDA" \
    "(listed in $build/outside-deps.txt)"
  if [ -n "${pkgs// /}" ]; then
    echo "bundle-deps: error: the build used packages beyond the C/C++ runtime:" $pkgs >&2
    exit 1
  fi
  echo "bundle-deps: all of them belong to the C/C++ runtime (libc6-dev, linux-libc-dev, GCC)"
  exit 0
fi

OUT=${1:-third_party/debs}
LIMIT_MB=64

PACKAGES=(
  nlohmann-json3-dev libtomlplusplus-dev          # JSON, TOML (headers)
  libpcre2-dev libicu-dev libicu72                # the tokenizer's regex and Unicode
  libgtest-dev libgmock-dev                       # the tests
  libseccomp-dev                                  # the code reward's sandbox
  libcpp-httplib-dev libcpp-httplib0.11           # r1 serve, r1 dashboard
  libssl-dev libssl3 zlib1g-dev zlib1g libbrotli-dev libbrotli1  # what cpp-httplib was built with
)
# The files of usr/lib/x86_64-linux-gnu the build links (cmake/deps_bundle.cmake).
LIBS=(
  libpcre2-8.a libseccomp.a libgtest.a libgtest_main.a libgmock.a libgmock_main.a
  libicuuc.so.72 libicudata.so.72 libcpp-httplib.so.0.11
  libssl.so.3 libcrypto.so.3 libz.so.1 libbrotlicommon.so.1 libbrotlidec.so.1 libbrotlienc.so.1
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${PACKAGES[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
for p in "${PACKAGES[@]}"; do
  ls "$work"/"${p}"_*.deb >/dev/null 2>&1 || { echo "bundle-deps: error: $p was not downloaded" >&2; exit 1; }
done
mkdir "$work/root"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
# Merged /usr: zlib1g still ships its library under /lib.
if [ -d "$work/root/lib/x86_64-linux-gnu" ]; then
  cp -a "$work/root/lib/x86_64-linux-gnu/." "$work/root/usr/lib/x86_64-linux-gnu/"
fi

rm -rf "$OUT"
mkdir -p "$OUT/usr/lib/x86_64-linux-gnu/cmake" "$OUT/usr/share/cmake"
cp -a "$work/root/usr/include" "$OUT/usr/"
cp -a "$work/root/usr/share/cmake/nlohmann_json" "$OUT/usr/share/cmake/"
cp -a "$work/root/usr/lib/x86_64-linux-gnu/cmake/GTest" "$OUT/usr/lib/x86_64-linux-gnu/cmake/"
for lib in "${LIBS[@]}"; do
  cp -L "$work/root/usr/lib/x86_64-linux-gnu/$lib" "$OUT/usr/lib/x86_64-linux-gnu/$lib"
done
# What is in it, for the record (and for gpu-check.sh's results).
for deb in "$work"/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"; done \
  > "$OUT/MANIFEST"
links=$(find "$OUT" -type l)
[ -z "$links" ] || { echo "bundle-deps: error: symlinks left: $links" >&2; exit 1; }

mb=$(du -sm "$OUT" | cut -f1)
if [ "$mb" -gt "$LIMIT_MB" ]; then
  echo "bundle-deps: error: $OUT is $mb MiB, over the $LIMIT_MB MiB limit" >&2
  exit 1
fi
echo "bundle-deps: $OUT: $(wc -l < "$OUT/MANIFEST") packages, $mb MiB"
