// The slab allocator (mm/slab.c) over simulated memory: kmem_cache_create's layout, cache_grow's pages
// and colouring, the per-CPU arrays, free_block's free_limit and cache_reap's drains, with NR_SLAB, the
// descriptor's bytes in memory and the pages credited to reclaim_state. Expected values are worked out
// from 2.6.18's rules in the comments.
#include <gtest/gtest.h>

#include "kernel_model/fs/dcache.h"
#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/slab.h"
#include "platform/soc/soc.h"
#include "tests/support/mm_rig.h"
#include "tests/support/soc_helpers.h"

using namespace pc;
using namespace pc::kernel;

namespace {
using test::Rig;
double stat(soc::Soc& s, const std::string& p) {
  return test::stat_of(s, p);
}

uint64_t load64(Rig& r, uint64_t pa) {
  uint64_t v = 0;
  r.store.read(pa, reinterpret_cast<uint8_t*>(&v), 8);
  return v;
}
uint32_t load32(Rig& r, uint64_t pa) {
  uint32_t v = 0;
  r.store.read(pa, reinterpret_cast<uint8_t*>(&v), 4);
  return v;
}
}  // namespace

TEST(SlabSim, KmemCacheCreateLayoutsAsLinux2618) {
  Rig r;
  SlabAllocator sa(r.alloc, *r.bus, r.costs, r.clk.period(), 2, 250, &r.locks->slab_list_lock);
  // dentry_cache: 208 bytes, word aligned, on-slab (< 512): (4096 - 40) / (208 + 4) = 19 objects;
  // descriptor ALIGN(40 + 19 * 4, 8) = 120; 120 + 19 * 208 = 4072: 24 bytes left, no colour (24 / 64).
  // SLAB_RECLAIM_ACCOUNT takes order 0. enable_cpucache: <= 256 -> limit 120, batch 60, shared 8 (SMP);
  // free_limit = (1 + 2 CPUs) * 60 + 19 = 199.
  KmemCache& d = sa.kmem_cache_create("dentry_cache", 208, SLAB_RECLAIM_ACCOUNT);
  EXPECT_EQ(d.num, 19u);
  EXPECT_EQ(d.gfporder, 0u);
  EXPECT_EQ(d.slab_size, 120u);
  EXPECT_EQ(d.colour, 0u);
  EXPECT_EQ(d.limit, 120u);
  EXPECT_EQ(d.batchcount, 60u);
  EXPECT_EQ(d.shared, 8u);
  EXPECT_EQ(d.shared_array.limit, 480u);
  EXPECT_EQ(d.free_limit, 199u);
  // inode_cache: 560 >= 512 starts off-slab: 4096 / 560 = 7 objects, 176 left; the descriptor
  // ALIGN(7 * 4 + 40, 8) = 72 fits in it, so management moves on-slab with 104 left: one colour (104 / 64).
  // 560 > 256: limit 54, batch 27; free_limit = 3 * 27 + 7 = 88.
  KmemCache& i = sa.kmem_cache_create("inode_cache", 560, SLAB_RECLAIM_ACCOUNT);
  EXPECT_EQ(i.num, 7u);
  EXPECT_EQ(i.slab_size, 72u);
  EXPECT_EQ(i.colour, 1u);
  EXPECT_EQ(i.flags & CFLGS_OFF_SLAB, 0u);
  EXPECT_EQ(i.limit, 54u);
  EXPECT_EQ(i.batchcount, 27u);
  EXPECT_EQ(i.free_limit, 88u);
  // A 32-byte cache-aligned cache: alignment halves to 32; (4096 - 40) / 36 = 112 objects, descriptor
  // ALIGN(40 + 448, 32) = 512; 512 + 112 * 32 = 4096 exactly.
  KmemCache& s = sa.kmem_cache_create("size-32", 32, SLAB_HWCACHE_ALIGN);
  EXPECT_EQ(s.align, 32u);
  EXPECT_EQ(s.num, 112u);
  EXPECT_EQ(s.slab_size, 512u);
  // 2048 bytes: two objects a page and nothing left for the 64-byte descriptor: it would stay off-slab,
  // which the model refuses clearly.
  EXPECT_THROW(sa.kmem_cache_create("size-2048", 2048, SLAB_HWCACHE_ALIGN), std::invalid_argument);
}

