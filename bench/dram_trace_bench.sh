#!/usr/bin/env bash
# DRAM trace benchmark: generates 1,000,000-request traces (sequential reads, uniform random reads over
# 1 GiB, random 2:1 read/write over 1 GiB) and replays each with `pagecycle dram-trace --fast` on ddr4-3200
# (as fast as the controller accepts, as Ramulator 2 replays its traces; the stamps are one per cycle),
# with the timing checker on and off. Prints whole-process CPU seconds (user + system), requests per CPU
# second and peak resident memory, median of 3 runs (by CPU time).
# Usage: bench/dram_trace_bench.sh [pagecycle binary] [requests] [runs]
set -euo pipefail
PC=${1:-build/platform/app/pagecycle}
N=${2:-1000000}
RUNS=${3:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
printf '%-5s %-8s %10s %12s %9s  %s\n' trace checker "CPU s" "M req/s" "RSS MB" "runs (CPU s)"
for mode in seq rand mix; do
  bash "$(dirname "$0")/gen_dram_trace.sh" "$mode" "$N" "$DIR/$mode.trace"
  for checker in on off; do
    set_args=()
    [ "$checker" = off ] && set_args=(--set dram.ddr.ctrl.checker=false)
    res=()
    for ((i = 0; i < RUNS; i++)); do
      /usr/bin/time -f '%U %S %M' -o "$DIR/time" "$PC" dram-trace "$DIR/$mode.trace" --fast --preset ddr4-3200 \
        "${set_args[@]}" -q
      res+=("$(awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$DIR/time")")
    done
    med=$(printf '%s\n' "${res[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    cpu=${med% *}
    rss=${med#* }
    printf '%-5s %-8s %10.3f %12.3f %9.1f  %s\n' "$mode" "$checker" "$cpu" "$(echo "$N / $cpu / 1000000" | bc -l)" \
      "$(echo "$rss / 1024" | bc -l)" "$(printf '%s ' "${res[@]%% *}")"
  done
done
