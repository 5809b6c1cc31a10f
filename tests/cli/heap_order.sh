# Results do not depend on the order in which SystemC runs processes due at the same instant (which comes
# from the shape of its timed-event heap): sim.heap_chaff adds notifications nobody waits on, and the stats
# stay identical, on platforms without the modeled kernel (its task wake-ups still leave that order to
# SystemC; README, "Same-instant order"). DramSim.LtAdapterGrantsSameInstantCallersInNameOrder and its
# negative control show the arbitration this rests on.
source "$(dirname "$0")/lib.sh"
stats_only() { strip_host "$1" | sed 1,/'"stats"'/d; }
check() {  # check NAME pagecycle-run-args...
  local name=$1
  shift
  expect_exit 0 "$PC" run "$@" -q --stats-json "$WORK/$name-0.json"
  for c in 1 3 8; do
    expect_exit 0 "$PC" run "$@" -q --set sim.heap_chaff=$c --stats-json "$WORK/$name-$c.json"
    # The premise: the knob reached the run (the config echoes it).
    grep -q "\"heap_chaff\": $c" "$WORK/$name-$c.json" || fail "$name: sim.heap_chaff=$c not in the config"
    cmp -s <(stats_only "$WORK/$name-0.json") <(stats_only "$WORK/$name-$c.json") ||
      fail "$name: sim.heap_chaff=$c changed the results"
  done
}
check stream --preset stream --set workload.synthetic.accesses=20000
check nehalem --preset nehalem --set cpu.cores=4 --set workload.synthetic.pattern=random \
  --set workload.synthetic.footprint_kib=65536 --set workload.synthetic.accesses=50000 \
  --set workload.synthetic.read_fraction=0.5
check blockio --preset blockio --preset ssd-nvmevirt --set workload.blockio.requests=500
finish
