// Zones, watermarks and the buddy allocator against the formulas of spec linux-2.6.18-mm.md §2.
#include <gtest/gtest.h>

#include <random>

#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/page_alloc.h"

using namespace pc::kernel;

namespace {
constexpr uint64_t MiB = 1ull << 20;
struct Platform {
  MemMap map;
  PageAllocator alloc;
  Platform(uint64_t bytes, unsigned cpus = 1, uint64_t reserved = 0)
      : map(bytes >> kPageShift), alloc(map, cpus, reserved) {}
};

struct CountingHooks : ReclaimHooks {
  int wakeups = 0, reclaims = 0, ooms = 0, waits = 0;
  void wakeup_kswapd(Zone&, unsigned, KCtx&) override { ++wakeups; }
  uint64_t try_to_free_pages(const std::vector<Zone*>&, gfp_t, KCtx&) override {
    ++reclaims;
    return 0;
  }
  bool out_of_memory(const std::vector<Zone*>&, gfp_t, unsigned, KCtx&) override {
    ++ooms;
    return false;
  }
  void congestion_wait(KCtx&) override { ++waits; }
  void cond_resched(KCtx&) override {}
};
// A path of a task on CPU `cpu` (the slow path needs a task: without one it is interrupt context).
struct Path {
  Task task;
  KCtx k;
  explicit Path(unsigned cpu = 0) : k(cpu, sc_core::SC_ZERO_TIME, &task) {}
};
}  // namespace

TEST(PageAlloc, MinFreeKbytesTable) {
  // The table in the 2.6.18 source comment (spec §2.1).
  const std::pair<uint64_t, uint64_t> table[] = {{16, 512},    {64, 1024},   {128, 1448},
                                                 {256, 2048},  {512, 2896},  {1024, 4096},
                                                 {2048, 5792}, {4096, 8192}, {16384, 16384}};
  for (auto [mib, kb] : table) EXPECT_EQ(PageAllocator::compute_min_free_kbytes(mib * 1024), kb) << mib;
  EXPECT_EQ(PageAllocator::compute_min_free_kbytes(1), 128u);             // clamped low
  EXPECT_EQ(PageAllocator::compute_min_free_kbytes(1ull << 40), 65536u);  // clamped high
}

TEST(PageAlloc, WatermarksOf512MiBPlatform) {
  // Spec §2.4 worked example: 4096 DMA pages + 126976 pages above (DMA32 on x86-64, NORMAL on i386).
  Platform p(512 * MiB);
  const Zone& dma = p.alloc.zone(ZONE_DMA);
  const Zone& dma32 = p.alloc.zone(ZONE_DMA32);
  EXPECT_EQ(dma.present_pages, 4096u);
  EXPECT_EQ(dma32.present_pages, 126976u);
  EXPECT_FALSE(p.alloc.zone(ZONE_NORMAL).populated());
  EXPECT_EQ(p.alloc.min_free_kbytes(), 2896u);  // isqrt(524288 * 16)
  // P = 724 pages; DMA tmp = 724*4096/131072 = 22; DMA32 tmp = 724*126976/131072 = 701.
  EXPECT_EQ(dma.pages_min, 22u);
  EXPECT_EQ(dma.pages_low, 27u);
  EXPECT_EQ(dma.pages_high, 33u);
  EXPECT_EQ(dma32.pages_min, 701u);
  EXPECT_EQ(dma32.pages_low, 876u);
  EXPECT_EQ(dma32.pages_high, 1051u);
  // lowmem_reserve: DMA keeps 126976/256 = 496 pages from DMA32- and NORMAL-class allocations.
  EXPECT_EQ(dma.lowmem_reserve[ZONE_DMA32], 496u);
  EXPECT_EQ(dma.lowmem_reserve[ZONE_NORMAL], 496u);
  EXPECT_EQ(dma32.lowmem_reserve[ZONE_NORMAL], 0u);
  // Per-CPU batch (spec §2.6 example): 126976 pages -> 31, hot list high 186.
  EXPECT_EQ(PageAllocator::zone_batchsize(126976), 31u);
  EXPECT_EQ((*dma32.pageset[0])[0].batch, 31u);
  EXPECT_EQ((*dma32.pageset[0])[0].high, 186u);
  EXPECT_EQ((*dma32.pageset[0])[1].batch, 15u);
  EXPECT_EQ((*dma32.pageset[0])[1].high, 62u);
}

