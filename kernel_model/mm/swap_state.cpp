// The swap cache (Linux 2.6.18 mm/swap_state.c; spec §10.1-§10.3, §10.6-§10.7), the page-level functions
// of mm/swapfile.c (swap_duplicate / swap_free under swap_lock, free_swap_and_cache,
// remove_exclusive_swap_page, can_share_swap_page), and the swap token (mm/thrash.c; spec §7).
#include <stdexcept>

#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"

namespace pc::kernel {

namespace {
constexpr int kEEXIST = 17, kENOENT = 2;
constexpr uint64_t SWAP_TOKEN_CHECK_INTERVAL_S = 2;  // HZ * 2
}  // namespace

void MemoryManager::set_swap(SwapAreas* areas, SwapIo* io, unsigned page_cluster, uint64_t token_timeout_j,
                             sc_core::sc_time jiffy) {
  m_swap = areas;
  m_swap_io = io;
  m_page_cluster = page_cluster;
  m_swap_token_default_timeout = token_timeout_j;
  m_jiffy = jiffy;
}

uint64_t MemoryManager::jiffies() const {
  return m_jiffy == sc_core::SC_ZERO_TIME ? 0 : static_cast<uint64_t>(sc_core::sc_time_stamp() / m_jiffy);
}

bool MemoryManager::swap_duplicate(uint64_t entry, KCtx& k) {
  SpinGuard g(*m_swap_lock, k);
  return m_swap && m_swap->swap_duplicate(entry);
}

void MemoryManager::swap_free(uint64_t entry, KCtx& k) {
  SpinGuard g(*m_swap_lock, k);
  if (m_swap) m_swap->swap_free(entry);
}

void MemoryManager::add_to_mmlist(MmStruct& mm, KCtx& k) {
  if (mm.on_mmlist) return;
  SpinGuard g(*m_mmlist_lock, k);
  mm.on_mmlist = true;
  m_mmlist.push_back(&mm);
}

int MemoryManager::__add_to_swap_cache(Page* page, uint64_t entry, KCtx& k) {
  cost(m_costs.page_cache_op, k);
  SpinGuard g(*m_swapper_space.tree_lock, k);
  if (m_swapper_space.page_tree.count(entry)) return -kEEXIST;
  m_swapper_space.page_tree.emplace(entry, page);
  Lru::get_page(page);  // the swap cache's reference
  page->set(PG_locked);
  page->set(PG_swapcache);
  page->private_ = entry;
  ++m_swapper_space.nrpages;                                // total_swapcache_pages
  allocator().mod_zone_page_state(page, NR_FILE_PAGES, 1);  // swap-cache pages count as file pages
  return 0;
}

int MemoryManager::add_to_swap_cache(Page* page, uint64_t entry, KCtx& k) {
  // The cache's own count on the slot first: if that fails the slot was freed meanwhile.
  if (!swap_duplicate(entry, k)) {
    ++m_swap_stats.noent_race;
    return -kENOENT;
  }
  const int err = __add_to_swap_cache(page, entry, k);
  if (err) {
    swap_free(entry, k);
    if (err == -kEEXIST) ++m_swap_stats.exist_race;
    return err;
  }
  ++m_swap_stats.add_total;
  return 0;
}

void MemoryManager::__delete_from_swap_cache(Page* page, KCtx& k) {
  if (!page->test(PG_locked) || !page->test(PG_swapcache) || page->test(PG_writeback))
    throw std::logic_error(
        "__delete_from_swap_cache: page not locked, not in the swap cache or under writeback");
  cost(m_costs.page_cache_op, k);
  m_swapper_space.page_tree.erase(page->private_);
  page->private_ = 0;
  page->clear(PG_swapcache);
  --m_swapper_space.nrpages;
  allocator().mod_zone_page_state(page, NR_FILE_PAGES, -1);
  ++m_swap_stats.del_total;
  auto it = m_ra_pending.find(page);
  if (it != m_ra_pending.end()) {  // read ahead and never used by a fault
    ++m_swap_stats.ra_wasted;
    m_ra_pending.erase(it);
  }
}

void MemoryManager::delete_from_swap_cache(Page* page, KCtx& k) {
  const uint64_t entry = page->private_;
  {
    SpinGuard g(*m_swapper_space.tree_lock, k);
    __delete_from_swap_cache(page, k);
  }
  swap_free(entry, k);
  put_page(page, k);  // the cache's reference
}

bool MemoryManager::add_to_swap(Page* page, KCtx& k) {
  if (!page->test(PG_locked)) throw std::logic_error("add_to_swap: page not locked");
  for (;;) {
    uint64_t entry;
    {
      SpinGuard g(*m_swap_lock, k);
      entry = m_swap ? m_swap->get_swap_page() : 0;
    }
    if (!entry) return false;
    // GFP_ATOMIC | __GFP_NOMEMALLOC: the slot's count of 1 from scan_swap_map is the cache's count.
    const int err = __add_to_swap_cache(page, entry, k);
    if (!err) {
      page->set(PG_uptodate);
      page->set(PG_dirty);  // the slot has no data yet
      ++m_swap_stats.add_total;
      return true;
    }
    swap_free(entry, k);
    if (err != -kEEXIST) return false;
    ++m_swap_stats.exist_race;  // raced with a readahead that cached a page for a just-freed slot
  }
}

Page* MemoryManager::lookup_swap_cache(uint64_t entry, KCtx& k) {
  ++m_swap_stats.find_total;
  Page* page = find_get_page(m_swapper_space, entry, k);
  if (page) {
    ++m_swap_stats.find_success;
    auto it = m_ra_pending.find(page);
    if (it != m_ra_pending.end()) {
      ++m_swap_stats.ra_used;
      m_ra_pending.erase(it);
    }
  }
  return page;
}

Page* MemoryManager::read_swap_cache_async(uint64_t entry, KCtx& k) {
  Page* new_page = nullptr;
  for (;;) {
    // find_get_page without the statistics of lookup_swap_cache.
    if (Page* found = find_get_page(m_swapper_space, entry, k)) {
      if (new_page) put_page(new_page, k);
      return found;
    }
    if (!new_page) {
      new_page = alloc_user_page(false, k);  // may sleep in reclaim: look again afterwards
      if (!new_page) return nullptr;
      continue;
    }
    const int err = add_to_swap_cache(new_page, entry, k);
    if (!err) {
      // Initiate the read: the page is locked until it completes.
      m_lru.lru_cache_add_active(new_page, k);
      swap_readpage(new_page, k);
      return new_page;
    }
    if (err != -kEEXIST) {  // -ENOENT: the slot was freed meanwhile
      put_page(new_page, k);
      return nullptr;
    }
  }
}

void MemoryManager::swapin_readahead(uint64_t entry, KCtx& k) {
  uint64_t offset = 0;
  unsigned nr;
  {
    SpinGuard g(*m_swap_lock, k);
    nr = m_swap->valid_swaphandles(entry, m_page_cluster, offset);
  }
  const unsigned type = swp_type(entry);
  for (unsigned i = 0; i < nr; ++i, ++offset) {
    const uint64_t e = swp_entry(type, offset);
    const bool was_cached = m_swapper_space.page_tree.count(e) != 0;
    Page* page = read_swap_cache_async(e, k);
    if (!page) break;
    if (!was_cached && e != entry) {  // a readahead read (the faulting slot itself is the fault's own)
      ++m_swap_stats.ra_pages;
      m_ra_pending[page] = true;
    }
    put_page(page, k);
  }
  m_lru.lru_add_drain(k);  // push any new pages onto the LRU now
}

bool MemoryManager::can_share_swap_page(Page* page) {
  if (!page->test(PG_locked)) throw std::logic_error("can_share_swap_page: page not locked");
  int count = page->page_mapcount();
  if (count <= 1 && page->test(PG_swapcache) && m_swap)
    count += m_swap->swap_count(page->private_) - 1;  // page_swapcount: the cache's own count excluded
  return count == 1;
}

bool MemoryManager::remove_exclusive_swap_page(Page* page, KCtx& k) {
  if (!page->test(PG_locked)) throw std::logic_error("remove_exclusive_swap_page: page not locked");
  if (!page->test(PG_swapcache) || page->test(PG_writeback) || page->count != 2) return false;  // us + cache
  const uint64_t entry = page->private_;
  bool removed = false;
  {
    SpinGuard g(*m_swap_lock, k);
    if (m_swap->swap_count(entry) == 1) {  // the only user of the slot is the cache itself
      SpinGuard t(*m_swapper_space.tree_lock, k);
      if (page->count == 2 && !page->test(PG_writeback)) {
        __delete_from_swap_cache(page, k);
        page->set(PG_dirty);
        removed = true;
      }
    }
  }
  if (removed) {
    swap_free(entry, k);
    put_page(page, k);
  }
  return removed;
}

void MemoryManager::free_swap_and_cache(uint64_t entry, KCtx& k) {
  Page* page = nullptr;
  {
    SpinGuard g(*m_swap_lock, k);
    if (!m_swap || !m_swap->valid(entry) || !m_swap->swap_count(entry)) {
      m_swap->swap_free(entry);  // counts the bad free
      return;
    }
    m_swap->swap_free(entry);
    if (m_swap->swap_count(entry) == 1) {  // only the swap cache still refers to the slot
      page = find_get_page(m_swapper_space, entry, k);
      if (page && !trylock_page(page)) {
        put_page(page, k);
        page = nullptr;
      }
    }
  }
  if (!page) return;
  const bool one_user = page->count == 2;
  // Only the cache (and us), or swap space full: free it.
  if (page->test(PG_swapcache) && !page->test(PG_writeback) && (one_user || m_swap->vm_swap_full())) {
    delete_from_swap_cache(page, k);
    page->set(PG_dirty);
  }
  unlock_page(page, k.now());
  put_page(page, k);
}

void MemoryManager::free_swap_cache(Page* page, KCtx& k) {
  if (page->test(PG_swapcache) && !page->mapped() && trylock_page(page)) {
    remove_exclusive_swap_page(page, k);
    unlock_page(page, k.now());
  }
}

// ---------------------------------------------------------------------------------------------------
// The swap token (mm/thrash.c).

void MemoryManager::grab_swap_token(MmStruct& mm, KCtx& k) {
  (void)k;
  if (!m_swap) return;
  const uint64_t now = jiffies();
  const uint64_t interval = static_cast<uint64_t>(
      sc_core::sc_time(SWAP_TOKEN_CHECK_INTERVAL_S, sc_core::SC_SEC) /
      (m_jiffy == sc_core::SC_ZERO_TIME ? sc_core::sc_time(1, sc_core::SC_MS) : m_jiffy));
  if (m_swap_token_mm == &mm) {
    mm.recent_pagein = true;
    if (!m_swap_token_default_timeout) put_swap_token(mm, k);
    return;
  }
  if (now <= m_swap_token_check) return;  // time_after(jiffies, swap_token_check)
  if (!m_swap_token_default_timeout) {
    m_swap_token_check = now + interval;
    return;
  }
  if (now < mm.swap_token_time) return;  // held it recently
  // spin_trylock(&swap_token_lock): never contended in the model (no simulated time passes in here).
  m_swap_token_check = now + interval;
  bool reason = false, timed_out = false;
  if (!m_swap_token_mm) {
    reason = true;  // init_mm holds it: its recent_pagein is never set
  } else {
    // should_release_swap_token: the holder had no major fault in the last interval ("enough RSS"),
    // else its holding time is up.
    if (!m_swap_token_mm->recent_pagein)
      reason = true;
    else if (now > m_swap_token_timeout)
      reason = timed_out = true;
    m_swap_token_mm->recent_pagein = false;
  }
  if (!reason) return;
  if (m_swap_token_mm)
    m_swap_token_mm->swap_token_time = now + (timed_out ? m_swap_token_default_timeout : 0);
  m_swap_token_timeout = now + m_swap_token_default_timeout;
  m_swap_token_mm = &mm;
  ++m_swap_stats.token_grabs;
}

void MemoryManager::put_swap_token(MmStruct& mm, KCtx& k) {
  (void)k;
  if (m_swap_token_mm != &mm) return;
  const uint64_t interval =
      m_jiffy == sc_core::SC_ZERO_TIME
          ? 0
          : static_cast<uint64_t>(sc_core::sc_time(SWAP_TOKEN_CHECK_INTERVAL_S, sc_core::SC_SEC) / m_jiffy);
  mm.swap_token_time = jiffies() + interval;  // barred for the check interval
  m_swap_token_mm = nullptr;
  m_swap_token_check = jiffies();  // an immediate grab is allowed
}

void MemoryManager::disable_swap_token() {
  if (m_swap_token_mm) {
    KCtx k;
    put_swap_token(*m_swap_token_mm, k);
  }
}

}  // namespace pc::kernel
