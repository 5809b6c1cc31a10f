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

// A functional core: it executes a task's user ops at its true time (no decoupling), looks each access up
// in the page tables the CPU has loaded (through the kernel's own walker) and traps with the SDM error
// code when the PTE forbids the access; the bytes then move through the backing store.
struct TestCpu : hw::Cpu {
  kernel::Kernel* k = nullptr;
  mem::BackingStore& store;
  unsigned m_id;
  bool need = false;
  sc_core::sc_time resched_at = sc_core::sc_max_time(), local;
  uint64_t stolen = 0, accesses = 0, faults = 0;
  TestCpu(mem::BackingStore& s, unsigned i) : store(s), m_id(i) {}

  unsigned id() const override { return m_id; }
  sc_core::sc_time take_local_time() override {
    const auto t = local;
    local = sc_core::SC_ZERO_TIME;
    return t;
  }
  void give_local_time(const sc_core::sc_time& t) override { local = t; }
  void set_need_resched() override { need = true; }
  void set_resched_at(const sc_core::sc_time& at) override { resched_at = at; }
  void steal(uint64_t cycles) override { stolen += cycles; }
  static sc_core::sc_time cycles(uint64_t n) {
    return sc_core::sc_time(static_cast<double>(n) / 3, sc_core::SC_NS);
  }
  void spend(hw::ExecContext& ctx, const sc_core::sc_time& t, hw::Charge c) {
    sc_core::wait(t);
    ctx.charges[c] += t.value();
  }
  // The PTE for `va` in the mm this CPU has loaded; `fault` gets the error code if it forbids the access.
  uint64_t lookup(uint64_t va, bool write, bool user, uint32_t& fault) {
    kernel::KCtx kc{m_id};
    const uint64_t pte = k->mm().read_pte(*k->mm().loaded_mm(m_id), va, kc);
    fault = 0;
    if (!(pte & pg::kP) || (write && !(pte & pg::kRW)))
      fault = ((pte & pg::kP) ? pg::kPfPresent : 0) | (write ? pg::kPfWrite : 0) | (user ? pg::kPfUser : 0);
    return pte;
  }
  hw::Trap run_user(hw::ExecContext& ctx) override {
    sc_core::wait(take_local_time());  // the kernel path's time, already charged by the kernel
    uint8_t buf[64];
    for (;;) {
      if (stolen) {
        spend(ctx, cycles(stolen), hw::Charge::Irq);
        stolen = 0;
      }
      if (need || sc_core::sc_time_stamp() >= resched_at) {
        need = false;
        return {hw::TrapKind::Resched};
      }
      const hw::Op* op = ctx.current();
      if (!op) return {hw::TrapKind::Ended};
      if (op->kind == hw::OpKind::Syscall) return {hw::TrapKind::Syscall};
      if (op->kind == hw::OpKind::Compute) {
        const auto t = cycles(op->cycles);
        ctx.retire(nullptr, hw::AccessStatus::Ok);
        spend(ctx, t, hw::Charge::Compute);
        continue;
      }
      const bool write = op->kind == hw::OpKind::Write;
      uint32_t fault;
      const uint64_t pte = lookup(op->vaddr, write, true, fault);
      if (fault) {
        ++faults;
        return {hw::TrapKind::PageFault, op->vaddr, fault};  // the access re-executes
      }
      const uint64_t pa = pg::frame_of(pte) | (op->vaddr & 0xfff);
      if (write)
        store.write(pa, op->wdata, op->size);
      else
        store.read(pa, buf, op->size);
      ++accesses;
      ctx.retire(buf, hw::AccessStatus::Ok);
      spend(ctx, sc_core::sc_time(1, sc_core::SC_NS), hw::Charge::MemStall);
    }
  }
  UserAccess kernel_access(uint64_t va, uint8_t* data, unsigned len, bool write,
                           sc_core::sc_time& delay) override {
    uint32_t fault;
    const uint64_t pte = lookup(va, write, false, fault);
    if (fault) return {false, fault};
    const uint64_t pa = pg::frame_of(pte) | (va & 0xfff);
    if (write)
      store.write(pa, data, len);
    else
      store.read(pa, data, len);
    delay += sc_core::sc_time(1, sc_core::SC_NS);
    return {};
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
    std::vector<hw::Cpu*> hw_cpus;
    for (unsigned c = 0; c < ncpu; ++c) {
      cpus.push_back(std::make_unique<TestCpu>(store, c));
      hw_cpus.push_back(cpus.back().get());
    }
    kern = std::make_unique<kernel::Kernel>("kernel", kcfg, kMem, hw_cpus, clk, bus, arch, kstats);
    for (auto& c : cpus) c->k = kern.get();
    shared.cfg = &sc;
    shared.data_check = true;
    shared.totals = &totals;
    for (size_t i = 0; i < sc.processes.size(); ++i)
      kern->spawn(sc.processes[i].program,
                  std::make_unique<tb::ProgramContext>(
                      shared, static_cast<size_t>(shared.program_index(sc.processes[i].program)), i + 1),
                  sc_core::sc_time(static_cast<double>(sc.processes[i].start_us), sc_core::SC_US));
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
    "processes": [{"program": "main"}]}}})",
                                    "test"),
               "test");
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
  size_t users = 0;
  for (const auto& t : r.kern->tasks()) users += !t->is_kthread();
  ASSERT_EQ(users, 2u);
  // The parent's first phase writes 256 pages sequentially: exactly 256 anonymous write faults; the
  // later random phase can only add COW or reuse faults (no new pages: the heap is fully populated).
  EXPECT_EQ(r.stat("kernel.tasks.task1.killed"), 0);
  EXPECT_GE(r.stat("kernel.tasks.task1.min_flt"), 256);
  EXPECT_GT(r.stat("kernel.cow_copies"), 0);
  EXPECT_EQ(r.stat("kernel.forks"), 1);
  // Everything was given back: free + zero page + reserved = all frames.
  kernel::KCtx kc;
  r.kern->lru().lru_add_drain_all(kc);
  r.kern->allocator().drain_all_pages();
  EXPECT_EQ(r.kern->allocator().nr_free_pages() + r.kern->frames_in_use(),
            r.kern->allocator().total_present());
  // + the zero page + the PGD of each mm a CPU still holds lazily (the last one it ran: mm_count).
  uint64_t lazy = 0;
  for (unsigned c = 0; c < 2; ++c) lazy += r.kern->mm().loaded_mm(c) != nullptr;
  EXPECT_GE(lazy, 1u);
  const uint64_t held = r.kern->mm().live_mms();  // both CPUs may hold the same one
  EXPECT_GE(held, 1u);
  EXPECT_LE(held, lazy);
  EXPECT_EQ(r.kern->mm().page_table_pages(), held);  // their PGDs, nothing else
  EXPECT_EQ(r.kern->frames_in_use(), r.kern->allocator().nr_reserved() + 1 + held);
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
    "processes": [{"program": "bad"}, {"program": "good", "start_us": 5}]}}})",
                                      "t"),
                 "t");
  const auto sc = res.finish().workload.scenario;
  Rig r(sc, 1);
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(r.kern->all_exited());
  EXPECT_EQ(r.stat("kernel.tasks.task1.killed"), 1);
  EXPECT_NE(r.kern->tasks()[0]->exit_reason.find("SIGSEGV at 0x"), std::string::npos)
      << r.kern->tasks()[0]->exit_reason;
  EXPECT_EQ(r.stat("kernel.tasks.task2.killed"), 0);
  EXPECT_EQ(r.stat("kernel.segv"), 1);
  EXPECT_EQ(r.totals.data_errors, 0u);
  // 100 accesses of 8 bytes sequentially: the first touches one page with a write or a read (zero page),
  // so the good task takes 1 fault, or 2 if its first touch was a read and a write follows.
  EXPECT_LE(r.stat("kernel.tasks.task2.min_flt"), 2);
  EXPECT_GE(r.stat("kernel.tasks.task2.min_flt"), 1);
}
