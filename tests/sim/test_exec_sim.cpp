// The kernel's execution model on the whole platform (issue 10): a kernel stack per task that sleeps and
// resumes inside a kernel path, kernel threads on the cores, cycle attribution that adds up exactly, the
// sleep-with-spinlock check, and the 2.6.18 fidelity rules that reclaim relies on.
#include <gtest/gtest.h>

#include "kernel_model/kernel.h"
#include "platform/hwdefs/paging.h"
#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

using namespace pc;
using kernel::Task;

namespace {
soc::PlatformConfig resolve(const std::vector<std::string>& presets, const std::string& json,
                            std::initializer_list<const char*> sets = {}) {
  return test::resolve_config(presets, json, std::vector<std::string>(sets.begin(), sets.end()));
}
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}
Task* task_named(soc::Soc& s, const std::string& comm) {
  for (const auto& t : s.os()->tasks())
    if (t->comm == comm) return t.get();
  ADD_FAILURE() << "no task " << comm;
  return nullptr;
}
std::string group(const Task& t) {
  return "kernel.tasks.task" + std::to_string(t.pid);
}
// Every task's buckets add up to its elapsed time, exactly (in femtoseconds, no rounding).
void expect_attribution_exact(soc::Soc& s) {
  for (const auto& t : s.os()->tasks()) {
    const sc_core::sc_time end = t->end_time();
    const uint64_t elapsed = (end - t->start_time).value();
    EXPECT_EQ(t->charges_at(end).total(), elapsed) << t->pid << " " << t->comm;
  }
}
uint64_t cycles_of(soc::Soc& s, const Task& t, const char* bucket) {
  return static_cast<uint64_t>(stat(s, group(t) + "." + bucket + "_cycles") + 0.5);
}
}  // namespace

TEST(ExecSim, MajorFaultSleepsInsideTheFaultWhileAnotherTaskRuns) {
  // One core. Task 1 touches a one-page file mapping: the fault misses the page cache, starts the read
  // and sleeps on the locked page, giving up the core. Task 2 computes 600,000 cycles meanwhile; the read
  // completes while it runs (the SSD takes tens of microseconds, the computation 200 us), its interrupt
  // takes cycles from task 2, and task 1 becomes runnable but waits for the core (equal priority: no
  // wake-up preemption). When task 2 exits, task 1 resumes inside the same fault: the MMU raised one
  // fault, the kernel counted one major fault and no minor one.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 4}],
      "programs": [
        {"name": "a", "steps": [
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 4, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 1}}]},
        {"name": "b", "steps": [{"op": "compute", "cycles": 600000}]}],
      "processes": [{"program": "a"}, {"program": "b"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1);
  Task* a = task_named(s, "a");
  Task* b = task_named(s, "b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(stat(s, "cpu.core0.page_faults"), 1);  // no re-entry: the fault was raised once
  EXPECT_EQ(a->maj_flt, 1u);
  EXPECT_EQ(a->min_flt, 0u);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgfault"), 1);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 1);
  EXPECT_EQ(a->nvcsw, 1u);   // it slept once (on the page)
  EXPECT_EQ(b->nivcsw, 0u);  // the wake-up did not preempt task 2
  EXPECT_EQ(cycles_of(s, *b, "compute"), 600000u);
  // The read: at least the SSD's 36 us NAND read (108,000 cycles), all of it while task 2 ran.
  const uint64_t io = cycles_of(s, *a, "io_wait"), rq = cycles_of(s, *a, "runnable_wait");
  EXPECT_GE(io, 108000u);
  EXPECT_GT(rq, 0u);
  EXPECT_GE(io + rq, 600000u);  // task 2's whole computation ran between task 1's sleep and its resume
  EXPECT_GT(a->exit_time, b->exit_time);
  EXPECT_GT(cycles_of(s, *a, "fault"), 0u);
  // The disk's interrupt ran on core 0 (irq_affinity 0) while task 2 held it: its cycles are task 2's.
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 1);
  EXPECT_GE(cycles_of(s, *b, "irq"), 3000u);  // at least the 1 us interrupt entry
  EXPECT_EQ(cycles_of(s, *b, "irq"), static_cast<uint64_t>(stat(s, "cpu.core0.irq_cycles")));
  EXPECT_EQ(cycles_of(s, *a, "irq"), 0u);
  expect_attribution_exact(s);
  // The kernel threads exist from boot, sleep waiting for work and appear in the per-task stats.
  unsigned pdflush = 0;
  for (const auto& t : s.os()->tasks()) {
    if (!t->is_kthread()) continue;
    pdflush += t->comm == "pdflush";
    EXPECT_FALSE(t->dead()) << t->comm;
    EXPECT_EQ(t->mm, nullptr) << t->comm;
    EXPECT_GT(cycles_of(s, *t, "idle"), 0u) << t->comm;
  }
  EXPECT_EQ(pdflush, 2u);
  for (const char* name : {"kswapd0", "kblockd/0", "events/0"}) ASSERT_NE(task_named(s, name), nullptr);
  EXPECT_EQ(task_named(s, "kblockd/0")->nice, -5);  // worker_thread runs at nice -5
}

