// Page reclaim rules (mm/vmscan.c), get_dirty_limits and badness against spec linux-2.6.18-mm.md §4,
// §12 and the 2.6.18 page-writeback rules: every expected value is worked out from the rule.
#include <gtest/gtest.h>

#include <map>

#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/oom_kill.h"
#include "kernel_model/mm/page_writeback.h"
#include "kernel_model/mm/vmscan.h"

using namespace pc::kernel;

namespace {

// rmap and the block layer, scripted.
struct FakeEnv : ReclaimEnv {
  Lru* lru = nullptr;
  std::map<Page*, int> referenced;  // page_referenced's PTE part
  std::map<Page*, SwapResult> unmap;
  bool congested = false;
  std::vector<sc_core::sc_time> naps;
  std::vector<uint64_t> pdflush;
  int page_referenced(Page* page, bool, KCtx&) override {
    int r = page->test_and_clear(PG_referenced) ? 1 : 0;
    auto it = referenced.find(page);
    return r + (it == referenced.end() ? 0 : it->second);
  }
  SwapResult try_to_unmap(Page* page, KCtx&) override {
    const SwapResult r = unmap.count(page) ? unmap[page] : SwapResult::Success;
    if (r == SwapResult::Success) {  // the PTE goes, with its reference
      page->mapcount = -1;
      lru->allocator().mod_zone_page_state(page, NR_FILE_MAPPED, -1);
      --page->count;
    }
    return r;
  }
  void unlock_page(Page* page, KCtx&) override { page->clear(PG_locked); }
  std::vector<Page*> woken;  // end_page_writeback's wake_up_page
  void wake_up_page(Page* page, const sc_core::sc_time&) override { woken.push_back(page); }
  void put_page(Page* page, KCtx& k) override { lru->put_page(page, k); }
  bool write_congested(AddressSpace&) override { return congested; }
  void blk_congestion_wait(const sc_core::sc_time& t, KCtx&) override { naps.push_back(t); }
  void wakeup_pdflush(uint64_t nr, KCtx&) override { pdflush.push_back(nr); }
  sc_core::sc_time jiffy() const override { return sc_core::sc_time(4, sc_core::SC_MS); }
};

struct FakeBacking : FileBacking {
  int err = 0;
  std::vector<std::pair<uint64_t, IoDone>> writes;
  bool readpages(uint64_t, const std::vector<uint64_t>&, KCtx&, IoDone) override { return false; }
  int writepage(uint64_t index, uint64_t, KCtx&, IoDone done) override {
    if (err) return err;
    writes.emplace_back(index, std::move(done));
    return 0;
  }
  uint64_t size_pages() const override { return 1 << 20; }
};

struct Fixture {
  MemMap map{(64ull << 20) >> kPageShift};  // DMA 4096 pages, DMA32 12288 pages
  PageAllocator alloc{map, 1, 0};
  Lru lru{alloc, 1};
  FakeEnv env;
  VmConfig vm;
  Vmscan vs;
  File file, mmapped_file;
  Vma vma;
  KCtx k{0};
  uint64_t next_index = 0;
  explicit Fixture(VmConfig c = {})
      : vm(c), vs(lru, env, vm, KernelCosts{}, sc_core::sc_time(1, sc_core::SC_NS)) {
    env.lru = &lru;
    auto* b = new FakeBacking;
    file.backing.reset(b);
    file.mapping.host = &file;
    mmapped_file.backing = std::make_unique<FakeBacking>();
    mmapped_file.mapping.host = &mmapped_file;
    vma.vm_file = &mmapped_file;  // somebody mmaps it
    vma.vm_end = kPageSize;
    vma_prio_tree_insert(&vma, mmapped_file.mapping.i_mmap);
  }
  FakeBacking& backing() { return static_cast<FakeBacking&>(*file.backing); }
  // A page-cache page of `f` held by the caller too (count 2: the cache and the caller), not on an LRU.
  Page* cache_page(File& f, gfp_t gfp = GFP_HIGHUSER) {
    Page* p = alloc.alloc_pages(gfp, 0, k);
    EXPECT_NE(p, nullptr);
    ++p->count;
    p->mapping = reinterpret_cast<uintptr_t>(&f.mapping);
    p->index = next_index++;
    p->set(PG_uptodate);
    f.mapping.page_tree[p->index] = p;
    ++f.mapping.nrpages;
    alloc.mod_zone_page_state(p, NR_FILE_PAGES, 1);
    return p;
  }
  // n clean page-cache pages on the inactive list (only the cache holds them).
  std::vector<Page*> inactive_pages(unsigned n, gfp_t gfp = GFP_HIGHUSER) {
    std::vector<Page*> v;
    for (unsigned i = 0; i < n; ++i) {
      Page* p = cache_page(file, gfp);
      lru.lru_cache_add(p, k);
      lru.put_page(p, k);
      v.push_back(p);
    }
    lru.lru_add_drain(k);
    return v;
  }
  void dirty(Page* p) {
    p->set(PG_dirty);
    alloc.mod_zone_page_state(p, NR_FILE_DIRTY, 1);
  }
  void map_page(Page* p) {
    p->mapcount = 0;
    ++p->count;
    alloc.mod_zone_page_state(p, NR_FILE_MAPPED, 1);
  }
};

PageOutcome outcome_of(const Vmscan& vs, Page* p) {
  for (const auto& [pg, o] : vs.last_outcomes())
    if (pg == p) return o;
  ADD_FAILURE() << "page not decided";
  return PageOutcome::Keep;
}

}  // namespace

