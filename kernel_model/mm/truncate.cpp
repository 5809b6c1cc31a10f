// invalidate_mapping_pages (Linux 2.6.18 mm/truncate.c): drops the clean, unmapped, unlocked pages of a
// mapping from the page cache (prune_icache's invalidate_inode_pages).
#include <vector>

#include "kernel_model/mm/mm.h"
#include "kernel_model/mm/vmscan.h"

namespace pc::kernel {

bool MemoryManager::invalidate_complete_page(AddressSpace& as, Page* page, KCtx& k) {
  if (page->file_mapping() != &as) return false;  // truncated or reclaimed meanwhile
  cost(m_costs.page_cache_op, k);
  SpinGuard g(*as.tree_lock, k);
  // The page cache's reference and the caller's: anybody else keeps the page.
  if (page->test(PG_dirty) || page->count != 2) return false;
  // __remove_from_page_cache.
  as.page_tree.erase(page->index);
  --as.nrpages;
  page->mapping = 0;
  allocator().mod_zone_page_state(page, NR_FILE_PAGES, -1);
  g.unlock();
  page->clear(PG_uptodate);
  --page->count;  // page_cache_release of the cache's reference (the caller's remains)
  return true;
}

uint64_t MemoryManager::invalidate_mapping_pages(AddressSpace& as, KCtx& k) {
  // pagevec_lookup: a reference on every page of the mapping (2.6.18 takes them 14 at a time; the model
  // takes them at once, which changes no outcome: the tree is only read).
  std::vector<Page*> pvec;
  {
    cost(m_costs.page_cache_op, k);
    SpinGuard g(*as.tree_lock, k);
    for (const auto& e : as.page_tree) {
      Lru::get_page(e.second);
      pvec.push_back(e.second);
    }
  }
  uint64_t ret = 0;
  for (Page* page : pvec) {
    if (trylock_page(page)) {
      if (!page->test(PG_writeback) && !page->mapped()) ret += invalidate_complete_page(as, page, k);
      unlock_page(page, k.now());
    }
    put_page(page, k);  // pagevec_release: the last reference of an invalidated page frees it
  }
  return ret;
}

}  // namespace pc::kernel