TEST(SlabSim, CacheGrowColoursSlabsRunsTheCtorAndWritesTheDescriptor) {
  Rig r;
  SlabAllocator sa(r.alloc, *r.bus, r.costs, r.clk.period(), 1, 250, &r.locks->slab_list_lock);
  // 250 bytes -> 256: (4096 - 40) / 260 = 15 objects, descriptor ALIGN(100, 8) = 104,
  // 104 + 15 * 256 = 3944: 152 left = 2 colours of 64: slabs start at offsets 0, 64, 0, ...
  std::vector<uint64_t> ctor_calls;
  KmemCache& c =
      sa.kmem_cache_create("c250", 250, 0, [&](uint64_t objp, KCtx&) { ctor_calls.push_back(objp); });
  ASSERT_EQ(c.num, 15u);
  ASSERT_EQ(c.colour, 2u);
  const int64_t slab0 = r.alloc.global_page_state(NR_SLAB);
  // The first allocation: the untouched array refills at most BATCHREFILL_LIMIT = 16, but the slab has
  // 15: one slab grown, all 15 objects pulled; it returns the last pulled (object 14).
  const uint64_t o = sa.kmem_cache_alloc(c, GFP_KERNEL, r.k);
  ASSERT_NE(o, 0u);
  EXPECT_EQ(r.alloc.global_page_state(NR_SLAB) - slab0, 1);
  ASSERT_EQ(ctor_calls.size(), 15u);
  const uint64_t page = o & ~(kPageSize - 1);
  // Colour 0: the descriptor at the page start, objects from 104.
  EXPECT_EQ(ctor_calls[0], page + 104);
  EXPECT_EQ(o, page + 104 + 14 * 256);
  // In memory: struct slab's inuse (15) and free (BUFCTL_END) as the last slab_get_obj stored them, and
  // the free list cache_init_objs wrote (bufctl[0] = 1, bufctl[14] = END).
  EXPECT_EQ(load64(r, page + 32), 15ull | (uint64_t{BUFCTL_END} << 32));
  EXPECT_EQ(load32(r, page + 40), 1u);
  EXPECT_EQ(load32(r, page + 40 + 14 * 4), BUFCTL_END);
  EXPECT_EQ(load64(r, page + 24), page + 104);  // s_mem
  EXPECT_TRUE(r.map.phys_to_page(page)->test(PG_slab));
  // 14 more from the array, then the 16th grows the second slab at colour offset 64.
  for (int n = 0; n < 14; ++n) sa.kmem_cache_alloc(c, GFP_KERNEL, r.k);
  EXPECT_EQ(c.num_slabs(), 1u);
  const uint64_t o2 = sa.kmem_cache_alloc(c, GFP_KERNEL, r.k);
  EXPECT_EQ(c.num_slabs(), 2u);
  EXPECT_EQ(ctor_calls.size(), 30u);
  const uint64_t page2 = o2 & ~(kPageSize - 1);
  EXPECT_EQ(ctor_calls[15], page2 + 64 + 104);
  EXPECT_EQ(load64(r, page2 + 64 + 24), page2 + 64 + 104);
  // A foreign object is refused.
  KmemCache& other = sa.kmem_cache_create("other", 64, 0);
  EXPECT_THROW(sa.kmem_cache_free(other, o, r.k), std::logic_error);
}

