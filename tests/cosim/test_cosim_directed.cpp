// Directed tests of the RTL translation unit (rtl/pc_mmu.sv, variant nehalem) through its bridges, each
// also checked against the C++ Mmu by the differential checker: hit, miss, 2 MiB pages, A/D updates,
// fault codes, INVLPG, flushes and global pages, LRU order, compare-exchange races, an invalidation in
// the middle of a walk, dirty assists, waveforms, and skipping idle cycles. Rig: 1 GHz, memory 100 ns.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/cosim/cosim_rig.h"
#include "tests/support/temp_path.h"

using namespace pc;
using namespace pc::hw::paging;
using cosim::MemKind;
using mmu::Access;
using test::kTableA;
using test::kUserRW;

namespace {
constexpr uint64_t kA4 = kUserRW | kA | kD;  // a leaf with A and D set: no compare-exchange on use
constexpr uint64_t kTableNoA = kP | kRW | kUS;
constexpr std::size_t kRtlStackBytes = 1 << 20;

void expect_reads(const std::vector<cosim::MemOp>& ops, test::CosimRig& r, uint64_t cr3, uint64_t va,
                  std::vector<unsigned> levels) {
  ASSERT_EQ(ops.size(), levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    EXPECT_EQ(ops[i].kind, MemKind::Read) << i;
    EXPECT_EQ(ops[i].level, levels[i]) << i;
    EXPECT_EQ(ops[i].addr, r.entry_at(cr3, va, levels[i])) << i;
  }
}
}  // namespace

// A cold 4 KiB walk reads 4 entries; the same page then hits the L1 DTLB in the cycle it is asked.
TEST(CosimDirected, ColdWalkThenHit) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t leaf = r.map(cr3, 0x10000000, PageSize::k4K, kA4);
  r.xl->write_cr3(cr3);
  const auto t = r.tr(0x10000123);
  const sc_core::sc_time t0 = r.clk.cycles(r.rtl->last_answer().cycle);  // the request's cycle
  ASSERT_FALSE(t.fault);
  EXPECT_EQ(t.pa, frame_of(r.peek(leaf)) | 0x123);
  expect_reads(r.ops(), r, cr3, 0x10000123, {4, 3, 2, 1});
  // Cycles, from the RTL's state machines: L1 miss in the request cycle, 7 STLB cycles (mmu.stlb
  // latency), 1 walker start, 1 PSC lookup, 4 x (1 request cycle + 100 memory), 1 check, 1 done, 1 answer.
  EXPECT_EQ(r.clk.to_cycles(t.done - t0), 1u + 7 + 1 + 4 * 101 + 1 + 1);
  EXPECT_EQ(r.cnt("walker.walks"), 1u);
  EXPECT_EQ(r.cnt("walker.refs"), 4u);
  EXPECT_EQ(r.cnt("walker.pt.refs"), 1u);
  EXPECT_EQ(r.cnt("walker.rmws"), 0u);
  EXPECT_EQ(r.cnt("psc.misses"), 1u);
  const sc_core::sc_time t1 = r.now;
  const auto h = r.tr(0x10000ff8);
  EXPECT_EQ(h.pa, frame_of(r.peek(leaf)) | 0xff8);
  EXPECT_EQ(h.done, t1);  // answered combinationally: mmu.dtlb.latency_cycles = 0
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
  EXPECT_EQ(r.cnt("dtlb.misses"), 1u);
  EXPECT_EQ(r.cnt("stlb.misses"), 1u);
  EXPECT_EQ(r.divergences(), 0u);
}

// 2 MiB pages: 3 reads, the offset inside the page kept, then DTLB 2M hits across the page.
TEST(CosimDirected, TwoMegabytePage) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t pde = r.map(cr3, 0x40000000, PageSize::k2M, kA4);
  r.xl->write_cr3(cr3);
  const auto t = r.tr(0x40012345);
  ASSERT_FALSE(t.fault);
  EXPECT_EQ(t.pa, leaf_frame(r.peek(pde), 2) | 0x12345);
  expect_reads(r.ops(), r, cr3, 0x40012345, {4, 3, 2});
  const auto u = r.tr(0x401ff008, Access::Write);
  EXPECT_EQ(u.pa, leaf_frame(r.peek(pde), 2) | 0x1ff008);
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
  EXPECT_EQ(r.cnt("walker.pd.refs"), 1u);
  EXPECT_EQ(r.cnt("walker.pt.refs"), 0u);
  EXPECT_EQ(r.divergences(), 0u);
}

