// Page reclaim on the whole platform (issue 11): a file workload larger than memory and an anonymous
// workload that runs out of memory, with the counters checked against Linux's identities.
#include <gtest/gtest.h>

#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

using namespace pc;

namespace {
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}
std::string task_group(soc::Soc& s, const std::string& comm) {
  for (const auto& t : s.os()->tasks())
    if (t->comm == comm) return "kernel.tasks.task" + std::to_string(t->pid);
  ADD_FAILURE() << "no task " << comm;
  return "";
}

// Samples the memory state every `period` while the run lasts.
struct Sampler : sc_core::sc_module {
  soc::Soc& soc;
  sc_core::sc_time period;
  uint64_t samples = 0, conserved = 0, between_min_and_high = 0, below_min = 0;
  Sampler(sc_core::sc_module_name n, soc::Soc& s, sc_core::sc_time p) : sc_module(n), soc(s), period(p) {
    SC_THREAD(run);
  }
  SC_HAS_PROCESS(Sampler);
  void run() {
    auto& os = *soc.os();
    auto& a = os.allocator();
    for (;;) {
      wait(period);
      if (os.all_exited()) return;
      ++samples;
      // Every frame is free (buddy or per-CPU lists) or has a user: nothing leaks, nothing doubles.
      if (a.nr_free_pages() + os.frames_in_use() == a.total_present()) ++conserved;
      uint64_t min = 0, high = 0;
      for (unsigned z = 0; z < kernel::MAX_NR_ZONES; ++z) {
        min += a.zone(z).pages_min;
        high += a.zone(z).pages_high;
      }
      const uint64_t free = a.nr_free_pages();
      if (free < min) ++below_min;
      // kswapd works from pages_low up to pages_high; a batch of frees may overshoot high a little.
      if (free >= min && free <= high + 2 * kernel::SWAP_CLUSTER_MAX) ++between_min_and_high;
    }
  }
};
}  // namespace

TEST(ReclaimSim, FileReadsLargerThanMemoryReclaimCleanPageCache) {
  // 40 MiB of DRAM (1 MiB of it the driver's, 2 MiB reserved) and a 64 MiB file mapped read-only and
  // read twice, one load per page: the page cache cannot hold the file, so reclaim must free clean
  // page-cache pages. Nothing is dirty, so reclaim writes nothing; data checking shows every page read
  // back from the disk after its eviction holds the file's bytes.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 65536}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 65536, "prot": "r"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 1}},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                                  {"cpu.cores=2", "dram.size_mib=40", "kernel.vm.count_pgsteal=true"}));
  Sampler sampler("sampler", s, sc_core::sc_time(1, sc_core::SC_MS));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2 * 16384);
  EXPECT_EQ(stat(s, task_group(s, "p") + ".killed"), 0);
  const double scan =
      stat(s, "kernel.vmstat.pgscan_kswapd_dma") + stat(s, "kernel.vmstat.pgscan_kswapd_dma32") +
      stat(s, "kernel.vmstat.pgscan_direct_dma") + stat(s, "kernel.vmstat.pgscan_direct_dma32");
  const double steal = stat(s, "kernel.vmstat.pgsteal_dma") + stat(s, "kernel.vmstat.pgsteal_dma32");
  const double freed = stat(s, "kernel.reclaim.freed_lru");
  // Reclaim had to free at least what the file exceeds memory by: 64 MiB read twice into < 37 MiB.
  EXPECT_GT(freed, 16384.0);
  EXPECT_EQ(steal, freed);  // pgsteal counts exactly the pages freed from the LRU
  EXPECT_LE(steal, scan);
  EXPECT_EQ(stat(s, "kernel.vmstat.kswapd_steal"),
            freed - stat(s, task_group(s, "p") + ".reclaim_freed"));  // kswapd's share + the task's
  // Clean page cache only: no write I/O at all, nothing dirty, nothing under writeback.
  EXPECT_EQ(stat(s, "kernel.vmstat.pgpgout"), 0);
  EXPECT_EQ(stat(s, "kernel.reclaim.pageout_writes"), 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_dirty"), 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_writeback"), 0);
  EXPECT_GT(stat(s, "kernel.vmstat.pageoutrun"), 0);
  // Frames conserved at every sample; free memory stays above pages_min and near pages_high most of
  // the run (kswapd keeps up).
  ASSERT_GT(sampler.samples, 10u);
  EXPECT_EQ(sampler.conserved, sampler.samples);
  EXPECT_GT(sampler.between_min_and_high * 10, sampler.samples * 8);
  // kswapd's cycles are on its own account.
  EXPECT_GT(stat(s, task_group(s, "kswapd0") + ".kernel_cycles"), 0);
}