TEST(SlabSim, FreeLimitAndCacheReapReturnEverySlabToTheBuddyAllocator) {
  Rig r;
  // One CPU: no shared array; dentry-sized objects: 19 a slab, limit 120, batch 60,
  // free_limit = (1 + 1) * 60 + 19 = 139, cache_reap's drain_freelist takes (139 + 95 - 1) / 95 = 2.
  SlabAllocator sa(r.alloc, *r.bus, r.costs, r.clk.period(), 1, 250, &r.locks->slab_list_lock);
  KmemCache& c = sa.kmem_cache_create("dentry_cache", 208, SLAB_RECLAIM_ACCOUNT);
  ASSERT_EQ(c.free_limit, 139u);
  Task t;
  ReclaimState rs;
  t.reclaim_state = &rs;
  KCtx k(0, sc_core::SC_ZERO_TIME, &t);
  r.alloc.drain_all_pages();
  const uint64_t free0 = r.alloc.nr_free_pages();
  // 190 allocations: the first refill pulls 16 of slab 1 (untouched array), the 17th its last 3; from
  // then on every refill grows a slab and pulls all 19: exactly 10 slabs, nothing left in the array.
  std::vector<uint64_t> objs;
  for (int n = 0; n < 190; ++n) objs.push_back(sa.kmem_cache_alloc(c, GFP_KERNEL, k));
  EXPECT_EQ(r.alloc.global_page_state(NR_SLAB), 10);
  EXPECT_EQ(c.array[0].avail, 0u);
  EXPECT_EQ(c.free_objects, 0u);
  // Free them in allocation order: 120 fill the array; the 121st flushes its oldest 60 (slabs 1-3 empty,
  // 3 objects of slab 4), the 181st the next 60 (slab 4's other 16, slabs 5 and 6, 6 of slab 7). Every
  // emptied slab finds free_objects <= 139 and stays on slabs_free: 6 free slabs, 120 free objects,
  // 70 in the array, no page returned yet.
  for (uint64_t o : objs) sa.kmem_cache_free(c, o, k);
  EXPECT_EQ(c.array[0].avail, 70u);
  EXPECT_EQ(c.free_objects, 120u);
  EXPECT_EQ(c.stats.free_misses, 2u);
  EXPECT_EQ(r.alloc.global_page_state(NR_SLAB), 10);
  // cache_reap every 4 s of jiffies from 500 (HZ 250; the list's first reap is due at 4 * HZ = 1000):
  //  500: the array was touched by the allocations: only the mark is cleared.
  // 1000: drain 24 (the 13 left of slab 7 -> free slab 7, 11 of slab 8); free_touched (set by the
  //       refills) is cleared instead of freeing slabs: still 10.
  // 2000: drain 24: slab 8's last 8 empty it with free_objects 152 > 139: destroyed at once; 16 of slab 9;
  //       drain_freelist 2 (slabs 1, 2): 7.
  // 3000: 22 left: drain (22 + 1) / 2 = 11: slab 9 empties onto slabs_free, 8 of slab 10; 2 freed: 5.
  // 4000: 11 left: drain 6; 2 freed: 3.  5000: 5 left: drain 3; 2 freed: 1 (slab 10, 2 objects left).
  // 6000: drain 1; no free slab: 1.  7000: drain the last: slab 10 empties and is freed: 0.
  const int64_t expect[] = {10, 10, 7, 5, 3, 1, 1, 0};
  const uint64_t jiffies[] = {500, 1000, 2000, 3000, 4000, 5000, 6000, 7000};
  for (int n = 0; n < 8; ++n) {
    sa.cache_reap(jiffies[n], k);
    EXPECT_EQ(r.alloc.global_page_state(NR_SLAB), expect[n]) << "reap at jiffy " << jiffies[n];
  }
  EXPECT_EQ(c.array[0].avail, 0u);
  EXPECT_EQ(c.free_objects, 0u);
  EXPECT_EQ(c.stats.destroyed, 10u);
  EXPECT_EQ(c.stats.reaped, 9u);  // every slab but slab 8, which free_block destroyed
  EXPECT_EQ(rs.reclaimed_slab, 10u);
  EXPECT_FALSE(r.map.phys_to_page(objs[0])->test(PG_slab));
  // Frames conserved: every slab page is back.
  r.alloc.drain_all_pages();
  EXPECT_EQ(r.alloc.nr_free_pages(), free0);
}