// SDM §4.8: after the reads, top to leaf, one compare-exchange per entry with A=0 (A|D on the leaf of a
// write); expected = the value read. A later walk under the same tables starts below the PDE cache.
TEST(CosimDirected, AccessedAndDirtyByCompareExchange) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x7000000000, PageSize::k4K, kUserRW, kTableNoA);
  r.map(cr3, 0x7000001000, PageSize::k4K, kUserRW, kTableNoA);
  r.xl->write_cr3(cr3);
  std::vector<uint64_t> before;
  for (unsigned l = 4; l >= 1; --l) before.push_back(r.peek(r.entry_at(cr3, 0x7000000000, l)));
  ASSERT_FALSE(r.tr(0x7000000010, Access::Write).fault);
  const auto& ops = r.ops();
  ASSERT_EQ(ops.size(), 8u);
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned level = 4 - i;
    const cosim::MemOp& c = ops[4 + i];
    EXPECT_EQ(c.kind, MemKind::CompareExchange);
    EXPECT_EQ(c.level, level);
    EXPECT_EQ(c.addr, r.entry_at(cr3, 0x7000000000, level));
    EXPECT_EQ(c.expected, before[i]);
    EXPECT_EQ(c.wdata, before[i] | kA | (level == 1 ? kD : 0));
    EXPECT_TRUE(c.succeeded());
    EXPECT_EQ(r.peek(c.addr), c.wdata);
  }
  EXPECT_EQ(r.cnt("walker.a_writes"), 4u);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  EXPECT_EQ(r.cnt("walker.rmws"), 4u);
  // Read of the neighbour page: PDE-cache hit, one read, A only.
  const uint64_t pte2 = r.entry_at(cr3, 0x7000001000, 1);
  ASSERT_FALSE(r.tr(0x7000001000).fault);
  ASSERT_EQ(r.ops().size(), 2u);
  EXPECT_EQ(r.ops()[0].addr, pte2);
  EXPECT_EQ(r.ops()[1].wdata, r.ops()[1].expected | kA);
  EXPECT_EQ(r.peek(pte2) & (kA | kD), kA);
  EXPECT_EQ(r.cnt("psc.pd_hits"), 1u);
  EXPECT_EQ(r.divergences(), 0u);
}

// SDM §4.7 error codes; a faulting walk writes nothing. A fault on a TLB hit drops the entry.
TEST(CosimDirected, FaultCodes) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t ro = r.map(cr3, 0x20000000, PageSize::k4K, kUS);  // read-only, A=0
  r.map(cr3, 0x20001000, PageSize::k4K, kUserRW | kA | kNX);
  r.map(cr3, 0x20002000, PageSize::k4K, kRW | kA);  // supervisor only
  const uint64_t rsv = r.map(cr3, 0x20003000, PageSize::k4K, kA4);
  r.poke(rsv, r.peek(rsv) | (1ull << 50));  // a reserved address bit (MAXPHYADDR 46)
  r.xl->write_cr3(cr3);
  EXPECT_EQ(r.tr(0x30000000).error_code, kPfUser);  // not present, read
  EXPECT_EQ(r.tr(0x30000000, Access::Write).error_code, kPfUser | kPfWrite);
  EXPECT_EQ(r.tr(0x30000000, Access::Fetch).error_code, kPfUser | kPfFetch);
  EXPECT_EQ(r.ops().size(), 3u);  // PML4E and PDPTE present (shared with the pages above), PDE not
  EXPECT_EQ(r.tr(0x20000000, Access::Write).error_code, kPfPresent | kPfUser | kPfWrite);
  EXPECT_EQ(r.peek(ro) & kA, 0u);  // nothing written on a fault
  EXPECT_EQ(r.tr(0x20001000, Access::Fetch).error_code, kPfPresent | kPfUser | kPfFetch);
  EXPECT_EQ(r.tr(0x20002000).error_code, kPfPresent | kPfUser);
  EXPECT_EQ(r.tr(0x20003000).error_code, kPfPresent | kPfRsvd | kPfUser);
  // Read of the read-only page caches it; a write then faults on the TLB hit, with no memory access,
  // and drops the entry: the next read walks again.
  ASSERT_FALSE(r.tr(0x20000000).fault);
  const uint64_t walks = r.cnt("walker.walks");
  const auto w = r.tr(0x20000000, Access::Write);
  EXPECT_EQ(w.error_code, kPfPresent | kPfUser | kPfWrite);
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.cnt("walker.walks"), walks);
  ASSERT_FALSE(r.tr(0x20000000).fault);
  EXPECT_EQ(r.cnt("walker.walks"), walks + 1);
  EXPECT_EQ(r.cnt("faults.total"), 8u);
  EXPECT_EQ(r.cnt("inval.fault"), 8u);  // every #PF
  EXPECT_EQ(r.divergences(), 0u);
}

