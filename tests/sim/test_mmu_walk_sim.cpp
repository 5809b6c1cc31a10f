// Acceptance checks of x86-mmu.md §2.1-2.4 and §2.7-2.8: walk reference counts, the 1 GiB sweep, A/D
// semantics, faults, PSC invalidation, walker concurrency and latency conservation. Page tables are built
// through TLM; the walker reads them through TLM (and the caches where enabled). Rig clock: 1 GHz, memory
// 100 ns = 100 cycles per reference without caches.
#include <gtest/gtest.h>

#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;
using mmu::Access;
using test::kTableA;
using test::kUserRW;

namespace {
constexpr uint64_t kA4 = kUserRW | kA | kD;  // a leaf with A and D already set: no RMW on use
test::RigOptions opts() { return {}; }
}  // namespace

// §2.1: cold PSC, 4-level: 4K = 4 reads, 2M = 3, 1G = 2.
TEST(MmuWalkSim, ColdWalkReferenceCounts4Level) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x10000000, PageSize::k4K, kA4);
  r.map(cr3, 0x8000200000, PageSize::k2M, kA4);  // another 512 GiB region: no shared upper entries
  r.map(cr3, 0x10000000000, PageSize::k1G, kA4);
  r.m().write_cr3(cr3);
  EXPECT_FALSE(r.tr(0x10000123).fault);
  EXPECT_EQ(r.cnt("walker.refs"), 4u);
  EXPECT_FALSE(r.tr(0x8000212345).fault);
  EXPECT_EQ(r.cnt("walker.refs"), 4u + 3);
  EXPECT_EQ(r.tr(0x10000abcdef).pa & 0x3fffffff, 0xabcdefu);  // 1 GiB page offset kept
  EXPECT_EQ(r.cnt("walker.refs"), 4u + 3 + 2);
  EXPECT_EQ(r.cnt("walker.walks"), 3u);
  EXPECT_EQ(r.cnt("psc.misses"), 3u);
  // Without caches each reference is one 100-cycle memory read; the PSC lookup costs 1 cycle.
  EXPECT_EQ(r.stat("cpu.core0.walker.latency"), 3 * 1 + 9 * 100.0);
}

// §2.1: LA57 adds one reference to each.
TEST(MmuWalkSim, ColdWalkReferenceCounts5Level) {
  auto o = opts();
  o.mmu.la57 = true;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x10000000, PageSize::k4K, kA4);
  r.map(cr3, 0x8000200000, PageSize::k2M, kA4);
  r.map(cr3, 0x1000000000000, PageSize::k1G, kA4);  // another 256 TiB region (PML5 index 1)
  r.m().write_cr3(cr3);
  // The first two share their PML5E: empty the PSCs between walks so that each is cold.
  const auto cold = [&] { r.m().invpcid(InvpcidType::AllContextsGlobal, 0, 0); };
  r.tr(0x10000123);
  EXPECT_EQ(r.cnt("walker.refs"), 5u);
  cold();
  r.tr(0x8000212345);
  EXPECT_EQ(r.cnt("walker.refs"), 5u + 4);
  cold();
  r.tr(0x1000000000040);
  EXPECT_EQ(r.cnt("walker.refs"), 5u + 4 + 3);
  EXPECT_EQ(r.cnt("walker.pml5.refs"), 3u);
}

