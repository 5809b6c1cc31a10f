#!/usr/bin/env bash
# Whole-platform speed (issue 15): simulated memory accesses per host CPU second (user + system of the
# whole process, so start-up counts), median of 3 runs, for
#   hit      nehalem preset (paging and caches on), each core walking a 16 KiB buffer (TLB and L1 hits)
#   default  the default platform's DRAM-bound Zipf stream (no caches: every access reaches DDR4-3200)
# Usage: bench/platform_bench.sh [pagecycle binary] [runs]
set -euo pipefail
PC=${1:-build/platform/app/pagecycle}
RUNS=${2:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
printf '%-8s %12s %10s %14s  %s\n' case accesses "CPU s" "M accesses/s" "runs (CPU s)"
bench() {  # bench NAME pagecycle-run-args...
  local name=$1
  shift
  local res=()
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%U %S' -o "$DIR/time" "$PC" run -q --stats-json "$DIR/s.json" "$@"
    res+=("$(awk '{ printf "%.3f", $1 + $2 }' "$DIR/time")")
  done
  local n cpu
  n=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["summary"]["mem_accesses"])' "$DIR/s.json")
  cpu=$(printf '%s\n' "${res[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
  printf '%-8s %12d %10.3f %14.3f  %s\n' "$name" "$n" "$cpu" "$(echo "$n / $cpu / 1000000" | bc -l)" "${res[*]}"
}
bench hit --preset nehalem --set workload.synthetic.pattern=sequential --set workload.synthetic.footprint_kib=16 \
  --set workload.synthetic.accesses=4000000
bench default --preset stream