// INVLPG drops the address from every TLB and the PCID's PSC entries: a full walk follows.
TEST(CosimDirected, Invlpg) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x10000000, PageSize::k4K, kA4);
  r.map(cr3, 0x10001000, PageSize::k4K, kA4);
  r.xl->write_cr3(cr3);
  r.tr(0x10000000);
  r.tr(0x10001000);
  r.tr(0x10000000);
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
  r.xl->invlpg(0x10000000);
  r.tr(0x10000000);
  expect_reads(r.ops(), r, cr3, 0x10000000, {4, 3, 2, 1});
  EXPECT_EQ(r.cnt("stlb.misses"), 3u);
  r.tr(0x10001000);  // not invalidated: still in the DTLB
  EXPECT_EQ(r.cnt("dtlb.hits"), 2u);
  EXPECT_EQ(r.cnt("inval.invlpg"), 1u);
  EXPECT_EQ(r.divergences(), 0u);
}

// A CR3 write flushes non-global entries; with CR4.PGE a global one survives it but not INVPCID type 2.
TEST(CosimDirected, FlushAndGlobalPages) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x10000000, PageSize::k4K, kA4 | kG);
  r.map(cr3, 0x10001000, PageSize::k4K, kA4);
  r.xl->write_cr4(kCr4PGE);
  r.xl->write_cr3(cr3);
  r.tr(0x10000000);
  r.tr(0x10001000);
  const uint64_t walks = r.cnt("walker.walks");
  r.xl->write_cr3(cr3);
  r.tr(0x10000000);
  EXPECT_TRUE(r.ops().empty());  // global: kept
  r.tr(0x10001000);
  EXPECT_EQ(r.ops().size(), 4u);  // flushed, and the PSCs with it
  r.xl->invpcid(InvpcidType::AllContextsGlobal, 0, 0);
  r.tr(0x10000000);
  EXPECT_EQ(r.ops().size(), 4u);
  EXPECT_EQ(r.cnt("walker.walks"), walks + 2);
  EXPECT_EQ(r.cnt("inval.cr3_flush"), 2u);
  EXPECT_EQ(r.divergences(), 0u);
}

// DTLB 4K: 16 sets x 4 ways, true LRU. Pages 16 apart share a set (and sit in different STLB sets).
TEST(CosimDirected, LruOrder) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const auto page = [](unsigned k) { return 0x10000000ull + k * 16 * 4096; };
  for (unsigned k = 0; k < 5; ++k) r.map(cr3, page(k), PageSize::k4K, kA4);
  r.xl->write_cr3(cr3);
  for (unsigned k = 0; k < 4; ++k) r.tr(page(k));  // fill the set: LRU order 0,1,2,3
  r.tr(page(0));                                   // 0 becomes most recent: LRU is 1
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
  r.tr(page(4));  // evicts page 1
  r.tr(page(0));
  r.tr(page(2));
  r.tr(page(3));
  EXPECT_EQ(r.cnt("dtlb.hits"), 4u);
  r.tr(page(1));  // DTLB miss, STLB hit (no walk)
  EXPECT_EQ(r.cnt("dtlb.misses"), 6u);
  EXPECT_EQ(r.cnt("stlb.hits"), 1u);
  EXPECT_EQ(r.cnt("walker.walks"), 5u);
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.divergences(), 0u);
}