// §2.1 warm: PDE-cache hit -> 1 read; PDPTE hit -> 2; PML4E hit -> 3; 2M with a PDPTE hit -> 1.
TEST(MmuWalkSim, WarmWalkReferenceCounts) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t base = 0x40000000;  // 1 GiB aligned
  r.map(cr3, base, PageSize::k4K, kA4);
  r.map(cr3, base + 0x1000, PageSize::k4K, kA4);             // same 2 MiB region
  r.map(cr3, base + 0x200000, PageSize::k4K, kA4);           // same 1 GiB, next 2 MiB
  r.map(cr3, base + 0x40000000, PageSize::k4K, kA4);         // same 512 GiB, next 1 GiB
  r.map(cr3, base + 0x400000, PageSize::k2M, kA4);           // a 2 MiB page in the first 1 GiB
  r.m().write_cr3(cr3);
  r.tr(base);
  ASSERT_EQ(r.cnt("walker.refs"), 4u);
  r.tr(base + 0x1000);
  EXPECT_EQ(r.cnt("walker.refs"), 4u + 1);
  EXPECT_EQ(r.cnt("psc.pd_hits"), 1u);
  r.tr(base + 0x200000);
  EXPECT_EQ(r.cnt("walker.refs"), 5u + 2);
  EXPECT_EQ(r.cnt("psc.pdpt_hits"), 1u);
  r.tr(base + 0x40000000);
  EXPECT_EQ(r.cnt("walker.refs"), 7u + 3);
  EXPECT_EQ(r.cnt("psc.pml4_hits"), 1u);
  r.tr(base + 0x400000 + 0x1234);
  EXPECT_EQ(r.cnt("walker.refs"), 10u + 1);
  EXPECT_EQ(r.cnt("psc.pdpt_hits"), 2u);
}

// §2.2: sequential sweep over N = 2^18 mapped 4K pages (1 GiB, 1 GiB-aligned), TLB cold:
// R(N) = N + ceil(N/512) + ceil(N/2^18) + ceil(N/2^27) = 262144 + 512 + 1 + 1 = 262658. With L1D in
// the path and no prefetch, PTE reads missing L1D = N/8 = 32768 (8 PTEs per 64-byte line).
TEST(MmuWalkSim, GigabyteSweepReadsAndPteLineMisses) {
  auto o = opts();
  o.caches = true;
  o.mem_mib = 16;  // page tables only: 512 PT pages + 3 (2 MiB); every PTE maps the same frame
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t base = 1ull << 30;
  const uint64_t N = 1ull << 18;
  const uint64_t frame = r.frames.alloc();
  for (uint64_t i = 0; i < N; ++i) r.map_to(cr3, base + i * 4096, frame, kA4);
  r.m().write_cr3(cr3);
  for (uint64_t i = 0; i < N; ++i) ASSERT_FALSE(r.tr(base + i * 4096).fault);
  EXPECT_EQ(r.cnt("walker.refs"), 262658u);
  EXPECT_EQ(r.cnt("walker.pt.refs"), N);
  EXPECT_EQ(r.cnt("walker.pd.refs"), 512u);
  EXPECT_EQ(r.cnt("walker.pt.refs") - r.cnt("walker.pt.l1"), 32768u);
  EXPECT_EQ(r.cnt("walker.rmws"), 0u);  // every entry already had A=1
  EXPECT_EQ(r.cnt("dtlb.misses"), N);
}

// §2.2 with all A=0 (N = 2048 pages = 4 page tables): leaf A-writes = N, PDE A-writes = ceil(N/512) = 4,
// PDPTE 1, PML4E 1; one locked RMW each.
TEST(MmuWalkSim, SweepWithClearAccessedBitsWritesEachOnce) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t base = 1ull << 30;
  const uint64_t N = 2048;
  const uint64_t frame = r.frames.alloc();
  for (uint64_t i = 0; i < N; ++i) r.map_to(cr3, base + i * 4096, frame, kUserRW, kP | kUserRW);
  r.m().write_cr3(cr3);
  for (uint64_t i = 0; i < N; ++i) ASSERT_FALSE(r.tr(base + i * 4096).fault);
  EXPECT_EQ(r.cnt("walker.a_writes"), N + 4 + 1 + 1);
  EXPECT_EQ(r.cnt("walker.rmws"), N + 4 + 1 + 1);
  EXPECT_EQ(r.cnt("walker.d_writes"), 0u);
  EXPECT_EQ(r.cnt("walker.refs"), N + 4 + 1 + 1);
  for (uint64_t i : {0ull, 511ull, 512ull, 2047ull})
    EXPECT_TRUE(r.entry(r.entry_at(cr3, base + i * 4096, 1)) & kA) << i;
}