TEST(Vmscan, ScanAccumulatorsAtPriorities12And6And0) {
  // Spec §4.2: acc += (size >> priority) + 1; the whole accumulator is the quota once it reaches 32.
  uint64_t acc = 0;
  // 60000 pages at priority 12: 14 + 1 = 15 a call, so every third call scans 45.
  EXPECT_EQ(Vmscan::scan_quota(acc, 60000, 12, 32), 0u);
  EXPECT_EQ(acc, 15u);
  EXPECT_EQ(Vmscan::scan_quota(acc, 60000, 12, 32), 0u);
  EXPECT_EQ(acc, 30u);
  EXPECT_EQ(Vmscan::scan_quota(acc, 60000, 12, 32), 45u);
  EXPECT_EQ(acc, 0u);
  // Priority 6: 937 + 1 at once.
  EXPECT_EQ(Vmscan::scan_quota(acc, 60000, 6, 32), 938u);
  // Priority 0: the whole list plus one.
  EXPECT_EQ(Vmscan::scan_quota(acc, 60000, 0, 32), 60001u);
  // A short list at priority 12 earns 1 a call: the 32nd call scans 32.
  for (int i = 0; i < 31; ++i) EXPECT_EQ(Vmscan::scan_quota(acc, 100, 12, 32), 0u);
  EXPECT_EQ(Vmscan::scan_quota(acc, 100, 12, 32), 32u);
}

TEST(Vmscan, ShrinkZoneCarriesTheCreditWithoutScanning) {
  Fixture f;
  f.inactive_pages(40);
  Zone& z = f.alloc.zone(ZONE_DMA32);
  ScanControl sc;
  sc.gfp_mask = GFP_KERNEL;
  // 40 >> 12 = 0: one page of credit per call, nothing scanned until 32 calls.
  EXPECT_EQ(f.vs.shrink_zone(12, z, sc, f.k), 0u);
  EXPECT_EQ(z.nr_scan_inactive, 1u);
  EXPECT_EQ(z.nr_scan_active, 1u);
  EXPECT_EQ(f.alloc.events().get(PGSCAN_DIRECT_DMA32), 0u);
  // Priority 0: 40 + 1 + 1 = 42 = two batches (32 + 10, each isolating up to 32): all 40 freed.
  EXPECT_EQ(f.vs.shrink_zone(0, z, sc, f.k), 40u);
  EXPECT_EQ(z.nr_inactive, 0u);
  EXPECT_EQ(z.nr_scan_inactive, 0u);
  EXPECT_EQ(f.alloc.events().get(PGSCAN_DIRECT_DMA32), 40u);
}

TEST(Vmscan, SwapTendencyWorkedCases) {
  // distress = 100 >> prev_priority.
  const int distress[13] = {100, 50, 25, 12, 6, 3, 1, 0, 0, 0, 0, 0, 0};
  for (int p = 0; p <= 12; ++p) EXPECT_EQ(Vmscan::swap_tendency(0, p, 0), distress[p]) << p;
  // swappiness 60: mapped pages go at once from 80% mapped (40 + 0 + 60 = 100), not at 78% (99).
  EXPECT_TRUE(Vmscan::reclaim_mapped(80, 12, 60));
  EXPECT_FALSE(Vmscan::reclaim_mapped(78, 12, 60));
  // 50% mapped: 25 + distress + 60 reaches 100 at prev_priority 2 (25), not 3 (12).
  EXPECT_EQ(Vmscan::swap_tendency(50, 3, 60), 97);
  EXPECT_FALSE(Vmscan::reclaim_mapped(50, 3, 60));
  EXPECT_TRUE(Vmscan::reclaim_mapped(50, 2, 60));
  // 0% mapped: only at prev_priority 1 (60 + 50).
  EXPECT_FALSE(Vmscan::reclaim_mapped(0, 2, 60));
  EXPECT_TRUE(Vmscan::reclaim_mapped(0, 1, 60));
  // swappiness 100 always; swappiness 0 needs mapped_ratio/2 + distress >= 100.
  EXPECT_TRUE(Vmscan::reclaim_mapped(0, 12, 100));
  EXPECT_FALSE(Vmscan::reclaim_mapped(100, 12, 0));
  EXPECT_TRUE(Vmscan::reclaim_mapped(100, 1, 0));
}

