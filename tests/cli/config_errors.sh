# Bad configuration exits 2 naming the key (and file); nothing crashes or hangs.
source "$(dirname "$0")/lib.sh"
expect_exit 2 "$PC" run --set no.such.key=1
expect_out "unknown key 'no'"
expect_out "--set no.such.key=1"
printf '{\n  "cpu": { "cors": 4 }\n}\n' >"$WORK/typo.json"
expect_exit 2 "$PC" run --config "$WORK/typo.json"
expect_out "$WORK/typo.json: unknown key 'cpu.cors' (did you mean 'cpu.cores'?)"
expect_exit 2 "$PC" run --set cpu.cores=100000
expect_out "key 'cpu.cores': expected an unsigned integer in [1, 256]"
expect_exit 2 "$PC" run --set dram.size_mib=16
expect_out "dram.size_mib is 16"
printf '{ "cpu": { "cores": 4 ' >"$WORK/trunc.json"
expect_exit 2 "$PC" config --config "$WORK/trunc.json"
expect_out "$WORK/trunc.json:1: invalid JSON"
expect_exit 2 "$PC" run --preset nosuch
expect_out "no such preset"
expect_exit 2 "$PC" run --bogus-flag
expect_exit 2 "$PC" config --config /nonexistent.json
expect_out "/nonexistent.json: cannot open"
finish