TEST(PageAlloc, WatermarksOf4GiBPlatform) {
  // 4 GiB: DMA 4096 pages, DMA32 1048576-4096 = 1044480. min_free_kbytes = isqrt(4194304*16) = 8192,
  // P = 2048; DMA tmp = 2048*4096/1048576 = 8; DMA32 tmp = 2048*1044480/1048576 = 2040.
  Platform p(4096 * MiB);
  const Zone& dma = p.alloc.zone(ZONE_DMA);
  const Zone& dma32 = p.alloc.zone(ZONE_DMA32);
  EXPECT_EQ(dma32.present_pages, 1044480u);
  EXPECT_EQ(p.alloc.min_free_kbytes(), 8192u);
  EXPECT_EQ(dma.pages_min, 8u);
  EXPECT_EQ(dma.pages_low, 10u);
  EXPECT_EQ(dma.pages_high, 12u);
  EXPECT_EQ(dma32.pages_min, 2040u);
  EXPECT_EQ(dma32.pages_low, 2550u);
  EXPECT_EQ(dma32.pages_high, 3060u);
  EXPECT_EQ(dma.lowmem_reserve[ZONE_DMA32], 1044480u / 256);
  EXPECT_EQ(p.alloc.nr_free_pages(), 1048576u);
}

TEST(PageAlloc, NormalZoneAbove4GiB) {
  Platform p(6144 * MiB);
  EXPECT_EQ(p.alloc.zone(ZONE_NORMAL).present_pages, (2048 * MiB) >> kPageShift);
  EXPECT_EQ(p.alloc.zone(ZONE_NORMAL).zone_start_pfn, kDma32LimitPfn);
  // NORMAL-class allocations fence DMA32 off by present(NORMAL)/256 and DMA by the sum of both / 256.
  EXPECT_EQ(p.alloc.zone(ZONE_DMA32).lowmem_reserve[ZONE_NORMAL], 524288u / 256);
  EXPECT_EQ(p.alloc.zone(ZONE_DMA).lowmem_reserve[ZONE_NORMAL], (524288u + 1044480u) / 256);
  auto zl = p.alloc.zonelist(GFP_HIGHUSER);
  ASSERT_EQ(zl.size(), 3u);
  EXPECT_EQ(zl[0]->idx, unsigned{ZONE_NORMAL});
  EXPECT_EQ(p.alloc.zonelist(__GFP_DMA).size(), 1u);
}

TEST(PageAlloc, WatermarkOkHighOrderRule) {
  Platform p(64 * MiB);
  Zone& z = p.alloc.zone(ZONE_DMA32);
  // All 12288 DMA32 pages sit in 12 order-10 blocks; an order-3 request passes every per-order test.
  EXPECT_EQ(z.free_area[10].nr_free, 12u);
  EXPECT_TRUE(p.alloc.zone_watermark_ok(z, 3, z.pages_low, ZONE_DMA32, 0));
  // free - 2^order + 1 must exceed min + reserve: 12288 - 1024 + 1 = 11265.
  EXPECT_TRUE(p.alloc.zone_watermark_ok(z, 10, 11264, ZONE_DMA32, 0));
  EXPECT_FALSE(p.alloc.zone_watermark_ok(z, 10, 11265, ZONE_DMA32, 0));
  // ALLOC_HIGH halves the mark, ALLOC_HARDER takes a further quarter: 3/8 remain.
  EXPECT_TRUE(p.alloc.zone_watermark_ok(z, 0, 12288 * 8 / 3 - 8, ZONE_DMA32, ALLOC_HIGH | ALLOC_HARDER));
}

TEST(PageAlloc, BuddySplitsAndMergesBack) {
  Platform p(64 * MiB);
  Zone& z = p.alloc.zone(ZONE_DMA32);
  const uint64_t free0 = z.free_pages;
  Path path;
  Page* a = p.alloc.alloc_pages(GFP_KERNEL, 3, path.k);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->zone, unsigned{ZONE_DMA32});
  EXPECT_EQ(p.alloc.mem_map().page_to_pfn(a) % 8, 0u);  // naturally aligned
  EXPECT_EQ(a->count, 1);
  // Splitting one order-10 block leaves one free block at each order 3..9.
  for (unsigned o = 3; o < 10; ++o) EXPECT_EQ(z.free_area[o].nr_free, 1u) << o;
  EXPECT_EQ(z.free_area[10].nr_free, 11u);
  EXPECT_EQ(z.free_pages, free0 - 8);
  p.alloc.free_pages(a, 3, path.k);
  EXPECT_EQ(z.free_area[10].nr_free, 12u);
  for (unsigned o = 0; o < 10; ++o) EXPECT_EQ(z.free_area[o].nr_free, 0u) << o;
  EXPECT_EQ(z.free_pages, free0);
}

