# `pagecycle run` with the block-I/O workload on both media prints IOPS and latency percentiles, writes
# them under stats.blockio / stats.disk / stats.kernel.block, and rejects impossible block-I/O settings.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --preset blockio --preset hdd-7200 --set workload.blockio.requests=200 --stats-json "$WORK/h.json"
expect_out "IOPS"
expect_out "p99"
expect_out "device service (medium)"
expect_out "simulated I/Os per host second"
grep -q '"blockio": {' "$WORK/h.json" || fail "no stats.blockio"
grep -q '"rotational_latency_us": {' "$WORK/h.json" || fail "no HDD rotational latency histogram"
grep -q '"seek_distance": {' "$WORK/h.json" || fail "no HDD seek distance histogram"
grep -q '"congested_ms_write":' "$WORK/h.json" || fail "no block-layer congestion time"
[ "$(json_num "$WORK/h.json" ios)" = 200 ] || fail "expected 200 read I/Os in stats.blockio.read.ios"
expect_exit 0 "$PC" run --preset blockio --preset ssd-mqsim --set workload.blockio.requests=300 \
  --set workload.blockio.queue_depth=32 --set workload.blockio.read_fraction=0.5 --set workload.blockio.data_check=true \
  --stats-json "$WORK/s.json"
expect_out "SSD, 8 channels x 8 dies"
expect_out "0 errors"
grep -q '"die_utilisation_mean":' "$WORK/s.json" || fail "no SSD die utilisation"
grep -q '"gc_blocks":' "$WORK/s.json" || fail "no SSD GC stats"
# Same seed, same results (outside host).
expect_exit 0 "$PC" run -q --preset blockio --preset ssd-mqsim --set workload.blockio.requests=300 \
  --set workload.blockio.queue_depth=32 --set workload.blockio.read_fraction=0.5 --set workload.blockio.data_check=true \
  --stats-json "$WORK/s2.json"
diff <(strip_host "$WORK/s.json") <(strip_host "$WORK/s2.json") >/dev/null || fail "blockio run not deterministic"
expect_exit 2 "$PC" run --preset blockio --set workload.blockio.block_kib=6
expect_out "workload.blockio.block_kib"
expect_exit 2 "$PC" run --preset blockio --set disk.present=false
expect_out "disk.present"
expect_exit 2 "$PC" run --preset blockio --set disk.media=tape
expect_out "disk.media"
expect_exit 2 "$PC" run --preset blockio --set disk.media=ssd --set disk.ssd.overprovision=0.01
expect_out "disk.ssd"
expect_exit 2 "$PC" run --preset blockio --set disk.hdd.knee_ms=0.5
expect_out "disk.hdd"
expect_exit 2 "$PC" run --preset blockio --set disk.media=ssd --set workload.blockio.span_mib=100000000
expect_out "workload.blockio.span_mib"
finish
