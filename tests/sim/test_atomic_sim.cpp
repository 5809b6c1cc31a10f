// Atomic read-modify-writes (AtomicExt) at every target that holds bytes — fixed memory, the DDR
// controller through its LT adapter and on its AT socket, a core's caches — and refused by MMIO; and the
// walker's compare-exchange semantics (SDM Vol. 3A §4.8): an entry that changes between the walk's read
// and its A/D update is never written, the walk re-reads it, and an invalidation during a walk keeps it
// from filling the TLB.
#include <gtest/gtest.h>

#include <tlm_utils/simple_initiator_socket.h>

#include "models/cache/cache_hierarchy.h"
#include "models/disk/disk_controller.h"
#include "models/dram/dram_controller.h"
#include "models/dram/lt_adapter.h"
#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kOld = 0x0000000012345067ull;  // P RW US A D (0x67) on frame 0x12345000

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> isock{"isock"};
  explicit Initiator(sc_core::sc_module_name n) : sc_module(n) {
    isock.register_nb_transport_bw(this, &Initiator::nb_bw);
  }
  // LT: one b_transport carrying the atomic; returns the response status, the old value in `old`.
  tlm::tlm_response_status atomic(uint64_t addr, AtomicOp op, uint64_t operand, uint64_t expected, uint64_t& old,
                                  sc_time& d) {
    tlm::tlm_generic_payload gp;
    AtomicExt a;
    a.op = op;
    a.operand = operand;
    a.expected = expected;
    old = ~0ull;
    prepare_payload(gp, tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<uint8_t*>(&old), 8);
    gp.set_extension(&a);
    isock->b_transport(gp, d);
    gp.clear_extension(&a);
    if (gp.is_response_ok()) {
      EXPECT_TRUE(a.performed);
    }
    return gp.get_response_status();
  }
  // AT: BEGIN_REQ, wait for BEGIN_RESP, END_RESP (the base protocol's four phases).
  tlm::tlm_response_status atomic_at(uint64_t addr, AtomicOp op, uint64_t operand, uint64_t expected, uint64_t& old) {
    tlm::tlm_generic_payload& gp = m_at_gp;  // lives on: the target handles END_RESP after we return
    AtomicExt a;
    a.op = op;
    a.operand = operand;
    a.expected = expected;
    old = ~0ull;
    prepare_payload(gp, tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<uint8_t*>(&old), 8);
    gp.set_extension(&a);
    tlm::tlm_phase ph = tlm::BEGIN_REQ;
    sc_time d = SC_ZERO_TIME;
    m_resp = false;
    isock->nb_transport_fw(gp, ph, d);
    while (!m_resp) wait(m_resp_ev);
    ph = tlm::END_RESP;
    d = SC_ZERO_TIME;
    isock->nb_transport_fw(gp, ph, d);
    wait(sc_time(1, SC_NS));  // END_RESP reaches the target before the payload is reused
    gp.clear_extension(&a);
    return gp.get_response_status();
  }
  tlm::tlm_generic_payload m_at_gp;
  tlm::tlm_sync_enum nb_bw(tlm::tlm_generic_payload&, tlm::tlm_phase& ph, sc_time&) {
    if (ph == tlm::BEGIN_RESP) {
      m_resp = true;
      m_resp_ev.notify(SC_ZERO_TIME);
    }
    return tlm::TLM_ACCEPTED;
  }
  bool m_resp = false;
  sc_core::sc_event m_resp_ev;
};

uint64_t load(const mem::BackingStore& s, uint64_t a) {
  uint64_t v = 0;
  s.read(a, reinterpret_cast<uint8_t*>(&v), 8);
  return v;
}
void store64(mem::BackingStore& s, uint64_t a, uint64_t v) { s.write(a, reinterpret_cast<const uint8_t*>(&v), 8); }

