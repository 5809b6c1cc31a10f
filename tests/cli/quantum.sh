# Temporal decoupling: with two cores sharing a bandwidth-limited memory, the default quantum stays
# within 1% of a run synchronised every cycle.
source "$(dirname "$0")/lib.sh"
args=(run -q --set dram.model=fixed --set cpu.cores=2 --set dram.size_mib=64 --set dram.fixed.bandwidth_gbps=2
      --set workload.synthetic.pattern=random --set workload.synthetic.footprint_kib=1024
      --set workload.synthetic.accesses=5000 --set workload.synthetic.access_size=64)
expect_exit 0 "$PC" "${args[@]}" --set sim.quantum_cycles=1 --stats-json "$WORK/q1.json"
expect_exit 0 "$PC" "${args[@]}" --stats-json "$WORK/qd.json"
a=$(json_num "$WORK/q1.json" sim_cycles); b=$(json_num "$WORK/qd.json" sim_cycles)
awk -v a="$a" -v b="$b" 'BEGIN { d = (a > b ? a - b : b - a) / a; exit !(d <= 0.01) }' ||
  fail "quantum changes sim_cycles by more than 1%: $a vs $b"
# The run is bandwidth-bound, so the limit really is exercised: 10000 x 64 B at 2 GB/s = 320 us.
awk -v b="$b" 'BEGIN { exit !(b >= 320e-6 * 3e9) }' || fail "run not bandwidth-bound: $b cycles"
finish
