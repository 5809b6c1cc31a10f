// The kernel with scenario processes: scheduling, system calls, faults, fork/COW and data checking.
// A minimal test CPU stands in for the cores here: it looks each access up in the page tables through
// the kernel's own walker and raises #PF with the SDM error code when the PTE forbids the access; the
// bytes then move through the backing store, as the memory path would.
#include <gtest/gtest.h>

#include "kernel_model/kernel.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/core/clock.h"
#include "platform/hwdefs/paging.h"
#include "platform/soc/platform_config.h"
#include "testbench/scenario.h"

using namespace pc;
namespace pg = pc::hw::paging;

namespace {
constexpr uint64_t kMem = 128ull << 20;

struct TestCpu : sc_core::sc_module {
  kernel::Kernel& k;
  mem::BackingStore& store;
  unsigned id;
  uint64_t accesses = 0, faults = 0;
  TestCpu(sc_core::sc_module_name n, kernel::Kernel& kk, mem::BackingStore& s, unsigned i)
      : sc_module(n), k(kk), store(s), id(i) {
    SC_THREAD(run);
  }
  SC_HAS_PROCESS(TestCpu);
  void run() {
    uint8_t buf[64];
    while (hw::ExecContext* ctx = k.pick_next(id)) {
      for (bool on = true; on;) {
        const hw::Op* op = ctx->current();
        if (!op) {
          k.context_ended(id, *ctx);
          break;
        }
        if (op->kind == hw::OpKind::Compute) {
          ctx->retire(nullptr, hw::AccessStatus::Ok);
          wait(sc_core::sc_time(static_cast<double>(op->cycles) / 3, sc_core::SC_NS));
          continue;
        }
        if (op->kind == hw::OpKind::Syscall) {
          const auto r = k.syscall(id, *ctx, *op);
          wait(sc_core::sc_time(static_cast<double>(r.cycles) / 3, sc_core::SC_NS));
          on = r.action == hw::TrapAction::Resume;
          continue;
        }
        const bool write = op->kind == hw::OpKind::Write;
        kernel::KCtx kc{id, sc_core::SC_ZERO_TIME};
        const uint64_t pte = k.mm().read_pte(*k.mm().current_mm(id), op->vaddr, kc);
        if (!(pte & pg::kP) || (write && !(pte & pg::kRW))) {
          ++faults;
          const uint32_t err = ((pte & pg::kP) ? pg::kPfPresent : 0) | (write ? pg::kPfWrite : 0) | pg::kPfUser;
          const auto r = k.page_fault(id, *ctx, op->vaddr, err);
          wait(sc_core::sc_time(static_cast<double>(r.cycles) / 3, sc_core::SC_NS));
          on = r.action == hw::TrapAction::Resume;
          continue;  // the access re-executes
        }
        const uint64_t pa = pg::frame_of(pte) | (op->vaddr & 0xfff);
        if (write)
          store.write(pa, op->wdata, op->size);
        else
          store.read(pa, buf, op->size);
        ++accesses;
        ctx->retire(buf, hw::AccessStatus::Ok);
        wait(sc_core::sc_time(1, sc_core::SC_NS));
      }
    }
  }
};

struct Rig {
  stats::Group root{nullptr, "stats"};
  ClockDomain clk{"cpu", 3000};
  mem::BackingStore store{kMem};
  mem::FixedMemConfig mcfg;
  mem::FixedMemory memory{"mem", mcfg, store, root};
  interconnect::Router router{"router", hw::physical_address_map(kMem, false), sc_core::SC_ZERO_TIME, root};
  kernel::KernelBus bus{"kbus", root};
  stats::Group kstats{&root, "kernel"};
  kernel::NullArch arch;
  kernel::KernelConfig kcfg;
  std::unique_ptr<kernel::Kernel> kern;
  tb::CheckTotals totals;
  tb::ScenarioShared shared;
  std::vector<std::unique_ptr<TestCpu>> cpus;