// §2.3: a read sets A once per entry with A=0; a later TLB-hitting write sets D on the leaf only, once.
void accessed_dirty(const std::string& assist) {
  auto o = opts();
  o.mmu.dirty_assist = assist;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x7f0000001000;
  r.map(cr3, va, PageSize::k4K, kUserRW, kP | kUserRW);
  r.m().write_cr3(cr3);
  std::vector<mmu::WalkTrace> walks;
  r.m().set_walk_observer([&](const mmu::WalkTrace& w) { walks.push_back(w); });
  EXPECT_FALSE(r.tr(va).fault);
  EXPECT_EQ(r.cnt("walker.rmws"), 4u);
  // Reads first (no A/D update before the walk knows it will not fault), then one RMW per entry, top
  // down; without caches each is 100 cycles (a locked RMW = read + write = 200).
  ASSERT_EQ(walks.size(), 1u);
  ASSERT_EQ(walks[0].nrefs, 8u);
  for (unsigned i = 0; i < 8; ++i) {
    EXPECT_EQ(walks[0].refs[i].rmw, i >= 4) << i;
    EXPECT_EQ(walks[0].refs[i].level, i < 4 ? 4 - i : 8 - i) << i;
    EXPECT_EQ(walks[0].refs[i].cycles, i < 4 ? 100u : 200u) << i;
  }
  EXPECT_EQ(walks[0].cycles, 1u + 4 * 100 + 4 * 200);
  EXPECT_EQ(r.cnt("walker.a_writes"), 4u);
  for (unsigned l = 1; l <= 4; ++l) {
    const uint64_t e = r.entry(r.entry_at(cr3, va, l));
    EXPECT_TRUE(e & kA) << l;
    EXPECT_FALSE(e & kD) << l;
  }
  EXPECT_FALSE(r.tr(va + 8, Access::Write).fault);
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
  EXPECT_EQ(r.cnt("walker.dirty_assists"), 1u);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  EXPECT_EQ(r.cnt("walker.rmws"), 5u);
  EXPECT_EQ(r.cnt("walker.a_writes"), 4u);
  EXPECT_TRUE(r.entry(r.entry_at(cr3, va, 1)) & kD);
  for (unsigned l = 2; l <= 4; ++l) EXPECT_FALSE(r.entry(r.entry_at(cr3, va, l)) & kD) << l;
  // The TLB entry is dirty now: a second write costs nothing more.
  r.tr(va + 16, Access::Write);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  EXPECT_EQ(r.cnt("walker.dirty_assists"), 1u);
  EXPECT_EQ(r.cnt("walker.walks"), assist == "rewalk" ? 2u : 1u);
}
TEST(MmuWalkSim, AccessedAndDirtyRewalkAssist) { accessed_dirty("rewalk"); }
TEST(MmuWalkSim, AccessedAndDirtyRmwAssist) { accessed_dirty("rmw"); }

// §2.3: software clears A without INVLPG; a TLB-hitting access leaves it 0. After INVLPG it is set again.
TEST(MmuWalkSim, ClearedAccessedBitStaysClearUntilInvlpg) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x500000;
  const uint64_t leaf = r.map(cr3, va, PageSize::k4K, kUserRW);
  r.m().write_cr3(cr3);
  r.tr(va);
  ASSERT_TRUE(r.entry(leaf) & kA);
  r.set_entry(leaf, r.entry(leaf) & ~kA);  // what page_referenced does, minus the flush
  r.tr(va + 64);
  EXPECT_FALSE(r.entry(leaf) & kA);
  // A write to the clean entry assists; the re-walk uses the leaf again, so it sets A with D.
  r.tr(va + 128, Access::Write);
  EXPECT_EQ(r.cnt("walker.walks"), 2u);
  EXPECT_EQ(r.entry(leaf) & (kA | kD), kA | kD);
  r.set_entry(leaf, r.entry(leaf) & ~kA);
  r.tr(va + 192);
  EXPECT_FALSE(r.entry(leaf) & kA);
  r.m().invlpg(va);
  r.tr(va + 256);
  EXPECT_TRUE(r.entry(leaf) & kA);
  EXPECT_EQ(r.cnt("inval.invlpg"), 1u);
}

