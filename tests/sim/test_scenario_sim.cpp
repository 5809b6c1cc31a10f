// Scenario processes on the whole platform: cores with MMUs and caches, DDR memory, the disk, and the
// modeled kernel handling every fault. Counts are derived from the programs.
#include <gtest/gtest.h>

#include "platform/soc/soc.h"

using namespace pc;

namespace {
soc::PlatformConfig resolve(const std::vector<std::string>& presets, const std::string& scenario_json,
                            std::initializer_list<const char*> sets = {}) {
  soc::ConfigResolver r;
  for (const auto& p : presets) r.apply_preset(p);
  r.apply_json(cfg::parse_json_text(scenario_json, "test scenario"), "test scenario");
  for (const char* s : sets) r.apply_set(s);
  return r.finish();
}
double stat(soc::Soc& s, const std::string& p) {
  const auto* st = s.stats().find(p);
  if (!st) throw std::runtime_error("no stat " + p);
  return st->to_json().get<double>();
}
}  // namespace

TEST(ScenarioSim, SequentialWritesTakeOneFaultPerPageAndFramesComeBack) {
  // 1 MiB written in 64-byte stores, page by page: exactly 256 anonymous write faults, no others (the
  // program touches nothing else). Afterwards every frame is free again but the zero page and the
  // reserved low memory.
  soc::Soc s(resolve({"nehalem"}, R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "size_kib": 1024},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 0}},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})", {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 16384);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgfault"), 256);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.min_flt"), 256);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.maj_flt"), 0);
  EXPECT_EQ(stat(s, "cpu.core0.faults.total"), 256);  // the MMU raised exactly those
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_page_table_pages"), 0);
  auto& os = *s.os();
  os.lru().lru_add_drain_all();
  os.allocator().drain_all_pages();
  EXPECT_EQ(os.frames_in_use(), os.allocator().nr_reserved() + 1);
  EXPECT_EQ(os.allocator().nr_free_pages() + os.frames_in_use(), os.allocator().total_present());
}

TEST(ScenarioSim, FileFaultsReadTheDiskAndSleep) {
  // A private read-only file mapping of 16 pages read sequentially: 16 major faults, each a disk read
  // the task sleeps through (I/O wait), then the bytes the disk image holds.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"}, R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 64, "prot": "r"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})", {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1024);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 16);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.maj_flt"), 16);
  EXPECT_EQ(stat(s, "kernel.file_faults"), 16);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 16);
  // Each read is at least the SSD's NAND read time (36 us = 108,000 cycles at 3 GHz).
  EXPECT_GE(stat(s, "kernel.tasks.task1.io_wait_cycles"), 16 * 108000.0);
}

TEST(ScenarioSim, ForkCowAcrossCoresKeepsDataApart) {
  // The parent writes its heap, forks a child that rewrites half of it, then reads everything back;
  // the child reads its own view. Data checking proves each sees its own bytes; the child's writes copy
  // exactly the pages it touched (128 of 256), the parent's later writes reuse or copy the rest.
  soc::Soc s(resolve({"skylake"}, R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "programs": [
        {"name": "parent", "steps": [
          {"op": "mmap", "mapping": "heap", "size_kib": 1024},
          {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 0}},
          {"op": "fork", "program": "child"},
          {"op": "compute", "cycles": 20000000},
          {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 1}}]},
        {"name": "child", "steps": [
          {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "footprint_kib": 512, "accesses": 8192, "access_size": 64, "read_fraction": 0}},
          {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "parent"}]}}})", {"cpu.cores=2", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2 * 16384);
  EXPECT_EQ(stat(s, "kernel.forks"), 1);
  // The child writes 128 pages that are shared with the parent (mapcount 2): 128 copies.
  EXPECT_EQ(stat(s, "kernel.tasks.task2.cow_faults"), 128);
  // The parent only reads after the fork: no COW for it.
  EXPECT_EQ(stat(s, "kernel.tasks.task1.cow_faults"), 0);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.min_flt"), 256);
}
