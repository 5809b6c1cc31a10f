# Results do not depend on the order in which SystemC runs processes due at the same instant (which comes
# from the shape of its timed-event heap): sim.heap_chaff adds notifications nobody waits on, and the stats
# stay identical, on platforms without the modeled kernel and on a small swap-heavy run of the default
# scenario (the kernel's tasks due at one instant resume in name order: sim::OrderedWake), where the DDR
# scheduler's running ahead of the kernel's time does not change them either; nor, without the modeled
# kernel, do the controller's early responses.
# DramSim.LtAdapterGrantsSameInstantCallersInNameOrder, OrderedWake.* and the negative control below show
# what this rests on.
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
# Without the modeled kernel the DDR controller answers each request early (sim.dram_early_responses=auto):
# a response wakes its thread from a timed notification, in the heap's order among the instant's first
# processes, instead of a delta cycle after the responder. The results are those with the responder.
early_off() {  # early_off NAME pagecycle-run-args... (after check NAME with the same arguments)
  local name=$1
  shift
  expect_exit 0 "$PC" run "$@" -q --set sim.dram_early_responses=off --stats-json "$WORK/$name-late.json"
  grep -q '"dram_early_responses": "off"' "$WORK/$name-late.json" ||
    fail "$name: sim.dram_early_responses=off not in the config"
  cmp -s <(stats_only "$WORK/$name-0.json") <(stats_only "$WORK/$name-late.json") ||
    fail "$name: early responses changed the results"
}
STREAM=(--preset stream --set workload.synthetic.accesses=20000)
NEHALEM=(--preset nehalem --set cpu.cores=4 --set workload.synthetic.pattern=random
  --set workload.synthetic.footprint_kib=65536 --set workload.synthetic.accesses=50000
  --set workload.synthetic.read_fraction=0.5)
BLOCKIO=(--preset blockio --preset ssd-nvmevirt --set workload.blockio.requests=500)
check stream "${STREAM[@]}"
early_off stream "${STREAM[@]}"
check nehalem "${NEHALEM[@]}"
early_off nehalem "${NEHALEM[@]}"
check blockio "${BLOCKIO[@]}"
early_off blockio "${BLOCKIO[@]}"
# The default run at a quarter of its sizes: with seed 2, kswapd and the tasks meet at common instants.
MINI=(--preset nehalem --preset swap-hdd --preset mission --config "$SRC/tests/data/mini_mission.json" --seed 2)
check mini "${MINI[@]}"
# Negative control: in the heap's order (sim.ordered_wakeups=false), the chaff changes this run.
expect_exit 0 "$PC" run "${MINI[@]}" -q --set sim.ordered_wakeups=false --stats-json "$WORK/heap-0.json"
expect_exit 0 "$PC" run "${MINI[@]}" -q --set sim.ordered_wakeups=false --set sim.heap_chaff=3 \
  --stats-json "$WORK/heap-3.json"
grep -q '"ordered_wakeups": false' "$WORK/heap-3.json" || fail "mini: sim.ordered_wakeups=false not in the config"
cmp -s <(stats_only "$WORK/heap-0.json") <(stats_only "$WORK/heap-3.json") &&
  fail "mini: in the heap's order, sim.heap_chaff=3 left the results unchanged (the control cannot fail)"
# The DDR scheduler runs ahead of the kernel's time (fewer timed events, responses computed in other delta
# cycles): the results are those of a scheduler that waits for each cycle (sim.dram_run_ahead=false).
expect_exit 0 "$PC" run "${MINI[@]}" -q --set sim.dram_run_ahead=false --stats-json "$WORK/mini-noahead.json"
grep -q '"dram_run_ahead": false' "$WORK/mini-noahead.json" || fail "mini: sim.dram_run_ahead=false not in the config"
cmp -s <(stats_only "$WORK/mini-0.json") <(stats_only "$WORK/mini-noahead.json") ||
  fail "mini: running the DDR scheduler ahead changed the results"
# Negative control: in the heap's order, running ahead changes this run.
expect_exit 0 "$PC" run "${MINI[@]}" -q --set sim.ordered_wakeups=false --set sim.dram_run_ahead=false \
  --stats-json "$WORK/heap-noahead.json"
cmp -s <(stats_only "$WORK/heap-0.json") <(stats_only "$WORK/heap-noahead.json") &&
  fail "mini: in the heap's order, running ahead left the results unchanged (the control cannot fail)"
finish