TEST(Vmscan, ShrinkPageListEveryExit) {
  Fixture f;
  std::vector<Page*> all;
  auto page = [&](File& file) {
    Page* p = f.cache_page(file);
    all.push_back(p);
    return p;
  };
  Page* locked = page(f.file);
  locked->set(PG_locked);
  Page* writeback = page(f.file);
  writeback->set(PG_writeback);
  Page* ref_inuse = page(f.mmapped_file);  // referenced, its file is mmapped: rescued
  ref_inuse->set(PG_referenced);
  Page* ref_unused = page(f.file);  // referenced but nobody mmaps the file: only the bit is consumed
  ref_unused->set(PG_referenced);
  Page* anon = f.alloc.alloc_pages(GFP_HIGHUSER, 0, f.k);  // anonymous, no swap: reactivated
  anon->mapping = 0x1001;
  all.push_back(anon);
  Page* unmap_fail = page(f.file);
  f.map_page(unmap_fail);
  f.env.unmap[unmap_fail] = SwapResult::Fail;
  Page* unmap_again = page(f.file);
  f.map_page(unmap_again);
  f.env.unmap[unmap_again] = SwapResult::Again;
  Page* unmapped_ok = page(f.file);  // mapped, unmapped by try_to_unmap, then freed
  f.map_page(unmapped_ok);
  Page* dirty_ref = page(f.file);
  f.dirty(dirty_ref);
  dirty_ref->set(PG_referenced);
  Page* dirty_busy = page(f.file);  // somebody else holds it: pageout says KEEP
  f.dirty(dirty_busy);
  ++dirty_busy->count;
  Page* dirty_write = page(f.file);  // written out asynchronously
  f.dirty(dirty_write);
  Page* busy_clean = page(f.file);  // remove_mapping refuses: a third reference
  ++busy_clean->count;
  Page* clean = page(f.file);
  Page* no_mapping = f.alloc.alloc_pages(GFP_HIGHUSER, 0, f.k);  // neither file nor anon
  all.push_back(no_mapping);

  ListHead list;
  for (Page* p : all) list.add(&p->lru);  // list_add: the first page ends at the tail, decided first
  ScanControl sc;
  sc.gfp_mask = GFP_KERNEL;
  const uint64_t free_before = f.alloc.nr_free_pages();
  const uint64_t freed = f.vs.shrink_page_list(list, sc, f.k);
  // Freed: ref_unused, unmapped_ok, clean.
  EXPECT_EQ(freed, 3u);
  EXPECT_EQ(f.alloc.nr_free_pages(), free_before + 3);
  EXPECT_EQ(outcome_of(f.vs, locked), PageOutcome::Keep);
  EXPECT_EQ(outcome_of(f.vs, writeback), PageOutcome::KeepLocked);
  EXPECT_EQ(outcome_of(f.vs, ref_inuse), PageOutcome::Activate);
  EXPECT_EQ(outcome_of(f.vs, ref_unused), PageOutcome::Free);
  EXPECT_EQ(outcome_of(f.vs, anon), PageOutcome::Activate);
  EXPECT_EQ(outcome_of(f.vs, unmap_fail), PageOutcome::Activate);
  EXPECT_EQ(outcome_of(f.vs, unmap_again), PageOutcome::KeepLocked);
  EXPECT_EQ(outcome_of(f.vs, unmapped_ok), PageOutcome::Free);
  EXPECT_EQ(outcome_of(f.vs, dirty_ref), PageOutcome::KeepLocked);
  EXPECT_EQ(outcome_of(f.vs, dirty_busy), PageOutcome::KeepLocked);
  EXPECT_EQ(outcome_of(f.vs, dirty_write), PageOutcome::Keep);
  EXPECT_EQ(outcome_of(f.vs, busy_clean), PageOutcome::KeepLocked);
  EXPECT_EQ(outcome_of(f.vs, clean), PageOutcome::Free);
  EXPECT_EQ(outcome_of(f.vs, no_mapping), PageOutcome::KeepLocked);
  // nr_scanned: every page but the locked one (14 - 1 = 13), plus one more for each mapped page at the
  // time of the check (unmap_fail, unmap_again, unmapped_ok): 16.
  EXPECT_EQ(sc.nr_scanned, 16u);
  // Activated pages carry PG_active and count in pgactivate (3: ref_inuse, anon, unmap_fail).
  EXPECT_EQ(f.alloc.events().get(PGACTIVATE), 3u);
  EXPECT_TRUE(ref_inuse->test(PG_active));
  // Only the caller's lock survives; the survivors are back on the list.
  for (Page* p : {writeback, ref_inuse, anon, unmap_fail, unmap_again, dirty_ref, dirty_busy, busy_clean})
    EXPECT_FALSE(p->test(PG_locked));
  EXPECT_TRUE(locked->test(PG_locked));
  unsigned left = 0;
  for (ListHead* l = list.next; l != &list; l = l->next) ++left;
  EXPECT_EQ(left, 11u);
  // The write went out: unlocked by writepage, under writeback with PG_reclaim, no longer dirty.
  ASSERT_EQ(f.backing().writes.size(), 1u);
  EXPECT_EQ(f.backing().writes[0].first, dirty_write->index);
  EXPECT_TRUE(dirty_write->test(PG_writeback));
  EXPECT_TRUE(dirty_write->test(PG_reclaim));
  EXPECT_FALSE(dirty_write->test(PG_dirty));
  EXPECT_FALSE(dirty_write->test(PG_locked));
  EXPECT_EQ(f.alloc.global_page_state(NR_WRITEBACK), 1);
  // NR_FILE_DIRTY: dirty_ref and dirty_busy stay dirty, dirty_write was cleaned for I/O.
  EXPECT_EQ(f.alloc.global_page_state(NR_FILE_DIRTY), 2);
  // The freed pages left the page cache.
  EXPECT_EQ(f.file.mapping.page_tree.count(clean->index), 0u);
  EXPECT_EQ(f.alloc.global_page_state(NR_FILE_PAGES), 12 - 3);  // 12 page-cache pages, 3 freed
}

TEST(Vmscan, ShrinkPageListDirtyPageRules) {
  // A dirty page is kept (locked exit) when the caller may not enter the filesystem, when may_writepage
  // is off, or when the queue is congested for a task without PF_SWAPWRITE; a writepage that cannot
  // write (shmem without swap) reactivates it, dirty again.
  Fixture f;
  Page* p = f.cache_page(f.file);
  f.dirty(p);
  auto decide = [&](ScanControl sc) {
    ListHead list;
    list.add(&p->lru);
    f.vs.shrink_page_list(list, sc, f.k);
    ListHead::del(&p->lru);
    p->clear(PG_active);
    return f.vs.last_outcomes().at(0).second;
  };
  ScanControl nofs;
  nofs.gfp_mask = GFP_NOFS;
  EXPECT_EQ(decide(nofs), PageOutcome::KeepLocked);
  ScanControl nowrite;
  nowrite.gfp_mask = GFP_KERNEL;
  nowrite.may_writepage = false;
  EXPECT_EQ(decide(nowrite), PageOutcome::KeepLocked);
  ScanControl ok;
  ok.gfp_mask = GFP_KERNEL;
  f.env.congested = true;
  EXPECT_EQ(decide(ok), PageOutcome::KeepLocked);
  f.env.congested = false;
  f.backing().err = 1;  // AOP_WRITEPAGE_ACTIVATE
  EXPECT_EQ(decide(ok), PageOutcome::Activate);
  EXPECT_TRUE(p->test(PG_dirty));
  EXPECT_FALSE(p->test(PG_writeback));
  EXPECT_FALSE(p->test(PG_reclaim));
  EXPECT_EQ(f.alloc.global_page_state(NR_FILE_DIRTY), 1);
  EXPECT_EQ(f.alloc.global_page_state(NR_WRITEBACK), 0);
  EXPECT_TRUE(f.backing().writes.empty());
  // may_swap off: a mapped page stays (locked exit) before anything else is looked at.
  ScanControl noswap;
  noswap.gfp_mask = GFP_KERNEL;
  noswap.may_swap = false;
  f.map_page(p);
  EXPECT_EQ(decide(noswap), PageOutcome::KeepLocked);
}

