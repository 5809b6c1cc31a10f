# Same config and seed give stats identical outside "host"; another seed changes a random workload.
source "$(dirname "$0")/lib.sh"
args=(run --preset small --set dram.model=fixed --set dram.fixed.bandwidth_gbps=5 --set cpu.cores=2 -q)
expect_exit 0 "$PC" "${args[@]}" --seed 7 --stats-json "$WORK/a.json"
expect_exit 0 "$PC" "${args[@]}" --seed 7 --stats-json "$WORK/b.json"
expect_exit 0 "$PC" "${args[@]}" --seed 8 --stats-json "$WORK/c.json"
cmp -s <(strip_host "$WORK/a.json") <(strip_host "$WORK/b.json") || fail "same seed, different results"
# Only the seed differs in the config part; the stats must differ too.
cmp -s <(strip_host "$WORK/a.json" | sed 1,/'"stats"'/d) <(strip_host "$WORK/c.json" | sed 1,/'"stats"'/d) &&
  fail "different seeds gave identical stats"
finish
