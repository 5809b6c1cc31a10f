// The hit path's memos (issue 15): Mmu::translate_hit keeps the last L1 TLB entry it found, and
// CoreCaches::l1_hit_dmi the last line's DMI host pointer, each checked against a generation that every
// change which could alter the answer moves. Each test changes the answer under a memo and checks the
// next access takes the slow path and sees the change; its negative control freezes the generations
// (test-only knobs) and shows the same access would then return the stale answer.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;
using mmu::Access;
using sc_core::sc_time;
using test::kUserRW;

namespace {
constexpr uint64_t kLeaf = kUserRW | kA | kD;
constexpr uint64_t kVa = 0x400000;  // DTLB set 0 (64 entries, 4 ways: 16 sets)

// What the core does: translate_hit, else translate. `hit` tells which one answered.
uint64_t xlate(test::MmuRig& r, uint64_t va, Access a, bool& hit) {
  uint64_t pa = 0;
  sc_time lat;
  hit = r.m().translate_hit(va, a, pa, lat);
  if (hit) return pa;
  const auto t = r.tr(va, a);
  EXPECT_FALSE(t.fault);
  return t.pa;
}

// Translates `va` until translate_hit answers (the walk's fill, then translate() retiring the walk
// from the in-flight list, then the hit that sets the memo); returns the physical address.
uint64_t warm(test::MmuRig& r, uint64_t va) {
  bool hit = false;
  uint64_t pa = 0;
  for (int i = 0; i < 3 && !hit; ++i) pa = xlate(r, va, Access::Read, hit);
  EXPECT_TRUE(hit);
  return pa;
}

// A warm translation (memoized by a hit), then `change` remaps the page; returns the physical address
// the next access gets, and whether it was a hit, with the memo's invalidation on or frozen.
template <class Change>
std::pair<uint64_t, bool> after_change(bool frozen, Change change, uint64_t& old_pa, uint64_t& new_pa) {
  test::MmuRig r({});
  r.start();
  r.m().set_frozen_memo(frozen);
  const uint64_t cr3 = r.new_space();
  r.control.write_cr3(0, cr3);
  r.map(cr3, kVa, PageSize::k4K, kLeaf);
  old_pa = warm(r, kVa + 8);
  bool hit = false;
  EXPECT_EQ(xlate(r, kVa + 16, Access::Read, hit), old_pa + 8);  // through the memo
  EXPECT_TRUE(hit);
  new_pa = change(r, cr3);
  const uint64_t pa = xlate(r, kVa + 8, Access::Read, hit);
  return {pa, hit};
}

// The leaf now points at another frame; `flush` is what the kernel does after the PTE change.
template <class Flush>
uint64_t remap(test::MmuRig& r, uint64_t cr3, Flush flush) {
  const uint64_t frame = r.frames.alloc(4096);
  r.set_entry(r.entry_at(cr3, kVa, 1), frame | kP | kLeaf);
  flush(r);
  return frame + 8;
}

// The memo follows the change: the next access misses and gets the new frame.
template <class Change>
void expect_new_frame(Change change) {
  uint64_t old_pa = 0, new_pa = 0;
  auto [pa, hit] = after_change(false, change, old_pa, new_pa);
  EXPECT_FALSE(hit);
  EXPECT_EQ(pa, new_pa);
  EXPECT_NE(pa, old_pa);
}
// Negative control: with the generations frozen the memo still answers, with the old frame.
template <class Change>
void expect_stale_frame(Change change) {
  uint64_t old_pa = 0, new_pa = 0;
  auto [pa, hit] = after_change(true, change, old_pa, new_pa);
  EXPECT_TRUE(hit);
  EXPECT_EQ(pa, old_pa);
}
}  // namespace

// INVLPG after a PTE change: the next access walks and gets the new frame.
const auto invlpg_change = [](test::MmuRig& r, uint64_t cr3) {
  return remap(r, cr3, [](test::MmuRig& x) { x.control.invlpg(0, kVa); });
};
TEST(HitMemoSim, InvlpgDropsTheMemoizedTranslation) {
  expect_new_frame(invlpg_change);
}
TEST(HitMemoSim, InvlpgDropsTheMemoizedTranslationNegativeControl) {
  expect_stale_frame(invlpg_change);
}

// A CR3 write without PCIDs flushes the non-global entries.
const auto cr3_change = [](test::MmuRig& r, uint64_t cr3) {
  return remap(r, cr3, [cr3](test::MmuRig& x) { x.control.write_cr3(0, cr3); });
};
TEST(HitMemoSim, Cr3FlushDropsTheMemoizedTranslation) {
  expect_new_frame(cr3_change);
}
TEST(HitMemoSim, Cr3FlushDropsTheMemoizedTranslationNegativeControl) {
  expect_stale_frame(cr3_change);
}

