// msync and fsync scenario steps on the whole platform (Linux 2.6.18 mm/msync.c, fs/sync.c): MS_SYNC moves
// a shared mapping's PTE Dirty bits into its pages and writes the file out, MS_ASYNC only marks the pages
// dirty, fsync writes the file's dirty pages and waits. The disk runs without its write cache, so a
// completed write is on the medium and the test reads it back from there.
#include <gtest/gtest.h>

#include <vector>

#include "platform/soc/soc.h"
#include "testbench/scenario.h"
#include "tests/support/soc_helpers.h"

using namespace pc;

namespace {
soc::PlatformConfig resolve(const std::string& programs) {
  return test::resolve_config(
      {"nehalem"},
      R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 256}, {"name": "g", "size_kib": 64}],
      "programs": [{"name": "p", "steps": [)" +
          programs + R"(]}],
      "processes": [{"program": "p"}]}}})",
      {"cpu.cores=1", "dram.size_mib=256", "clocks.cpu_mhz=3000", "disk.hdd.write_cache=false"});
}
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}
double hist_max(soc::Soc& s, const std::string& p) {
  return s.stats().find(p)->to_json()["max"].get<double>();
}
// The disk holds what the file's shadow says: sectors [first, first + pages * 8) of disk 0 against the
// bytes the program's writes left in file `file`.
bool disk_matches_file(soc::Soc& s, unsigned file, uint64_t first_sector, uint64_t pages) {
  const auto& shadow = *s.scenario()->file_shadows.at(file);
  std::vector<uint8_t> disk(4096), want(4096);
  for (uint64_t p = 0; p < pages; ++p) {
    s.disk(0)->store().read(first_sector + p * 8, 8, disk.data());
    shadow.read(p * 4096, want.data(), 4096);
    if (disk != want) {
      ADD_FAILURE() << "file " << file << " page " << p << " differs on the disk";
      return false;
    }
  }
  return true;
}
// Writes one 64-byte store into each of the 64 pages of mapping m (strided by a page).
constexpr const char* kDirtyAllPages =
    R"({"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "accesses": 64, "access_size": 64, "read_fraction": 0}})";
constexpr const char* kMapShared =
    R"({"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "shared": true, "size_kib": 256})";
}  // namespace

TEST(MsyncSim, MsSyncWritesExactlyTheDirtiedPagesAndWaits) {
  // 64 pages of a shared mapping dirtied through their PTEs, then msync(MS_SYNC) of the whole mapping:
  // msync_interval finds 64 dirty PTEs and marks 64 pages dirty, do_fsync writes those 64 pages (256 KiB)
  // and waits for them. Nothing else writes: 64 dirty pages are far below the background threshold and
  // wb_kupdate first runs after 5 s. Then the file is read back through read() and checked, and the disk
  // holds the bytes.
  soc::Soc s(resolve(std::string(kMapShared) + "," + kDirtyAllPages + R"(,
        {"op": "msync", "mapping": "m", "size_kib": 256},
        {"op": "mmap", "mapping": "buf", "size_kib": 256},
        {"op": "read", "file": "f", "mapping": "buf", "size_kib": 256},
        {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 4096, "access_size": 64, "read_fraction": 1}})"));
  s.run(false);
  ASSERT_TRUE(s.scenario()->errors.empty()) << s.scenario()->errors.front();
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 4096);
  EXPECT_EQ(stat(s, "kernel.msync_pages_dirtied"), 64);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_fsync_calls"), 1);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_sync_pages_written"), 64);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_pages_written"), 64);
  EXPECT_EQ(stat(s, "disk.write.bytes"), 64 * 4096);
  // msync cleared the PTE Dirty bits it moved, so the exit's unmap finds nothing dirty.
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_dirty"), 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_writeback"), 0);
  EXPECT_TRUE(disk_matches_file(s, 0, 2048, 64));
  // MS_SYNC waited for the writes: the task slept at least as long as the slowest one took.
  EXPECT_GE(stat(s, "kernel.tasks.task1.io_wait_cycles"), hist_max(s, "disk.write.latency_us") * 3000);
}

TEST(MsyncSim, FsyncMissesPteDirtyBitsUntilMsAsyncMovesThem) {
  // 2.6.18's fsync writes pages whose struct page is dirty; a shared mapping's stores only set PTE Dirty
  // bits. So: the first fsync of f writes 0 pages; MS_ASYNC marks the 64 pages dirty and writes nothing;
  // the second fsync writes the 64. Then write() puts 16 pages into g (dirty page-cache pages) and fsync(g)
  // writes those 16. Had the first fsync written anything, the second would add 64 more (MS_ASYNC marks
  // the pages dirty again from their PTEs): exactly 64 + 16 = 80 pages are written, in 3 fsyncs.
  soc::Soc s(resolve(std::string(kMapShared) + "," + kDirtyAllPages + R"(,
        {"op": "fsync", "file": "f"},
        {"op": "msync", "mapping": "m", "size_kib": 256, "flags": "async"},
        {"op": "fsync", "file": "f"},
        {"op": "mmap", "mapping": "buf", "size_kib": 64},
        {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 0}},
        {"op": "write", "file": "g", "mapping": "buf", "size_kib": 64},
        {"op": "fsync", "file": "g"})"));
  s.run(false);
  ASSERT_TRUE(s.scenario()->errors.empty()) << s.scenario()->errors.front();
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "kernel.msync_pages_dirtied"), 64);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_fsync_calls"), 3);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_sync_pages_written"), 80);
  EXPECT_EQ(stat(s, "kernel.reclaim.wb_pages_written"), 80);
  EXPECT_EQ(stat(s, "disk.write.bytes"), 80 * 4096);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_dirty"), 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_writeback"), 0);
  // f starts at sector 2048 (1 MiB), g right after f's 64 pages.
  EXPECT_TRUE(disk_matches_file(s, 0, 2048, 64));
  EXPECT_TRUE(disk_matches_file(s, 1, 2048 + 64 * 8, 16));
}