// §2.3: P=0 and a write to RW=0 fault with the exact error code, change no entry and fill nothing.
TEST(MmuWalkSim, FaultsChangeNothingAndFillNothing) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t ro = 0x600000, absent = 0x601000;
  r.map(cr3, ro, PageSize::k4K, kUS, kP | kUserRW);  // read-only leaf, every A=0
  r.m().write_cr3(cr3);
  auto snapshot = [&] {
    std::vector<uint64_t> v;
    for (unsigned l = 1; l <= 4; ++l) v.push_back(r.entry(r.entry_at(cr3, ro, l)));
    return v;
  };
  const auto before = snapshot();
  auto t = r.tr(ro, Access::Write);
  ASSERT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfPresent | kPfWrite | kPfUser);  // 0x7
  EXPECT_EQ(snapshot(), before);
  t = r.tr(ro, Access::Write);  // nothing was filled: walks again
  EXPECT_EQ(r.cnt("walker.walks"), 2u);
  EXPECT_EQ(r.cnt("psc.misses"), 2u);
  t = r.tr(absent);
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfUser);  // 0x4: not present, read, user
  t = r.tr(absent, Access::Write);
  EXPECT_EQ(t.error_code, kPfUser | kPfWrite);  // 0x6
  t = r.tr(absent, Access::Fetch);
  EXPECT_EQ(t.error_code, kPfUser | kPfFetch);  // 0x14
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(r.cnt("walker.rmws"), 0u);
  EXPECT_EQ(r.cnt("faults.total"), 5u);
  EXPECT_EQ(r.cnt("faults.ec_0x07"), 2u);
  EXPECT_EQ(r.cnt("faults.ec_0x04"), 1u);
  // The read is allowed, sets A everywhere, and fills the TLB; the write then faults from the TLB.
  EXPECT_FALSE(r.tr(ro).fault);
  EXPECT_EQ(r.tr(ro, Access::Write).error_code, 0x7u);
  EXPECT_FALSE(r.entry(r.entry_at(cr3, ro, 1)) & kD);
}

// §2.3: a PS=1 PDE is the leaf, so it gets D; non-leaf entries never do. NX faults a fetch with I/D.
TEST(MmuWalkSim, LargePageLeafGetsDirtyAndNxFaultsFetch) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x40000000;
  const uint64_t pde = r.map(cr3, va, PageSize::k2M, kUserRW | kNX, kP | kUserRW);
  r.m().write_cr3(cr3);
  EXPECT_FALSE(r.tr(va + 0x12345, Access::Write).fault);
  EXPECT_EQ(r.entry(pde) & (kA | kD | kPS), kA | kD | kPS);
  EXPECT_EQ(r.entry(r.entry_at(cr3, va, 3)) & (kA | kD), kA);
  EXPECT_EQ(r.entry(r.entry_at(cr3, va, 4)) & (kA | kD), kA);
  EXPECT_EQ(r.cnt("walker.refs"), 3u);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  const auto t = r.tr(va + 0x100, Access::Fetch);
  EXPECT_TRUE(t.fault);
  EXPECT_EQ(t.error_code, kPfPresent | kPfUser | kPfFetch);  // 0x15
}

// A malformed table faults with RSVD (never crashes): a reserved address bit, PS in a PML4E, reserved
// bits of a 2 MiB PDE, and a table pointer beyond memory (a master abort reads all ones).
TEST(MmuWalkSim, MalformedTablesFaultWithRsvd) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t a = 0x40000000, b = 0x80000000, c = 0x8000000000, d = 0xc0000000;
  r.map(cr3, a, PageSize::k4K, kA4);
  r.map(cr3, b, PageSize::k2M, kA4);
  r.map(cr3, d, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  const uint64_t pde_a = r.entry_at(cr3, a, 2);
  r.set_entry(pde_a, r.entry(pde_a) | (1ull << 50));  // above MAXPHYADDR = 46: reserved
  const uint32_t rsvd = kPfPresent | kPfRsvd | kPfUser;
  EXPECT_EQ(r.tr(a).error_code, rsvd);
  const uint64_t pde_b = r.entry_at(cr3, b, 2);
  r.set_entry(pde_b, r.entry(pde_b) | (1ull << 13));  // bit 13 of a 2 MiB PDE is reserved
  EXPECT_EQ(r.tr(b + 8).error_code, rsvd);
  // PML4E with PS=1 (reserved at that level), pointing at the root itself.
  r.set_entry(cr3 + index_of(c, 4) * 8, cr3 | kTableA | kPS);
  EXPECT_EQ(r.tr(c, Access::Write).error_code, rsvd | kPfWrite);
  const uint64_t pde_d = r.entry_at(cr3, d, 2);
  r.set_entry(pde_d, (60ull << 20 << 10) | kTableA);  // a page table at 60 GiB: no memory there
  EXPECT_EQ(r.tr(d).error_code, rsvd);
  EXPECT_EQ(r.cnt("walker.rmws"), 0u);
  EXPECT_EQ(r.cnt("faults.ec_0x0d"), 3u);
}

