# A multi-process scenario (fork + COW + file mmap) on the modeled kernel, data checking on: 0 data
# errors and fault counts per task; a scenario without paging is a config error.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --preset nehalem --preset ssd-nvmevirt --preset forkcow --stats-json "$WORK/s.json"
expect_out "0 errors"
expect_out "task 1   parent"
expect_out "task 3"
expect_out "min_flt"
[ "$(json_num "$WORK/s.json" data_errors)" = 0 ] || fail "data errors"
# 512 file pages are read once each from the disk: 512 major faults, all in the parent.
[ "$(json_num "$WORK/s.json" pgmajfault)" = 512 ] || fail "expected 512 major faults"
grep -q '"forks": 2' "$WORK/s.json" || fail "expected 2 forks"
grep -q '"nr_page_table_pages": 0' "$WORK/s.json" || fail "page tables left after every task exited"
# Same config and seed: identical results outside "host", kernel and all.
expect_exit 0 "$PC" run -q --preset nehalem --preset ssd-nvmevirt --preset forkcow --stats-json "$WORK/s2.json"
cmp -s <(strip_host "$WORK/s.json") <(strip_host "$WORK/s2.json") || fail "scenario run not deterministic"
expect_exit 2 "$PC" run --preset forkcow --set cpu.paging=off
expect_out "needs cpu.paging"
finish
