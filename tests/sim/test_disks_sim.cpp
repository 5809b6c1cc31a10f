// Several disks and injected media errors on the whole platform: each disk has its own controller,
// interrupt line and driver (sda, sdb); a file lives on the disk its config names; a read of sectors that
// fail reaches the reading task as SIGBUS (a fault) or -EIO (read()), and only that page's request fails.
#include <gtest/gtest.h>

#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

using namespace pc;

namespace {
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}

const kernel::Task* task_named(soc::Soc& s, const std::string& comm) {
  for (const auto& t : s.os()->tasks())
    if (t->comm.rfind(comm, 0) == 0) return t.get();
  return nullptr;
}

// A 64 KiB file (16 pages) on disk 0 at sector 2048 (1 MiB in); page 5 is sectors 2088..2095, which fail
// reads when `inject` is set. With readahead at one page, every page is read by a request of its own.
std::string one_file_scenario(bool inject, const std::string& programs, const std::string& processes) {
  return std::string("{") +
         (inject ? R"("disk": {"inject_errors": [{"lba": 2088, "sectors": 8, "on": "read"}]},)" : "") +
         R"("workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": )" +
         programs + R"(, "processes": )" + processes + "}}}";
}
}  // namespace

TEST(DisksSim, TwoDisksEachServeTheirOwnFile) {
  // Disk 0 is the 7200 rpm HDD, disk 1 the MQSim SSD. A 64 KiB file on disk 0 and a 32 KiB file on disk 1,
  // each mapped and read through once: the first fault on each reads the whole file around it (the
  // 128 KiB read-around window covers both) in one request to that file's disk, and nothing else.
  soc::Soc s(test::resolve_config({"nehalem", "hdd-7200"}, R"({
      "extra_disks": [{"preset": "ssd-mqsim"}],
      "workload": {"source": "scenario", "data_check": true, "scenario": {
        "files": [{"name": "a", "size_kib": 64}, {"name": "b", "size_kib": 32, "disk": 1}],
        "programs": [{"name": "p", "steps": [
          {"op": "mmap", "mapping": "a", "kind": "file", "file": "a", "size_kib": 64, "prot": "r"},
          {"op": "access", "mapping": "a", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}},
          {"op": "mmap", "mapping": "b", "kind": "file", "file": "b", "size_kib": 32, "prot": "r"},
          {"op": "access", "mapping": "b", "pattern": {"pattern": "sequential", "accesses": 512, "access_size": 64, "read_fraction": 1}}]}],
        "processes": [{"program": "p"}]}}})",
                                  {"cpu.cores=1", "dram.size_mib=256"}));
  ASSERT_EQ(s.num_disks(), 2u);
  ASSERT_EQ(s.os()->num_disks(), 2u);
  EXPECT_STREQ(s.os()->disk(0)->basename(), "sda");
  EXPECT_STREQ(s.os()->disk(1)->basename(), "sdb");
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1024 + 512);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 2);
  EXPECT_EQ(stat(s, "disk.read.requests"), 1);
  EXPECT_EQ(stat(s, "disk.read.bytes"), 65536);
  EXPECT_EQ(stat(s, "disk1.read.requests"), 1);
  EXPECT_EQ(stat(s, "disk1.read.bytes"), 32768);
  EXPECT_EQ(stat(s, "disk.write.requests"), 0);
  EXPECT_EQ(stat(s, "disk1.write.requests"), 0);
  // The HDD did the positioning, the SSD the flash reads: each medium saw only its own file.
  EXPECT_EQ(stat(s, "disk.hdd.cache_misses"), 1);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 1);
  EXPECT_EQ(stat(s, "kernel.block1.commands_completed"), 1);
  EXPECT_EQ(stat(s, "disk.interrupts"), 1);
  EXPECT_EQ(stat(s, "disk1.interrupts"), 1);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgpgin"), 64 + 32);
}