// §2.4: INVLPG drops every PSC entry of the current PCID: a miss in the same 2 MiB region costs 1 read
// before and 4 after, while another TLB-resident page still hits.
TEST(MmuWalkSim, InvlpgClearsPagingStructureCaches) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va1 = 0x200000, va2 = 0x201000, va3 = 0x202000, va4 = 0x203000;
  for (uint64_t v : {va1, va2, va3, va4}) r.map(cr3, v, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  r.tr(va1);
  r.tr(va3);
  EXPECT_EQ(r.cnt("walker.refs"), 4u + 1);  // va3: PDE-cache hit
  r.tr(va2);
  EXPECT_EQ(r.cnt("walker.refs"), 5u + 1);
  r.m().invlpg(va1);
  r.tr(va4);
  EXPECT_EQ(r.cnt("walker.refs"), 6u + 4);
  const uint64_t walks = r.cnt("walker.walks");
  r.tr(va3);
  EXPECT_EQ(r.cnt("walker.walks"), walks);
  EXPECT_EQ(r.cnt("dtlb.hits"), 1u);
}

// §2.4: a CR3 write keeps G=1 entries (CR4.PGE=1); toggling CR4.PGE drops them.
TEST(MmuWalkSim, GlobalEntriesSurviveCr3ButNotPgeToggle) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t g = 0x1000, ng = 0x400000;
  r.map(cr3, g, PageSize::k4K, kA4 | kG);
  r.map(cr3, ng, PageSize::k4K, kA4);
  r.m().write_cr4(kCr4PGE);
  r.m().write_cr3(cr3);
  r.tr(g);
  r.tr(ng);
  ASSERT_EQ(r.cnt("walker.walks"), 2u);
  r.m().write_cr3(cr3);
  r.tr(g);
  EXPECT_EQ(r.cnt("walker.walks"), 2u);  // global: still in the TLB
  r.tr(ng);
  EXPECT_EQ(r.cnt("walker.walks"), 3u);
  r.m().write_cr4(0);  // PGE 1 -> 0 flushes everything
  r.tr(g);
  EXPECT_EQ(r.cnt("walker.walks"), 4u);
  EXPECT_EQ(r.cnt("inval.cr4_flush"), 2u);  // PGE 0 -> 1 at the start flushed too (any PGE change does)
  EXPECT_EQ(r.cnt("inval.cr3_flush"), 2u);
}

