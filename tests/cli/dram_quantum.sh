# Temporal decoupling on the DDR platform: two cores sharing DDR4-3200 (each access synchronizes in the
# LT adapter; compute between accesses runs ahead in the quantum) stay within 1% of a run synchronised
# every cycle.
source "$(dirname "$0")/lib.sh"
args=(run -q --set dram.model=ddr --set cpu.cores=2 --set dram.size_mib=64
      --set workload.synthetic.pattern=random --set workload.synthetic.footprint_kib=1024
      --set workload.synthetic.accesses=5000 --set workload.synthetic.access_size=64
      --set workload.synthetic.compute_cycles=20)
expect_exit 0 "$PC" "${args[@]}" --set sim.quantum_cycles=1 --stats-json "$WORK/q1.json"
expect_exit 0 "$PC" "${args[@]}" --stats-json "$WORK/qd.json"
a=$(json_num "$WORK/q1.json" sim_cycles); b=$(json_num "$WORK/qd.json" sim_cycles)
awk -v a="$a" -v b="$b" 'BEGIN { d = (a > b ? a - b : b - a) / a; exit !(d <= 0.01) }' ||
  fail "quantum changes sim_cycles by more than 1% on DDR: $a vs $b"
# The memory really is the DDR model: the controller activated rows.
[ "$(json_num "$WORK/qd.json" activates)" -gt 0 ] || fail "no DRAM activates recorded"
finish