TEST(Vmscan, WriteCompletionRotatesThePageToTheInactiveTail) {
  Fixture f;
  auto pages = f.inactive_pages(4);
  Zone& z = f.alloc.zone(ZONE_DMA32);
  Page* d = pages[3];  // the newest: at the inactive head
  f.dirty(d);
  ScanControl sc;
  sc.gfp_mask = GFP_KERNEL;
  // One batch: the 3 clean pages are freed, the dirty one is written and kept (back at the head).
  EXPECT_EQ(f.vs.shrink_inactive_list(4, z, sc, f.k), 3u);
  EXPECT_EQ(z.nr_inactive, 1u);
  ASSERT_EQ(f.backing().writes.size(), 1u);
  EXPECT_TRUE(d->test(PG_writeback));
  // A clean page arrives at the head, then the write completes: the written page goes to the tail.
  auto more = f.inactive_pages(1);
  EXPECT_EQ(page_of(z.inactive_list.prev), d);
  ListHead::move(&d->lru, &z.inactive_list);  // put it at the head so the rotation is visible
  EXPECT_EQ(page_of(z.inactive_list.prev), more[0]);
  f.backing().writes[0].second(0, 0);
  EXPECT_EQ(page_of(z.inactive_list.prev), d);
  EXPECT_FALSE(d->test(PG_writeback));
  EXPECT_EQ(f.env.woken, std::vector<Page*>{d});  // wait_on_page_writeback sleepers are woken
  EXPECT_FALSE(d->test(PG_reclaim));
  EXPECT_EQ(f.alloc.events().get(PGROTATED), 1u);
  EXPECT_EQ(f.alloc.global_page_state(NR_WRITEBACK), 0);
  EXPECT_EQ(f.alloc.global_page_state(NR_FILE_DIRTY), 0);
  // The next scan frees it first.
  EXPECT_EQ(f.vs.shrink_inactive_list(1, z, sc, f.k), 2u);  // one batch isolates up to 32: both go
  EXPECT_EQ(f.vs.last_outcomes().at(0).first, d);
}

TEST(Vmscan, VmEventsOf2618AndOfLaterKernels) {
  // 2.6.18 counts reclaimed pages in pgactivate and never in pgsteal; count_pgsteal selects 2.6.19+.
  for (bool later : {false, true}) {
    VmConfig c;
    c.count_pgsteal = later;
    Fixture f(c);
    f.inactive_pages(64);
    ScanControl sc;
    sc.gfp_mask = GFP_KERNEL;
    sc.kswapd = true;
    EXPECT_EQ(f.vs.shrink_inactive_list(64, f.alloc.zone(ZONE_DMA32), sc, f.k), 64u);
    EXPECT_EQ(f.alloc.events().get(PGSCAN_KSWAPD_DMA32), 64u);
    EXPECT_EQ(f.alloc.events().get(KSWAPD_STEAL), 64u);
    EXPECT_EQ(f.alloc.events().get(PGSTEAL_DMA32), later ? 64u : 0u);
    EXPECT_EQ(f.alloc.events().get(PGACTIVATE), later ? 0u : 64u);
    EXPECT_EQ(f.alloc.events().get(PGSCAN_DIRECT_DMA32), 0u);
  }
}

TEST(Vmscan, ShrinkActiveListDeactivatesUnmappedAndKeepsReferencedMapped) {
  VmConfig c;
  c.swappiness = 100;  // reclaim_mapped whatever the mapped ratio
  Fixture f(c);
  Zone& z = f.alloc.zone(ZONE_DMA32);
  std::vector<Page*> pages;
  for (int i = 0; i < 6; ++i) {
    Page* p = f.cache_page(f.file);
    if (i < 3) f.map_page(p);
    f.lru.lru_cache_add_active(p, f.k);
    f.lru.put_page(p, f.k);
    pages.push_back(p);
  }
  f.lru.lru_add_drain(f.k);
  f.env.referenced[pages[0]] = 1;  // a young PTE: stays active
  ScanControl sc;
  sc.gfp_mask = GFP_KERNEL;
  sc.swappiness = 100;
  f.vs.shrink_active_list(32, z, sc, f.k);
  EXPECT_EQ(f.alloc.events().get(PGREFILL_DMA32), 6u);
  EXPECT_EQ(f.alloc.events().get(PGDEACTIVATE), 5u);
  EXPECT_EQ(z.nr_active, 1u);
  EXPECT_EQ(z.nr_inactive, 5u);
  EXPECT_TRUE(pages[0]->test(PG_active));
  for (int i = 1; i < 6; ++i) EXPECT_FALSE(pages[i]->test(PG_active));
  // swappiness 0 with nothing mapped: reclaim_mapped is off (0 + 0 + 0 < 100): mapped pages stay,
  // unmapped ones still go.
  VmConfig c0;
  c0.swappiness = 0;
  Fixture g(c0);
  Zone& z0 = g.alloc.zone(ZONE_DMA32);
  for (int i = 0; i < 4; ++i) {
    Page* p = g.cache_page(g.file);
    if (i < 2) g.map_page(p);
    g.lru.lru_cache_add_active(p, g.k);
    g.lru.put_page(p, g.k);
  }
  g.lru.lru_add_drain(g.k);
  ScanControl sc0;
  sc0.gfp_mask = GFP_KERNEL;
  sc0.swappiness = 0;
  g.vs.shrink_active_list(32, z0, sc0, g.k);
  EXPECT_EQ(z0.nr_active, 2u);
  EXPECT_EQ(z0.nr_inactive, 2u);
  EXPECT_EQ(g.alloc.events().get(PGDEACTIVATE), 2u);
}

