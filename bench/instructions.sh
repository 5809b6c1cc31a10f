#!/usr/bin/env bash
# Host instructions per request (DRAM trace replays) and per access (whole platform), counted by valgrind's
# callgrind over the whole process. Unlike CPU time, the count is exact and the same on every run of one
# binary, so two binaries compare to the last instruction on a host whose CPU time spreads by 10-30%
# (it does not show cache misses or mispredicted branches: report CPU time too). Runs:
#   seq, rand, mix   the traces of bench/dram_trace_bench.sh (REQUESTS each), replayed --fast on ddr4-3200
#                    with the timing checker on and off
#   hit              bench/platform_bench.sh's hit case (nehalem, 16 KiB per core), 20 x REQUESTS accesses per
#                    core (a hit takes so few instructions that the start-up would count for most otherwise)
#   stream           the DRAM-bound `stream` preset, REQUESTS accesses per core
# Callgrind runs about 50 times slower than the plain binary: the default of 100,000 takes about a minute.
# Installs valgrind (Debian package) if it is missing.
# Usage: bench/instructions.sh [pagecycle binary] [requests]
set -euo pipefail
PC=${1:-build/platform/app/pagecycle}
N=${2:-100000}
case "$N" in '' | *[!0-9]* | 0 | 1)  # (one request is the start-up run: at least two)
  echo "instructions.sh: requests must be a whole number of at least 2, not '$N'" >&2
  exit 2
  ;;
esac
[ -x "$PC" ] || { echo "instructions.sh: $PC: no such executable (build it first: scripts/bootstrap.sh)" >&2; exit 2; }
command -v valgrind >/dev/null || PC_BENCH_INSTR=1 bash "$(dirname "$0")/../scripts/bootstrap.sh" --packages-only
export SC_COPYRIGHT_MESSAGE=DISABLE
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# count ARGS...: the instructions of one run of pagecycle ARGS. (No stats JSON: its `host` figures, times
# and sizes, would add a few instructions more or less from run to run.)
count() {
  if ! valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PC" "$@" >"$DIR/out" 2>"$DIR/err"; then
    echo "instructions.sh: pagecycle $* failed:" >&2
    cat "$DIR/out" "$DIR/err" >&2
    exit 1
  fi
  local n
  n=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$DIR/err")
  [ -n "$n" ] || { echo "instructions.sh: no instruction count in valgrind's output" >&2; cat "$DIR/err" >&2; exit 1; }
  echo "$n"
}
# accesses ARGS...: the simulated memory accesses of pagecycle run ARGS (run natively).
accesses() {
  "$PC" run "$@" --stats-json "$DIR/s.json" >/dev/null
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["summary"]["mem_accesses"])' "$DIR/s.json"
}

# Each case is also run with one request (one access per core): its instructions are the start-up and the
# end (elaboration, the store's first pages, the report), and "per request" leaves them out.
printf '%-7s %-8s %10s %16s %12s %12s\n' case checker requests instructions "start-up" "per request"
row() {  # row CASE CHECKER REQUESTS INSTRUCTIONS BASE_REQUESTS BASE_INSTRUCTIONS
  printf '%-7s %-8s %10d %16d %12d %12.1f\n' "$1" "$2" "$3" "$4" "$6" "$(echo "($4 - $6) / ($3 - $5)" | bc -l)"
}
for mode in seq rand mix; do
  bash "$(dirname "$0")/gen_dram_trace.sh" "$mode" "$N" "$DIR/$mode.trace"
  head -n 1 "$DIR/$mode.trace" >"$DIR/one.trace"
  for checker in on off; do
    set_args=()
    [ "$checker" = off ] && set_args=(--set dram.ddr.ctrl.checker=false)
    n=$(count dram-trace "$DIR/$mode.trace" --fast --preset ddr4-3200 "${set_args[@]}" -q)
    base=$(count dram-trace "$DIR/one.trace" --fast --preset ddr4-3200 "${set_args[@]}" -q)
    row "$mode" "$checker" "$N" "$n" 1 "$base"
  done
done
# platform CASE ACCESSES_PER_CORE ARGS...
platform() {
  local name=$1 per_core=$2
  shift 2
  local n a base a1
  n=$(count run -q "$@" --set workload.synthetic.accesses="$per_core")
  a=$(accesses -q "$@" --set workload.synthetic.accesses="$per_core")
  base=$(count run -q "$@" --set workload.synthetic.accesses=1)
  a1=$(accesses -q "$@" --set workload.synthetic.accesses=1)
  row "$name" - "$a" "$n" "$a1" "$base"
}
platform hit $((20 * N)) --preset nehalem --set workload.synthetic.pattern=sequential \
  --set workload.synthetic.footprint_kib=16
platform stream "$N" --preset stream