TEST(PageAlloc, FramesAreConservedUnderRandomTraffic) {
  Platform p(64 * MiB, 2, 512);
  Path paths[2];
  paths[1].k.cpu = 1;
  std::mt19937_64 rng(5);
  std::vector<std::pair<Page*, unsigned>> held;
  const uint64_t total = p.alloc.total_present();
  EXPECT_EQ(p.alloc.nr_free_pages(), total - 512);
  uint64_t held_pages = 0;
  for (int i = 0; i < 20000; ++i) {
    if (held.empty() || rng() % 3) {
      const unsigned order = static_cast<unsigned>(rng() % 5);
      if (Page* pg = p.alloc.alloc_pages(GFP_KERNEL | __GFP_NORETRY, order, paths[rng() % 2].k)) {
        held.emplace_back(pg, order);
        held_pages += 1ull << order;
      }
    } else {
      const size_t k = rng() % held.size();
      p.alloc.free_pages(held[k].first, held[k].second, paths[rng() % 2].k);
      held_pages -= 1ull << held[k].second;
      held[k] = held.back();
      held.pop_back();
    }
    ASSERT_EQ(p.alloc.nr_free_pages() + held_pages + p.alloc.nr_reserved(), total);
  }
  for (auto [pg, o] : held) p.alloc.free_pages(pg, o, paths[0].k);
  p.alloc.drain_all_pages();
  EXPECT_EQ(p.alloc.nr_free_pages(), total - 512);
  // Everything coalesced again: DMA32 is 12 whole order-10 blocks.
  EXPECT_EQ(p.alloc.zone(ZONE_DMA32).free_area[10].nr_free, 12u);
}

TEST(PageAlloc, UserAllocationsStopAtTheWatermarksThenOom) {
  // 64 MiB: DMA 4096 pages, DMA32 12288. min_free_kbytes = isqrt(65536*16) = 1024 -> P = 256.
  // DMA: min 64 low 80; DMA32: min 192 low 240; DMA.lowmem_reserve[DMA32] = 12288/256 = 48.
  // Per-CPU batches: DMA32 3 (refills take 3 pages), DMA 1.
  // Fast path (low): DMA32 refills while free > 240: 4016 refills (12288 -> 240), 12046 pages handed out
  //   (2 stay on the per-CPU list once free <= 240); then DMA while free > 80+48: 4096-128 = 3968.
  // Slow path (min): DMA32's 2 leftovers + refills while free > 192: 16 refills, 48 pages, 46 handed out
  //   + 2 = 48; then DMA while free > 64+48: 16. Total 12046 + 3968 + 48 + 16 = 16078.
  Platform p(64 * MiB);
  CountingHooks hooks;
  p.alloc.set_reclaim_hooks(&hooks);
  uint64_t n = 0;
  AllocFailure why = AllocFailure::None;
  Path path;
  while (p.alloc.alloc_pages(GFP_HIGHUSER, 0, path.k, &why)) ++n;
  EXPECT_EQ(n, 16078u);
  EXPECT_EQ(why, AllocFailure::OutOfMemory);
  EXPECT_EQ(p.alloc.zone(ZONE_DMA32).free_pages, 192u);
  EXPECT_EQ(p.alloc.zone(ZONE_DMA).free_pages, 112u);
  EXPECT_EQ(hooks.reclaims, 1);
  EXPECT_EQ(hooks.ooms, 1);
  EXPECT_GT(hooks.wakeups, 0);
  // An atomic request may go below min (HIGH and HARDER: 3/8 of it), but never sleeps or reclaims.
  uint64_t atomic = 0;
  while (p.alloc.alloc_pages(GFP_ATOMIC, 0, path.k, &why)) ++atomic;
  EXPECT_GT(atomic, 0u);
  EXPECT_EQ(why, AllocFailure::CannotSleep);
  EXPECT_EQ(hooks.reclaims, 1);
  // A task in reclaim (PF_MEMALLOC) ignores the watermarks and takes everything left.
  path.task.flags |= PF_MEMALLOC;
  while (p.alloc.alloc_pages(GFP_KERNEL, 0, path.k)) {
  }
  p.alloc.drain_all_pages();
  EXPECT_EQ(p.alloc.nr_free_pages(), 0u);
}

TEST(PageAlloc, FreeingABadPageStopsTheRun) {
  // free_pages_check: a page freed while still locked (or mapped, or on the LRU) is bad_page(); 2.6.18
  // prints "Bad page state" and goes on tainted, the model stops with the page's state.
  Platform p(64 * MiB);
  Path path;
  Page* a = p.alloc.alloc_pages(GFP_KERNEL, 0, path.k);
  ASSERT_NE(a, nullptr);
  a->set(PG_locked);
  try {
    p.alloc.free_pages(a, 0, path.k);
    FAIL() << "a locked page was freed";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("Bad page state at free_pages"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flags 0x1 "), std::string::npos) << e.what();
  }
}
