// The SoC with paging on (bare-metal pager) and caches: data stays correct through translation and the
// caches, every touched page faults exactly once, and the preset figures reach the models.
#include <gtest/gtest.h>

#include "platform/soc/soc.h"

using namespace pc;

namespace {
double stat(soc::Soc& s, const std::string& p) {
  const auto* st = s.stats().find(p);
  if (!st) throw std::runtime_error("no stat " + p);
  return st->to_json().get<double>();
}
}  // namespace

TEST(PagingSocSim, TwoCoresDataCheckedThroughPagingAndCaches) {
  soc::ConfigResolver r;
  r.apply_preset("nehalem");
  for (const char* s : {"cpu.cores=2", "dram.size_mib=64", "workload.data_check=true", "workload.synthetic.footprint_kib=256",
                        "workload.phases=[{\"pattern\":\"sequential\",\"footprint_kib\":256,\"accesses\":4096,\"access_size\":64,\"read_fraction\":0},"
                        "{\"pattern\":\"random\",\"footprint_kib\":256,\"accesses\":20000,\"access_size\":8,\"read_fraction\":0.5},"
                        "{\"pattern\":\"sequential\",\"footprint_kib\":256,\"accesses\":4096,\"access_size\":64,\"read_fraction\":1}]"})
    r.apply_set(s);
  soc::Soc s(r.finish());
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_GT(stat(s, "summary.reads_checked"), 10000);
  // 256 KiB per core = 64 pages, each faulting once on first touch (the pager maps on not-present only).
  EXPECT_EQ(stat(s, "pager.faults"), 128);
  EXPECT_EQ(stat(s, "cpu.core0.page_faults") + stat(s, "cpu.core1.page_faults"), 128);
  EXPECT_EQ(stat(s, "cpu.core0.faults.ec_0x06"), 64);  // the first touch of each page is a write
  // Each of the 4096 + 20000 + 4096 accesses of a core is one DTLB lookup, plus one per fault re-execution.
  EXPECT_EQ(stat(s, "cpu.core0.dtlb.hits") + stat(s, "cpu.core0.dtlb.misses"), 4096 + 20000 + 4096 + 64);
  // 64 pages fit the 64-entry DTLB only partly (4-way sets); the STLB (512) holds all: after the first
  // sweep every DTLB miss hits the STLB, so STLB misses = the walks of first touches (2 per page: the
  // faulting walk and the re-executed one).
  EXPECT_EQ(stat(s, "cpu.core0.stlb.misses"), 128);
  EXPECT_GT(stat(s, "cpu.core0.l1d.hits"), 0);
  EXPECT_GT(stat(s, "llc.misses"), 0);
}
