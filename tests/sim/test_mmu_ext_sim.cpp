// Every page-walk transaction carries AccessExt{requester = PageWalk, walk_id, level, locked for A/D
// updates, carried as one AtomicExt compare-exchange} (x86-mmu.md §1.1), so caches and the DRAM controller can attribute walker traffic.
#include <gtest/gtest.h>

#include <tlm_utils/simple_target_socket.h>

#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;

namespace {
// Sits between the walker's port and the router and records each transaction's extension.
struct Recorder : sc_core::sc_module {
  tlm_utils::simple_target_socket<Recorder> tsock{"tsock"};
  tlm_utils::simple_initiator_socket<Recorder> isock{"isock"};
  struct Seen {
    bool write;
    Requester who;
    uint32_t walk;
    uint8_t level;
    bool locked;
    bool atomic;
  };
  std::vector<Seen> seen;
  explicit Recorder(sc_core::sc_module_name n) : sc_module(n) {
    tsock.register_b_transport(this, &Recorder::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& d) {
    const auto* e = gp.get_extension<AccessExt>();
    seen.push_back({gp.is_write(), e->requester, e->walk_id, e->level, e->locked, atomic_of(gp) != nullptr});
    isock->b_transport(gp, d);
  }
};
}  // namespace

TEST(MmuExtSim, WalkTransactionsCarryWalkIdLevelAndLock) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(16 << 20);
  mem::FixedMemory memory("mem", {}, store, root);
  interconnect::Router router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME, root);
  router.isock.bind(memory.tsock);
  tb::FrameAllocator frames(1 << 20, store.size());
  tb::PageTableBuilder pt("pt", frames);
  pt.mem_isock.bind(router.tsock);
  test::WalkPort port("port");
  Recorder rec("rec");
  port.isock.bind(rec.tsock);
  rec.isock.bind(router.tsock);
  mmu::TlmWalkMemory wm(port.isock, 0);
  ClockDomain clk("cpu", 1000);
  mmu::Mmu m(0, {}, clk, wm, root);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);

  sc_core::sc_time d;
  const uint64_t cr3 = pt.new_table(d);
  pt.map(cr3, 0x1000, frames.alloc(), PageSize::k4K, test::kUserRW, d, kP | test::kUserRW | kA);  // leaf A=0
  pt.map(cr3, 0x2000, frames.alloc(), PageSize::k4K, test::kUserRW | kA | kD, d, kP | test::kUserRW | kA);
  m.write_cr3(cr3);
  const auto t1 = m.translate(0x1000, mmu::Access::Read, sc_core::sc_time_stamp());
  m.translate(0x2000, mmu::Access::Read, t1.done);
  // Walk 1: reads of levels 4,3,2,1, then the leaf's A update: one locked compare-exchange (a write
  // command carrying AtomicExt). Walk 2: PDE-cache hit, one PTE read.
  ASSERT_EQ(rec.seen.size(), 6u);
  const uint8_t levels[6] = {4, 3, 2, 1, 1, 1};
  for (unsigned i = 0; i < 6; ++i) {
    EXPECT_EQ(rec.seen[i].who, Requester::PageWalk) << i;
    EXPECT_EQ(rec.seen[i].walk, i < 5 ? 1u : 2u) << i;
    EXPECT_EQ(rec.seen[i].level, levels[i]) << i;
    EXPECT_EQ(rec.seen[i].locked, i == 4) << i;
    EXPECT_EQ(rec.seen[i].write, i == 4) << i;
    EXPECT_EQ(rec.seen[i].atomic, i == 4) << i;
  }
}