TEST(Vmscan, TryToFreePagesSucceedsAtPriority6) {
  // 1000 clean inactive pages in DMA32 only. The inactive accumulator grows by (1000 >> p) + 1:
  // 1, 2, 3, 5, 9, 17, 33 after p = 12..6, so priority 6 scans a quota of 33: a chunk of 32 and a chunk
  // of 1, and each chunk isolates a whole batch of 32 (isolate_lru_pages takes swap_cluster_max, not the
  // chunk): 64 scanned, 64 freed, success, which returns before the pdflush test (so no wake-up
  // although 64 > 48). No nap: nothing was scanned at priorities 9..7.
  Fixture f;
  f.inactive_pages(1000);
  Zone& dma = f.alloc.zone(ZONE_DMA);
  Zone& dma32 = f.alloc.zone(ZONE_DMA32);
  Task t;
  KCtx k(0, sc_core::SC_ZERO_TIME, &t);
  EXPECT_EQ(f.vs.try_to_free_pages({&dma32, &dma}, GFP_HIGHUSER, k), 1);
  EXPECT_EQ(f.alloc.events().get(ALLOCSTALL), 1u);
  EXPECT_EQ(f.alloc.events().get(PGSCAN_DIRECT_DMA32), 64u);
  EXPECT_EQ(f.vs.splits().at(&t).freed, 64u);
  EXPECT_TRUE(f.env.naps.empty());
  EXPECT_TRUE(f.env.pdflush.empty());
  EXPECT_EQ(dma32.nr_scan_inactive, 0u);
  EXPECT_EQ(dma32.nr_scan_active, 7u);  // 1 a priority, 7 priorities
  EXPECT_EQ(dma.nr_scan_inactive, 7u);
  EXPECT_EQ(dma32.prev_priority, 6);
  EXPECT_EQ(dma.prev_priority, 6);
}

TEST(Vmscan, TryToFreePagesWithNothingFreeableNapsAndWakesPdflush) {
  // The same 1000 pages, all dirty, for a GFP_NOFS caller: every scanned page is kept. Priorities 6..0
  // scan (7 naps of HZ/10); total_scanned passes 48 at priority 6 already (64, as above), waking
  // pdflush for 64 pages then and at each later priority (7 wake-ups). Failure: 0.
  Fixture f;
  for (Page* p : f.inactive_pages(1000)) f.dirty(p);
  Zone& dma = f.alloc.zone(ZONE_DMA);
  Zone& dma32 = f.alloc.zone(ZONE_DMA32);
  EXPECT_EQ(f.vs.try_to_free_pages({&dma32, &dma}, GFP_NOFS, f.k), 0);
  ASSERT_EQ(f.env.naps.size(), 7u);
  EXPECT_EQ(f.env.naps[0], sc_core::sc_time(100, sc_core::SC_MS));
  ASSERT_EQ(f.env.pdflush.size(), 7u);
  EXPECT_EQ(f.env.pdflush[0], 64u);
  EXPECT_EQ(dma32.prev_priority, 0);
  EXPECT_EQ(f.alloc.global_page_state(NR_FILE_DIRTY), 1000);
}

TEST(Vmscan, BalancePgdatStopsWhenBalanced) {
  // Every zone above pages_high: one pass, nothing scanned.
  Fixture f;
  Task kswapd;
  kswapd.flags = PF_KSWAPD | PF_MEMALLOC | PF_SWAPWRITE;
  KCtx k(0, sc_core::SC_ZERO_TIME, &kswapd);
  EXPECT_EQ(f.vs.balance_pgdat(0, k), 0u);
  EXPECT_EQ(f.alloc.events().get(PAGEOUTRUN), 1u);
  EXPECT_EQ(f.alloc.events().get(PGSCAN_KSWAPD_DMA32), 0u);
}

TEST(Vmscan, BalancePgdatReclaimsUntilEveryZoneIsAbovePagesHigh) {
  // Fill memory with clean page cache until the allocator refuses, then let kswapd balance: every zone
  // up to the highest unbalanced one ends above pages_high (with lowmem_reserve against end_zone), all
  // freed pages come from the LRU, and kswapd_steal = pgscan_kswapd (every scanned page was freeable).
  Fixture f;
  uint64_t n = 0;
  for (;;) {
    Page* p = f.alloc.alloc_pages(GFP_HIGHUSER, 0, f.k);
    if (!p) break;
    f.alloc.free_pages(p, 0, f.k);  // probe only
    f.inactive_pages(1);
    ++n;
  }
  Zone& dma = f.alloc.zone(ZONE_DMA);
  Zone& dma32 = f.alloc.zone(ZONE_DMA32);
  ASSERT_FALSE(f.alloc.zone_watermark_ok(dma32, 0, dma32.pages_high, 0, 0));
  Task kswapd;
  kswapd.flags = PF_KSWAPD | PF_MEMALLOC | PF_SWAPWRITE;
  KCtx k(0, sc_core::SC_ZERO_TIME, &kswapd);
  f.vs.balance_pgdat(0, k);
  // The first pass starts unbalanced (all_zones_ok is judged before each zone is shrunk), so kswapd
  // goes round loop_again at least once more; it returns what its last pass reclaimed.
  EXPECT_GE(f.alloc.events().get(PAGEOUTRUN), 2u);
  EXPECT_GT(f.vs.stats().freed_lru, 0u);
  // The exit test: no zone below pages_high for classzone 0 (the end_zone search).
  EXPECT_TRUE(f.alloc.zone_watermark_ok(dma32, 0, dma32.pages_high, 0, 0));
  EXPECT_TRUE(f.alloc.zone_watermark_ok(dma, 0, dma.pages_high, 0, 0));
  const uint64_t scanned =
      f.alloc.events().get(PGSCAN_KSWAPD_DMA) + f.alloc.events().get(PGSCAN_KSWAPD_DMA32);
  EXPECT_EQ(f.alloc.events().get(KSWAPD_STEAL), scanned);
  EXPECT_EQ(f.vs.stats().freed_lru, scanned);
  EXPECT_FALSE(dma32.all_unreclaimable);
  // Frames conserved: free + page cache = all.
  f.alloc.drain_all_pages();
  EXPECT_EQ(f.alloc.nr_free_pages() + static_cast<uint64_t>(f.alloc.global_page_state(NR_FILE_PAGES)),
            f.alloc.total_present());
  EXPECT_EQ(static_cast<uint64_t>(f.alloc.global_page_state(NR_FILE_PAGES)), n - f.vs.stats().freed_lru);
}

