# `pagecycle sweep` (issue 13): a 4-point grid (memory model x access pattern on the `small` preset) run
# through GNU parallel from --print-jobs, collected into one CSV and a comparison plot; a local rerun
# resumes (runs nothing, then only the point whose output was removed); bad specs stop with exit 2 naming
# the key.
source "$(dirname "$0")/lib.sh"
command -v parallel >/dev/null || { echo "FAIL: GNU parallel is not installed (scripts/bootstrap.sh installs it)"; exit 1; }
cp "$SRC/tests/data/sweep/small.json" "$WORK/small.json"
S=$WORK/small-sweep
expect_exit 0 "$PC" sweep "$WORK/small.json" --print-jobs
echo "$OUT" >"$WORK/jobs.txt"
[ "$(grep -c "^$PC run --preset small --seed 3 --set dram.model=" "$WORK/jobs.txt")" = 4 ] ||
  fail "expected 4 job lines: $OUT"
expect_out "--set dram.model=ddr --set workload.synthetic.pattern=sequential --out $S/model=ddr,pattern=sequential --sample-us 100"
parallel --will-cite -j2 --halt now,fail=1 <"$WORK/jobs.txt" >"$WORK/parallel.log" 2>&1 || fail "parallel failed: $(cat "$WORK/parallel.log")"
expect_exit 0 "$PC" sweep "$WORK/small.json" --collect
expect_out "$S/sweep.csv: 4 of 4 points"
csv=$S/sweep.csv
[ "$(head -1 "$csv")" = "point,dram.model,workload.synthetic.pattern,summary.mem_accesses,summary.sim_cycles,dram.reads,cpu.core*.mem_stall_cycles" ] ||
  fail "CSV header: $(head -1 "$csv")"
# Rows in grid order (the first key slowest); the point name holds a comma, so it is quoted.
[ "$(tail -n +2 "$csv" | cut -d, -f1-5 | tr '\n' ' ')" = '"model=fixed,pattern=random",fixed,random,20000 "model=fixed,pattern=sequential",fixed,sequential,20000 "model=ddr,pattern=random",ddr,random,20000 "model=ddr,pattern=sequential",ddr,sequential,20000 ' ] ||
  fail "CSV rows (grid order, 20,000 accesses each): $(cat "$csv")"
# Each row carries its own run's numbers; the fixed-latency memory has no dram.reads (empty cell).
while IFS= read -r row; do
  dir=$S/$(cut -d'"' -f2 <<<"$row")
  rest=$(cut -d'"' -f3 <<<"$row")
  [ "$(cut -d, -f5 <<<"$rest")" = "$(json_num "$dir/stats.json" sim_cycles)" ] || fail "$dir: sim_cycles in the CSV: $row"
  [ "$(cut -d, -f7 <<<"$rest")" = "$(json_num "$dir/stats.json" mem_stall_cycles)" ] || fail "$dir: core0 mem stall: $row"
  case $dir in
    *fixed*) [ -z "$(cut -d, -f6 <<<"$rest")" ] || fail "fixed memory has a dram.reads value: $row" ;;
    *) [ "$(cut -d, -f6 <<<"$rest")" -gt 0 ] 2>/dev/null || fail "ddr point without dram.reads: $row" ;;
  esac
done < <(tail -n +2 "$csv")
png_check "$S/sweep.png" 1000 400
# Resume: nothing to run; then only the point whose summary went missing.
expect_exit 0 "$PC" sweep "$WORK/small.json" -j2
expect_out "4 points, 4 finished, 0 to run"
rm "$S/model=ddr,pattern=random/summary.txt"
expect_exit 0 "$PC" sweep "$WORK/small.json" -j2 --no-plot
expect_out "4 points, 3 finished, 1 to run"
expect_out "[1/1] model=ddr,pattern=random"
[ -f "$S/model=ddr,pattern=random/samples.jsonl" ] || fail "the rerun point has no samples.jsonl"
rm "$S/model=fixed,pattern=sequential/samples.jsonl"
expect_exit 0 "$PC" sweep "$WORK/small.json" -j2 --no-plot
expect_out "4 points, 3 finished, 1 to run"
expect_out "[1/1] model=fixed,pattern=sequential"
expect_exit 0 "$PC" sweep "$WORK/small.json" --print-jobs
[ -z "$OUT" ] || fail "--print-jobs after a finished sweep should print nothing: $OUT"
# A changed spec makes the changed points stale: seed 4 reruns all four.
sed 's/"seed": 3/"seed": 4/' "$WORK/small.json" >"$WORK/seed4.json"
expect_exit 0 "$PC" sweep "$WORK/seed4.json" -o "$S" --print-jobs
[ "$(grep -c . <<<"$OUT")" = 4 ] || fail "a new seed should make every point pending: $OUT"

# Bad specs: exit 2 naming the key.
bad() { echo "$1" >"$WORK/bad.json"; expect_exit 2 "$PC" sweep "$WORK/bad.json" --print-jobs; expect_out "$2"; }
bad '{"grid": [{"key": "dram.size_mb", "values": [64]}]}' "unknown key 'dram.size_mb'"
bad '{"grid": [{"key": "dram.size_mib", "values": ["lots"]}]}' "key 'dram.size_mib'"
bad '{"grids": []}' "unknown key 'grids'"
bad '{"grid": []}' "key 'grid'"
bad '{"grid": [{"key": "preset", "values": ["small", "nosuch"]}]}' "--preset nosuch: no such preset"
bad '{"grid": [{"key": "dram.size_mib", "values": [64, 64]}]}' "key 'grid[0].values': 64 appears twice"
bad '{"grid": [{"key": "dram.size_mib", "values": [64]}], "stats": ["a..b"]}' "key 'stats'"
bad '{"grid": [{"key": "dram.size_mib", "values": [64]}], "plot": {"x": "cpu.cores"}}' "key 'plot.x'"
bad '{"grid": [{"key": "seed", "values": [-1]}]}' "key 'grid[0].values'"
expect_exit 2 "$PC" sweep "$WORK/missing.json"
expect_out "$WORK/missing.json: cannot open"
# A stat no point has: exit 2 naming it (the points are already finished, nothing runs).
sed 's/"dram.reads"/"dram.nosuch"/' "$WORK/small.json" >"$WORK/nostat.json"
expect_exit 2 "$PC" sweep "$WORK/nostat.json" -o "$S" --collect --no-plot
expect_out "'dram.nosuch' reaches no number"
finish
