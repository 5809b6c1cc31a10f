# `pagecycle run` with no arguments runs the mission (presets nehalem, swap-hdd, mission): memory
# pressure with a swap partition on the HDD. kswapd, direct reclaim, writeback and swap-in all happen,
# the summary says so, and the run is deterministic. The synthetic stream stays available as a preset.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --stats-json "$WORK/s.json"
expect_out "preset nehalem+swap-hdd+mission"
for w in "simulated cycles" "reclaim             pgscan kswapd" "swap                pswpin" "swap-in latency" \
  "data check" "kswapd0" "task 2   worker"; do
  expect_out "$w"
done
# Each task line names every bucket a user task has, and the reclaim and swap ones are non-zero for a
# worker (its heap goes through swap).
grep "task 2   worker" <<<"$OUT" | grep -qE "reclaim [1-9].* swapin-wait [1-9].* io-wait [0-9,]+ congestion-wait [0-9,]+ lock-wait [0-9,]+ nap [0-9,]+ ready-wait [1-9][0-9,]* cycles \| end of program" ||
  fail "the worker's task line lacks its buckets: $(grep 'task 2' <<<"$OUT")"
grep -q '"sim_cycles": [1-9]' "$WORK/s.json" || fail "stats.summary.sim_cycles missing or zero"
python3 - "$WORK/s.json" <<'PY' || fail "the default run's counters"
import json, sys
d = json.load(open(sys.argv[1]))
k = d["stats"]["kernel"]
v = k["vmstat"]
zones = lambda p: sum(v[f"{p}_{z}"] for z in ("dma", "dma32", "normal", "high"))
checks = {
    "pswpin": v["pswpin"], "pswpout": v["pswpout"], "pgscan_kswapd_*": zones("pgscan_kswapd"),
    "pgsteal_*": zones("pgsteal"), "pgscan_direct_*": zones("pgscan_direct"),
    "direct reclaim cycles": sum(t.get("direct_reclaim_cycles", 0) for t in k["tasks"].values() if isinstance(t, dict)),
    "pages written by pageout": k["reclaim"]["pageout_writes"],
    "swap-in wait cycles": sum(t.get("swapin_wait_cycles", 0) for t in k["tasks"].values() if isinstance(t, dict)),
}
bad = [n for n, x in checks.items() if not x > 0]
if bad: sys.exit(f"zero: {bad}")
if d["stats"]["summary"]["data_errors"] != 0: sys.exit("data errors")
if k["swap"]["nr_swap_pages"] + k["swap"]["swapcache_pages"] != k["swap"]["total_swap_pages"]: sys.exit("slots left in use at the end (beyond orphaned swap-cache pages)")
PY
# Deterministic: the same run again gives the same stats (the host section aside). The sanitizer build
# (PC_SANITIZE=1, four times slower) leaves the repetition to the release build's run of this test.
if [ "${PC_SANITIZE:-0}" != 1 ]; then
  expect_exit 0 "$PC" run -q --stats-json "$WORK/s2.json"
  diff <(strip_host "$WORK/s.json") <(strip_host "$WORK/s2.json") >/dev/null || fail "two default runs differ"
fi
# The synthetic DRAM stream, the old default.
expect_exit 0 "$PC" run --preset stream --stats-json "$WORK/st.json"
grep -q '"mem_accesses": 1000000' "$WORK/st.json" || fail "stats.summary.mem_accesses should be 2 cores x 500000"
for k in '"config": {' '"stats": {' '"host": {' '"summary": {'; do grep -qF "$k" "$WORK/st.json" || fail "no $k"; done
finish
