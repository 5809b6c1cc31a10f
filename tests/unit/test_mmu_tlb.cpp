// TLB and cache array policies without a simulation: x86-mmu.md §2.6 hit rates, PCID/global matching,
// and the cache tag store's LRU and write-back behaviour.
#include <gtest/gtest.h>

#include <random>

#include "models/cache/tag_array.h"
#include "models/mmu/tlb.h"

using namespace pc;
using hw::paging::PageSize;

namespace {
// Looks `vpn` up in the 4 KiB array, filling on a miss; returns whether it hit.
bool touch(mmu::Tlb& t, uint64_t vpn, uint16_t pcid = 0) {
  PageSize s;
  if (t.lookup(vpn << 12, pcid, s)) return true;
  mmu::TlbEntry e;
  e.tag = vpn;
  e.frame = vpn << 12;
  e.pcid = pcid;
  t.fill(PageSize::k4K, e);
  return false;
}
mmu::Tlb make(uint64_t entries, uint64_t ways, const char* repl = "lru") {
  mmu::TlbConfig c;
  c.a4k = {entries, ways};
  c.replacement = repl;
  return mmu::Tlb(c, "test");
}
// Hits over `rounds` cyclic sweeps of P consecutive pages after one warm-up sweep.
uint64_t cyclic_hits(mmu::Tlb& t, uint64_t P, int rounds) {
  for (uint64_t p = 0; p < P; ++p) touch(t, p);
  uint64_t hits = 0;
  for (int r = 0; r < rounds; ++r)
    for (uint64_t p = 0; p < P; ++p) hits += touch(t, p);
  return hits;
}
}  // namespace

// Fully associative LRU with E entries: a cyclic sweep over P <= E pages always hits, over P > E never.
TEST(MmuTlb, CyclicSweepFullyAssociativeLru) {
  auto a = make(64, 64);
  EXPECT_EQ(cyclic_hits(a, 64, 10), 640u);
  auto b = make(64, 64);
  EXPECT_EQ(cyclic_hits(b, 65, 10), 0u);
}

// Skylake-like DTLB, 16 sets x 4 ways, P = 65 consecutive pages: set 0 receives pages 0,16,32,48,64 (five
// for four ways: LRU thrashes, no hits); the other 15 sets hold their four pages. 60 of 65 hit = 92.31%.
TEST(MmuTlb, SkylakeDtlb65PagesHits60Of65) {
  auto t = make(64, 4);
  EXPECT_EQ(cyclic_hits(t, 65, 100), 100u * 60);
}

// Uniform random over P = 1024 pages with E = 64 fully associative entries: hit rate E/P = 6.25% +- 0.1%.
TEST(MmuTlb, UniformRandomHitRateIsEntriesOverPages) {
  auto t = make(64, 64);
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 10000; ++i) touch(t, rng() % 1024);  // warm up
  uint64_t hits = 0;
  const int n = 1000000;
  for (int i = 0; i < n; ++i) hits += touch(t, rng() % 1024);
  EXPECT_NEAR(static_cast<double>(hits) / n, 64.0 / 1024, 0.001);
}

// FIFO ignores hits: with 2 ways, A B A C evicts A (oldest fill) under FIFO but B under LRU.
TEST(MmuTlb, FifoAndLruDiffer) {
  auto lru = make(2, 2), fifo = make(2, 2, "fifo");
  for (auto* t : {&lru, &fifo})
    for (uint64_t v : {1, 2, 1, 3}) touch(*t, v);
  PageSize s;
  EXPECT_NE(lru.lookup(1 << 12, 0, s), nullptr);
  EXPECT_EQ(lru.lookup(2 << 12, 0, s), nullptr);
  EXPECT_EQ(fifo.lookup(1 << 12, 0, s), nullptr);
  EXPECT_NE(fifo.lookup(2 << 12, 0, s), nullptr);
}