TEST(SlabSim, DcacheLruSecondChanceLazyRemovalAndShrinkers) {
  Rig r;
  SlabAllocator sa(r.alloc, *r.bus, r.costs, r.clk.period(), 1, 250, &r.locks->slab_list_lock);
  VmConfig vm;
  Vfs vfs(sa, *r.bus, r.costs, vm, r.clk.period(), r.locks.get());
  // 300 names looked up and released in order: each dput puts its dentry at the head of dentry_unused
  // with DCACHE_REFERENCED, so the list runs 299 .. 0 from head to tail; every inode stays referenced
  // by its dentry.
  for (uint64_t n = 0; n < 300; ++n) {
    Dentry* d = vfs.lookup(n, r.k);
    ASSERT_NE(d, nullptr);
    vfs.dput(d, r.k);
  }
  EXPECT_EQ(vfs.nr_dentry(), 300u);
  EXPECT_EQ(vfs.dentry_nr_unused(), 300u);
  EXPECT_EQ(vfs.inode_cache().active_objs(), 300u);
  // The count: (300 / 100) * vfs_cache_pressure 100 = 300; the inodes are all in use: 0.
  EXPECT_EQ(vfs.shrink_dcache_memory(0, GFP_KERNEL, r.k), 300);
  EXPECT_EQ(vfs.shrink_icache_memory(0, GFP_KERNEL, r.k), 0);
  // Without __GFP_FS both refuse (-1) and prune nothing.
  EXPECT_EQ(vfs.shrink_dcache_memory(128, GFP_NOFS, r.k), -1);
  EXPECT_EQ(vfs.stats().dcache_shrinks, 0u);
  // A batch of 128: the tail's 0 .. 127 are referenced: the flag is cleared and each goes back to the
  // head; nothing is freed. List now 127 .. 0, 299 .. 128.
  EXPECT_EQ(vfs.shrink_dcache_memory(128, GFP_KERNEL, r.k), 300);
  EXPECT_EQ(vfs.stats().d_pruned, 0u);
  EXPECT_EQ(vfs.dentry_nr_unused(), 300u);
  // 300 more: 128 .. 299 (still referenced) get their second chance, then 0 .. 127 are pruned:
  // 172 dentries left; the 128 inodes they held are unused now.
  vfs.prune_dcache(300, r.k);
  EXPECT_EQ(vfs.stats().d_pruned, 128u);
  EXPECT_EQ(vfs.nr_dentry(), 172u);
  EXPECT_EQ(vfs.find(127), nullptr);
  EXPECT_NE(vfs.find(128), nullptr);
  EXPECT_EQ(vfs.inodes_nr_unused(), 128u);
  EXPECT_EQ(vfs.dentry_cache().active_objs(), 172u);
  // The icache count is (128 / 100) * 100 = 100; a batch of 128 frees all 128 unused inodes.
  EXPECT_EQ(vfs.shrink_icache_memory(0, GFP_KERNEL, r.k), 100);
  EXPECT_EQ(vfs.shrink_icache_memory(128, GFP_KERNEL, r.k), 0);
  EXPECT_EQ(vfs.stats().i_pruned, 128u);
  EXPECT_EQ(vfs.nr_inodes(), 172u);
  EXPECT_EQ(vfs.inode_cache().active_objs(), 172u);
  // vfs_cache_pressure scales the count: 50 -> (172 / 100) * 50 = 50.
  VmConfig half;
  half.vfs_cache_pressure = 50;
  SlabAllocator sa2(r.alloc, *r.bus, r.costs, r.clk.period(), 1, 250, nullptr);
  Vfs vfs2(sa2, *r.bus, r.costs, half, r.clk.period(), nullptr);
  for (uint64_t n = 0; n < 172; ++n) vfs2.dput(vfs2.lookup(n, r.k), r.k);
  EXPECT_EQ(vfs2.shrink_dcache_memory(0, GFP_KERNEL, r.k), 50);
  // A lookup of a cached name is a hit that leaves its dentry on the LRU (lazily); prune_dcache then
  // drops it from the list without freeing it and frees the other 171, whose flags were cleared.
  Dentry* held = vfs.lookup(200, r.k);
  EXPECT_EQ(vfs.stats().d_hits, 1u);
  EXPECT_EQ(held->d_count, 1);
  vfs.prune_dcache(1000, r.k);
  EXPECT_EQ(vfs.stats().d_pruned, 128u + 171u);
  EXPECT_EQ(vfs.nr_dentry(), 1u);
  EXPECT_EQ(vfs.dentry_nr_unused(), 0u);
  EXPECT_EQ(vfs.find(200), held);
  // Its dput puts it back on the list, referenced.
  vfs.dput(held, r.k);
  EXPECT_EQ(vfs.dentry_nr_unused(), 1u);
  EXPECT_EQ(held->d_flags & DCACHE_REFERENCED, DCACHE_REFERENCED);
  // A name looked up again after its dentry and inode were pruned is a miss that allocates both anew.
  Dentry* again = vfs.lookup(5, r.k);
  EXPECT_EQ(vfs.stats().d_misses, 300u + 1u);
  EXPECT_EQ(again->d_inode->i_count, 1);
}

