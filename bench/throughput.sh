#!/usr/bin/env bash
# Whole-run throughput benchmark: simulated memory operations per host second on the default platform
# (or on the preset/overrides given as arguments), median of 3 runs. Builds first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh pagecycle
PC="${BUILD_DIR:-build}/platform/app/pagecycle"
tmp=$(mktemp -d)
rates=()
for i in 1 2 3; do
  "$PC" run -q --stats-json "$tmp/r$i.json" "$@"
  rates+=("$(grep -o '"mem_accesses_per_second": [0-9.e+]*' "$tmp/r$i.json" | awk '{print $2}')")
done
median=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
printf 'runs (accesses/s): %s\n' "${rates[*]}"
printf 'median: %.0f simulated memory accesses per host second\n' "$median"
rm -rf "$tmp"
