# A multi-process scenario (fork + COW + file mmap + a thread) on the modeled kernel, data checking on: 0 data
# errors and fault counts per task; a scenario without paging is a config error.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --preset nehalem --preset ssd-nvmevirt --preset forkcow --stats-json "$WORK/s.json"
expect_out "0 errors"
expect_out "task 1   parent"
expect_out "parent-child"
expect_out "parent-thread"
expect_out "min_flt"
[ "$(json_num "$WORK/s.json" data_errors)" = 0 ] || fail "data errors"
# The 512 file pages come in through readahead windows of at most 32 pages (128 KiB): at least 16 major
# faults, and far fewer than one per page.
maj=$(json_num "$WORK/s.json" pgmajfault)
[ "$maj" -ge 16 ] && [ "$maj" -lt 512 ] || fail "expected 16..511 major faults with readahead, got $maj"
grep -q '"forks": 2' "$WORK/s.json" || fail "expected 2 forks"
grep -q '"nr_page_table_pages": 0' "$WORK/s.json" || fail "page tables left after every task exited"
# Same config and seed: identical results outside "host", kernel and all.
expect_exit 0 "$PC" run -q --preset nehalem --preset ssd-nvmevirt --preset forkcow --stats-json "$WORK/s2.json"
cmp -s <(strip_host "$WORK/s.json") <(strip_host "$WORK/s2.json") || fail "scenario run not deterministic"
expect_exit 2 "$PC" run --preset forkcow --set cpu.paging=off
expect_out "needs cpu.paging"
finish