TEST(Vmscan, BalancePgdatGivesUpOnAnUnreclaimableZone) {
  // Memory held by nobody's LRU (plain allocations): at priority 12 the zone scans nothing, so
  // pages_scanned (0) >= 4 * (0 + 0) marks it all_unreclaimable; at priority 11 it is skipped, no zone is
  // left unbalanced and kswapd returns with nothing reclaimed, after one pass.
  Fixture f;
  std::vector<Page*> held;
  while (Page* p = f.alloc.alloc_pages(GFP_HIGHUSER, 0, f.k)) held.push_back(p);
  Task kswapd;
  kswapd.flags = PF_KSWAPD | PF_MEMALLOC | PF_SWAPWRITE;
  KCtx k(0, sc_core::SC_ZERO_TIME, &kswapd);
  EXPECT_EQ(f.vs.balance_pgdat(0, k), 0u);
  EXPECT_EQ(f.alloc.events().get(PAGEOUTRUN), 1u);
  EXPECT_TRUE(f.alloc.zone(ZONE_DMA32).all_unreclaimable);
  EXPECT_TRUE(f.alloc.zone(ZONE_DMA).all_unreclaimable);
  EXPECT_EQ(f.alloc.zone(ZONE_DMA32).prev_priority, 12);
  EXPECT_TRUE(f.env.naps.empty());
}

// A slab cache seen by shrink_slab: `count` freeable objects; a scan frees up to nr_to_scan of them and
// reports `objs_per_page` freed objects as one page to current->reclaim_state (as kmem_freepages does).
struct FakeCache {
  explicit FakeCache(int64_t n, uint64_t per_page = 0) : count(n), objs_per_page(per_page) {}
  int64_t count = 0;
  bool needs_fs = false;  // like the dcache: -1 without __GFP_FS
  uint64_t objs_per_page = 0;
  uint64_t scans = 0, freed = 0;
  int64_t operator()(uint64_t nr, gfp_t gfp, KCtx& k) {
    if (!nr) return count;
    if (needs_fs && !(gfp & __GFP_FS)) return -1;
    ++scans;
    const int64_t n = std::min<int64_t>(count, static_cast<int64_t>(nr));
    const uint64_t pages_before = objs_per_page ? freed / objs_per_page : 0;
    count -= n;
    freed += static_cast<uint64_t>(n);
    if (objs_per_page && k.task && k.task->reclaim_state)
      k.task->reclaim_state->reclaimed_slab += freed / objs_per_page - pages_before;
    return count;
  }
};

Shrinker* add_cache(Vmscan& vs, FakeCache& c, int seeks = DEFAULT_SEEKS) {
  return vs.set_shrinker(seeks, [&c](uint64_t nr, gfp_t gfp, KCtx& k) { return c(nr, gfp, k); });
}

TEST(Vmscan, ShrinkSlabArithmeticWithTheCarriedRemainder) {
  Fixture f;
  FakeCache c(10000);
  Shrinker* s = add_cache(f.vs, c);
  // delta = (4 * 32 / 2) * 10000 / (1099 + 1) = 64 * 10000 / 1100 = 581 (581.8 truncated); 581 <= 2 * 10000.
  // Four batches of 128 (512), 69 carried; 512 objects freed, slabs_scanned 512.
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_KERNEL, 1099, f.k), 512u);
  EXPECT_EQ(s->nr, 69);
  EXPECT_EQ(c.count, 10000 - 512);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 512u);
  // scanned 0 counts as 32: delta = 64 * 9488 / 1100 = 552 (552.03); 69 + 552 = 621: four batches again,
  // 621 - 512 = 109 carried.
  EXPECT_EQ(f.vs.shrink_slab(0, GFP_KERNEL, 1099, f.k), 512u);
  EXPECT_EQ(s->nr, 109);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 1024u);
  // The cache shrank to 50 objects: delta = 64 * 50 / 1100 = 2; 109 + 2 = 111 > 2 * 50, clamped to 100,
  // below one batch: nothing scanned, 100 carried.
  c.count = 50;
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_KERNEL, 1099, f.k), 0u);
  EXPECT_EQ(s->nr, 100);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 1024u);
  // Back at 10000: 100 + 581 = 681: five batches (640), 41 carried.
  c.count = 10000;
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_KERNEL, 1099, f.k), 640u);
  EXPECT_EQ(s->nr, 41);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 1664u);
}

