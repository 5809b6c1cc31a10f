// Scenario processes on the whole platform: cores with MMUs and caches, DDR memory, the disk, and the
// modeled kernel handling every fault. Counts are derived from the programs.
#include <gtest/gtest.h>

#include <fstream>

#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"
#include "tests/support/temp_path.h"

using namespace pc;

namespace {
soc::PlatformConfig resolve(const std::vector<std::string>& presets, const std::string& scenario_json,
                            std::initializer_list<const char*> sets = {}) {
  return test::resolve_config(presets, scenario_json, std::vector<std::string>(sets.begin(), sets.end()));
}
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}
// The stats group of the task whose name starts with `comm` (a forked child gets the next pid, after the
// kernel threads the kernel started at boot).
std::string task_group(soc::Soc& s, const std::string& comm) {
  for (const auto& t : s.os()->tasks())
    if (t->comm.rfind(comm, 0) == 0) return "kernel.tasks.task" + std::to_string(t->pid);
  ADD_FAILURE() << "no task " << comm;
  return "";
}
// Frames a CPU still holds for an exited process: a CPU that went idle keeps the last mm loaded (lazy
// TLB, holding mm_count), so that mm's PGD lives until the CPU switches to another address space.
uint64_t lazy_pgds(kernel::Kernel& os, unsigned cpus) {
  uint64_t n = 0;
  for (unsigned c = 0; c < cpus; ++c) n += os.mm().loaded_mm(c) != nullptr;
  return n;
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
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 16384);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgfault"), 256);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.min_flt"), 256);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.maj_flt"), 0);
  EXPECT_EQ(stat(s, "cpu.core0.faults.total"), 256);  // the MMU raised exactly those
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_page_table_pages"), 0);
  auto& os = *s.os();
  kernel::KCtx kc;
  os.lru().lru_add_drain_all(kc);
  os.allocator().drain_all_pages();
  EXPECT_EQ(lazy_pgds(os, 1), 1u);
  EXPECT_EQ(os.mm().live_mms(), 1u);
  EXPECT_EQ(os.frames_in_use(), os.allocator().nr_reserved() + 1 + 1);  // + the zero page + the lazy PGD
  EXPECT_EQ(os.allocator().nr_free_pages() + os.frames_in_use(), os.allocator().total_present());
}

TEST(ScenarioSim, FileFaultsReadTheDiskAndSleep) {
  // A private read-only file mapping of 16 pages read sequentially. The first fault misses the page cache
  // and reads ahead the whole file (the 128 KiB window covers its 64 KiB) in one request: 1 major fault,
  // 1 disk command; every page still faults once to be mapped (16 file faults). The task sleeps through
  // the read (I/O wait), then sees the bytes the disk image holds.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 64, "prot": "r"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1024);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 1);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.maj_flt"), 1);
  EXPECT_EQ(stat(s, "kernel.file_faults"), 16);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 1);
  // The read takes at least the SSD's NAND read time (36 us = 108,000 cycles at 3 GHz).
  EXPECT_GE(stat(s, "kernel.tasks.task1.io_wait_cycles"), 108000.0);
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
      "processes": [{"program": "parent"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2 * 16384);
  EXPECT_EQ(stat(s, "kernel.forks"), 1);
  // The child writes 128 pages that are shared with the parent (mapcount 2): 128 copies.
  EXPECT_EQ(stat(s, task_group(s, "parent-child") + ".cow_faults"), 128);
  // The parent only reads after the fork: no COW for it.
  EXPECT_EQ(stat(s, "kernel.tasks.task1.cow_faults"), 0);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.min_flt"), 256);
}

