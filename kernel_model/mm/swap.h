// LRU bookkeeping: per-CPU pagevecs feeding the zone LRU lists, the software reference state machine
// (mark_page_accessed / activate_page) and page release (Linux 2.6.18 mm/swap.c; spec §1.2, §3). List
// changes happen under zone->lru_lock; frees go to the allocator after it is dropped (release_pages).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernel_model/mm/page_alloc.h"

namespace pc::kernel {

constexpr unsigned PAGEVEC_SIZE = 14;

struct Pagevec {
  unsigned nr = 0;
  std::array<Page*, PAGEVEC_SIZE> pages{};
};

struct LruStats {
  uint64_t pagevec_flushes = 0;
};

class Lru {
 public:
  Lru(PageAllocator& alloc, unsigned cpus);

  // Queue a page for the inactive (lru_cache_add) or active (lru_cache_add_active) list of the path's
  // CPU. The pagevec holds a reference until it is spliced into the zone list.
  void lru_cache_add(Page* page, KCtx& k);
  void lru_cache_add_active(Page* page, KCtx& k);
  void lru_add_drain(KCtx& k);
  void lru_add_drain_cpu(unsigned cpu, KCtx& k);  // another CPU's pagevecs (lru_add_drain_all)
  void lru_add_drain_all(KCtx& k);

  void mark_page_accessed(Page* page, KCtx& k);
  void activate_page(Page* page, KCtx& k);

  // page_cache_release / put_page: drops a reference; the last one takes the page off its LRU list
  // and frees it (hot) to the per-CPU list of the path's CPU.
  void put_page(Page* page, KCtx& k);
  static void get_page(Page* page) { ++page->count; }

  // List surgery used by reclaim (mm_inline.h helpers); the caller holds zone->lru_lock.
  static void add_page_to_active_list(Zone& z, Page* p);
  static void add_page_to_inactive_list(Zone& z, Page* p);
  static void del_page_from_lru(Zone& z, Page* p);

  const LruStats& stats() const { return m_stats; }
  PageAllocator& allocator() { return m_alloc; }
  // Pages held in the pagevecs of every CPU (frame accounting).
  uint64_t pagevec_pages() const;

 private:
  void pagevec_add(Pagevec& pv, Page* page, bool active, KCtx& k);
  void __pagevec_lru_add(Pagevec& pv, bool active, KCtx& k);
  void lock_lru(Zone& z, KCtx& k) {
    if (z.lru_lock) z.lru_lock->lock(k);
  }
  void unlock_lru(Zone& z, KCtx& k) {
    if (z.lru_lock) z.lru_lock->unlock(k);
  }

  PageAllocator& m_alloc;
  // Per CPU: [0] inactive, [1] active.
  std::vector<std::array<Pagevec, 2>> m_pvecs;
  LruStats m_stats;
};

}  // namespace pc::kernel
