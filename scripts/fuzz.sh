#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, see its README) in build-fuzz with clang++-14 and runs them.
#   scripts/fuzz.sh NAME [libFuzzer options]   one harness (config, scenario, lackey, dram_trace, disk,
#                                              swap_header),
#                                              e.g. -max_total_time=3600, -runs=1000000, -fork=2
#   scripts/fuzz.sh --ci [RUNS]                every harness for RUNS executions from the checked-in corpus
#                                              (default 20000; the disk harness a tenth of it), seed 1
# A long run keeps its growing corpus in build-fuzz/corpus/NAME (seeded from tests/fuzz/corpus/NAME) and
# writes crash inputs to build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
HARNESSES=()
for f in tests/fuzz/fuzz_*.cpp; do
  h=$(basename "$f" .cpp)
  h=${h#fuzz_}
  [ "$h" = common ] || [ "$h" = stub_main ] || HARNESSES+=("$h")
done

PC_FUZZ_BUILD=1 BUILD_DIR=$BUILD bash scripts/bootstrap.sh "${HARNESSES[@]/#/fuzz_}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SC_COPYRIGHT_MESSAGE=DISABLE
mkdir -p "$BUILD/crashes"

# Per-harness options: the longest useful input, the dictionary.
opts() {
  case $1 in
    config) echo "-max_len=2048 -dict=tests/fuzz/config.dict" ;;
    scenario) echo "-max_len=2048" ;;
    disk) echo "-max_len=512 -detect_leaks=0" ;;
    swap_header) echo "-max_len=4099" ;;  # flags, area size, a whole raw page
    *) echo "-max_len=1024" ;;
  esac
}

run() {  # run NAME CORPUS_DIRS... OPTIONS...
  local name=$1 asan=$ASAN_OPTIONS
  shift
  # SystemC's coroutine stacks make LeakSanitizer report libFuzzer's own objects at exit; the replay test
  # in the ASan build keeps the leak check for the controller.
  [ "$name" = disk ] && asan="$asan:detect_leaks=0"
  # shellcheck disable=SC2046
  ASAN_OPTIONS=$asan "$BUILD/tests/fuzz/fuzz_$name" $(opts "$name") -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$BUILD/crashes/$name-" "$@"
}

if [ "${1:-}" = --ci ]; then
  runs=${2:-20000}
  for h in "${HARNESSES[@]}"; do
    n=$runs
    [ "$h" = disk ] && n=$((runs / 10))
    work=$(mktemp -d)  # new units stay out of the source tree
    start=$(date +%s)
    if ! run "$h" "$work" "tests/fuzz/corpus/$h" -runs="$n" -seed=1 >"$BUILD/ci_$h.log" 2>&1; then
      tail -60 "$BUILD/ci_$h.log"
      echo "fuzz: $h broke its contract; the input is in $BUILD/crashes/ (tests/fuzz/README.md says what next)" >&2
      exit 1
    fi
    echo "fuzz: $h: $n executions in $(($(date +%s) - start)) s, $(grep -ao 'cov: [0-9]* ft: [0-9]*' "$BUILD/ci_$h.log" | tail -1)"
    rm -rf "$work"
  done
  exit 0
fi

name=${1:?usage: scripts/fuzz.sh NAME [libFuzzer options] | --ci [RUNS]}
shift
[ -f "tests/fuzz/fuzz_$name.cpp" ] || { echo "no harness '$name' (one of: ${HARNESSES[*]})" >&2; exit 2; }
mkdir -p "$BUILD/corpus/$name"
run "$name" "$BUILD/corpus/$name" "tests/fuzz/corpus/$name" "$@"