TEST(ReclaimSim, OutOfMemoryKillsTheTaskBadnessPicks) {
  // Three processes on 40 MiB: "hog" maps 64 MiB of anonymous memory and writes it, two small ones
  // write 2 MiB each and compute. With no swap, anonymous pages cannot be reclaimed: the allocator runs
  // out, the OOM killer picks the largest total_vm (the hog) and kills it; the others finish.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "programs": [
        {"name": "hog", "steps": [
          {"op": "mmap", "mapping": "m", "size_kib": 65536},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 0}}]},
        {"name": "small", "steps": [
          {"op": "mmap", "mapping": "m", "size_kib": 2048},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 2048, "accesses": 512, "access_size": 8, "read_fraction": 0}},
          {"op": "compute", "cycles": 30000000},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 2048, "accesses": 512, "access_size": 8, "read_fraction": 1}}]}],
      "processes": [{"program": "small"}, {"program": "small"}, {"program": "hog", "start_us": 1000}]}}})",
                                  {"cpu.cores=2", "dram.size_mib=40"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  auto& os = *s.os();
  ASSERT_GE(os.oom_kills().size(), 1u);
  const auto& kill = os.oom_kills().front();
  EXPECT_EQ(kill.comm, "hog");
  // badness = total_vm: 64 MiB of heap mapping + the 128 KiB initial stack (young, little CPU time: no
  // divisor applies).
  EXPECT_EQ(kill.points, 16384u + 32u);
  EXPECT_GT(kill.free_pages, 0u);
  EXPECT_EQ(stat(s, "kernel.reclaim.oom_kills"), static_cast<double>(os.oom_kills().size()));
  for (const auto& t : os.tasks()) {
    if (t->is_kthread()) continue;
    if (t->comm == "hog")
      EXPECT_EQ(t->exit_reason, "killed by the OOM killer");
    else
      EXPECT_EQ(t->exit_reason, "end of program") << t->comm;
  }
  // The small ones read back what they wrote: 2 x 512 checked loads.
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2 * 512);
  EXPECT_GT(stat(s, "kernel.vmstat.allocstall"), 0);
}

TEST(ReclaimSim, DirtyFileWritesAreThrottledWrittenBackAndReadBackIntact) {
  // 40 MiB of DRAM; a process fills a 1 MiB buffer and write()s it 48 times over a 48 MiB file, then
  // maps the file and reads one word per page. The dirty limit (40% of memory, or less once pages are
  // mapped) throttles the writer in balance_dirty_pages; pdflush writes in the background (from 20%:
  // dirty_background_ratio 40 >= dirty_ratio 40 is halved). Data checking shows the bytes read back,
  // after eviction, are the ones written.
  std::string steps = R"({"op": "mmap", "mapping": "b", "size_kib": 1024},
        {"op": "access", "mapping": "b", "pattern": {"pattern": "sequential", "footprint_kib": 1024, "accesses": 16384, "access_size": 64, "read_fraction": 0}})";
  for (int i = 0; i < 48; ++i)
    steps += R"(, {"op": "write", "mapping": "b", "file": "f", "size_kib": 1024, "offset_kib": )" +
             std::to_string(i * 1024) + "}";
  steps += R"(, {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 49152, "prot": "r"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 49152, "accesses": 12288, "access_size": 8, "read_fraction": 1}})";
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 49152}],
      "programs": [{"name": "p", "steps": [)" +
                                      steps + R"(]}],
      "processes": [{"program": "p"}]}}})",
                                  {"cpu.cores=2", "dram.size_mib=40", "kernel.vm.dirty_background_ratio=40",
                                   "kernel.vm.dirty_writeback_centisecs=0"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 12288);
  const std::string p = task_group(s, "p");
  EXPECT_EQ(stat(s, p + ".killed"), 0);
  // Throttled, with naps charged as congestion waits.
  EXPECT_GT(stat(s, "kernel.reclaim.wb_throttled"), 0);
  EXPECT_GT(stat(s, p + ".congestion_wait_cycles"), 0);
  // Written through the disk: every page of the file went out at least once (48 MiB = 98304 sectors,
  // pgpgout in KiB).
  EXPECT_GE(stat(s, "kernel.vmstat.pgpgout"), 49152);
  // Written back by pdflush and the throttled writer (write() pages are referenced when reclaim first
  // meets them, so reclaim keeps them rather than writing them: pageout has nothing to do here).
  EXPECT_GE(stat(s, "kernel.reclaim.wb_pages_written"), 12288);
  EXPECT_GT(stat(s, "kernel.reclaim.wb_background_runs"), 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_writeback"), 0);
}

