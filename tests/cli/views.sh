# `pagecycle vmstat` and `pagecycle plot` (issue 13): /proc/vmstat lines in 2.6.18's order with a run's
# values, PNGs of the expected size from a hand-made run directory (tests/data/run_fixture, with swap
# numbers no run has yet) and from a real small run, and clear errors (exit 2) for input that is no run.
source "$(dirname "$0")/lib.sh"
FX=$SRC/tests/data/run_fixture
# Linux 2.6.18 mm/vmstat.c vmstat_text, in order.
cat >"$WORK/names" <<'NAMES'
nr_anon_pages nr_mapped nr_file_pages nr_slab nr_page_table_pages nr_dirty nr_writeback nr_unstable nr_bounce
pgpgin pgpgout pswpin pswpout pgalloc_dma pgalloc_dma32 pgalloc_normal pgalloc_high pgfree pgactivate
pgdeactivate pgfault pgmajfault pgrefill_dma pgrefill_dma32 pgrefill_normal pgrefill_high pgsteal_dma
pgsteal_dma32 pgsteal_normal pgsteal_high pgscan_kswapd_dma pgscan_kswapd_dma32 pgscan_kswapd_normal
pgscan_kswapd_high pgscan_direct_dma pgscan_direct_dma32 pgscan_direct_normal pgscan_direct_high
pginodesteal slabs_scanned kswapd_steal kswapd_inodesteal pageoutrun allocstall pgrotated
NAMES
tr ' ' '\n' <"$WORK/names" | grep . >"$WORK/names.expected"

expect_exit 0 "$PC" vmstat "$FX"
echo "$OUT" >"$WORK/fx.vmstat"
cut -d' ' -f1 "$WORK/fx.vmstat" | cmp -s - "$WORK/names.expected" || fail "vmstat names not in 2.6.18's order: $OUT"
[ "$(grep -cvE '^[a-z0-9_]+ [0-9]+$' "$WORK/fx.vmstat")" = 0 ] || fail "a line is not 'name value': $OUT"
for l in "nr_file_pages 512" "pgpgin 2048" "pswpin 40" "pswpout 120" "pgfault 7302" "pgmajfault 25" \
  "pgsteal_dma32 300" "pgscan_kswapd_dma32 500" "pgscan_direct_dma32 80"; do
  grep -qx "$l" "$WORK/fx.vmstat" || fail "vmstat of the fixture lacks the line '$l'"
done
expect_exit 0 "$PC" vmstat "$FX/stats.json"
[ "$OUT" = "$(cat "$WORK/fx.vmstat")" ] || fail "vmstat of DIR and DIR/stats.json differ"
# --at-us: the last sample at or before the time (samples every 1000 us; pswpin = 8 per sample).
expect_exit 0 "$PC" vmstat "$FX" --at-us 2999.5
grep -qx "pswpin 16" <<<"$OUT" || fail "--at-us 2999.5 should read the t=2000 sample (pswpin 16): $OUT"
grep -qx "pgfault 2000" <<<"$OUT" || fail "--at-us 2999.5: pgfault should be 2000: $OUT"

# Bad input: exit 2 naming the file.
expect_exit 2 "$PC" vmstat "$WORK/none"
expect_out "$WORK/none: no such file or directory"
mkdir -p "$WORK/empty"
expect_exit 2 "$PC" vmstat "$WORK/empty"
expect_out "$WORK/empty: not a run directory"
echo '{"stats": {}}' >"$WORK/nocfg.json"
expect_exit 2 "$PC" vmstat "$WORK/nocfg.json"
expect_out "$WORK/nocfg.json: not a stats file"
echo '{"config": {' >"$WORK/trunc.json"
expect_exit 2 "$PC" vmstat "$WORK/trunc.json"
expect_out "$WORK/trunc.json: not a stats file"
expect_exit 0 "$PC" run -q --preset small --stats-json "$WORK/nokernel.json"
expect_exit 2 "$PC" vmstat "$WORK/nokernel.json"
expect_out "the run has no stats.kernel.vmstat"
expect_exit 2 "$PC" vmstat "$FX/stats.json" --at-us 5
expect_out "needs a run directory"
expect_exit 2 "$PC" plot "$WORK/empty"
expect_out "$WORK/empty: not a run directory"

# Plots of the fixture: every figure 1000 x 600 pixels.
cp -r "$FX" "$WORK/fx"
expect_exit 0 "$PC" plot "$WORK/fx"
for f in memory vm_rates tasks latency; do
  expect_out "$WORK/fx/$f.png"
  png_check "$WORK/fx/$f.png" 1000 600
done
# The fixture has the swap-in (fault_latency.swap_major, cycles at clocks.cpu_mhz) and disk read
# distributions and no disk writes: only that panel is empty.
expect_out "$WORK/fx/latency.png  (no data: disk.write.latency_us)"
grep -q "memory.png  (no data" <<<"$OUT" && fail "the fixture's memory plot lacks data: $OUT"

# A real small run on the modeled kernel, sampled every 200 us.
expect_exit 0 "$PC" run -q --preset nehalem --config "$SRC/tests/data/tiny_scenario.json" --out "$WORK/run" \
  --sample-us 200
[ "$(wc -l <"$WORK/run/samples.jsonl")" -ge 5 ] || fail "expected at least 5 samples"
expect_exit 0 "$PC" plot "$WORK/run"
for f in memory vm_rates tasks latency; do png_check "$WORK/run/$f.png" 1000 600; done
expect_exit 0 "$PC" vmstat "$WORK/run"
cut -d' ' -f1 <<<"$OUT" | cmp -s - "$WORK/names.expected" || fail "vmstat of a real run: names out of order"
grep -qx "pgfault $(json_num "$WORK/run/stats.json" pgfault)" <<<"$OUT" || fail "vmstat pgfault differs from stats.json"
grep -qx "pgmajfault 0" <<<"$OUT" && fail "the scenario's file reads should be major faults: $OUT"
finish