// A switch to another PCID with the no-flush bit changes no TLB entry, only which ones match: the memo
// of the old PCID's entry must not answer for the new one (whose space maps the page elsewhere).
void PcidSwitchWithoutFlushDoesNotReuseTheOldSpacesEntry(bool frozen) {
  test::MmuRig r({});
  r.start();
  r.m().set_frozen_memo(frozen);
  const uint64_t cr3 = r.new_space();
  r.map(cr3, kVa, PageSize::k4K, kLeaf);
  r.control.write_cr4(0, kCr4PCIDE);
  r.control.write_cr3(0, cr3 | 1);
  const uint64_t old_pa = warm(r, kVa + 8);
  const uint64_t other = r.new_space();
  r.map(other, kVa, PageSize::k4K, kLeaf);
  r.control.write_cr3(0, other | 2 | kCr3NoFlush);
  uint64_t pa = 0;
  sc_time lat;
  const bool h = r.m().translate_hit(kVa + 8, Access::Read, pa, lat);
  if (!frozen) {
    EXPECT_FALSE(h);  // PCID 2 holds no entry for the page: the walk finds the other space's frame
    EXPECT_NE(r.tr(kVa + 8).pa, old_pa);
  } else {
    EXPECT_TRUE(h);  // negative control: PCID 1's entry answers for PCID 2
    EXPECT_EQ(pa, old_pa);
  }
}
TEST(HitMemoSim, PcidSwitchWithoutFlushDoesNotReuseTheOldSpacesEntry) {
  PcidSwitchWithoutFlushDoesNotReuseTheOldSpacesEntry(false);
}
TEST(HitMemoSim, PcidSwitchWithoutFlushDoesNotReuseTheOldSpacesEntryNegativeControl) {
  PcidSwitchWithoutFlushDoesNotReuseTheOldSpacesEntry(true);
}

// The memoized entry is evicted by fills of other pages of its DTLB set: the slot now translates
// another page, which the memo must not hand out for the old one.
void EvictionOfTheMemoizedEntry(bool frozen) {
  test::MmuRig r({});
  r.start();
  r.m().set_frozen_memo(frozen);
  const uint64_t cr3 = r.new_space();
  r.control.write_cr3(0, cr3);
  for (unsigned i = 0; i <= 4; ++i) r.map(cr3, kVa + i * 16 * 4096ull, PageSize::k4K, kLeaf);
  const uint64_t pa0 = warm(r, kVa);
  bool hit = false;
  // Four fills of the set through translate() (which leaves the memo alone): the last evicts kVa.
  for (unsigned i = 1; i <= 4; ++i) ASSERT_FALSE(r.tr(kVa + i * 16 * 4096ull).tlb_hit);
  ASSERT_TRUE(r.tr(kVa + 4 * 16 * 4096ull).tlb_hit);  // retires the last walk from the in-flight list
  const uint64_t pa = xlate(r, kVa, Access::Read, hit);
  if (!frozen) {
    EXPECT_FALSE(hit);
    EXPECT_EQ(pa, pa0);  // from the STLB, refilled into the DTLB
  } else {
    EXPECT_TRUE(hit);
    EXPECT_NE(pa, pa0);  // negative control: the slot's new page answered for the old one
  }
}
TEST(HitMemoSim, EvictionOfTheMemoizedEntry) {
  EvictionOfTheMemoizedEntry(false);
}
TEST(HitMemoSim, EvictionOfTheMemoizedEntryNegativeControl) {
  EvictionOfTheMemoizedEntry(true);
}