TEST(SlabSim, PruneIcacheInvalidatesAFilesCleanPagesAndCountsInodesteal) {
  Rig r;
  SlabAllocator sa(r.alloc, *r.bus, r.costs, r.clk.period(), 1, 250, &r.locks->slab_list_lock);
  VmConfig vm;
  Vfs vfs(sa, *r.bus, r.costs, vm, r.clk.period(), r.locks.get());
  vfs.set_page_hooks([&](AddressSpace& as, KCtx& k) { return r.mm->invalidate_mapping_pages(as, k); },
                     &r.alloc.events());
  struct NoIo : FileBacking {
    bool readpages(uint64_t, const std::vector<uint64_t>&, KCtx&, IoDone) override { return false; }
    int writepage(uint64_t, uint64_t, KCtx&, IoDone) override { return 0; }
    uint64_t size_pages() const override { return 64; }
  };
  File* f = r.mm->new_file("f", std::make_unique<NoIo>());
  // Ten clean page-cache pages on the inactive list, held by the cache only.
  std::vector<Page*> pages;
  for (uint64_t i = 0; i < 10; ++i) {
    Page* p = r.alloc.alloc_pages(GFP_HIGHUSER, 0, r.k);
    ASSERT_NE(p, nullptr);
    ++p->count;
    p->mapping = reinterpret_cast<uintptr_t>(&f->mapping);
    p->index = i;
    p->set(PG_uptodate);
    f->mapping.page_tree[i] = p;
    ++f->mapping.nrpages;
    r.alloc.mod_zone_page_state(p, NR_FILE_PAGES, 1);
    r.lru.lru_cache_add(p, r.k);
    r.lru.put_page(p, r.k);
    pages.push_back(p);
  }
  r.lru.lru_add_drain(r.k);
  r.alloc.drain_all_pages();
  const uint64_t free0 = r.alloc.nr_free_pages();
  // Page 3 is mapped (a PTE holds it), page 7 dirty: invalidation must leave both.
  pages[3]->mapcount = 0;
  ++pages[3]->count;
  pages[7]->set(PG_dirty);
  // The file looked up and released; two dcache passes (second chance, then the prune) drop the dentry
  // and leave the inode unused.
  vfs.dput(vfs.lookup(42, r.k, &f->mapping), r.k);
  vfs.prune_dcache(2, r.k);
  ASSERT_EQ(vfs.stats().d_pruned, 1u);
  ASSERT_EQ(vfs.inodes_nr_unused(), 1u);
  // prune_icache by a task that is not kswapd: 8 clean unmapped pages go (pginodesteal 8); 2 remain, so
  // can_unuse keeps the inode, back on inode_unused.
  Task t;
  KCtx k(0, sc_core::SC_ZERO_TIME, &t);
  vfs.prune_icache(128, k);
  EXPECT_EQ(r.alloc.events().get(PGINODESTEAL), 8u);
  EXPECT_EQ(r.alloc.events().get(KSWAPD_INODESTEAL), 0u);
  EXPECT_EQ(f->mapping.nrpages, 2u);
  EXPECT_EQ(vfs.stats().i_pruned, 0u);
  EXPECT_EQ(vfs.nr_inodes(), 1u);
  EXPECT_EQ(vfs.inodes_nr_unused(), 1u);
  EXPECT_EQ(r.alloc.global_page_state(NR_FILE_PAGES), 2);
  r.alloc.drain_all_pages();
  // The 8 are freed (off the LRU); the lookup took one slab page each for dentry_cache and inode_cache
  // (their freed objects wait in the per-CPU arrays).
  EXPECT_EQ(r.alloc.global_page_state(NR_SLAB), 2);
  EXPECT_EQ(r.alloc.nr_free_pages(), free0 + 8 - 2);
  EXPECT_FALSE(pages[0]->test(PG_lru));
  // Unmapped and cleaned, the two go on kswapd's pass (kswapd_inodesteal 2) and the inode with them.
  pages[3]->mapcount = -1;
  --pages[3]->count;
  pages[7]->clear(PG_dirty);
  Task kswapd;
  kswapd.flags = PF_KSWAPD | PF_MEMALLOC;
  KCtx kk(0, sc_core::SC_ZERO_TIME, &kswapd);
  vfs.prune_icache(128, kk);
  EXPECT_EQ(r.alloc.events().get(KSWAPD_INODESTEAL), 2u);
  EXPECT_EQ(r.alloc.events().get(PGINODESTEAL), 8u);
  EXPECT_EQ(f->mapping.nrpages, 0u);
  EXPECT_EQ(vfs.stats().i_pruned, 1u);
  EXPECT_EQ(vfs.nr_inodes(), 0u);
  EXPECT_EQ(vfs.stats().inode_pages, 10u);
}

