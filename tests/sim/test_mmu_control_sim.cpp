// Acceptance checks of x86-mmu.md §2.5 (PCID) and §1.7 (INVPCID types, shootdowns with latency and
// acknowledgement, counted by cause) through the hw::CpuControl interface the kernel uses.
#include <gtest/gtest.h>

#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;
using mmu::Access;
using test::kUserRW;

namespace {
constexpr uint64_t kLeaf = kUserRW | kA | kD;
constexpr uint64_t kBase = 0x400000;
constexpr unsigned kPages = 16;  // k <= capacity: 16 consecutive pages take one way of each DTLB set

// Two address spaces mapping the same k linear pages to different frames.
struct TwoSpaces {
  explicit TwoSpaces(test::MmuRig& r) {
    a = r.new_space();
    b = r.new_space();
    for (unsigned i = 0; i < kPages; ++i) {
      r.map(a, kBase + i * 4096ull, PageSize::k4K, kLeaf);
      r.map(b, kBase + i * 4096ull, PageSize::k4K, kLeaf);
    }
  }
  uint64_t a, b;
};

void touch_all(test::MmuRig& r) {
  for (unsigned i = 0; i < kPages; ++i) ASSERT_FALSE(r.tr(kBase + i * 4096ull).fault);
}
}  // namespace

// §2.5 with CR4.PCIDE=1 and the no-flush bit: after one warm-up round trip, no misses at all.
TEST(MmuControlSim, PcidPingPongWithNoFlushHasNoMisses) {
  test::MmuRig r({});
  r.start();
  TwoSpaces s(r);
  auto& cpu = r.control;
  cpu.write_cr4(0, kCr4PCIDE);
  for (int round = 0; round < 4; ++round) {
    cpu.write_cr3(0, s.a | 1 | kCr3NoFlush);
    touch_all(r);
    cpu.write_cr3(0, s.b | 2 | kCr3NoFlush);
    touch_all(r);
    // Warm-up: each space misses once per page (2k = 32); afterwards nothing more.
    EXPECT_EQ(r.cnt("dtlb.misses"), 2u * kPages) << round;
  }
  EXPECT_EQ(r.cnt("dtlb.hits"), 3u * 2 * kPages);
  EXPECT_EQ(r.cnt("inval.cr3_noflush"), 8u);
  EXPECT_EQ(cpu.read_cr3(0), s.b | 2);  // bit 63 is not stored
}

// §2.5 without PCIDs every CR3 write flushes: 2k misses per round trip.
TEST(MmuControlSim, PingPongWithoutPcidMissesTwiceKPerRoundTrip) {
  test::MmuRig r({});
  r.start();
  TwoSpaces s(r);
  for (int round = 1; round <= 4; ++round) {
    r.control.write_cr3(0, s.a);
    touch_all(r);
    r.control.write_cr3(0, s.b);
    touch_all(r);
    EXPECT_EQ(r.cnt("dtlb.misses"), round * 2u * kPages);
    EXPECT_EQ(r.cnt("stlb.misses"), round * 2u * kPages);
  }
  EXPECT_EQ(r.cnt("dtlb.hits"), 0u);
}

// With PCIDE=1 but no no-flush bit, a CR3 write flushes the new PCID only: still 2k misses per round.
TEST(MmuControlSim, PcidWithoutNoFlushFlushesTheNewPcid) {
  test::MmuRig r({});
  r.start();
  TwoSpaces s(r);
  r.control.write_cr4(0, kCr4PCIDE);
  for (int round = 1; round <= 3; ++round) {
    r.control.write_cr3(0, s.a | 1);
    touch_all(r);
    r.control.write_cr3(0, s.b | 2);
    touch_all(r);
    EXPECT_EQ(r.cnt("dtlb.misses"), round * 2u * kPages);
  }
}

// INVPCID: type 0 drops one address of one PCID (not globals), type 1 one PCID, type 3 all but
// globals, type 2 everything.
TEST(MmuControlSim, InvpcidTypes) {
  test::MmuRig r({});
  r.start();
  TwoSpaces s(r);
  const uint64_t g = 0x40000000;
  r.map(s.a, g, PageSize::k4K, kLeaf | kG);
  auto& cpu = r.control;
  cpu.write_cr4(0, kCr4PCIDE | kCr4PGE);
  auto round = [&] {
    cpu.write_cr3(0, s.a | 1 | kCr3NoFlush);
    touch_all(r);
    r.tr(g);
    cpu.write_cr3(0, s.b | 2 | kCr3NoFlush);
    touch_all(r);
  };
  round();
  const uint64_t warm = r.cnt("walker.walks");
  ASSERT_EQ(warm, 2u * kPages + 1);
  EXPECT_EQ(cpu.invpcid(0, InvpcidType::IndividualAddress, 1, kBase), r.opt.mmu.invlpg_cycles);
  round();
  EXPECT_EQ(r.cnt("walker.walks"), warm + 1);
  cpu.invpcid(0, InvpcidType::SingleContext, 2, 0);
  round();
  EXPECT_EQ(r.cnt("walker.walks"), warm + 1 + kPages);
  cpu.invpcid(0, InvpcidType::AllContexts, 0, 0);
  round();
  EXPECT_EQ(r.cnt("walker.walks"), warm + 1 + kPages + 2 * kPages);  // the global page survived
  cpu.invpcid(0, InvpcidType::AllContextsGlobal, 0, 0);
  round();
  EXPECT_EQ(r.cnt("walker.walks"), warm + 1 + kPages + 2 * kPages + 2 * kPages + 1);
  EXPECT_EQ(r.cnt("inval.invpcid0") + r.cnt("inval.invpcid1") + r.cnt("inval.invpcid2") + r.cnt("inval.invpcid3"), 4u);
}