// §2.7: W walkers, independent misses, fixed per-reference latency: W walks per walk latency. Four
// cold 4-reference walks at t=0 (PSCs off, 100 cycles per read = 400 cycles per walk).
void concurrency(unsigned walkers) {
  auto o = opts();
  o.mmu.walkers = walkers;
  o.mmu.psc.pml4.entries = o.mmu.psc.pdpt.entries = o.mmu.psc.pd.entries = 0;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  for (unsigned i = 0; i < 4; ++i) r.map(cr3, (uint64_t{i} + 1) << 39, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  for (unsigned i = 0; i < 4; ++i) {
    const auto t = r.m().translate((uint64_t{i} + 1) << 39, Access::Read, t0);
    // DTLB (0) + STLB probe (7) + queueing + the walk.
    EXPECT_EQ(r.clk.to_cycles(t.done - t0), 7u + 400 * (i / walkers + 1)) << i;
  }
  EXPECT_EQ(r.cnt("walker.queue_cycles"), walkers == 2 ? 800u : 400u + 800 + 1200);
}
TEST(MmuWalkSim, TwoWalkersDoubleWalkThroughput) { concurrency(2); }
TEST(MmuWalkSim, OneWalkerSerializesWalks) { concurrency(1); }

// §2.7: two in-flight misses to one page make one walk; the second completes with the first.
TEST(MmuWalkSim, MissesToOnePageCoalesce) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  r.map(cr3, 0x3000, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  const auto a = r.m().translate(0x3000, Access::Read, t0);
  const auto b = r.m().translate(0x3008, Access::Read, t0 + r.clk.cycles(10));
  EXPECT_EQ(r.cnt("walker.walks"), 1u);
  EXPECT_EQ(r.cnt("walker.coalesced"), 1u);
  EXPECT_EQ(b.done, a.done);
  EXPECT_EQ(b.pa, a.pa + 8);
  EXPECT_EQ(r.clk.to_cycles(a.done - t0), 7u + 1 + 400);  // STLB probe + PSC lookup + 4 reads
}

// §2.8: walk cycles = PSC lookup + the sum of reference latencies. Skylake latencies (L1D 4, L2 12,
// LLC 44) with every PTE line LLC-resident: a 4-read walk = 176 + 1.
TEST(MmuWalkSim, WalkLatencyIsConservedSkylake) {
  auto o = opts();
  o.caches = true;
  o.cache_cfg.l1d = {32, 8, 4};
  o.cache_cfg.l2 = {256, 4, 12};
  o.cache_cfg.llc = {8192, 16, 44};
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x123456000;
  r.map(cr3, va, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  r.tr(va);  // cold: 4 memory reads, each LLC miss = 44 + 100
  EXPECT_EQ(r.stat("cpu.core0.walker.latency"), 1 + 4 * (44 + 100.0));
  std::vector<mmu::WalkTrace> walks;
  r.m().set_walk_observer([&](const mmu::WalkTrace& w) { walks.push_back(w); });
  r.caches[0]->flush_private();
  r.m().invpcid(InvpcidType::AllContextsGlobal, 0, 0);  // TLBs and PSCs empty
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  const auto t = r.m().translate(va, Access::Read, t0);
  // DTLB (0) + STLB probe (7) + walk.
  EXPECT_EQ(r.clk.to_cycles(t.done - t0), 7u + 1 + 176);
  EXPECT_EQ(r.cnt("walker.pt.llc") + r.cnt("walker.pd.llc") + r.cnt("walker.pdpt.llc") + r.cnt("walker.pml4.llc"), 4u);
  EXPECT_EQ(r.stat("cpu.core0.walker.latency"), r.stat("cpu.core0.walker.lookup_cycles") + r.stat("cpu.core0.walker.ref_cycles"));
  EXPECT_EQ(r.stat("cpu.core0.walker.latency"), 577 + 177.0);
  // The per-walk trace: four reads, PML4E first, each served by the LLC in 44 cycles; the walk's cycles
  // are the lookup plus their sum.
  ASSERT_EQ(walks.size(), 1u);
  const auto& w = walks[0];
  EXPECT_EQ(w.va, va);
  EXPECT_EQ(w.psc_hit_level, 0u);
  ASSERT_EQ(w.nrefs, 4u);
  uint64_t sum = w.lookup_cycles;
  for (unsigned i = 0; i < w.nrefs; ++i) {
    EXPECT_EQ(w.refs[i].level, 4u - i);
    EXPECT_EQ(w.refs[i].served, 3u);
    EXPECT_EQ(w.refs[i].cycles, 44u);
    EXPECT_FALSE(w.refs[i].rmw);
    sum += w.refs[i].cycles;
  }
  EXPECT_EQ(w.cycles, sum);
  EXPECT_EQ(w.cycles, 177u);
}

// Fetches use the ITLB (its own arrays), data the DTLB; both share the STLB and the walker.
TEST(MmuWalkSim, FetchesUseTheItlbAndShareTheStlb) {
  test::MmuRig r(opts());
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t code = 0x400000, big = 0x40000000;
  r.map(cr3, code, PageSize::k4K, kA4);
  r.map(cr3, big, PageSize::k2M, kA4);
  r.m().write_cr3(cr3);
  r.tr(code, Access::Fetch);
  r.tr(code + 16, Access::Fetch);
  EXPECT_EQ(r.cnt("itlb.misses"), 1u);
  EXPECT_EQ(r.cnt("itlb.hits"), 1u);
  EXPECT_EQ(r.cnt("dtlb.hits") + r.cnt("dtlb.misses"), 0u);
  r.tr(code + 32);  // a data read of the code page: DTLB miss, STLB hit, no walk
  EXPECT_EQ(r.cnt("dtlb.misses"), 1u);
  EXPECT_EQ(r.cnt("stlb.hits"), 1u);
  EXPECT_EQ(r.cnt("walker.walks"), 1u);
  // The default STLB holds 4 KiB pages only: a 2 MiB page fetched, then read, walks twice.
  r.tr(big + 0x1000, Access::Fetch);
  r.tr(big + 0x2000);
  EXPECT_EQ(r.cnt("walker.walks"), 3u);
  r.tr(big + 0x3000, Access::Fetch);  // ITLB 2M array hit
  EXPECT_EQ(r.cnt("itlb.hits"), 2u);
}

// §2.8: a PDE-cache-hit walk whose PTE line sits in L2 costs the L2 latency plus the lookup: 12 + 1.
TEST(MmuWalkSim, PdeHitWalkWithPteLineInL2) {
  auto o = opts();
  o.caches = true;
  o.cache_cfg.l1d = {32, 8, 4};   // 64 sets: lines 4 KiB apart share a set
  o.cache_cfg.l2 = {256, 4, 12};  // 1024 sets: those lines spread over different sets
  o.cache_cfg.llc = {8192, 16, 44};
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va1 = 0x200000, va2 = 0x201000;  // adjacent PTEs: one line
  r.map(cr3, va1, PageSize::k4K, kA4);
  r.map(cr3, va2, PageSize::k4K, kA4);
  r.m().write_cr3(cr3);
  r.tr(va1);
  // Evict the PTE line from L1D with 8 data reads to the same L1D set (8 ways), through the same port.
  const uint64_t pte_line = r.entry_at(cr3, va2, 1) & ~63ull;
  uint8_t buf[8];
  for (uint64_t k = 1; k <= 8; ++k) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(pte_line + k * 4096);
    gp.set_data_ptr(buf);
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    sc_core::sc_time d;
    r.ports[0]->isock->b_transport(gp, d);
    ASSERT_TRUE(gp.is_response_ok());
  }
  const sc_core::sc_time t0 = std::max(sc_core::sc_time_stamp(), r.now);
  const auto t = r.m().translate(va2, Access::Read, t0);
  EXPECT_EQ(r.clk.to_cycles(t.done - t0), 7u + 1 + 12);  // STLB probe + PDE-cache hit + L2
  EXPECT_EQ(r.cnt("walker.pt.l2"), 1u);
  EXPECT_EQ(r.cnt("psc.pd_hits"), 1u);
}

// PCD in an entry makes the table it points to uncacheable: those reads bypass the caches (SDM §4.9).
TEST(MmuWalkSim, PcdTablesBypassTheCaches) {
  auto o = opts();
  o.caches = true;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();  // CR3.PCD = 0: the PML4 is cacheable
  const uint64_t va = 0x10000000;
  r.map(cr3, va, PageSize::k4K, kA4, kTableA | kPCD);
  r.m().write_cr3(cr3);
  r.tr(va);
  EXPECT_EQ(r.cnt("l1d.misses"), 1u);  // only the PML4E read went through L1D
  r.m().invpcid(InvpcidType::AllContextsGlobal, 0, 0);
  r.tr(va);
  EXPECT_EQ(r.cnt("l1d.hits"), 1u);    // the PML4E line is cached; the other three reads again bypass
  EXPECT_EQ(r.cnt("l1d.misses"), 1u);
  EXPECT_EQ(r.cnt("walker.pml4.l1"), 1u);
  EXPECT_EQ(r.cnt("walker.pt.dram") + r.cnt("walker.pd.dram") + r.cnt("walker.pdpt.dram"), 6u);
}
