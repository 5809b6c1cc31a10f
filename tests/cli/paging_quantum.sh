# Temporal decoupling with paging and caches on: two cores walking page tables through a shared LLC and a
# bandwidth-limited fixed-latency memory (a shared, stateful port: every access synchronizes); the default
# quantum stays within 1% of a run synchronised every cycle.
source "$(dirname "$0")/lib.sh"
args=(run -q --preset nehalem --set cpu.cores=2 --set dram.size_mib=256
      --set dram.model=fixed --set dram.fixed.bandwidth_gbps=1
      --set workload.synthetic.pattern=random --set workload.synthetic.footprint_kib=16384
      --set workload.synthetic.accesses=20000)
expect_exit 0 "$PC" "${args[@]}" --set sim.quantum_cycles=1 --stats-json "$WORK/q1.json"
expect_exit 0 "$PC" "${args[@]}" --stats-json "$WORK/qd.json"
a=$(json_num "$WORK/q1.json" sim_cycles); b=$(json_num "$WORK/qd.json" sim_cycles)
awk -v a="$a" -v b="$b" 'BEGIN { d = (a > b ? a - b : b - a) / a; exit !(d <= 0.01) }' ||
  fail "quantum changes sim_cycles by more than 1% with paging on: $a vs $b"
# The premise: the run is bandwidth-limited. 64-byte lines at 1 GB/s take 64 ns each on the port, so the
# two cores' misses queue there: the mean latency exceeds the 50 ns access latency.
lat=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stats']['mem']['latency_ns']['mean'])" "$WORK/qd.json")
awk -v l="$lat" 'BEGIN { exit !(l > 60) }' || fail "fixed memory mean latency $lat ns: the bandwidth limit did not bind"
finish