// Every op against a target, through `op(addr, op, operand, expected, old)`; checks the old values, the
// bytes left in memory, a failed compare-exchange that writes nothing, and an unmapped address.
template <class Op>
void check_each_op(mem::BackingStore& s, Op op, uint64_t unmapped) {
  uint64_t old = 0;
  store64(s, 0x1000, kOld);
  EXPECT_EQ(op(0x1000, AtomicOp::FetchAndNot, kA, 0, old), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(old, kOld);
  EXPECT_EQ(load(s, 0x1000), kOld & ~kA);
  EXPECT_EQ(op(0x1000, AtomicOp::FetchOr, kA | kD, 0, old), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(old, kOld & ~kA);
  EXPECT_EQ(load(s, 0x1000), kOld);
  EXPECT_EQ(op(0x1000, AtomicOp::CompareExchange, 0x99, kOld & ~kA, old), tlm::TLM_OK_RESPONSE);  // stale
  EXPECT_EQ(old, kOld);
  EXPECT_EQ(load(s, 0x1000), kOld);
  EXPECT_EQ(op(0x1000, AtomicOp::CompareExchange, kOld | kG, kOld, old), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(old, kOld);
  EXPECT_EQ(load(s, 0x1000), kOld | kG);
  EXPECT_EQ(op(0x1000, AtomicOp::Exchange, 0, 0, old), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(old, kOld | kG);
  EXPECT_EQ(load(s, 0x1000), 0u);
  EXPECT_EQ(op(unmapped, AtomicOp::Exchange, 0, 0, old), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(op(0x1004, AtomicOp::Exchange, 0, 0, old), tlm::TLM_COMMAND_ERROR_RESPONSE);  // not 8-aligned
}

}  // namespace

TEST(AtomicSim, FixedMemoryPerformsEachOpInOneTransaction) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(1 << 20);
  mem::FixedMemConfig mc;
  mc.latency_ns = 50;
  mem::FixedMemory memory("mem", mc, store, root);
  Initiator ini("ini");
  ini.isock.bind(memory.tsock);
  sc_time d = SC_ZERO_TIME;
  check_each_op(store, [&](uint64_t a, AtomicOp op, uint64_t x, uint64_t e, uint64_t& old) {
    return ini.atomic(a, op, x, e, old, d);
  }, 2 << 20);
  // Five performed operations, each a bus-locked read and write cycle of 50 ns; the rejected ones cost nothing.
  EXPECT_EQ(d, sc_time(5 * 100, SC_NS));
  EXPECT_EQ(root.find("mem.atomics")->to_json().get<double>(), 5.0 + 1);  // the misaligned one reached it too
}

TEST(AtomicSim, DdrLtAdapterPerformsEachOpAtAcceptance) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(64 << 20);
  dram::DdrConfig cfg;
  cfg.ctrl.checker = true;
  dram::DramController ctrl("dram", cfg, store, root);
  dram::LtAdapter lt("lt");
  lt.isock.bind(ctrl.tsock);
  Initiator ini("ini");
  ini.isock.bind(lt.tsock);
  sc_core::sc_spawn([&] {
    sc_time d = SC_ZERO_TIME;
    check_each_op(store, [&](uint64_t a, AtomicOp op, uint64_t x, uint64_t e, uint64_t& old) {
      return ini.atomic(a, op, x, e, old, d);
    }, 128ull << 20);
  });
  sc_core::sc_start();
  // Each of the five is one read burst (its response carries the old value) and one write burst.
  EXPECT_EQ(ctrl.reads_done(), 5u);
  EXPECT_EQ(root.find("dram.atomics")->to_json().get<double>(), 5.0);
  EXPECT_EQ(root.find("dram.write_bursts")->to_json().get<double>(), 5.0);
  EXPECT_TRUE(ctrl.violation().empty());
}

TEST(AtomicSim, DdrAtSocketPerformsEachOpAtAcceptance) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(64 << 20);
  dram::DdrConfig cfg;
  cfg.ctrl.checker = true;
  dram::DramController ctrl("dram", cfg, store, root);
  Initiator ini("ini");
  ini.isock.bind(ctrl.tsock);
  sc_core::sc_spawn([&] {
    check_each_op(store, [&](uint64_t a, AtomicOp op, uint64_t x, uint64_t e, uint64_t& old) {
      return ini.atomic_at(a, op, x, e, old);
    }, 128ull << 20);
  });
  sc_core::sc_start();
  EXPECT_EQ(root.find("dram.atomics")->to_json().get<double>(), 5.0);
  EXPECT_EQ(root.find("dram.read_bursts")->to_json().get<double>(), 5.0);
  EXPECT_TRUE(ctrl.violation().empty());
}

// Through a core's caches: the atomic takes the line exclusively (the other core's copy goes) and changes
// the bytes in memory at once; its time is the line access plus the locked-RMW cost.
TEST(AtomicSim, CacheTakesTheLineExclusivelyAndChangesMemory) {
  test::RigOptions o;
  o.caches = true;
  o.cores = 2;
  o.cache_cfg.locked_rmw_cycles = 20;
  test::MmuRig r(o);
  Initiator ini0("ini0"), ini1("ini1");
  ini0.isock.bind(r.caches[0]->tsock);
  ini1.isock.bind(r.caches[1]->tsock);
  r.start();
  store64(r.store, 0x40000, kOld);
  sc_time d = SC_ZERO_TIME;
  uint64_t old = 0;
  // Core 1 reads the line (L1D fill), then core 0 clears A atomically.
  tlm::tlm_generic_payload gp;
  uint64_t v = 0;
  prepare_payload(gp, tlm::TLM_READ_COMMAND, 0x40000, reinterpret_cast<uint8_t*>(&v), 8);
  ini1.isock->b_transport(gp, d);
  EXPECT_EQ(v, kOld);
  d = SC_ZERO_TIME;
  EXPECT_EQ(ini0.atomic(0x40000, AtomicOp::FetchAndNot, kA, 0, old, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(old, kOld);
  EXPECT_EQ(load(r.store, 0x40000), kOld & ~kA);
  // Core 1's fill left the line in the shared LLC: L1 and L2 miss, LLC hit (40 cycles, the default), + 20.
  EXPECT_EQ(d, r.clk.cycles(40 + 20));
  EXPECT_EQ(r.cnt("l1d.atomics", 0), 1u);
  EXPECT_EQ(r.cnt("l1d.coherence_invals", 1), 1u);  // core 1's copy was invalidated
  // Core 0 holds it now: a second atomic hits L1D (4 cycles) + 20.
  d = SC_ZERO_TIME;
  EXPECT_EQ(ini0.atomic(0x40000, AtomicOp::FetchOr, kA, 0, old, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, r.clk.cycles(4 + 20));
  EXPECT_EQ(load(r.store, 0x40000), kOld);
  EXPECT_EQ(ini0.atomic(0x40004, AtomicOp::Exchange, 0, 0, old, d), tlm::TLM_COMMAND_ERROR_RESPONSE);
}

TEST(AtomicSim, DiskRegistersRefuseAtomics) {
  stats::Group root(nullptr, "stats");
  disk::DiskController ctrl("disk", disk::DiskConfig{}, root);
  Initiator ini("ini");
  ini.isock.bind(ctrl.tsock);
  sc_core::sc_signal<bool> irq("irq");
  ctrl.irq_out.bind(irq);
  struct Sink : sc_core::sc_module {
    tlm_utils::simple_target_socket<Sink> t{"t"};
    explicit Sink(sc_core::sc_module_name n) : sc_module(n) {
      t.register_b_transport(this, &Sink::bt);
    }
    void bt(tlm::tlm_generic_payload& gp, sc_time&) { gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE); }
  } sink("sink");
  ctrl.dma_isock.bind(sink.t);
  sc_core::sc_start(SC_ZERO_TIME);
  sc_time d = SC_ZERO_TIME;
  uint64_t old = 0;
  EXPECT_EQ(ini.atomic(0, AtomicOp::FetchOr, 1, 0, old, d), tlm::TLM_COMMAND_ERROR_RESPONSE);
}

// ---------------------------------------------------------------------------------------------------
// The walker's compare-exchange. A WalkMemory that lets the test act as another agent right after the
// walk has read the leaf entry (between its read and its A/D update).
namespace {
struct Interposer : mmu::WalkMemory {
  explicit Interposer(mmu::WalkMemory& m) : inner(m) {}
  uint64_t read_pte(uint64_t pa, bool uc, sc_time& d, uint8_t& served) override {
    const uint64_t v = inner.read_pte(pa, uc, d, served);
    if (pa == watch && after_read) {
      auto f = std::move(after_read);
      after_read = nullptr;
      f();
    }
    return v;
  }
  uint64_t cmpxchg_pte(uint64_t pa, uint64_t e, uint64_t n, bool uc, sc_time& d, uint8_t& served) override {
    if (pa == watch) ++cmpxchgs;
    return inner.cmpxchg_pte(pa, e, n, uc, d, served);
  }
  mmu::WalkMemory& inner;
  uint64_t watch = 0;
  std::function<void()> after_read;
  unsigned cmpxchgs = 0;
};

// One core, fixed memory, the walker reading through an Interposer.
struct WalkRig {
  WalkRig() : r(opts()), g(&r.cpu, "walkrig"), ip(*r.walkmem[0]), m(0, opts().mmu, r.clk, ip, g) {}
  ~WalkRig() { r.mmus.clear(); }
  static test::RigOptions opts() {
    test::RigOptions o;
    o.mmu.psc.pd.entries = 0;  // every walk reads all four levels
    o.mmu.psc.pdpt.entries = 0;
    o.mmu.psc.pml4.entries = 0;
    return o;
  }
  // Translates once the previous translation has completed, as a blocking core would.
  mmu::Translation tr(uint64_t va, mmu::Access a) {
    const auto t = m.translate(va, a, std::max(sc_core::sc_time_stamp(), now));
    now = t.done;
    return t;
  }
  sc_time now;
  uint64_t stat(const std::string& s) { return static_cast<uint64_t>(r.stat("cpu.walkrig." + s)); }
  test::MmuRig r;
  stats::Group g;
  Interposer ip;
  mmu::Mmu m;
};
}  // namespace

TEST(AtomicSim, WalkWhoseEntryIsClearedRestartsFaultsAndWritesNothing) {
  WalkRig w;
  w.r.start();
  const uint64_t cr3 = w.r.new_space();
  const uint64_t va = 0x600000;
  const uint64_t leaf = w.r.map(cr3, va, PageSize::k4K, test::kUserRW);  // A = 0
  w.m.write_cr3(cr3);
  w.ip.watch = leaf;
  w.ip.after_read = [&] { store64(w.r.store, leaf, 0); };  // the kernel's ptep_get_and_clear lands here
  const auto t = w.tr(va, mmu::Access::Write);
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfUser | kPfWrite);  // not present: the walk re-read the entry
  EXPECT_EQ(load(w.r.store, leaf), 0u);         // nothing written into the non-present entry
  EXPECT_EQ(w.ip.cmpxchgs, 1u);                  // its one compare-exchange failed
  EXPECT_EQ(w.stat("walker.cas_restarts"), 1u);
  EXPECT_EQ(w.stat("walker.refs"), 4u + 1);      // four levels, then the leaf once more
  EXPECT_EQ(w.stat("walker.d_writes"), 0u);
  EXPECT_EQ(w.stat("dtlb.misses"), 1u);
  // Nothing was filled: the next access walks again (and faults again).
  EXPECT_TRUE(w.tr(va, mmu::Access::Read).fault);
  EXPECT_EQ(w.stat("walker.walks"), 2u);
}

TEST(AtomicSim, WalkWhoseEntryIsRemappedUsesTheNewFrame) {
  WalkRig w;
  w.r.start();
  const uint64_t cr3 = w.r.new_space();
  const uint64_t va = 0x600000;
  const uint64_t leaf = w.r.map(cr3, va, PageSize::k4K, test::kUserRW);
  w.m.write_cr3(cr3);
  const uint64_t other = w.r.frames.alloc();
  const uint64_t remapped = other | kP | test::kUserRW;  // a new frame, read-only would be kRW clear
  w.ip.watch = leaf;
  w.ip.after_read = [&] { store64(w.r.store, leaf, remapped); };
  const auto t = w.tr(va + 0x10, mmu::Access::Write);
  ASSERT_FALSE(t.fault);
  EXPECT_EQ(t.pa, other + 0x10);
  EXPECT_EQ(load(w.r.store, leaf), remapped | kA | kD);  // A and D went into the entry as it is now
  EXPECT_EQ(w.ip.cmpxchgs, 2u);
  EXPECT_EQ(w.stat("walker.cas_restarts"), 1u);
}

TEST(AtomicSim, WalkWhoseEntryLosesWritePermissionFaults) {
  WalkRig w;
  w.r.start();
  const uint64_t cr3 = w.r.new_space();
  const uint64_t va = 0x600000;
  const uint64_t leaf = w.r.map(cr3, va, PageSize::k4K, test::kUserRW);
  w.m.write_cr3(cr3);
  w.ip.watch = leaf;
  w.ip.after_read = [&] { store64(w.r.store, leaf, load(w.r.store, leaf) & ~kRW); };  // ptep_set_wrprotect
  const auto t = w.tr(va, mmu::Access::Write);
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfPresent | kPfUser | kPfWrite);
  EXPECT_EQ(load(w.r.store, leaf) & (kA | kD | kRW), 0u);  // neither A nor D was written
}

TEST(AtomicSim, InvalidationDuringAWalkKeepsItFromFillingTheTlb) {
  WalkRig w;
  w.r.start();
  const uint64_t cr3 = w.r.new_space();
  const uint64_t va = 0x600000;
  const uint64_t leaf = w.r.map(cr3, va, PageSize::k4K, test::kUserRW | kA | kD);  // nothing to update
  w.m.write_cr3(cr3);
  w.ip.watch = leaf;
  w.ip.after_read = [&] { w.m.invlpg(va); };  // a shootdown arrives while the walk is in flight
  EXPECT_FALSE(w.tr(va, mmu::Access::Read).fault);
  EXPECT_EQ(w.stat("walker.inval_restarts"), 1u);
  EXPECT_EQ(w.stat("walker.refs"), 8u);  // the whole walk, twice
  EXPECT_EQ(w.ip.cmpxchgs, 0u);
  // The second walk filled the TLB: now a hit.
  EXPECT_FALSE(w.tr(va, mmu::Access::Read).fault);
  EXPECT_EQ(w.stat("dtlb.hits"), 1u);
}

// The dirty assist (rmw) re-checks the entry: a write-protected entry sends it to a walk that faults.
TEST(AtomicSim, DirtyAssistRechecksPermissions) {
  test::RigOptions o;
  o.mmu.dirty_assist = "rmw";
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x600000;
  const uint64_t leaf = r.map(cr3, va, PageSize::k4K, test::kUserRW | kA);  // clean
  r.m().write_cr3(cr3);
  ASSERT_FALSE(r.tr(va).fault);                           // a clean TLB entry
  store64(r.store, leaf, load(r.store, leaf) & ~kRW);     // write-protected without a flush
  const auto t = r.tr(va, mmu::Access::Write);            // TLB hit, D=0: the assist reads RW=0
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfPresent | kPfUser | kPfWrite);
  EXPECT_FALSE(load(r.store, leaf) & kD);
  EXPECT_EQ(r.cnt("walker.d_writes"), 0u);
}
