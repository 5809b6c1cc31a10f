# config, presets, stats-list and --help work.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$PC" config --set cpu.cores=3
expect_out '"cores": 3'
expect_exit 0 "$PC" config --schema
expect_out "dram.size_mib"
expect_exit 0 "$PC" presets
expect_out "default"
expect_out "datacheck"
expect_out "mempressure"
# The memory-pressure scenario resolves on a platform and a disk (64 MiB, two cores).
expect_exit 0 "$PC" config --preset nehalem --preset hdd-7200 --preset mempressure
expect_out '"size_mib": 64'
expect_exit 0 "$PC" stats-list
expect_out "stats.summary.sim_cycles"
expect_out "stats.summary.mem_accesses"
expect_out "stats.cpu.core1.access_latency"
for sub in run config presets stats-list; do
  expect_exit 0 "$PC" $sub --help
done
expect_exit 0 "$PC" --help
finish
