#!/usr/bin/env bash
# Writes the DRAM benchmark traces (DRAMSim3 format, one request per cycle): sequential reads, uniformly
# random reads over 1 GiB, or random 2:1 read/write over 1 GiB. A 64-bit LCG keeps the traces identical on
# every machine (awk's rand() is not portable); the high bits of the state pick a 64-byte line in 1 GiB
# (2^24 lines).
# Usage: bench/gen_dram_trace.sh seq|rand|mix REQUESTS FILE
set -euo pipefail
mode=${1:?usage: gen_dram_trace.sh seq|rand|mix REQUESTS FILE}
n=${2:?usage: gen_dram_trace.sh seq|rand|mix REQUESTS FILE}
out=${3:?usage: gen_dram_trace.sh seq|rand|mix REQUESTS FILE}
case "$mode" in seq | rand | mix) ;; *) echo "gen_dram_trace.sh: mode must be seq, rand or mix, not '$mode'" >&2; exit 2 ;; esac
awk -v n="$n" -v mode="$mode" 'BEGIN {
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
}' >"$out"