  Rig(const tb::ScenarioConfig& sc, unsigned ncpu) {
    bus.mem_isock.bind(router.tsock);
    router.isock.bind(memory.tsock);
    kern = std::make_unique<kernel::Kernel>("kernel", kcfg, kMem, ncpu, clk, bus, arch, kstats);
    shared.cfg = &sc;
    shared.data_check = true;
    shared.totals = &totals;
    for (size_t i = 0; i < sc.processes.size(); ++i)
      kern->spawn(sc.processes[i].program,
                  std::make_unique<tb::ProgramContext>(shared, static_cast<size_t>(shared.program_index(sc.processes[i].program)), i + 1),
                  sc_core::sc_time(static_cast<double>(sc.processes[i].start_us), sc_core::SC_US));
    for (unsigned c = 0; c < ncpu; ++c)
      cpus.push_back(std::make_unique<TestCpu>(("cpu" + std::to_string(c)).c_str(), *kern, store, c));
  }
  double stat(const std::string& p) { return root.find(p)->to_json().get<double>(); }
};

tb::ScenarioConfig fork_cow_scenario() {
  soc::ConfigResolver r;
  r.apply_json(cfg::parse_json_text(R"({"workload": {"scenario": {
    "programs": [
      {"name": "main", "steps": [
        {"op": "mmap", "mapping": "heap", "size_kib": 1024},
        {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 0}},
        {"op": "fork", "program": "child"},
        {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "accesses": 4000, "read_fraction": 0.5}},
        {"op": "exit"}]},
      {"name": "child", "steps": [
        {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "accesses": 4000, "read_fraction": 0.5}},
        {"op": "mmap", "mapping": "shm", "size_kib": 64, "kind": "shared-anon"},
        {"op": "access", "mapping": "shm", "pattern": {"pattern": "sequential", "accesses": 1024, "read_fraction": 0.3}}]}],
    "processes": [{"program": "main"}]}}})", "test"), "test");
  return r.finish().workload.scenario;
}
}  // namespace

TEST(KernelSim, ForkCowScenarioKeepsEveryByteAndConservesFrames) {
  const auto sc = fork_cow_scenario();
  Rig r(sc, 2);
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(r.kern->all_exited());
  EXPECT_TRUE(r.shared.errors.empty()) << r.shared.errors.front();
  EXPECT_EQ(r.totals.data_errors, 0u);
  EXPECT_GT(r.totals.reads_checked, 3000u);
  ASSERT_EQ(r.kern->tasks().size(), 2u);
  // The parent's first phase writes 256 pages sequentially: exactly 256 anonymous write faults; the
  // later random phase can only add COW or reuse faults (no new pages: the heap is fully populated).
  EXPECT_EQ(r.stat("kernel.tasks.task1.killed"), 0);
  EXPECT_GE(r.stat("kernel.tasks.task1.min_flt"), 256);
  EXPECT_GT(r.stat("kernel.cow_copies"), 0);
  EXPECT_EQ(r.stat("kernel.forks"), 1);
  // Everything was given back: free + zero page + reserved = all frames.
  r.kern->lru().lru_add_drain_all();
  r.kern->allocator().drain_all_pages();
  EXPECT_EQ(r.kern->allocator().nr_free_pages() + r.kern->frames_in_use(), r.kern->allocator().total_present());
  EXPECT_EQ(r.kern->mm().page_table_pages(), 0u);
  EXPECT_EQ(r.kern->frames_in_use(), r.kern->allocator().nr_reserved() + 1);  // + the zero page
}

TEST(KernelSim, SegvEndsOnlyTheFaultingTask) {
  soc::ConfigResolver res;
  res.apply_json(cfg::parse_json_text(R"({"workload": {"scenario": {
    "programs": [
      {"name": "bad", "steps": [
        {"op": "mmap", "mapping": "ro", "size_kib": 64, "prot": "r"},
        {"op": "access", "mapping": "ro", "pattern": {"pattern": "sequential", "accesses": 10, "read_fraction": 0}}]},
      {"name": "good", "steps": [
        {"op": "mmap", "mapping": "m", "size_kib": 64},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 100, "read_fraction": 0.5}}]}],
    "processes": [{"program": "bad"}, {"program": "good", "start_us": 5}]}}})", "t"), "t");
  const auto sc = res.finish().workload.scenario;
  Rig r(sc, 1);
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(r.kern->all_exited());
  EXPECT_EQ(r.stat("kernel.tasks.task1.killed"), 1);
  EXPECT_NE(r.kern->tasks()[0]->exit_reason.find("SIGSEGV at 0x"), std::string::npos) << r.kern->tasks()[0]->exit_reason;
  EXPECT_EQ(r.stat("kernel.tasks.task2.killed"), 0);
  EXPECT_EQ(r.stat("kernel.segv"), 1);
  EXPECT_EQ(r.totals.data_errors, 0u);
  // 100 accesses of 8 bytes sequentially: the first touches one page with a write or a read (zero page),
  // so the good task takes 1 fault, or 2 if its first touch was a read and a write follows.
  EXPECT_LE(r.stat("kernel.tasks.task2.min_flt"), 2);
  EXPECT_GE(r.stat("kernel.tasks.task2.min_flt"), 1);
}