TEST(DisksSim, InjectedReadErrorGivesTheFaultingTaskSigbusAndNeighboursReadFine) {
  // "good" maps pages 4 and 6 and reads them (data checked); "bad" maps page 5, whose sectors fail reads:
  // its fault ends in SIGBUS. Three one-page requests, one of them failed.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  one_file_scenario(true, R"([
        {"name": "good", "steps": [
          {"op": "mmap", "mapping": "p4", "kind": "file", "file": "f", "offset_kib": 16, "size_kib": 4, "prot": "r"},
          {"op": "access", "mapping": "p4", "pattern": {"pattern": "sequential", "accesses": 512, "access_size": 8, "read_fraction": 1}},
          {"op": "mmap", "mapping": "p6", "kind": "file", "file": "f", "offset_kib": 24, "size_kib": 4, "prot": "r"},
          {"op": "access", "mapping": "p6", "pattern": {"pattern": "sequential", "accesses": 512, "access_size": 8, "read_fraction": 1}}]},
        {"name": "bad", "steps": [
          {"op": "mmap", "mapping": "p5", "kind": "file", "file": "f", "offset_kib": 20, "size_kib": 4, "prot": "r"},
          {"op": "access", "mapping": "p5", "pattern": {"pattern": "sequential", "accesses": 512, "access_size": 8, "read_fraction": 1}}]}])",
                                                    R"([{"program": "good"}, {"program": "bad"}])"),
                                  {"cpu.cores=1", "dram.size_mib=256", "kernel.readahead_kib=4"}));
  s.run(false);
  const kernel::Task* bad = task_named(s, "bad");
  const kernel::Task* good = task_named(s, "good");
  ASSERT_NE(bad, nullptr);
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(bad->exit_reason.rfind("SIGBUS at 0x", 0), 0u) << bad->exit_reason;
  EXPECT_NE(good->exit_reason.rfind("SIGBUS", 0), 0u) << good->exit_reason;
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1024);
  EXPECT_EQ(stat(s, "disk.media_errors_read"), 1);
  EXPECT_EQ(stat(s, "disk.read.errors"), 1);
  EXPECT_EQ(stat(s, "disk.read.requests"), 2);
  EXPECT_EQ(stat(s, "disk.read.bytes"), 2 * 4096);
  EXPECT_EQ(stat(s, "kernel.block.command_errors"), 1);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 3);
}

namespace {
// read() of page 4, then of page 5, into an anonymous buffer; the buffer is read back (data checked).
std::string read_pages_4_and_5(bool inject) {
  return one_file_scenario(inject, R"([
        {"name": "r", "steps": [
          {"op": "mmap", "mapping": "buf", "size_kib": 8},
          {"op": "read", "file": "f", "mapping": "buf", "offset_kib": 16, "size_kib": 4},
          {"op": "read", "file": "f", "mapping": "buf", "offset_kib": 20, "size_kib": 4},
          {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 512, "access_size": 8, "read_fraction": 1}}]}])",
                           R"([{"program": "r"}])");
}
}  // namespace

TEST(DisksSim, InjectedReadErrorGivesReadEio) {
  // The read of page 4 succeeds; the read of page 5 fails on the disk and read() returns -EIO (5), which
  // the scenario reports as the step's failure.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"}, read_pages_4_and_5(true),
                                  {"cpu.cores=1", "dram.size_mib=256", "kernel.readahead_kib=4"}));
  try {
    s.run(false);
    FAIL() << "the run ended without the read error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("step 2: read failed with errno 5"), std::string::npos) << what;
  }
  EXPECT_EQ(stat(s, "disk.media_errors_read"), 1);
  EXPECT_EQ(stat(s, "disk.read.errors"), 1);
  EXPECT_EQ(stat(s, "disk.read.requests"), 1);
  EXPECT_EQ(stat(s, "kernel.block.command_errors"), 1);
}

TEST(DisksSim, WithoutInjectionTheSameReadsSucceed) {
  // Negative control of the test above: the same run, no injected range.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"}, read_pages_4_and_5(false),
                                  {"cpu.cores=1", "dram.size_mib=256", "kernel.readahead_kib=4"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 512);
  EXPECT_EQ(stat(s, "disk.media_errors_read"), 0);
  EXPECT_EQ(stat(s, "disk.read.errors"), 0);
  EXPECT_EQ(stat(s, "disk.read.requests"), 2);
  EXPECT_EQ(stat(s, "kernel.block.command_errors"), 0);
}