// Entries match their PCID only; a global entry matches every PCID and survives a keep-global flush.
TEST(MmuTlb, PcidAndGlobalMatching) {
  auto t = make(16, 4);
  touch(t, 5, 1);
  mmu::TlbEntry g;
  g.tag = 6;
  g.pcid = 1;
  g.global = true;
  t.fill(PageSize::k4K, g);
  PageSize s;
  EXPECT_NE(t.lookup(5 << 12, 1, s), nullptr);
  EXPECT_EQ(t.lookup(5 << 12, 2, s), nullptr);
  EXPECT_NE(t.lookup(6 << 12, 2, s), nullptr);
  EXPECT_EQ(t.invalidate_pcid(1, true), 1u);
  EXPECT_NE(t.lookup(6 << 12, 1, s), nullptr);
  EXPECT_EQ(t.invalidate_all(false), 1u);
}

TEST(MmuTlb, ImpossibleGeometryIsAConfigError) {
  mmu::TlbConfig c;
  c.a4k = {65, 4};
  try {
    mmu::Tlb t(c, "mmu.dtlb");
    FAIL() << "65 entries in 4 ways accepted";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mmu.dtlb.4k"), std::string::npos) << e.what();
  }
}

// Reserved-bit masks (SDM §4.5): PS is reserved in a PML4E; bits 20:13 in a 2 MiB PDE; bits 51:46 always.
TEST(MmuTlb, ReservedMasks) {
  using namespace hw::paging;
  EXPECT_TRUE(reserved_mask(kP | kPS, PML4) & kPS);
  EXPECT_FALSE(reserved_mask(kP | kPS, PD) & kPS);
  EXPECT_EQ(reserved_mask(kP | kPS, PD) & (1ull << 13), 1ull << 13);
  EXPECT_EQ(reserved_mask(kP, PD) & (1ull << 13), 0u);
  EXPECT_EQ(reserved_mask(kP, PT) & (1ull << 46), 1ull << 46);
  EXPECT_EQ(reserved_mask(kP, PT) & (1ull << 45), 0u);
  EXPECT_EQ(leaf_frame(0x40000000ull | 0x1fe000 | kP | kPS, PD), 0x40000000u);
}

// Cache tags: LRU victim, dirty victims reported for write-back, geometry errors name the key.
TEST(CacheTagArray, LruVictimAndDirtyWriteback) {
  cache::TagArray t(2 * 64 * 2, 2, 64, "caches.l1d");  // 2 sets x 2 ways
  EXPECT_EQ(t.sets(), 2u);
  EXPECT_FALSE(t.fill(0, true).valid);
  EXPECT_FALSE(t.fill(2, false).valid);
  EXPECT_TRUE(t.lookup(0));   // 0 is now most recent in set 0
  auto v = t.fill(4, false);  // evicts 2 (LRU), clean
  EXPECT_TRUE(v.valid);
  EXPECT_FALSE(v.dirty);
  EXPECT_EQ(v.line, 2u);
  v = t.fill(6, false);  // evicts 0, dirty
  EXPECT_TRUE(v.dirty);
  EXPECT_EQ(v.line, 0u);
  EXPECT_TRUE(t.contains(1 * 0 + 4));
  EXPECT_FALSE(t.lookup(1));  // set 1 untouched
  EXPECT_THROW(cache::TagArray(1000, 8, 64, "caches.l2"), cfg::ConfigError);
}

// The generation translate_hit's memo is checked against: every fill and invalidation moves it (whether
// or not an entry changed), lookups and their recency updates do not; frozen (the memo tests' negative
// control) nothing moves it.
TEST(Tlb, GenerationMovesWithFillsAndInvalidationsOnly) {
  mmu::Tlb t = make(64, 4);
  uint64_t g = t.generation();
  touch(t, 5);  // a miss and a fill
  EXPECT_EQ(t.generation(), ++g);
  PageSize s;
  ASSERT_NE(t.lookup(5ull << 12, 0, s), nullptr);
  ASSERT_NE(t.peek(5ull << 12, 0, s), nullptr);
  EXPECT_EQ(t.generation(), g);
  EXPECT_EQ(t.invalidate_va(6ull << 12, 0, false), 0u);
  EXPECT_EQ(t.generation(), ++g);
  t.invalidate_pcid(3, true);
  EXPECT_EQ(t.generation(), ++g);
  EXPECT_EQ(t.invalidate_all(false), 1u);
  EXPECT_EQ(t.generation(), ++g);
  t.set_frozen_generation(true);
  touch(t, 7);
  t.invalidate_all(false);
  EXPECT_EQ(t.generation(), g);
}