// A store through a memoized clean entry (D=0) is no hit: the slow path sets D in memory.
TEST(HitMemoSim, StoreToACleanMemoizedEntrySetsDirtyInMemory) {
  test::MmuRig r({});
  r.start();
  const uint64_t cr3 = r.new_space();
  r.control.write_cr3(0, cr3);
  r.map(cr3, kVa, PageSize::k4K, kUserRW);
  const uint64_t pte = r.entry_at(cr3, kVa, 1);
  warm(r, kVa);
  bool hit = false;
  EXPECT_EQ(r.entry(pte) & (kA | kD), kA);
  xlate(r, kVa, Access::Write, hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(r.entry(pte) & (kA | kD), kA | kD);
  // The re-walk that set D is in flight for one more access; then the entry (D cached) hits.
  xlate(r, kVa + 8, Access::Write, hit);
  xlate(r, kVa + 8, Access::Write, hit);
  EXPECT_TRUE(hit);
  EXPECT_EQ(r.cnt("walker.d_writes"), 1u);
  EXPECT_EQ(r.cnt("walker.walks"), 2u);
}

namespace {
void bus(test::MmuRig& r, unsigned c, bool write, uint64_t addr, uint8_t* data, unsigned len) {
  tlm::tlm_generic_payload gp;
  AccessExt ext;
  prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
  gp.set_extension(&ext);
  sc_time d = sc_core::SC_ZERO_TIME;
  r.ports.at(c)->isock->b_transport(gp, d);
  gp.clear_extension(&ext);
  ASSERT_TRUE(gp.is_response_ok());
}

test::RigOptions cached() {
  test::RigOptions o;
  o.caches = true;
  o.cores = 2;
  return o;
}
}  // namespace

// A DMI pointer revoked (the page released) under the line memo: the next access must not read
// through the old pointer (the freed page still holds the old bytes until it is reused).
void DmiInvalidationDropsTheMemoizedLine(bool frozen) {
  test::MmuRig r(cached());
  r.start();
  auto& c = *r.caches.at(0);
  c.set_frozen_dmi_memo(frozen);
  const uint64_t a = 0x300040;
  uint8_t w[8] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
  bus(r, 0, true, a, w, 8);  // installs the line, writes the page
  uint8_t got[8] = {};
  sc_time lat;
  tlm::tlm_generic_payload gp;
  prepare_payload(gp, tlm::TLM_READ_COMMAND, a, got, 8);
  ASSERT_EQ(c.l1_hit(gp, false, lat), cache::CoreCaches::L1Hit::Ok);  // gets the pointer
  ASSERT_TRUE(c.l1_hit_dmi(a, 8, false, false, got, lat));            // memoized here
  EXPECT_EQ(std::memcmp(got, w, 8), 0);
  r.store.discard(0x300000, 4096);
  std::memset(got, 0x11, 8);
  const bool hit = c.l1_hit_dmi(a, 8, false, false, got, lat);
  if (!frozen) {
    EXPECT_FALSE(hit);  // the pointer is gone: the payload path reads the released page as zero
    prepare_payload(gp, tlm::TLM_READ_COMMAND, a, got, 8);
    ASSERT_EQ(c.l1_hit(gp, false, lat), cache::CoreCaches::L1Hit::Ok);
    const uint8_t zero[8] = {};
    EXPECT_EQ(std::memcmp(got, zero, 8), 0);
  } else {
    EXPECT_TRUE(hit);  // negative control: read through the revoked pointer, the old bytes
    EXPECT_EQ(std::memcmp(got, w, 8), 0);
  }
}
TEST(HitMemoSim, DmiInvalidationDropsTheMemoizedLine) {
  DmiInvalidationDropsTheMemoizedLine(false);
}
TEST(HitMemoSim, DmiInvalidationDropsTheMemoizedLineNegativeControl) {
  DmiInvalidationDropsTheMemoizedLine(true);
}

// Another core's store invalidates the line under core 0's memo: the memo holds only the pointer, the
// tags are asked every time, so core 0 misses and then reads the new bytes.
TEST(HitMemoSim, RemoteStoreInvalidatesTheMemoizedLine) {
  test::MmuRig r(cached());
  r.start();
  auto& c = *r.caches.at(0);
  const uint64_t a = 0x500080;
  uint8_t w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  bus(r, 0, true, a, w, 8);
  uint8_t got[8] = {};
  sc_time lat;
  tlm::tlm_generic_payload gp;
  prepare_payload(gp, tlm::TLM_READ_COMMAND, a, got, 8);
  ASSERT_EQ(c.l1_hit(gp, false, lat), cache::CoreCaches::L1Hit::Ok);
  ASSERT_TRUE(c.l1_hit_dmi(a, 8, false, false, got, lat));
  uint8_t w2[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  bus(r, 1, true, a, w2, 8);  // core 1: invalidates core 0's copy
  EXPECT_FALSE(c.l1_hit_dmi(a, 8, false, false, got, lat));
  bus(r, 0, false, a, got, 8);  // the miss
  EXPECT_EQ(std::memcmp(got, w2, 8), 0);
  EXPECT_TRUE(c.l1_hit_dmi(a, 8, false, false, got, lat));
  EXPECT_EQ(std::memcmp(got, w2, 8), 0);
}
