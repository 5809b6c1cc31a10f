// LRU insertion through pagevecs and the reference state machine (spec §3).
#include <gtest/gtest.h>

#include "kernel_model/mm/swap.h"

using namespace pc::kernel;

namespace {
struct Fixture {
  MemMap map{(64ull << 20) >> kPageShift};
  PageAllocator alloc{map, 2, 0};
  Lru lru{alloc, 2};
  KCtx k0{0}, k1{1};
  Page* page() { return alloc.alloc_pages(GFP_HIGHUSER, 0, k0); }
};
}  // namespace

TEST(Lru, PagevecSplicesAfterFourteenPages) {
  Fixture f;
  Zone& z = f.alloc.zone(ZONE_DMA32);
  std::vector<Page*> pages;
  for (unsigned i = 0; i < PAGEVEC_SIZE - 1; ++i) {
    pages.push_back(f.page());
    f.lru.lru_cache_add(pages.back(), f.k0);
    EXPECT_EQ(pages.back()->count, 2);  // the pagevec's reference
  }
  EXPECT_EQ(z.nr_inactive, 0u);
  pages.push_back(f.page());
  f.lru.lru_cache_add(pages.back(), f.k0);
  EXPECT_EQ(z.nr_inactive, 14u);
  for (Page* p : pages) {
    EXPECT_EQ(p->count, 1);
    EXPECT_TRUE(p->test(PG_lru));
    EXPECT_FALSE(p->test(PG_active));
  }
  // Insertion at the head: the last page added is the newest, the first is at the tail.
  EXPECT_EQ(page_of(z.inactive_list.next), pages.back());
  EXPECT_EQ(page_of(z.inactive_list.prev), pages.front());
}

TEST(Lru, ActiveVariantAndDrain) {
  Fixture f;
  Page* p = f.page();
  f.lru.lru_cache_add_active(p, f.k1);
  EXPECT_FALSE(p->test(PG_lru));
  f.lru.lru_add_drain(f.k0);  // another CPU's pagevec: nothing happens
  EXPECT_FALSE(p->test(PG_lru));
  f.lru.lru_add_drain(f.k1);
  EXPECT_TRUE(p->test(PG_lru));
  EXPECT_TRUE(p->test(PG_active));
  EXPECT_EQ(f.alloc.zone(p->zone).nr_active, 1u);
}

TEST(Lru, MarkPageAccessedStateMachine) {
  Fixture f;
  Page* p = f.page();
  f.lru.lru_cache_add(p, f.k0);
  f.lru.lru_add_drain(f.k0);
  Zone& z = f.alloc.zone(p->zone);
  // inactive,0 -> inactive,1 -> active,0 -> active,1 -> active,1
  f.lru.mark_page_accessed(p, f.k0);
  EXPECT_TRUE(p->test(PG_referenced));
  EXPECT_FALSE(p->test(PG_active));
  f.lru.mark_page_accessed(p, f.k0);
  EXPECT_TRUE(p->test(PG_active));
  EXPECT_FALSE(p->test(PG_referenced));
  EXPECT_EQ(z.nr_active, 1u);
  EXPECT_EQ(z.nr_inactive, 0u);
  EXPECT_EQ(f.alloc.events().get(PGACTIVATE), 1u);
  f.lru.mark_page_accessed(p, f.k0);
  EXPECT_TRUE(p->test(PG_referenced));
  f.lru.mark_page_accessed(p, f.k0);
  EXPECT_TRUE(p->test(PG_active));
  EXPECT_TRUE(p->test(PG_referenced));
  EXPECT_EQ(f.alloc.events().get(PGACTIVATE), 1u);
}

TEST(Lru, NotOnLruIsNotActivated) {
  Fixture f;
  Page* p = f.page();
  f.lru.mark_page_accessed(p, f.k0);
  f.lru.mark_page_accessed(p, f.k0);  // referenced but not on an LRU: stays inactive (spec: "on LRU")
  EXPECT_FALSE(p->test(PG_active));
  EXPECT_TRUE(p->test(PG_referenced));
}

TEST(Lru, LastPutTakesPageOffLruAndFreesIt) {
  Fixture f;
  const uint64_t free0 = f.alloc.nr_free_pages();
  Page* p = f.page();
  f.lru.lru_cache_add_active(p, f.k0);
  f.lru.lru_add_drain(f.k0);
  EXPECT_EQ(f.alloc.nr_free_pages(), free0 - 1);
  f.lru.put_page(p, f.k0);
  EXPECT_EQ(f.alloc.zone(ZONE_DMA32).nr_active, 0u);
  EXPECT_FALSE(p->test(PG_lru));
  EXPECT_FALSE(p->test(PG_active));
  EXPECT_EQ(f.alloc.nr_free_pages(), free0);
}