// Another agent clears the PTE between the walk's read and its compare-exchange: the compare-exchange
// fails, the walker re-reads the entry, finds it not present and faults; nothing is written into it.
TEST(CosimDirected, CompareExchangeFailsOnClearedEntry) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t pte = r.map(cr3, 0x10000000, PageSize::k4K, kUserRW);  // A=0: one compare-exchange
  r.xl->write_cr3(cr3);
  r.memory.before_atomic = [&](uint64_t a) {
    if (a == pte) r.poke(pte, 0);
  };
  const auto t = r.tr(0x10000000, Access::Write);
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfUser | kPfWrite);
  EXPECT_EQ(r.peek(pte), 0u);
  const auto& ops = r.ops();
  ASSERT_EQ(ops.size(), 6u);
  EXPECT_EQ(ops[4].kind, MemKind::CompareExchange);
  EXPECT_FALSE(ops[4].succeeded());
  EXPECT_EQ(ops[5].kind, MemKind::Read);
  EXPECT_EQ(ops[5].addr, pte);
  EXPECT_EQ(r.cnt("walker.cas_restarts"), 1u);
  EXPECT_EQ(r.divergences(), 0u);
}

// The entry is remapped to another frame in between: the walk re-reads it and uses the new frame.
TEST(CosimDirected, CompareExchangeFailsOnRemappedEntry) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t pte = r.map(cr3, 0x10000000, PageSize::k4K, kUserRW);
  const uint64_t other = r.frames.alloc();
  r.xl->write_cr3(cr3);
  bool once = false;
  r.memory.before_atomic = [&](uint64_t a) {
    if (a == pte && !once) {
      once = true;
      r.poke(pte, other | kP | kUserRW);
    }
  };
  const auto t = r.tr(0x10000040, Access::Write);
  ASSERT_FALSE(t.fault);
  EXPECT_EQ(t.pa, other | 0x40);
  EXPECT_EQ(r.peek(pte), other | kP | kUserRW | kA | kD);
  EXPECT_EQ(r.ops().size(), 7u);  // 4 reads, failed CAS, read, CAS
  EXPECT_EQ(r.divergences(), 0u);
}

// An INVLPG arrives while the walk waits for memory: the walk does not fill from what it read; it starts
// again from the top (PSCs invalidated too) and the answer is the one after the invalidation.
TEST(CosimDirected, InvalidationDuringWalkRestarts) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x10000000, PageSize::k4K, kA4);
  r.map(cr3, 0x50000000, PageSize::k4K, kA4);
  r.xl->write_cr3(cr3);
  r.memory.wait_inside = true;
  mmu::Translation t;
  sc_core::sc_spawn_options big;
  big.set_stack_size(kRtlStackBytes);
  sc_core::sc_spawn([&] { t = r.xl->translate(0x10000000, Access::Read, sc_core::sc_time_stamp()); }, "xlate",
                    &big);
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(150, sc_core::SC_NS);  // during the walk's second read (issued at 110 ns)
        r.xl->invlpg(0x50000000);
      },
      "inval", &big);
  sc_core::sc_start();
  ASSERT_FALSE(t.fault);
  EXPECT_EQ(r.cnt("walker.inval_restarts"), 1u);
  EXPECT_EQ(r.cnt("walker.refs"), 8u);  // 4 before the restart, 4 after
  EXPECT_EQ(r.cnt("walker.walks"), 1u);
  EXPECT_EQ(r.divergences(), 0u);
}

