# A data-checking run over 100 MiB of footprint (2 cores x 50 MiB) reports 0 data errors.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" run --preset datacheck --stats-json "$WORK/d.json"
expect_out "0 errors"
[ "$(json_num "$WORK/d.json" data_errors)" = 0 ] || fail "data errors"
# Each core reads its 50 MiB back in 64-byte reads (819200) plus about half of 1M random accesses.
checked=$(json_num "$WORK/d.json" reads_checked)
[ "$checked" -gt $((2 * 819200 + 900000)) ] || fail "only $checked reads checked"
# Written memory is real: 100 MiB of pages touched.
[ "$(json_num "$WORK/d.json" pages_touched)" = $((2 * 51200 / 4)) ] || fail "pages touched"
finish
