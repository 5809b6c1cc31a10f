#!/usr/bin/env bash
# Installs the Debian packages PageCycle needs (only those missing), then configures and builds.
# Environment: BUILD_DIR (default build), PC_SANITIZE=1 for the ASan+UBSan build, PC_FUZZ_BUILD=1 for the
# libFuzzer build (clang++-14; scripts/fuzz.sh), PC_BENCH_INSTR=1 to add valgrind (bench/instructions.sh).
# Arguments: build targets (default: everything), or --packages-only to install the packages and stop.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(cmake make g++ pkg-config libsystemc-dev nlohmann-json3-dev libcli11-dev libfmt-dev zlib1g-dev
      liblzma-dev libgtest-dev libgmock-dev libbenchmark-dev gzip xz-utils verilator
      python3 python3-matplotlib parallel)
# The libFuzzer build (scripts/fuzz.sh): clang++-14 with its sanitizer and fuzzer runtimes.
[ "${PC_FUZZ_BUILD:-0}" = 1 ] && PKGS+=(clang-14 libclang-rt-14-dev)
# bench/instructions.sh: valgrind counts the host instructions.
[ "${PC_BENCH_INSTR:-0}" = 1 ] && PKGS+=(valgrind)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[bootstrap] installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = --packages-only ] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
if [ "${PC_FUZZ_BUILD:-0}" = 1 ]; then
  CONF=(-DPC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")
elif [ "${PC_SANITIZE:-0}" = 1 ]; then
  CONF=(-DPC_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")
else
  CONF=(-DPC_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release)
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${CONF[@]}" >&2
fi
if (($#)); then
  cmake --build "$BUILD_DIR" -j2 --target "$@" >&2
else
  cmake --build "$BUILD_DIR" -j2 >&2
fi