TEST(ReclaimSim, DirtySharedMappingIsWrittenByPageoutAndRotated) {
  // A shared writable mapping of a 48 MiB file on 40 MiB of DRAM, one store per page, then one load per
  // page. Stores set the PTE dirty bit only (2.6.18 has no dirty accounting of shared mappings), so
  // pdflush knows nothing; reclaim's try_to_unmap moves the D bit to PG_dirty and pageout writes the
  // page (may_writepage is on: no laptop mode), with PG_reclaim: when the write completes the page is
  // rotated to the inactive tail and freed by the next scan. The second pass reads the evicted pages
  // back from the disk: data checking proves pageout wrote what the stores put there.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 49152}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "shared": true, "size_kib": 49152, "prot": "rw"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 49152, "accesses": 12288, "access_size": 8, "read_fraction": 0}},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 49152, "accesses": 12288, "access_size": 8, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                                  {"cpu.cores=2", "dram.size_mib=40"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 12288);
  EXPECT_EQ(stat(s, task_group(s, "p") + ".killed"), 0);
  const double pageouts = stat(s, "kernel.reclaim.pageout_writes");
  // The second pass reads back pages evicted in the first: at least the 8 MiB the file exceeds DRAM by.
  EXPECT_GE(pageouts, 2048);
  EXPECT_GE(stat(s, "kernel.vmstat.pgpgout"), 4 * pageouts);  // KiB
  // Each rotation is a pageout whose write completed with the page clean, unlocked and inactive.
  EXPECT_EQ(stat(s, "kernel.vmstat.pgrotated"), stat(s, "kernel.reclaim.rotated"));
  EXPECT_GT(stat(s, "kernel.vmstat.pgrotated"), 0);
  EXPECT_LE(stat(s, "kernel.vmstat.pgrotated"), pageouts);
  // Reclaim unmapped pages through rmap, clearing A bits with TLB flushes on the way.
  EXPECT_GT(stat(s, "kernel.vmstat.pgdeactivate"), 0);
  // Where kswapd's time went: unmapping through rmap with TLB shootdowns (the mm is loaded on a core),
  // writepage submissions. Its time is on its own account, and every task's buckets add up to its
  // elapsed cycles.
  const std::string kswapd = task_group(s, "kswapd0");
  EXPECT_GT(stat(s, kswapd + ".reclaim_unmap_cycles"), 0);
  EXPECT_GT(stat(s, kswapd + ".reclaim_shootdown_cycles"), 0);
  EXPECT_GT(stat(s, kswapd + ".reclaim_writeback_cycles"), 0);
  EXPECT_GE(stat(s, kswapd + ".reclaim_scan_cycles"), 0);
  // (A live kernel thread's current interval, asleep since its last switch, is not charged yet.)
  for (const std::string& g : {kswapd, task_group(s, "p")}) {
    double sum = 0;
    for (unsigned c = 0; c < hw::kCharges; ++c)
      sum += stat(s, g + "." + hw::charge_name(static_cast<hw::Charge>(c)) + "_cycles");
    if (g == kswapd)
      // The buckets are summed as doubles of ~7e9 cycles: allow their rounding (1 ulp there is ~1e-6).
      EXPECT_LE(sum, stat(s, g + ".elapsed_cycles") + 1e-12 * sum);
    else
      EXPECT_NEAR(sum, stat(s, g + ".elapsed_cycles"), 1e-6 * sum) << g;
  }
}