TEST(ExecSim, AttributionAddsUpForEveryTaskOfForkcow) {
  soc::Soc s(resolve({"forkcow", "nehalem"}, ""));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  expect_attribution_exact(s);
  // Faults taken by copy_to_user inside read() are the task's minor faults too (the reader's buffer).
  uint64_t min_flt = 0, maj_flt = 0;
  for (const auto& t : s.os()->tasks()) {
    min_flt += t->min_flt;
    maj_flt += t->maj_flt;
  }
  EXPECT_EQ(min_flt + maj_flt, static_cast<uint64_t>(stat(s, "kernel.vmstat.pgfault")));
  EXPECT_EQ(maj_flt, static_cast<uint64_t>(stat(s, "kernel.vmstat.pgmajfault")));
}

TEST(ExecSim, AttributionAddsUpInAFileHeavyRun) {
  // Three processes on two cores and the HDD: read() and write() through the page cache, a private and a
  // shared file mapping, a fork; tasks sleep on reads, contend for the cores and take interrupts.
  soc::Soc s(resolve({"nehalem", "hdd-7200"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 1024}, {"name": "g", "size_kib": 512}],
      "programs": [
        {"name": "reader", "steps": [
          {"op": "mmap", "mapping": "buf", "size_kib": 256},
          {"op": "read", "file": "f", "mapping": "buf", "size_kib": 256, "offset_kib": 0},
          {"op": "read", "file": "f", "mapping": "buf", "size_kib": 256, "offset_kib": 512},
          {"op": "access", "mapping": "buf", "pattern": {"pattern": "random", "accesses": 4000, "read_fraction": 1}},
          {"op": "fork", "program": "child"},
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "g", "size_kib": 512, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "random", "accesses": 3000, "read_fraction": 1}}]},
        {"name": "child", "steps": [
          {"op": "access", "mapping": "buf", "pattern": {"pattern": "random", "accesses": 3000, "read_fraction": 0.5}}]},
        {"name": "writer", "steps": [
          {"op": "mmap", "mapping": "w", "size_kib": 128},
          {"op": "access", "mapping": "w", "pattern": {"pattern": "sequential", "accesses": 2048, "access_size": 64, "read_fraction": 0}},
          {"op": "write", "mapping": "w", "file": "g", "size_kib": 128, "offset_kib": 256},
          {"op": "mmap", "mapping": "s", "kind": "file", "file": "f", "size_kib": 256, "offset_kib": 768, "shared": true},
          {"op": "access", "mapping": "s", "pattern": {"pattern": "random", "accesses": 3000, "read_fraction": 0.5}}]},
        {"name": "spinner", "steps": [{"op": "compute", "cycles": 3000000}, {"op": "yield"}, {"op": "compute", "cycles": 3000000}]}],
      "processes": [{"program": "reader"}, {"program": "writer"}, {"program": "spinner"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_GT(stat(s, "kernel.vmstat.pgmajfault"), 0);
  uint64_t io = 0, rq = 0;
  for (const auto& t : s.os()->tasks()) {
    if (t->is_kthread()) continue;
    io += cycles_of(s, *t, "io_wait");
    rq += cycles_of(s, *t, "runnable_wait");
  }
  EXPECT_GT(io, 0u);
  EXPECT_GT(rq, 0u);
  expect_attribution_exact(s);
}

TEST(ExecSim, TimedNapIsChargedAsNapAndSpinlocksAreFree) {
  // A kernel thread takes a spinlock, drops it and naps 1 ms (schedule_timeout_uninterruptible): it holds
  // no spinlock across the sleep, so the run goes on; the nap is charged exactly 1 ms (in femtoseconds).
  soc::Soc s(resolve({"nehalem"}, R"({"workload": {"source": "scenario", "scenario": {
      "programs": [{"name": "p", "steps": [{"op": "compute", "cycles": 6000000}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  struct Starter : sc_core::sc_module {
    soc::Soc& soc;
    Task* napper = nullptr;
    bool done = false;
    Starter(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Starter);
    void run() {
      wait(10, sc_core::SC_US);
      auto& os = *soc.os();
      napper = &os.kthread_run("napper", [this, &os](kernel::KCtx& k) {
        kernel::Spinlock lock(os.locks().lru_lock);
        lock.lock(k);
        lock.unlock(k);
        os.sched().schedule_timeout_uninterruptible(k, sc_core::sc_time(1, sc_core::SC_MS));
        done = true;
        k.task->state = kernel::TaskState::Interruptible;  // then sleep for good, as an idle kthread does
        os.sched().sleep(k, hw::Charge::Idle, sc_core::sc_max_time());
      });
    }
  } starter("starter", s);
  s.run(false);
  ASSERT_NE(starter.napper, nullptr);
  EXPECT_TRUE(starter.done);
  EXPECT_EQ(starter.napper->charges()[hw::Charge::Nap], sc_core::sc_time(1, sc_core::SC_MS).value());
  EXPECT_EQ(starter.napper->nvcsw, 2u);
  expect_attribution_exact(s);
}

TEST(ExecSim, SleepingWithASpinlockHeldStopsTheRun) {
  // The negative control of the test above: the same nap taken with the lock held is a kernel bug that
  // the debug check reports, naming the task and the lock.
  soc::Soc s(resolve({"nehalem"}, R"({"workload": {"source": "scenario", "scenario": {
      "programs": [{"name": "p", "steps": [{"op": "compute", "cycles": 6000000}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  struct Starter : sc_core::sc_module {
    soc::Soc& soc;
    Starter(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Starter);
    void run() {
      wait(10, sc_core::SC_US);
      auto& os = *soc.os();
      os.kthread_run("napper", [&os](kernel::KCtx& k) {
        static kernel::Spinlock lock(os.locks().lru_lock);
        lock.lock(k);
        os.sched().schedule_timeout_uninterruptible(k, sc_core::sc_time(1, sc_core::SC_MS));
      });
    }
  } starter("starter", s);
  try {
    s.run(false);
    FAIL() << "the run went on although a task slept holding a spinlock";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("task napper sleeps holding a spinlock (lru_lock)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ExecSim, OneReadOfAFreshFileMarksEachPageAccessedOnce) {
  // read() of a 16-page file that is not cached: readahead puts the 16 pages on the inactive list, and
  // do_generic_mapping_read marks each accessed once per call: 16 referenced, none active (marking per
  // 64-byte chunk would activate every page already on the LRU: 14, the first full pagevec).
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "buf", "size_kib": 64},
        {"op": "read", "file": "f", "mapping": "buf", "size_kib": 64, "offset_kib": 0},
        {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 1024);  // the buffer holds the file's bytes
  kernel::File* f = s.os()->mm().find_file("f");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->mapping.page_tree.size(), 16u);
  unsigned active = 0, referenced = 0;
  for (const auto& [index, page] : f->mapping.page_tree) {
    active += page->test(kernel::PG_active);
    referenced += page->test(kernel::PG_referenced);
  }
  EXPECT_EQ(active, 0u);
  EXPECT_EQ(referenced, 16u);
  // No major fault: read() is not the page-fault path. The buffer's 16 pages were faulted in by the copy
  // (copy_to_user from kernel mode) and count as the task's minor faults.
  Task* p = task_named(s, "p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->maj_flt, 0u);
  EXPECT_EQ(p->min_flt, 16u);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 0);
}

TEST(ExecSim, ForkOfAFileOnlyVmaCopiesNoPte) {
  // copy_page_range skips a VMA without an anon_vma (a private read-only file mapping never gets one):
  // the child faults each of the 16 pages in again (minor: they are in the page cache).
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [
        {"name": "p", "steps": [
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 64, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}},
          {"op": "fork", "program": "c"}]},
        {"name": "c", "steps": [
          {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2048);
  Task* p = task_named(s, "p");
  Task* c = nullptr;
  for (const auto& t : s.os()->tasks())
    if (t->comm.rfind("p-c", 0) == 0) c = t.get();
  ASSERT_TRUE(p && c);
  EXPECT_EQ(p->maj_flt + p->min_flt, 16u);
  EXPECT_EQ(c->min_flt, 16u);
  EXPECT_EQ(c->maj_flt, 0u);
}

TEST(ExecSim, MmapFaultReadsAroundTheFaultingPage) {
  // filemap_nopage's read-around: a miss at file page 100 of a 256-page file reads ra_pages (32) pages
  // starting ra_pages/2 before it: pages 84..115, one request, one major fault.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 1024}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 4, "offset_kib": 400, "prot": "r"},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  kernel::File* f = s.os()->mm().find_file("f");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->mapping.page_tree.size(), 32u);
  EXPECT_EQ(f->mapping.page_tree.begin()->first, 84u);
  EXPECT_EQ(f->mapping.page_tree.rbegin()->first, 115u);
  EXPECT_EQ(stat(s, "kernel.block.commands_completed"), 1);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgmajfault"), 1);
  EXPECT_EQ(stat(s, "kernel.vmstat.pgpgin"), 128);  // KiB read, as /proc/vmstat counts them
}

TEST(ExecSim, ReadIntoAMappedBufferSetsDirtyThroughTheMmu) {
  // A shared writable file mapping read-faulted in: its PTEs are present, writable and clean. read() of
  // another file into it copies through the task's page tables on its core (copy_to_user), so the MMU
  // sets D in each PTE with no fault; at exit, unmapping moves D to the page (set_page_dirty): the 16
  // page-cache pages of g are dirty and counted in nr_dirty. Data checking sees f's bytes in g.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"},
                     R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 64}, {"name": "g", "size_kib": 64}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "kind": "file", "file": "g", "size_kib": 64, "shared": true},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "accesses": 16, "access_size": 8, "read_fraction": 1}},
        {"op": "read", "file": "f", "mapping": "m", "size_kib": 64, "offset_kib": 0},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=1", "dram.size_mib=256"}));
  s.run(false);
  EXPECT_EQ(s.data_errors(), 0u);
  Task* p = task_named(s, "p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->maj_flt + p->min_flt, 16u);  // the read faults only: the copy faulted nothing
  kernel::File* g = s.os()->mm().find_file("g");
  ASSERT_NE(g, nullptr);
  unsigned dirty = 0;
  for (const auto& [index, page] : g->mapping.page_tree) dirty += page->test(kernel::PG_dirty);
  EXPECT_EQ(dirty, 16u);
  EXPECT_EQ(stat(s, "kernel.vmstat.nr_dirty"), 16);
}

namespace {
// Probes page_referenced on the one page of a task between its two touches (the scenario below).
struct YoungProbe : sc_core::sc_module {
  soc::Soc& soc;
  int first = -1, second = -1;
  uint64_t a_writes_between = 0;
  YoungProbe(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
  SC_HAS_PROCESS(YoungProbe);
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
    const double before = a_writes();
    wait(1000, sc_core::SC_US);  // inside the second compute step
    a_writes_between = static_cast<uint64_t>(a_writes() - before);
    second = os.mm().page_referenced(page, false, k);
  }
};
const char* kTouchTwice = R"({"workload": {"source": "scenario", "scenario": {
    "programs": [{"name": "p", "steps": [
      {"op": "mmap", "mapping": "m", "size_kib": 4},
      {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 0}},
      {"op": "compute", "cycles": 3000000},
      {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1, "read_fraction": 1}},
      {"op": "compute", "cycles": 3000000}]}],
    "processes": [{"program": "p"}]}}})";
}  // namespace

TEST(ExecSim, FlushOnYoungOffLeavesTheStaleTranslation) {
  // kernel.vm.flush_on_young=false (later kernels): page_referenced clears A but does not flush the TLB
  // entry, so the second touch hits the TLB, no walk sets A again, and the second probe sees the page
  // unreferenced. (With the 2.6.18 default the same probe returns 1: ScenarioSim's
  // PageReferencedSeesTheAccessedBitTheWalkerSets.)
  soc::Soc s(resolve({"nehalem"}, kTouchTwice,
                     {"cpu.cores=1", "dram.size_mib=256", "kernel.vm.flush_on_young=false"}));
  YoungProbe probe("probe", s);
  s.run(false);
  EXPECT_EQ(probe.first, 1);
  EXPECT_EQ(probe.a_writes_between, 0u);
  EXPECT_EQ(probe.second, 0);
}

TEST(ExecSim, FlushOnYoungOnMakesTheWalkerSetAccessedAgain) {
  // The control of the test above, with the 2.6.18 default.
  soc::Soc s(resolve({"nehalem"}, kTouchTwice, {"cpu.cores=1", "dram.size_mib=256"}));
  YoungProbe probe("probe", s);
  s.run(false);
  EXPECT_EQ(probe.first, 1);
  EXPECT_EQ(probe.a_writes_between, 1u);
  EXPECT_EQ(probe.second, 1);
}

TEST(ExecSim, ZoneCountersMatchAWalkOfEveryPage) {
  // Anonymous, private and shared file, shared anonymous and forked mappings, all alive while the tasks
  // compute; a probe then walks every page frame and recounts what the NR_* counters claim.
  soc::Soc s(resolve({"nehalem", "ssd-nvmevirt"}, R"({"workload": {"source": "scenario", "scenario": {
      "files": [{"name": "f", "size_kib": 256}, {"name": "g", "size_kib": 128}],
      "programs": [
        {"name": "p", "steps": [
          {"op": "mmap", "mapping": "a", "size_kib": 512},
          {"op": "access", "mapping": "a", "pattern": {"pattern": "sequential", "accesses": 8192, "access_size": 64, "read_fraction": 0}},
          {"op": "mmap", "mapping": "fp", "kind": "file", "file": "f", "size_kib": 256, "prot": "r"},
          {"op": "access", "mapping": "fp", "pattern": {"pattern": "random", "accesses": 200, "read_fraction": 1}},
          {"op": "mmap", "mapping": "fs", "kind": "file", "file": "g", "size_kib": 128, "shared": true},
          {"op": "access", "mapping": "fs", "pattern": {"pattern": "random", "accesses": 200, "read_fraction": 0.5}},
          {"op": "mmap", "mapping": "sh", "kind": "shared-anon", "size_kib": 64},
          {"op": "access", "mapping": "sh", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 0}},
          {"op": "fork", "program": "c"},
          {"op": "compute", "cycles": 30000000}]},
        {"name": "c", "steps": [
          {"op": "access", "mapping": "a", "pattern": {"pattern": "random", "accesses": 300, "read_fraction": 0}},
          {"op": "compute", "cycles": 30000000}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  struct Probe : sc_core::sc_module {
    soc::Soc& soc;
    bool checked = false;
    int64_t counted[kernel::NR_VM_ZONE_STAT_ITEMS] = {}, walked[kernel::NR_VM_ZONE_STAT_ITEMS] = {};
    Probe(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Probe);
    void run() {
      wait(8, sc_core::SC_MS);  // both tasks are inside their 10 ms computations
      auto& os = *soc.os();
      unsigned computing = 0;
      for (const auto& t : os.tasks()) computing += !t->is_kthread() && !t->dead();
      if (computing != 2) return;
      auto& map = os.allocator().mem_map();
      for (uint64_t pfn = 0; pfn < map.frames(); ++pfn) {
        const kernel::Page* p = map.pfn_to_page(pfn);
        if (p->count <= 0) continue;
        if (p->anon() && p->mapped()) ++walked[kernel::NR_ANON_PAGES];
        if (!p->anon() && p->mapped()) ++walked[kernel::NR_FILE_MAPPED];  // the zero page included
        const kernel::AddressSpace* as = p->file_mapping();
        if (as || p->test(kernel::PG_swapcache)) ++walked[kernel::NR_FILE_PAGES];
        if (as && p->test(kernel::PG_dirty) && !as->host->unlinked_shmem) ++walked[kernel::NR_FILE_DIRTY];
        if (p->test(kernel::PG_writeback)) ++walked[kernel::NR_WRITEBACK];
        if (p->test(kernel::PG_slab)) ++walked[kernel::NR_SLAB];
      }
      for (kernel::MmStruct* mm : os.mm().mms())
        walked[kernel::NR_PAGETABLE] += static_cast<int64_t>(mm->ptl.size());
      for (unsigned i = 0; i < kernel::NR_VM_ZONE_STAT_ITEMS; ++i)
        counted[i] = os.allocator().global_page_state(static_cast<kernel::ZoneStatItem>(i));
      checked = true;
    }
  } probe("probe", s);
  s.run(false);
  ASSERT_TRUE(probe.checked) << "the probe's premise failed: the tasks were not both computing at 8 ms";
  for (unsigned i = 0; i < kernel::NR_VM_ZONE_STAT_ITEMS; ++i)
    EXPECT_EQ(probe.counted[i], probe.walked[i]) << kernel::kZoneStatNames[i];
  // The walk found something of each kind the scenario made.
  EXPECT_GT(probe.walked[kernel::NR_ANON_PAGES], 128);
  EXPECT_GT(probe.walked[kernel::NR_FILE_MAPPED], 16);
  EXPECT_GT(probe.walked[kernel::NR_FILE_PAGES], 32);
  EXPECT_GE(probe.walked[kernel::NR_PAGETABLE], 2);
}

TEST(ExecSim, PdflushGrowsWhenNoThreadIsIdleForASecondAndShrinksAfterASecondIdle) {
  // mm/pdflush.c at HZ 250. At 100 ms two work items that nap 1.5 s take both threads; the list of idle
  // threads is empty from jiffy 25, and a third item finds none (-1). The first thread to finish, at
  // about 1.6 s (jiffy 400 - 25 > HZ), finds no idle thread and starts a third. At 3 s a 10 ms item goes
  // to the thread that slept last; when it finishes, the pool (3) is above MIN_PDFLUSH_THREADS and the
  // sleepiest thread has slept since 1.6 s, more than a second: the finishing thread exits.
  soc::Soc s(resolve({"nehalem"}, R"({"workload": {"source": "scenario", "scenario": {
      "programs": [{"name": "p", "steps": [{"op": "compute", "cycles": 12000000000}]}],
      "processes": [{"program": "p"}]}}})",
                     {"cpu.cores=2", "dram.size_mib=256"}));
  struct Driver : sc_core::sc_module {
    soc::Soc& soc;
    int third = 0;
    unsigned threads_at[3] = {0, 0, 0};  // at 1 s, 2 s, 4 s
    Driver(sc_core::sc_module_name n, soc::Soc& s) : sc_module(n), soc(s) { SC_THREAD(run); }
    SC_HAS_PROCESS(Driver);
    void run() {
      auto& os = *soc.os();
      auto nap = [&os](double ms) {
        return [&os, ms](kernel::KCtx& k) {
          os.sched().schedule_timeout_uninterruptible(k, sc_core::sc_time(ms, sc_core::SC_MS));
        };
      };
      wait(100, sc_core::SC_MS);
      EXPECT_EQ(os.pdflush_operation(nap(1500)), 0);
      EXPECT_EQ(os.pdflush_operation(nap(1500)), 0);
      third = os.pdflush_operation(nap(1500));
      wait(900, sc_core::SC_MS);
      threads_at[0] = os.nr_pdflush_threads();
      wait(1000, sc_core::SC_MS);
      threads_at[1] = os.nr_pdflush_threads();
      wait(1000, sc_core::SC_MS);
      EXPECT_EQ(os.pdflush_operation(nap(10)), 0);
      wait(1000, sc_core::SC_MS);
      threads_at[2] = os.nr_pdflush_threads();
    }
  } driver("driver", s);
  s.run(false);
  EXPECT_EQ(driver.third, -1);
  EXPECT_EQ(driver.threads_at[0], 2u);
  EXPECT_EQ(driver.threads_at[1], 3u);
  EXPECT_EQ(driver.threads_at[2], 2u);
  unsigned pdflush = 0, exited = 0;
  for (const auto& t : s.os()->tasks()) {
    if (t->comm != "pdflush") continue;
    ++pdflush;
    if (t->dead()) {
      ++exited;
      EXPECT_EQ(t->exit_reason, "exit");
      // It exited when its 10 ms item ended, just after 3.01 s.
      EXPECT_GT(t->exit_time, sc_core::sc_time(3010, sc_core::SC_MS));
      EXPECT_LT(t->exit_time, sc_core::sc_time(3011, sc_core::SC_MS));
    }
  }
  EXPECT_EQ(pdflush, 3u);
  EXPECT_EQ(exited, 1u);
  expect_attribution_exact(s);
}