namespace {
// Samples the platform while it runs: frames conserved, the largest NR_SLAB, and whether the files
// the opener keeps open stay cached and referenced while it lives.
struct SlabSampler : sc_core::sc_module {
  soc::Soc& soc;
  uint64_t first_open, nr_open;
  uint64_t samples = 0, conserved = 0, open_checked = 0, open_lost = 0;
  int64_t max_slab = 0;
  uint64_t pruned_while_open = 0;
  SlabSampler(sc_core::sc_module_name n, soc::Soc& s, uint64_t first, uint64_t nr)
      : sc_module(n), soc(s), first_open(first), nr_open(nr) {
    SC_THREAD(run);
  }
  SC_HAS_PROCESS(SlabSampler);
  bool opener_alive() const {
    for (const auto& t : soc.os()->tasks())
      if (t->comm == "opener" && !t->dead()) return true;
    return false;
  }
  void run() {
    auto& os = *soc.os();
    auto& a = os.allocator();
    bool all_opened = false;
    uint64_t pruned_at_open = 0;
    for (;;) {
      wait(sc_core::sc_time(500, sc_core::SC_US));
      if (os.all_exited()) return;
      ++samples;
      if (a.nr_free_pages() + os.frames_in_use() == a.total_present()) ++conserved;
      max_slab = std::max(max_slab, a.global_page_state(NR_SLAB));
      if (!opener_alive()) continue;
      uint64_t held = 0;
      for (uint64_t n = first_open; n < first_open + nr_open; ++n) {
        const Dentry* d = os.vfs().find(n);
        held += d && d->d_count == 1 && d->d_inode && d->d_inode->i_count == 1;
      }
      if (!all_opened && held == nr_open) {
        all_opened = true;
        pruned_at_open = os.vfs().stats().d_pruned;
      }
      if (all_opened) {
        ++open_checked;
        if (held != nr_open) ++open_lost;
        pruned_while_open = os.vfs().stats().d_pruned - pruned_at_open;
      }
    }
  }
};
}  // namespace

