#!/usr/bin/env bash
# DRAM trace benchmark: generates 1,000,000-request traces (sequential reads, uniform random reads over
# 1 GiB, random 2:1 read/write over 1 GiB) and replays each with `pagecycle dram-trace --fast` on ddr4-3200
# (as fast as the controller accepts, as Ramulator 2 replays its traces; the stamps are one per cycle).
# Usage: bench/dram_trace_bench.sh [pagecycle binary] [requests]
set -euo pipefail
PC=${1:-build/platform/app/pagecycle}
N=${2:-1000000}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
# A 64-bit LCG keeps the traces identical on every machine (awk's rand() is not portable); the high
# bits of the state pick a 64-byte line in 1 GiB (2^24 lines).
gen() {  # gen MODE FILE ; MODE seq | rand | mix
  awk -v n="$N" -v mode="$1" 'BEGIN {
    s = 12345; m = 2^24
    for (i = 0; i < n; i++) {
      if (mode == "seq") { line = i % m; op = "READ" }
      else {
        s = (s * 1103515245 + 12345) % 2147483648; line = int(s / 128) % m
        op = "READ"
        if (mode == "mix") { s = (s * 1103515245 + 12345) % 2147483648; if (s % 3 == 0) op = "WRITE" }
      }
      printf "0x%x %s %d\n", line * 64, op, i
    }
  }' > "$2"
}
for mode in seq rand mix; do
  gen "$mode" "$DIR/$mode.trace"
  echo "== $mode ($N requests, DRAMSim3 format, ddr4-3200)"
  "$PC" dram-trace --fast --preset ddr4-3200 "$DIR/$mode.trace" | grep -E "read latency|bandwidth|row buffer|host time"
done