TEST(ScenarioSim, WriteThenReadAFileAndReplayATrace) {
  // A lackey trace's touched ranges become anonymous mappings; pwrite puts a buffer into the file and a
  // second process reads it back through the page cache: data checking follows the bytes all the way.
  const std::string trace = pc::test::temp_path("scenario.lackey");
  {
    std::ofstream t(trace);
    t << "==1== Lackey\n";
    for (int i = 0; i < 64; ++i)
      t << " S 0" << std::hex << (0x600000 + i * 8) << ",8\n L 0" << (0x600000 + i * 8) << ",8\n";
    t << "I  00400000,4\n M 7ff000100,4\n";
  }
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [
        {"name": "w", "steps": [
          {"op": "mmap", "mapping": "b", "size_kib": 16},
          {"op": "access", "mapping": "b", "pattern": {"pattern": "sequential", "accesses": 256, "access_size": 64, "read_fraction": 0}},
          {"op": "write", "mapping": "b", "file": "f", "size_kib": 16, "offset_kib": 8},
          {"op": "trace", "trace": ")" +
                         trace + R"("}]},
        {"name": "r", "steps": [
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 64, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "w"}, {"program": "r", "start_us": 20000}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  // Reads: 64 trace loads + 1 modify load + 1 fetch + 1024 file reads.
  EXPECT_EQ(stat(s, "summary.reads_checked"), 64 + 1 + 1 + 1024);
  EXPECT_EQ(stat(s, "kernel.tasks.task1.killed"), 0);
  EXPECT_EQ(stat(s, "kernel.tasks.task2.killed"), 0);
  // pwrite covers pages 2..5 whole: nothing is read (generic_file_buffered_write reads only a page it
  // writes in part). The reader's miss on page 0 reads around pages 0..15: the missing runs 0..1 and
  // 6..15 go out as two requests (one each). Its fault on page 6 finds that page's read still in flight
  // and sleeps on it, which 2.6.18's filemap_nopage counts as a major fault too.
  EXPECT_EQ(stat(s, "kernel.tasks.task1.maj_flt"), 0);
  EXPECT_EQ(stat(s, "kernel.tasks.task2.maj_flt"), 2);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 2);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 2);
}

TEST(ScenarioSim, PageReferencedSeesTheAccessedBitTheWalkerSets) {
  // The process touches one page, computes, touches it again, computes. Between the touches a probe
  // plays reclaim: page_referenced returns 1 and clears A (set when the fault mapped the page); its
  // flush_tlb_page drops the translation, so the second touch walks again and the walker sets A in the
  // PTE in memory; the second probe sees that hardware-set bit: 1 again, and A clear afterwards.
  soc::Soc s(resolve({"nehalem"}, R"({"workload": {"source": "scenario", "scenario": {
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "size_kib": 4},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 0}},
        {"op": "compute", "cycles": 3000000},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 1}},
        {"op": "compute", "cycles": 3000000}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  struct Probe : sc_core::sc_module {
    soc::Soc& soc;
    int first = -1, second = -1;
    uint64_t pte_after_first = 0, pte_after_second = 0, a_writes_before = 0, a_writes_after = 0;
    Probe(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Probe);
    double a_writes() { return soc.stats().find("cpu.core0.walker.a_writes")->to_json().get<double>(); }
    void run() {
      auto& os = *soc.os();
      wait(500, sc_core::SC_US);  // inside the first compute step (1 ms)
      kernel::KCtx k;
      kernel::MmStruct& mm = *os.tasks()[0]->mm;
      const uint64_t va = mm.find_vma(kernel::kMmapBase)->vm_start;
      kernel::Page* page =
          os.allocator().mem_map().phys_to_page(hw::paging::frame_of(os.mm().read_pte(mm, va, k)));
      first = os.mm().page_referenced(page, false, k);
      pte_after_first = os.mm().read_pte(mm, va, k);
      a_writes_before = static_cast<uint64_t>(a_writes());
      wait(1000, sc_core::SC_US);  // inside the second compute step
      second = os.mm().page_referenced(page, false, k);
      pte_after_second = os.mm().read_pte(mm, va, k);
      a_writes_after = static_cast<uint64_t>(a_writes());
    }
  } probe("probe", s);
  s.run(false);
  EXPECT_EQ(probe.first, 1);
  EXPECT_FALSE(probe.pte_after_first & hw::paging::kA);
  EXPECT_EQ(probe.a_writes_after - probe.a_writes_before, 1u);  // the walker's locked RMW of the leaf
  EXPECT_EQ(probe.second, 1);
  EXPECT_FALSE(probe.pte_after_second & hw::paging::kA);
  EXPECT_TRUE(probe.pte_after_second & hw::paging::kP);
}