TEST(SlabSim, LookupsUnderMemoryPressureAreReclaimedThroughShrinkSlab) {
  // 40 MiB of DRAM. "finder" stats 24000 names twice (one dentry_cache and one inode_cache object each:
  // 24000 / 19 + 24000 / 7 = 4692 slab pages, 18 MiB, unused after each stat), "reader" streams a
  // 32 MiB file through a private mapping twice, and "opener" opens 1000 other names first and keeps
  // them open while it computes. Memory runs short: kswapd and direct reclaim call shrink_slab, whose
  // shrinkers prune unused dentries and inodes; freed objects return slab pages to the buddy allocator
  // through the arrays' free_block. The open files are never pruned.
  soc::Soc s(test::resolve_config({"nehalem", "ssd-nvmevirt"},
                                  R"({"workload": {"source": "scenario", "data_check": true, "scenario": {
      "files": [{"name": "f", "size_kib": 32768}],
      "programs": [
        {"name": "opener", "steps": [
          {"op": "lookup", "files": 1000, "first": 1000000, "open": true},
          {"op": "compute", "cycles": 1800000000}]},
        {"name": "finder", "steps": [
          {"op": "lookup", "files": 24000},
          {"op": "lookup", "files": 24000}]},
        {"name": "reader", "steps": [
          {"op": "lookup", "file": "f"},
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 32768, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 1}},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 1}}]}],
      "processes": [{"program": "opener"}, {"program": "finder", "start_us": 1000},
                    {"program": "reader", "start_us": 1000}]}}})",
                                  {"cpu.cores=2", "dram.size_mib=40"}));
  SlabSampler sampler("sampler", s, 1000000, 1000);
  s.run(false);
  auto& os = *s.os();
  EXPECT_EQ(s.data_errors(), 0u);
  EXPECT_EQ(stat(s, "summary.reads_checked"), 2 * 8192);
  for (const auto& t : os.tasks())
    if (!t->is_kthread()) {
      EXPECT_EQ(t->exit_reason, "end of program") << t->comm;  // no OOM kill, no error
    }
  EXPECT_EQ(stat(s, "kernel.dcache.lookups"), 1000 + 2 * 24000 + 1);
  // The file's inode gave up its page cache when pruned: counted as inodesteal by whoever pruned it.
  EXPECT_EQ(stat(s, "kernel.vmstat.kswapd_inodesteal") + stat(s, "kernel.vmstat.pginodesteal"),
            stat(s, "kernel.dcache.inode_pages"));
  EXPECT_EQ(stat(s, "kernel.dcache.enomem"), 0);
  // Slab pages were reclaimed: objects pruned, slabs destroyed and credited to reclaim.
  const double d_pruned = stat(s, "kernel.dcache.dentries_pruned");
  const double i_pruned = stat(s, "kernel.dcache.inodes_pruned");
  EXPECT_GT(d_pruned, 0);
  EXPECT_GT(i_pruned, 0);
  EXPECT_GT(stat(s, "kernel.reclaim.reclaimed_slab"), 0);
  EXPECT_GT(stat(s, "kernel.slab.dentry_cache.destroyed"), 0);
  EXPECT_GT(stat(s, "kernel.slab.inode_cache.destroyed"), 0);
  EXPECT_LT(os.allocator().global_page_state(NR_SLAB), sampler.max_slab);  // nr_slab fell from its peak
  // The second pass found some names still cached and recreated the pruned ones: every lookup is a hit
  // or a new dentry.
  EXPECT_GT(stat(s, "kernel.dcache.hits"), 0);
  EXPECT_EQ(stat(s, "kernel.dcache.hits") + stat(s, "kernel.dcache.nr_dentry") + d_pruned,
            stat(s, "kernel.dcache.lookups"));
  // slabs_scanned counts 128 per shrinker batch, and each counted batch is one pruning shrinker call:
  // exactly 128 * (dcache calls + icache calls); each call frees at most its 128.
  const double dcalls = stat(s, "kernel.dcache.dcache_shrinks");
  const double icalls = stat(s, "kernel.dcache.icache_shrinks");
  EXPECT_GT(dcalls, 0);
  EXPECT_EQ(stat(s, "kernel.vmstat.slabs_scanned"), 128 * (dcalls + icalls));
  EXPECT_LE(d_pruned, 128 * dcalls);
  EXPECT_LE(i_pruned, 128 * icalls);
  // NR_SLAB is what the caches hold.
  EXPECT_EQ(static_cast<uint64_t>(os.allocator().global_page_state(NR_SLAB)), os.slab().nr_slab_pages());
  // Frames conserved at every sample; the open files stayed cached and referenced while pruning went on.
  ASSERT_GT(sampler.samples, 0u);
  EXPECT_EQ(sampler.conserved, sampler.samples);
  EXPECT_GT(sampler.open_checked, 0u);
  EXPECT_EQ(sampler.open_lost, 0u);
  EXPECT_GT(sampler.pruned_while_open, 0u);
  // After the exit the opener's dentries are unused (on the LRU), not leaked.
  for (uint64_t n = 1000000; n < 1001000; ++n) {
    const Dentry* d = os.vfs().find(n);
    if (d) {
      EXPECT_EQ(d->d_count, 0);
    }
  }
}
