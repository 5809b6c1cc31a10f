# pagecycle dram-trace replays DRAMSim3, Ramulator 2 and DRAMSys traces unchanged, writes a command
# trace, and stops at a malformed line naming file and line.
source "$(dirname "$0")/lib.sh"
# The same 200 requests (150 reads, 50 writes, one line apart) in each format.
for i in $(seq 0 199); do
  op=READ; [ $((i % 4)) = 3 ] && op=WRITE
  printf '0x%x %s %d\n' $((i * 64)) $op $((i * 10))
done >"$WORK/d3.trace"
awk '{ printf "%s %s\n", ($2 == "READ" ? "LD" : "ST"), $1 }' "$WORK/d3.trace" >"$WORK/ram.trace"
awk '{ printf "%d:\t%s\t%s\n", $3, tolower($2), $1 }' "$WORK/d3.trace" >"$WORK/sys.stl"
check() {  # check FILE FORMAT MODE
  expect_exit 0 "$PC" dram-trace "$1" --stats-json "$WORK/s.json"
  expect_out "($2 format, $3)"
  expect_out "200 (150 reads, 50 writes)"
  expect_out "150 reads checked, 0 wrong"
  [ "$(json_num "$WORK/s.json" reads)" = 150 ] || fail "$1: expected 150 reads in dram.reads"
  [ "$(json_num "$WORK/s.json" writes)" = 50 ] || fail "$1: expected 50 writes in dram.writes"
}
# Time stamps are honoured by default where the format has them, as DRAMSim3 and DRAMSys replay them.
check "$WORK/d3.trace" DRAMSim3 "at its time stamps"
check "$WORK/ram.trace" "Ramulator 2" "no time stamps: as fast as accepted"
check "$WORK/sys.stl" DRAMSys "at its time stamps"
# The last request is stamped at cycle 1990, so a timed run cannot end before it; --fast ignores the stamps
# and 200 bursts one line apart (800 data cycles plus a few row openings) end well before.
expect_exit 0 "$PC" dram-trace "$WORK/d3.trace" --command-trace "$WORK/cmd.txt"
cyc=$(grep -o 'simulated *[0-9,]*' <<<"$OUT" | tr -dc 0-9)
[ "${cyc:-0}" -ge 1990 ] || fail "timed replay ended at cycle $cyc, before the last time stamp"
expect_exit 0 "$PC" dram-trace --fast "$WORK/d3.trace"
expect_out "time stamps ignored (--fast): as fast as accepted"
cyc=$(grep -o 'simulated *[0-9,]*' <<<"$OUT" | tr -dc 0-9)
[ "${cyc:-0}" -lt 1990 ] || fail "--fast replay ended at cycle $cyc, as late as the time stamps"
expect_exit 0 "$PC" dram-trace --timed "$WORK/sys.stl"
expect_out "at its time stamps"
expect_exit 2 "$PC" dram-trace --timed --fast "$WORK/sys.stl"
grep -q ' ACT 0 0 ' "$WORK/cmd.txt" || fail "command trace has no ACT line"
[ "$(grep -c ' RD ' "$WORK/cmd.txt")" = 150 ] || fail "command trace: expected 150 RD commands"
# Other presets replay too (DDR5 has two subchannels).
expect_exit 0 "$PC" dram-trace --preset ddr5-4800 "$WORK/sys.stl"
expect_out "ddr5 2400 MHz, 2 channel(s)"
# A malformed line names the file and the line.
{ head -5 "$WORK/d3.trace"; echo "0x140 READ"; } >"$WORK/bad.trace"
expect_exit 1 "$PC" dram-trace "$WORK/bad.trace"
expect_out "bad.trace:6: expected DRAMSim3"
expect_exit 1 "$PC" dram-trace "$WORK/missing.trace"
expect_out "missing.trace: cannot open"
# Same trace and config: identical stats outside "host".
expect_exit 0 "$PC" dram-trace -q "$WORK/d3.trace" --stats-json "$WORK/a.json"
expect_exit 0 "$PC" dram-trace -q "$WORK/d3.trace" --stats-json "$WORK/b.json"
cmp -s <(strip_host "$WORK/a.json") <(strip_host "$WORK/b.json") || fail "dram-trace: same input, different stats"
# Presets are listed and the default platform runs on DDR4-3200, deterministically.
expect_exit 0 "$PC" run --preset small -q --stats-json "$WORK/p1.json"
expect_exit 0 "$PC" run --preset small -q --stats-json "$WORK/p2.json"
cmp -s <(strip_host "$WORK/p1.json") <(strip_host "$WORK/p2.json") || fail "run on DDR: same seed, different stats"
grep -q '"row_hits"' "$WORK/p1.json" || fail "run on DDR: no dram stats in the stats file"
expect_exit 0 "$PC" presets
expect_out "ddr4-3200"
expect_out "ddr5-4800"
expect_exit 0 "$PC" run --preset small
expect_out "ddr memory"
expect_out "DRAM cycles avg read latency"
finish
