#!/usr/bin/env bash
# README command two: install what is missing, build, and run the whole test suite (all but `slow`).
# PC_SANITIZE=1 BUILD_DIR=build-asan runs the same suite under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SC_COPYRIGHT_MESSAGE=DISABLE
ctest --test-dir "${BUILD_DIR:-build}" -LE slow -j2 --output-on-failure "$@"