TEST(Vmscan, ShrinkSlabSeeksClampAndEmptyBatches) {
  Fixture f;
  FakeCache c(1000);
  Shrinker* s = add_cache(f.vs, c, 1);
  // seeks 1: delta = (4 * 100 / 1) * 1000 / (99 + 1) = 4000, clamped to 2 * 1000 = 2000: fifteen batches
  // (1920) are scanned and counted although the cache empties during the eighth (7 * 128 + 104 = 1000
  // freed; the last seven batches free nothing); 80 carried.
  EXPECT_EQ(f.vs.shrink_slab(100, GFP_KERNEL, 99, f.k), 1000u);
  EXPECT_EQ(c.scans, 15u);
  EXPECT_EQ(c.count, 0);
  EXPECT_EQ(s->nr, 80);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 1920u);
}

TEST(Vmscan, ShrinkSlabWithoutFsCarriesEverythingAndAnOomVictimStops) {
  Fixture f;
  FakeCache c(10000);
  c.needs_fs = true;
  Shrinker* s = add_cache(f.vs, c);
  // GFP_NOFS: the first batch answers -1, the whole 581 stays pending and nothing is counted.
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_NOFS, 1099, f.k), 0u);
  EXPECT_EQ(s->nr, 581);
  EXPECT_EQ(c.scans, 0u);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 0u);
  // With __GFP_FS: 581 + 581 = 1162: nine batches (1152), 10 carried.
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_KERNEL, 1099, f.k), 1152u);
  EXPECT_EQ(s->nr, 10);
  // A TIF_MEMDIE task returns 1 at once and leaves the shrinkers alone.
  Task victim;
  victim.memdie = true;
  KCtx k(0, sc_core::SC_ZERO_TIME, &victim);
  EXPECT_EQ(f.vs.shrink_slab(32, GFP_KERNEL, 1099, k), 1u);
  EXPECT_EQ(s->nr, 10);
  EXPECT_EQ(c.count, 10000 - 1152);
}

TEST(Vmscan, TryToFreePagesCountsReclaimedSlab) {
  // No LRU pages at all (lru_pages 0): at priority 12 nothing is scanned, shrink_slab gets 32:
  // delta = (4 * 32 / 2) * 1000 / (0 + 1) = 64000, clamped to 2000: fifteen batches free all 1000
  // objects, 8 to a page: 125 pages in reclaimed_slab >= 32, so direct reclaim succeeds at once.
  Fixture f;
  FakeCache c(1000, 8);
  add_cache(f.vs, c);
  Task t;
  ReclaimState rs;
  t.reclaim_state = &rs;
  KCtx k(0, sc_core::SC_ZERO_TIME, &t);
  EXPECT_EQ(f.vs.try_to_free_pages(f.alloc.zonelist(GFP_KERNEL), GFP_KERNEL, k), 1);
  EXPECT_EQ(rs.reclaimed_slab, 0u);  // consumed into nr_reclaimed
  EXPECT_EQ(c.freed, 1000u);
  EXPECT_EQ(f.alloc.events().get(SLABS_SCANNED), 1920u);
  EXPECT_EQ(f.alloc.zone(ZONE_DMA32).prev_priority, 12);  // it stopped at priority 12
  // Negative control: without a reclaim_state the same freeing is no progress; every priority runs
  // (13 passes, the cache empty after the first) and direct reclaim fails.
  Fixture g;
  FakeCache d(1000, 8);
  add_cache(g.vs, d);
  Task u;
  KCtx k2(0, sc_core::SC_ZERO_TIME, &u);
  EXPECT_EQ(g.vs.try_to_free_pages(g.alloc.zonelist(GFP_KERNEL), GFP_KERNEL, k2), 0);
  EXPECT_EQ(d.freed, 1000u);
  EXPECT_EQ(g.alloc.zone(ZONE_DMA32).prev_priority, 0);
}

TEST(Vmscan, BalancePgdatCountsReclaimedSlabAndSlabProgressKeepsTheZoneReclaimable) {
  // As BalancePgdatGivesUpOnAnUnreclaimableZone, but with a cache that frees slab: at priority 12
  // shrink_slab frees objects (nr_slab > 0), so neither zone is marked all_unreclaimable there; the
  // pages the slab returned count as reclaimed.
  Fixture f;
  std::vector<Page*> held;
  while (Page* p = f.alloc.alloc_pages(GFP_HIGHUSER, 0, f.k)) held.push_back(p);
  FakeCache c(1000, 8);
  add_cache(f.vs, c);
  Task kswapd;
  kswapd.flags = PF_KSWAPD | PF_MEMALLOC | PF_SWAPWRITE;
  ReclaimState rs;
  kswapd.reclaim_state = &rs;
  KCtx k(0, sc_core::SC_ZERO_TIME, &kswapd);
  // Priority 12, zone DMA first (lru_pages 0): 2000 clamped, 15 batches free all 1000 objects = 125
  // pages; zone DMA32 then finds the cache empty (nr_slab 0) and is marked. 125 >= 32 ends the priority
  // loop; the zones are still unbalanced (the "freed" pages are fake), so kswapd loops again: DMA is now
  // marked at priority 12 too, and the next pass finds every zone unreclaimable and returns.
  EXPECT_EQ(f.vs.balance_pgdat(0, k), 0u);
  EXPECT_EQ(c.freed, 1000u);
  EXPECT_EQ(f.alloc.events().get(PAGEOUTRUN), 2u);
  EXPECT_TRUE(f.alloc.zone(ZONE_DMA).all_unreclaimable);
  EXPECT_TRUE(f.alloc.zone(ZONE_DMA32).all_unreclaimable);
}