// A shootdown IPI from core 0 to core 1: core 1's entry is gone, it pays the handler, core 0 pays
// delivery + handler + acknowledgement (1000 + 500 + 300 by default), counted by cause.
TEST(MmuControlSim, ShootdownInvalidatesTargetsAndCostsTheSender) {
  test::RigOptions o;
  o.cores = 3;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x7000;
  r.map(cr3, va, PageSize::k4K, kLeaf);
  for (unsigned c = 0; c < 3; ++c) {
    r.control.write_cr3(c, cr3);
    r.tr(va, Access::Read, c);
  }
  EXPECT_EQ(r.control.invlpg(0, va), r.opt.mmu.invlpg_cycles);
  const uint64_t cost = r.control.shootdown(0, {0, 1}, {hw::FlushRequest::Scope::Page, va, 0}, hw::FlushCause::Unmap);
  EXPECT_EQ(cost, 1000u + 500 + 300);
  EXPECT_EQ(r.m(1).take_stall_cycles(), 500u);
  EXPECT_EQ(r.m(2).take_stall_cycles(), 0u);
  r.tr(va, Access::Read, 1);
  r.tr(va, Access::Read, 2);
  EXPECT_EQ(r.cnt("walker.walks", 1), 2u);  // flushed: walks again
  EXPECT_EQ(r.cnt("walker.walks", 2), 1u);  // not a target: still hits
  EXPECT_EQ(r.cnt("shootdown.sent_unmap", 0), 1u);
  EXPECT_EQ(r.cnt("shootdown.ipis_sent", 0), 1u);
  EXPECT_EQ(r.cnt("shootdown.received", 1), 1u);
  EXPECT_EQ(r.cnt("shootdown.received", 2), 0u);
  EXPECT_EQ(r.control.shootdown(0, {}, {}, hw::FlushCause::Reclaim), 0u);  // nobody to interrupt
  EXPECT_EQ(r.cnt("shootdown.sent_reclaim", 0), 1u);
  EXPECT_THROW(r.control.write_cr3(3, cr3), std::logic_error);
}

// A write on one core invalidates the line in the other cores' private caches (bytes stay in memory).
TEST(MmuControlSim, WriteInvalidatesOtherCoresPrivateCopies) {
  test::RigOptions o;
  o.cores = 2;
  o.caches = true;
  test::MmuRig r(o);
  r.start();
  const uint64_t cr3 = r.new_space();
  const uint64_t va = 0x9000;
  const uint64_t leaf = r.map(cr3, va, PageSize::k4K, kUserRW);  // A=0, D=0 in the leaf
  for (unsigned c = 0; c < 2; ++c) r.control.write_cr3(c, cr3);
  r.tr(va, Access::Read, 0);  // core 0 reads the tables and sets A (a write to the leaf's line)
  r.tr(va, Access::Read, 1);  // core 1: its private copies come from LLC; no A write needed
  EXPECT_EQ(r.cnt("walker.rmws", 1), 0u);
  EXPECT_EQ(r.cnt("l1d.coherence_invals", 0), 0u);
  r.tr(va, Access::Write, 1);  // dirty assist on core 1: locked write of the leaf line
  EXPECT_EQ(r.cnt("l1d.coherence_invals", 0), 1u);
  EXPECT_EQ(r.cnt("l2.coherence_invals", 0), 1u);
  EXPECT_EQ(r.entry(leaf) & (kA | kD), kA | kD);
}

// caches.llc_mshrs = 1: two cores' LLC misses at the same time serialize at the memory side. Each miss:
// LLC lookup 44 then memory 100 -> 144; the second may start at memory only when the first completes
// (t = 144), so it completes at 244 and waited 144 - 44 = 100 cycles.
TEST(MmuControlSim, LlcMshrsSerializeMissesToMemory) {
  test::RigOptions o;
  o.cores = 2;
  o.caches = true;
  o.cache_cfg.llc = {8192, 16, 44};
  o.cache_cfg.llc_mshrs = 1;
  test::MmuRig r(o);
  r.start();
  uint8_t buf[8];
  sc_core::sc_time lat[2];
  for (unsigned c = 0; c < 2; ++c) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x100000 + c * 0x1000);
    gp.set_data_ptr(buf);
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    sc_core::sc_time d;
    r.ports[c]->isock->b_transport(gp, d);
    ASSERT_TRUE(gp.is_response_ok());
    lat[c] = d;
  }
  EXPECT_EQ(r.clk.to_cycles(lat[0]), 144u);
  EXPECT_EQ(r.clk.to_cycles(lat[1]), 244u);
  EXPECT_EQ(r.stat("llc.mshr_wait_cycles"), 100);
  EXPECT_EQ(r.stat("llc.misses"), 2);
}
