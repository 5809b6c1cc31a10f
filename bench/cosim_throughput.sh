#!/usr/bin/env bash
# Co-simulation inside the platform: simulated memory accesses (= translations) per host second of the
# lackey trace tests/data/true.lackey.xz on --preset nehalem with the C++ MMU, the RTL unit, and the RTL
# unit checked against the C++ model; median of 3 runs each. Then the RTL unit alone (pc_cosim_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh pagecycle pc_cosim_bench
PC="${BUILD_DIR:-build}/platform/app/pagecycle"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
  local name=$1
  shift
  local rates=()
  for i in 1 2 3; do
    "$PC" run -q --preset nehalem --trace tests/data/true.lackey.xz --stats-json "$tmp/r$i.json" "$@"
    rates+=("$(grep -o '"mem_accesses_per_second": [0-9.e+]*' "$tmp/r$i.json" | awk '{print $2}')")
  done
  printf '%-34s %s M translations/s (runs: %s)\n' "$name" \
    "$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p | awk '{printf "%.3f", $1/1e6}')" "${rates[*]}"
}
run "platform, mmu.impl=cpp"
run "platform, mmu.impl=rtl" --set mmu.impl=rtl
run "platform, mmu.impl=rtl + check" --set mmu.impl=rtl --set mmu.rtl.check=true
run "platform, rtl, every cycle clocked" --set mmu.impl=rtl --set mmu.rtl.skip_idle_cycles=false
"${BUILD_DIR:-build}/bench/pc_cosim_bench" 300000 tests/data/true.lackey.xz
