# `pagecycle run --preset nehalem --trace FILE`: per-level TLB and walk stats a reader can count by hand.
source "$(dirname "$0")/lib.sh"
t="$WORK/t.lackey"
printf ' L 10000000,8\n L 10000008,8\n L 10001000,8\n S 10001010,8\n' >"$t"
expect_exit 0 "$PC" run --preset nehalem --trace "$t" --stats-json "$WORK/s.json"
# By hand (the pager writes every entry with A=0; Nehalem PSCs 2/4/8/32, dirty assist = re-walk):
#  1. L 10000000: DTLB+STLB miss; walk: PSC miss, PML4E not present -> #PF 0x4 (1 ref). The pager maps
#     the page; re-executed: miss, miss, walk: 4 refs, 4 A-writes; fills TLBs and PML4E/PDPTE/PDE caches.
#  2. L 10000008: DTLB hit.
#  3. L 10001000: miss, miss; walk: PDE-cache hit, PTE not present -> #PF 0x4 (1 ref). The #PF drops
#     the TLB and paging-structure-cache entries for that address (SDM §4.10.4.1). Mapped; re-executed:
#     miss, miss; walk: PSC miss, 4 refs, 1 A-write (the new PTE; the upper entries have A already).
#  4. S 10001010: DTLB hit with D=0 -> dirty assist: re-walk, PDE hit, 1 ref, D-write on the leaf.
# DTLB 2 hits / 4 misses; STLB 0 / 4; walks 5; refs 1+4+1+4+1 = 11; PTE refs 4; PML4E refs 3; A-writes 5;
# D-writes 1; PDE-cache hits 2; PSC misses 3; faults 2 (both 0x4).
check() {
  local got
  got=$(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['stats']
for k in sys.argv[2].split('.'): d=d[k]
print(int(d))" "$WORK/s.json" "$1")
  [ "$got" = "$2" ] || fail "$1 = $got, expected $2"
}
c=cpu.core0
check $c.dtlb.hits 2
check $c.dtlb.misses 4
check $c.stlb.hits 0
check $c.stlb.misses 4
check $c.walker.walks 5
check $c.walker.refs 11
check $c.walker.pt.refs 4
check $c.walker.pml4.refs 3
check $c.walker.a_writes 5
check $c.walker.d_writes 1
check $c.walker.dirty_assists 1
check $c.psc.pd_hits 2
check $c.psc.misses 3
check $c.faults.total 2
check $c.faults.ec_0x04 2
check pager.faults 2
check summary.mem_accesses 4
expect_exit 0 "$PC" run --preset skylake --trace "$t"
expect_out "paging on"
# A TLB geometry that does not divide is a config error naming the key (exit 2).
expect_exit 2 "$PC" run --preset nehalem --trace "$t" --set mmu.dtlb.4k.entries=65
expect_out "mmu.dtlb.4k"
# Same config and seed with paging and caches on: identical stats outside "host".
for i in 1 2; do
  expect_exit 0 "$PC" run --preset skylake --preset small --set cpu.cores=2 --seed 9 --stats-json "$WORK/d$i.json"
done
cmp -s <(strip_host "$WORK/d1.json") <(strip_host "$WORK/d2.json") || fail "paging-on runs differ"
finish