TEST(DisksSim, InjectedRangeBeyondTheDiskIsAConfigErrorNamingIt) {
  // ssd-mqsim holds 32 GiB less 7% overprovisioning (62.4 M sectors): [0, 8) is on it, 10^12 far beyond.
  try {
    soc::Soc s(test::resolve_config(
        {"nehalem", "hdd-7200"},
        R"({"extra_disks": [{"preset": "ssd-mqsim", "inject_errors": [{"lba": 0, "sectors": 8}, {"lba": 1000000000000, "sectors": 8}]}],
            "workload": {"source": "scenario", "scenario": {"programs": [{"name": "p", "steps": [{"op": "exit"}]}],
            "processes": [{"program": "p"}]}}})",
        {"cpu.cores=1", "dram.size_mib=256"}));
    FAIL() << "no error";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'extra_disks[0].inject_errors[1]': sectors [1000000000000, "
                                         "1000000000008) reach beyond the disk's"),
              std::string::npos)
        << e.what();
  }
}

TEST(DisksSim, AFileThatDoesNotFitItsDiskIsAConfigErrorNamingIt) {
  // The extra SSD shrunk to 16 blocks per plane (8 x 8 x 2 x 16 x 256 x 8 KiB = 4 GiB less 7%) cannot
  // hold a 4 GiB file.
  try {
    soc::Soc s(
        test::resolve_config({"nehalem", "hdd-7200"},
                             R"({"extra_disks": [{"preset": "ssd-mqsim", "ssd": {"blocks_per_plane": 16}}],
            "workload": {"source": "scenario", "scenario": {"files": [{"name": "a", "size_kib": 4}, {"name": "big", "size_kib": 4194304, "disk": 1}],
            "programs": [{"name": "p", "steps": [{"op": "exit"}]}], "processes": [{"program": "p"}]}}})",
                             {"cpu.cores=1", "dram.size_mib=256"}));
    FAIL() << "no error";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("key 'workload.scenario.files[1].disk': 'big' (4194304 KiB) does not fit "
                                   "on disk 1"),
        std::string::npos)
        << e.what();
  }
}

TEST(DisksSim, SwapOnTheSsdWhileTheFileStaysOnTheHdd) {
  // The thrashing scenario with its file on disk 0 (hdd-7200) and its swap partition on disk 1 (the
  // ssd-nvmevirt drive): every swap bio goes to the SSD, the file's reads to the HDD, and no byte is lost.
  soc::Soc s(test::resolve_config(
      {"nehalem", "hdd-7200", "thrash"},
      R"({"extra_disks": [{"preset": "ssd-nvmevirt"}], "kernel": {"swap": {"areas": [{"kind": "partition", "disk": 1}]}}})",
      {}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  const double pswpin = stat(s, "kernel.vmstat.pswpin"), pswpout = stat(s, "kernel.vmstat.pswpout");
  EXPECT_GT(pswpout, 10000.0);
  EXPECT_GT(pswpin, 15000.0);
  EXPECT_EQ(s.stats().find("kernel.swap.io_disk0.read_latency"), nullptr);  // no swap I/O on disk 0
  // The SSD moved exactly the swap pages (and the header read at swapon), in commands of merged bios.
  EXPECT_EQ(stat(s, "disk1.write.bytes"), pswpout * 4096);
  EXPECT_EQ(stat(s, "disk1.read.bytes"), (pswpin + 1) * 4096);
  EXPECT_EQ(stat(s, "disk.write.bytes"), 0);
  // pgpgin (KiB) counts every read bio: the file's from the HDD, the swap-ins from the SSD.
  EXPECT_EQ(stat(s, "disk.read.bytes") + stat(s, "disk1.read.bytes"), stat(s, "kernel.vmstat.pgpgin") * 1024);
  EXPECT_GT(stat(s, "disk.read.bytes"), 0);
  // Every slot is free again but those of orphaned swap-cache pages (see SwapSim's thrash tests).
  const double orphans = static_cast<double>(s.os()->mm().swapper_space().page_tree.size());
  EXPECT_LE(orphans, 16);
  EXPECT_EQ(stat(s, "kernel.swap.nr_swap_pages") + orphans, stat(s, "kernel.swap.total_swap_pages"));
}
