// Whole-SoC runs on the fixed-latency memory (dram.model=fixed, stated by each test): exact cycle totals and data checking.
#include <gtest/gtest.h>

#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

using namespace pc;

namespace {
soc::PlatformConfig resolve(std::initializer_list<const char*> sets) {
  return test::resolve_config({}, "", std::vector<std::string>(sets.begin(), sets.end()));
}
double stat(soc::Soc& s, const std::string& p) { return test::stat_of(s, p); }
}  // namespace

TEST(SocSim, OneCoreRandomCyclesAreExact) {
  // Every access costs 1 issue cycle + 50 ns (150 cycles at 3 GHz), with no bandwidth limit.
  soc::Soc s(resolve({"dram.model=fixed", "cpu.cores=1", "dram.size_mib=64", "dram.fixed.bandwidth_gbps=0",
                      "workload.synthetic.pattern=random", "workload.synthetic.footprint_kib=1024",
                      "workload.synthetic.accesses=20000"}));
  s.run(false);
  // In time: 20000 x (one cycle + 50 ns), on a 1 fs base where a 3 GHz cycle is 333,333 fs; so the
  // cycle count is 20000 x 150.00015 + 20000 = 3,020,003, not 3,020,000.
  const uint64_t period = 333333;
  EXPECT_EQ(s.sim_cycles(), 20000ull * (period + 50000000ull) / period);
  EXPECT_EQ(s.mem_accesses(), 20000u);
  EXPECT_EQ(stat(s, "summary.ops"), 20000);
  EXPECT_EQ(stat(s, "mem.reads") + stat(s, "mem.writes"), 20000);
}

TEST(SocSim, ComputeCyclesAddUp) {
  soc::Soc s(resolve({"dram.model=fixed", "cpu.cores=2", "dram.size_mib=64", "dram.fixed.bandwidth_gbps=0",
                      "workload.synthetic.pattern=sequential", "workload.synthetic.footprint_kib=256",
                      "workload.synthetic.accesses=1000", "workload.synthetic.compute_cycles=7"}));
  s.run(false);
  EXPECT_EQ(s.sim_cycles(), 1000ull * (8 * 333333ull + 50000000ull) / 333333ull);
  EXPECT_EQ(s.mem_accesses(), 2000u);
  EXPECT_EQ(stat(s, "cpu.core1.compute_cycles"), 7000);
}

TEST(SocSim, DataCheckingFindsNoErrors) {
  soc::Soc s(resolve({"dram.model=fixed", "cpu.cores=2", "dram.size_mib=64", "workload.data_check=true",
                      "workload.synthetic.pattern=random", "workload.synthetic.footprint_kib=512",
                      "workload.synthetic.accesses=50000", "workload.synthetic.read_fraction=0.5"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  // Every read is checked: reads = accesses - writes, counted by the memory.
  EXPECT_EQ(stat(s, "summary.reads_checked"), stat(s, "mem.reads"));
  EXPECT_GT(stat(s, "summary.reads_checked"), 20000);
}

TEST(SocSim, DataCheckingDetectsCorruption) {
  // A checker that cannot fail proves nothing: corrupt memory behind the cores' back mid-run.
  soc::Soc s(resolve({"dram.model=fixed", "cpu.cores=1", "dram.size_mib=64", "workload.data_check=true",
                      "workload.phases=[{\"pattern\":\"sequential\",\"footprint_kib\":64,\"accesses\":8192,\"read_fraction\":0},"
                      "{\"pattern\":\"sequential\",\"footprint_kib\":64,\"accesses\":8192,\"read_fraction\":1}]"}));
  // 8192 writes take 8192*151 cycles; flip a byte after them, before the read-back phase.
  struct Corrupter : sc_core::sc_module {
    mem::BackingStore& st;
    Corrupter(sc_core::sc_module_name n, mem::BackingStore& s) : sc_module(n), st(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Corrupter);
    void run() {
      // Corrupt 0x1000, which the read-back phase reaches 512 reads (about 26 us) after it starts.
      wait(sc_core::sc_time(8192.0 * 151 / 3000 + 1, sc_core::SC_US));
      uint8_t b = 0;
      st.read(0x1000, &b, 1);
      b ^= 0xff;
      st.write(0x1000, &b, 1);
    }
  } corrupter("corrupter", s.memory());
  s.run(false);
  EXPECT_EQ(s.data_errors(), 1u);
}
