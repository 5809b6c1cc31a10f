# `run --out DIR --sample-us N --timeline FILE`: the run directory (stats.json, summary.txt,
# samples.jsonl), deterministic samples, a timeline whose events are JSON, results identical to a run
# without them; bad options are config errors.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/small.json" <<'JSON'
{"cpu": {"cores": 2}, "dram": {"size_mib": 256}, "workload": {"source": "scenario", "data_check": true, "scenario": {
  "files": [{"name": "f", "size_kib": 512}],
  "programs": [
    {"name": "parent", "steps": [
      {"op": "mmap", "mapping": "heap", "size_kib": 1024},
      {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 0}},
      {"op": "mmap", "mapping": "data", "kind": "file", "file": "f", "size_kib": 512, "prot": "r"},
      {"op": "fork", "program": "child"},
      {"op": "access", "mapping": "data", "pattern": {"pattern": "random", "accesses": 4000, "read_fraction": 1}}]},
    {"name": "child", "steps": [
      {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "accesses": 4000, "read_fraction": 0.5}}]}],
  "processes": [{"program": "parent"}]}}}
JSON
SCEN=(--preset nehalem --preset ssd-nvmevirt --config "$WORK/small.json")
expect_exit 0 "$PC" run -q "${SCEN[@]}" --stats-json "$WORK/plain.json"
expect_exit 0 "$PC" run "${SCEN[@]}" --out "$WORK/r1" --sample-us 200 --timeline "$WORK/r1/timeline.json"
expect_out "timeline            $WORK/r1/timeline.json"
for f in stats.json summary.txt samples.jsonl timeline.json; do
  [ -s "$WORK/r1/$f" ] || fail "run directory lacks $f"
done
grep -q "task 1   parent" "$WORK/r1/summary.txt" || fail "summary.txt lacks the task table"
# Samples and the timeline only watch: the results are those of the plain run.
cmp -s <(strip_host "$WORK/plain.json") <(strip_host "$WORK/r1/stats.json") || fail "sampling changed the results"
/usr/bin/python3 - "$WORK/r1" <<'PY' || fail "samples or timeline malformed"
import json, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(run + "/samples.jsonl")]
assert len(lines) >= 10, len(lines)
ts = [l["t_us"] for l in lines]
assert ts == sorted(ts) and ts[1] - ts[0] == 200, ts[:3]
last = lines[-1]
assert last["vmstat"]["pgfault"] > 0 and "pgscan_kswapd_dma32" in last["vmstat"]
assert any(z["name"] == "DMA32" and z["min"] < z["low"] < z["high"] for z in last["zones"])
assert any(t["comm"] == "kswapd0" and t["kthread"] for t in last["tasks"])
tl = json.load(open(run + "/timeline.json"))
cats = {e.get("cat") for e in tl["traceEvents"]}
assert {"sched", "task", "kernel", "disk", "counter"} <= cats, cats
PY
# Same seed, same samples.
expect_exit 0 "$PC" run -q "${SCEN[@]}" --out "$WORK/r2" --sample-us 200
cmp -s "$WORK/r1/samples.jsonl" "$WORK/r2/samples.jsonl" || fail "samples not deterministic"
expect_exit 2 "$PC" run -q "${SCEN[@]}" --timeline "$WORK/t.json" --timeline-cats sched,bogus
expect_out "unknown timeline category 'bogus'"
expect_exit 2 "$PC" run -q "${SCEN[@]}" --timeline "$WORK/t.json" --timeline-window 50:10
expect_out "TO must be after FROM"
expect_exit 2 "$PC" run -q "${SCEN[@]}" --samples "$WORK/x.jsonl"
expect_out "--samples needs --sample-us"
finish