TEST(Writeback, GetDirtyLimits) {
  // 100000 pages. Nothing mapped: 40% and 10%.
  uint64_t bg = 0, dirty = 0;
  Vmscan::get_dirty_limits(100000, 0, 40, 10, false, bg, dirty);
  EXPECT_EQ(dirty, 40000u);
  EXPECT_EQ(bg, 10000u);
  // 30% mapped: unmapped 70, dirty_ratio min(40, 35) = 35.
  Vmscan::get_dirty_limits(100000, 30000, 40, 10, false, bg, dirty);
  EXPECT_EQ(dirty, 35000u);
  EXPECT_EQ(bg, 10000u);
  // 95% mapped: unmapped 5 -> 2 -> floor 5; background 10 >= 5 -> 5 / 2 = 2.
  Vmscan::get_dirty_limits(100000, 95000, 40, 10, false, bg, dirty);
  EXPECT_EQ(dirty, 5000u);
  EXPECT_EQ(bg, 2000u);
  // PF_LESS_THROTTLE: +25%.
  Vmscan::get_dirty_limits(100000, 0, 40, 10, true, bg, dirty);
  EXPECT_EQ(dirty, 50000u);
  EXPECT_EQ(bg, 12500u);
}

TEST(Oom, BadnessTable) {
  EXPECT_EQ(shift_hz(100), 7u);
  EXPECT_EQ(shift_hz(250), 8u);
  EXPECT_EQ(shift_hz(1000), 10u);
  BadnessInput b;
  b.total_vm = 1000;
  EXPECT_EQ(badness(b, 250), 1000u);
  BadnessInput none;
  none.has_mm = false;
  none.total_vm = 1000;
  EXPECT_EQ(badness(none, 250), 0u);
  BadnessInput kids = b;
  kids.children_total_vm = {400, 101};  // + 201 + 51
  EXPECT_EQ(badness(kids, 250), 1252u);
  BadnessInput cpu = b;
  cpu.cpu_jiffies = 4 * 2048;  // HZ 250: >> 11 -> 4, sqrt 2
  EXPECT_EQ(badness(cpu, 250), 500u);
  cpu.cpu_jiffies = 2047;  // 0 after the shift: no division
  EXPECT_EQ(badness(cpu, 250), 1000u);
  BadnessInput run = b;
  run.run_seconds = 16 * 1024;  // >> 10 -> 16, sqrt(sqrt) 2
  EXPECT_EQ(badness(run, 250), 500u);
  BadnessInput niced = b;
  niced.nice = 5;
  EXPECT_EQ(badness(niced, 250), 2000u);
  BadnessInput root = b;
  root.sys_admin = true;
  root.sys_rawio = true;
  EXPECT_EQ(badness(root, 250), 62u);  // 1000 / 4 / 4
  BadnessInput adj = b;
  adj.oomkilladj = 2;
  EXPECT_EQ(badness(adj, 250), 4000u);
  adj.oomkilladj = -3;
  EXPECT_EQ(badness(adj, 250), 125u);
}

TEST(Oom, BadnessAppliesOomAdjAfterEveryOtherRule) {
  // 2.6.18 badness: oomkilladj comes last, as a shift of the points the other rules left.
  BadnessInput b;
  b.total_vm = 3000;
  b.oomkilladj = 15;  // the largest: 3000 << 15
  EXPECT_EQ(badness(b, 250), 98304000u);
  b.oomkilladj = 1;  // 6000
  EXPECT_EQ(badness(b, 250), 6000u);
  b.oomkilladj = -1;  // 1500
  EXPECT_EQ(badness(b, 250), 1500u);
  b.oomkilladj = -11;  // 3000 >> 11 = 1
  EXPECT_EQ(badness(b, 250), 1u);
  b.oomkilladj = -12;  // 3000 >> 12 = 0
  EXPECT_EQ(badness(b, 250), 0u);
  // After nice and privilege: nice doubles to 6000, CAP_SYS_ADMIN quarters to 1500, then >> 2 = 375.
  b.nice = 10;
  b.sys_admin = true;
  b.oomkilladj = -2;
  EXPECT_EQ(badness(b, 250), 375u);
  // After the children: 3000 + (1000/2 + 1) = 3501, << 3 = 28008.
  BadnessInput p;
  p.total_vm = 3000;
  p.children_total_vm = {1000};
  p.oomkilladj = 3;
  EXPECT_EQ(badness(p, 250), 28008u);
}

TEST(Writeback, RatelimitPages) {
  // total / (cpus * 32), clamped to [16, 1024] (4 MiB of pages).
  EXPECT_EQ(PageWriteback::ratelimit_pages(16384, 1), 512u);
  EXPECT_EQ(PageWriteback::ratelimit_pages(16384, 2), 256u);
  EXPECT_EQ(PageWriteback::ratelimit_pages(100, 1), 16u);
  EXPECT_EQ(PageWriteback::ratelimit_pages(4u << 20, 1), 1024u);
}

TEST(Vmscan, MinFreeKbytesSysctlRecomputesTheWatermarks) {
  // 64 MiB: DMA 4096 pages, DMA32 12288. min_free_kbytes 2048 = 512 pages shared in proportion:
  // DMA 512 * 4096 / 16384 = 128 (low + 128/4, high + 128/2), DMA32 384.
  Fixture f;
  EXPECT_EQ(f.alloc.min_free_kbytes(), 1024u);  // isqrt(65536 * 16) at boot
  f.alloc.set_min_free_kbytes(2048);
  const Zone& dma = f.alloc.zone(ZONE_DMA);
  const Zone& dma32 = f.alloc.zone(ZONE_DMA32);
  EXPECT_EQ(dma.pages_min, 128u);
  EXPECT_EQ(dma.pages_low, 160u);
  EXPECT_EQ(dma.pages_high, 192u);
  EXPECT_EQ(dma32.pages_min, 384u);
  EXPECT_EQ(dma32.pages_low, 480u);
  EXPECT_EQ(dma32.pages_high, 576u);
  EXPECT_EQ(dma.lowmem_reserve[ZONE_DMA32], 12288u / 256);
}
