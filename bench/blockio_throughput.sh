#!/usr/bin/env bash
# Block-I/O throughput benchmark: simulated I/Os per host second of the blockio workload (4 KiB random
# reads; add a disk preset and overrides as arguments, e.g. --preset ssd-mqsim --set
# workload.blockio.queue_depth=32), median of 3 runs. Builds first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PC="${BUILD_DIR:-build}/platform/app/pagecycle"
tmp=$(mktemp -d)
rates=()
for i in 1 2 3; do
  "$PC" run -q --preset blockio --set workload.blockio.requests=20000 --stats-json "$tmp/r$i.json" "$@"
  rates+=("$(grep -o '"block_ios_per_second": [0-9.e+]*' "$tmp/r$i.json" | awk '{print $2}')")
done
median=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
printf 'runs (I/Os per host second): %s\n' "${rates[*]}"
printf 'median: %.0f simulated block I/Os per host second\n' "$median"
rm -rf "$tmp"
