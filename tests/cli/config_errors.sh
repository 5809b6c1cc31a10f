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
# Several disks: a bad disk preset, a file on a disk that does not exist, an injected range past the end.
expect_exit 2 "$PC" config --set 'extra_disks=[{"preset":"ssd-mqsim"},{"preset":"floppy"}]'
expect_out "key 'extra_disks[1].preset': no disk preset named 'floppy' (expected one of: hdd-7200, ssd-mqsim, ssd-nvmevirt)"
expect_exit 2 "$PC" run --preset nehalem --preset forkcow --set 'workload.scenario.files=[{"name":"data.bin","disk":1}]'
expect_out "key 'workload.scenario.files[0].disk': no disk 1 (expected 0..0: 0 = disk, i = extra_disks[i-1])"
expect_exit 2 "$PC" run --preset nehalem --preset forkcow --set 'disk.inject_errors=[{"lba":1000000000000}]'
expect_out "key 'disk.inject_errors[0]': sectors [1000000000000, 1000000000001) reach beyond the disk's"
finish