// A write to a clean cached page: re-walk (nehalem's dirty assist): PDE-cache hit, read PTE, set D.
TEST(CosimDirected, DirtyAssistRewalk) {
  test::CosimRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t pte = r.map(cr3, 0x10000000, PageSize::k4K, kUserRW | kA);
  r.xl->write_cr3(cr3);
  r.tr(0x10000000);
  r.tr(0x10000008, Access::Write);
  ASSERT_EQ(r.ops().size(), 2u);
  EXPECT_EQ(r.ops()[0].addr, pte);
  EXPECT_EQ(r.ops()[1].wdata, r.ops()[1].expected | kD);
  EXPECT_EQ(r.cnt("walker.dirty_assists"), 1u);
  EXPECT_EQ(r.cnt("walker.walks"), 2u);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  r.tr(0x10000010, Access::Write);  // the re-walk filled a dirty entry
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.divergences(), 0u);
}

// mmu.dirty_assist = rmw: read the leaf, re-check it, compare-exchange D in; no walk.
TEST(CosimDirected, DirtyAssistCompareExchange) {
  test::CosimOptions o;
  o.mmu.dirty_assist = "rmw";
  test::CosimRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t pte = r.map(cr3, 0x10000000, PageSize::k4K, kUserRW | kA);
  r.xl->write_cr3(cr3);
  r.tr(0x10000000);
  r.tr(0x10000008, Access::Write);
  ASSERT_EQ(r.ops().size(), 2u);
  EXPECT_EQ(r.ops()[0].kind, MemKind::Read);
  EXPECT_EQ(r.ops()[0].addr, pte);
  EXPECT_EQ(r.ops()[1].kind, MemKind::CompareExchange);
  EXPECT_EQ(r.peek(pte) & kD, kD);
  EXPECT_EQ(r.cnt("walker.walks"), 1u);
  r.tr(0x10000010, Access::Write);
  EXPECT_TRUE(r.ops().empty());
  EXPECT_EQ(r.divergences(), 0u);
}

// The waveform window: an FST file GTKWave opens (its header block is type 0).
TEST(CosimDirected, Waveform) {
  const std::string path = pc::test::temp_path("cosim_wave.fst");
  std::filesystem::remove(path);
  {
    test::CosimRig r({});
    r.start();
    r.rtl->open_wave(path, sc_core::SC_ZERO_TIME, sc_core::sc_time(1, sc_core::SC_US));
    const uint64_t cr3 = r.new_space();
    r.map(cr3, 0x10000000, PageSize::k4K, kA4);
    r.xl->write_cr3(cr3);
    r.tr(0x10000000);
    r.tr(0x10000000);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 200u);
  std::ifstream f(path, std::ios::binary);
  EXPECT_EQ(f.get(), 0);
}

// Skipping the cycles in which the unit only waits for memory changes neither answers nor their times.
TEST(CosimDirected, SkippingIdleCyclesIsExact) {
  test::CosimRig r({});
  test::CosimOptions slow;
  slow.mmu.rtl.skip_idle_cycles = false;
  test::WalkPort port2("walk2");
  port2.isock.bind(r.router.tsock);
  stats::Group g2(&r.cpu, "core1");
  cosim::RtlMmu every(1, slow.mmu, r.clk, cosim::make_mmu_model("nehalem"), port2.isock, g2);
  r.start();
  const uint64_t cr3 = r.new_space();
  for (unsigned k = 0; k < 40; ++k) r.map(cr3, 0x10000000ull + k * 0x5000, PageSize::k4K, kA4);
  r.xl->write_cr3(cr3);
  every.write_cr3(cr3);
  sc_core::sc_time at;
  for (unsigned i = 0; i < 400; ++i) {
    const uint64_t va = 0x10000000ull + (i * 7919 % 40) * 0x5000 + (i % 512) * 8;
    const auto a = r.xl->translate(va, i % 3 ? Access::Read : Access::Write, at);
    const auto b = every.translate(va, i % 3 ? Access::Read : Access::Write, at);
    ASSERT_EQ(a.pa, b.pa) << i;
    ASSERT_EQ(a.done, b.done) << i;
    at = a.done + r.clk.cycles(3);
  }
  EXPECT_GT(r.cnt("rtl.skipped_cycles"), 0u);
  EXPECT_GT(static_cast<uint64_t>(g2.find("rtl.cycles")->to_json().get<double>()), r.cnt("rtl.cycles"));
  EXPECT_EQ(r.divergences(), 0u);
}
