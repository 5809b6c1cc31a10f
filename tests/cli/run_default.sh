# `pagecycle run` with no arguments exits 0 and prints a summary with the required stats.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --stats-json "$WORK/s.json"
expect_out "simulated cycles"
expect_out "memory accesses"
grep -q '"sim_cycles": [1-9]' "$WORK/s.json" || fail "stats.summary.sim_cycles missing or zero"
grep -q '"mem_accesses": 1000000' "$WORK/s.json" || fail "stats.summary.mem_accesses should be 2 cores x 500000"
for k in '"config": {' '"stats": {' '"host": {' '"summary": {'; do grep -qF "$k" "$WORK/s.json" || fail "no $k"; done
finish
