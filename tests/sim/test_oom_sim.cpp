// The OOM killer steered from the scenario: a process's oom_adj shifts its badness (2.6.18
// mm/oom_kill.c), and kernel.vm.panic_on_oom stops the run instead of killing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

using namespace pc;

namespace {
// As ReclaimSim.OutOfMemoryKillsTheTaskBadnessPicks: on 40 MiB without swap, "hog" writes 64 MiB of
// anonymous memory while two "small" processes hold 2 MiB each and compute for 100 ms.
std::string scenario(int hog_adj) {
  return R"({"workload": {"source": "scenario", "scenario": {
      "programs": [
        {"name": "hog", "steps": [
          {"op": "mmap", "mapping": "m", "size_kib": 65536},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 0}}]},
        {"name": "small", "steps": [
          {"op": "mmap", "mapping": "m", "size_kib": 2048},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 2048, "accesses": 512, "access_size": 8, "read_fraction": 0}},
          {"op": "compute", "cycles": 300000000}]}],
      "processes": [{"program": "small"}, {"program": "small"},
                    {"program": "hog", "start_us": 1000, "oom_adj": )" +
         std::to_string(hog_adj) + "}]}}}";
}
}  // namespace

TEST(OomSim, OomAdjSteersTheVictim) {
  // Three cores: each task runs on its own. badness is total_vm (young tasks, little CPU time: no
  // divisor): hog 16384 + 32 (stack) = 16416 pages, each small 512 + 32 = 544. Without oom_adj the hog
  // goes first (ReclaimSim.OutOfMemoryKillsTheTaskBadnessPicks). With oom_adj -10 the hog scores
  // 16416 >> 10 = 16, so the first victim is a small one (544; the first in task order wins the tie).
  // Its 2 MiB do not last the hog long; retrying, the hog naps in direct reclaim's congestion waits
  // (HZ/10 each) until the other small one has finished its 100 ms of compute and exited, so when memory
  // runs out again the hog is alone and is the second and last victim, with 16.
  soc::Soc s(
      test::resolve_config({"nehalem", "ssd-nvmevirt"}, scenario(-10), {"cpu.cores=3", "dram.size_mib=40"}));
  s.run(false);
  const auto& kills = s.os()->oom_kills();
  ASSERT_EQ(kills.size(), 2u);
  EXPECT_EQ(kills[0].comm, "small");
  EXPECT_EQ(kills[0].points, 544u);
  EXPECT_EQ(kills[1].comm, "hog");
  EXPECT_EQ(kills[1].points, 16u);
  std::vector<std::string> ends;
  for (const auto& t : s.os()->tasks())
    if (!t->is_kthread()) ends.push_back(t->comm + ": " + t->exit_reason);
  EXPECT_EQ(ends, (std::vector<std::string>{"small: killed by the OOM killer", "small: end of program",
                                            "hog: killed by the OOM killer"}));
}

TEST(OomSim, PanicOnOomStopsTheRunWithAClearError) {
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"}, scenario(0),
                                  {"cpu.cores=3", "dram.size_mib=40", "kernel.vm.panic_on_oom=true"}));
  try {
    s.run(false);
    ADD_FAILURE() << "the run went on after running out of memory";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Kernel panic - not syncing: out of memory. panic_on_oom is selected "
                       "(kernel.vm.panic_on_oom; task "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("(hog) found no memory"), std::string::npos) << msg;
  }
  EXPECT_TRUE(s.os()->oom_kills().empty());
}
