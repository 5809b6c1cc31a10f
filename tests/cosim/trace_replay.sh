# The held-out check: a real program's lackey trace (valgrind --tool=lackey --trace-mem=yes /bin/true,
# tests/data/true.lackey.xz) replayed on nehalem with mmu.impl=rtl gives exactly the C++ model's TLB
# hits and misses, walks, references, A/D writes and faults, with the differential check on and no
# divergence; a waveform is written for a window on request; an RTL geometry mismatch is a config error.
source "$2/tests/cli/lib.sh"
t="$SRC/tests/data/true.lackey.xz"
expect_exit 0 "$PC" run --preset nehalem --trace "$t" --stats-json "$WORK/cpp.json"
expect_exit 0 "$PC" run --preset nehalem --trace "$t" --set mmu.impl=rtl --set mmu.rtl.check=true \
  --set mmu.rtl.stop_on_divergence=true --wave "$WORK/w.fst" --set mmu.rtl.wave_to_ns=20000 \
  --stats-json "$WORK/rtl.json"
expect_out "0 divergences"
/usr/bin/python3 - "$WORK/cpp.json" "$WORK/rtl.json" <<'PY' || fail "RTL and C++ counts differ"
import json, sys
a, b = (json.load(open(f))["stats"] for f in sys.argv[1:3])
def get(d, path):
    for k in path.split("."): d = d[k]
    return d
keys = [f"cpu.core0.{t}.{k}" for t in ("dtlb", "itlb", "stlb") for k in ("hits", "misses")]
keys += [f"cpu.core0.walker.{k}" for k in ("walks", "refs", "rmws", "a_writes", "d_writes", "dirty_assists",
                                          "cas_restarts", "inval_restarts")]
keys += [f"cpu.core0.walker.{l}.refs" for l in ("pml4", "pdpt", "pd", "pt")]
keys += [f"cpu.core0.psc.{k}" for k in ("pml4_hits", "pdpt_hits", "pd_hits", "misses")]
keys += ["cpu.core0.faults.total", "pager.faults", "summary.mem_accesses"]
bad = [(k, get(a, k), get(b, k)) for k in keys if get(a, k) != get(b, k)]
for k, x, y in bad: print(f"{k}: cpp {x}, rtl {y}")
misses = get(a, "cpu.core0.dtlb.misses") + get(a, "cpu.core0.itlb.misses")
walks = get(a, "cpu.core0.walker.walks")
print(f"cpp and rtl agree: {misses} L1 TLB misses, {walks} walks")
sys.exit(1 if bad or walks == 0 else 0)
PY
checked=$(json_num "$WORK/rtl.json" checked)
[ "$checked" -gt 170000 ] || fail "only $checked requests checked"
[ -s "$WORK/w.fst" ] || fail "no waveform"
# The RTL is built with nehalem's geometry: another one is a config error naming the key.
expect_exit 2 "$PC" run --preset skylake --trace "$t" --set mmu.impl=rtl
expect_out "mmu.dtlb.1g"
expect_exit 2 "$PC" run --preset nehalem --trace "$t" --set mmu.impl=rtl --set mmu.rtl.cores=0,7
expect_out "mmu.rtl.cores"
finish
