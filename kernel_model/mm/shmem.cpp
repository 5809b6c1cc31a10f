// Shared anonymous memory (mm/shmem.c): a MAP_SHARED | MAP_ANONYMOUS mapping is backed by an unlinked
// shmem file whose pages live in its page cache, so a fork shares them. Under memory pressure
// shmem_writepage moves a page to the swap cache and records its slot in the file's swap vector;
// shmem_getpage brings it back (a major fault when it has to read it).
#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"
#include "kernel_model/mm/vmstat.h"

namespace pc::kernel {

File* MemoryManager::create_shmem_file(uint64_t len) {
  class ShmemBacking : public FileBacking {
   public:
    ShmemBacking(KernelBus& bus, uint64_t pages) : m_bus(bus), m_pages(pages) {}
    // A new shmem page is a zeroed page, not I/O.
    bool readpages(uint64_t, const std::vector<uint64_t>& pas, KCtx& k, IoDone) override {
      for (uint64_t pa : pas) m_bus.zero_page(pa, k);
      return false;
    }
    // Never called: pageout hands shmem pages to shmem_writepage (the swap cache). Without swap space
    // it answers AOP_WRITEPAGE_ACTIVATE, as this does (the page is never dropped as zeros).
    int writepage(uint64_t, uint64_t, KCtx&, IoDone) override { return 28; /* ENOSPC */ }
    uint64_t size_pages() const override { return m_pages; }

   private:
    KernelBus& m_bus;
    uint64_t m_pages;
  };
  File* f = new_file("/dev/zero (deleted)", std::make_unique<ShmemBacking>(m_bus, len >> kPageShift));
  f->unlinked_shmem = true;
  return f;
}

// shmem_nopage -> shmem_getpage(SGP_CACHE): the page from the file's cache, or a new zeroed page added
// to it (never I/O: VM_FAULT_MINOR; only a swapped-out shmem page would make a major fault).
Page* MemoryManager::shmem_nopage(Vma& vma, uint64_t va, bool& sigbus, KCtx& k) {
  File& f = *vma.vm_file;
  const uint64_t idx = linear_page_index(&vma, va & ~(kPageSize - 1));
  sigbus = false;
  if (idx >= f.backing->size_pages()) {
    sigbus = true;  // beyond i_size: NOPAGE_SIGBUS
    return nullptr;
  }
  for (;;) {
    if (Page* page = find_get_page(f.mapping, idx, k)) {
      m_lru.mark_page_accessed(page, k);
      return page;
    }
    auto sw = f.shmem_swap.find(idx);
    if (sw != f.shmem_swap.end()) {
      bool oom = false;
      if (Page* page = shmem_swapin(f, idx, sw->second, sigbus, oom, k)) {
        m_lru.mark_page_accessed(page, k);
        return page;
      }
      if (sigbus || oom) return nullptr;
      continue;  // moved back or swapped out again while this task slept: look again
    }
    // shmem_alloc_page, clear_highpage, SetPageUptodate, add_to_page_cache_lru.
    cost(m_costs.page_alloc, k);
    Page* page = allocator().alloc_pages(GFP_HIGHUSER, 0, k);
    if (!page) return nullptr;  // NOPAGE_OOM
    m_bus.zero_page(mem_map().page_to_phys(page), k);
    if (!add_to_page_cache(page, f.mapping, idx, k)) {  // another task added it meanwhile: use theirs
      put_page(page, k);
      continue;
    }
    page->set(PG_uptodate);
    m_lru.lru_cache_add(page, k);
    unlock_page(page, k.now());
    m_lru.mark_page_accessed(page, k);
    return page;  // the allocation's reference is the caller's; the page cache holds its own
  }
}

// shmem_getpage's swap branch: the page from the swap cache or read from the slot (with readahead,
// VM_FAULT_MAJOR), locked, then moved from the swap cache back to the file (move_from_swap_cache) and
// the slot released. Returns the page with a reference; nullptr with `sigbus` on a read error, with
// `oom` when memory ran out, with neither when another task moved the page back meanwhile.
Page* MemoryManager::shmem_swapin(File& f, uint64_t idx, uint64_t entry, bool& sigbus, bool& oom, KCtx& k) {
  sigbus = oom = false;
  Page* page = lookup_swap_cache(entry, k);
  if (!page) {
    swapin_readahead(entry, k);
    page = read_swap_cache_async(entry, k);
    if (!page) {
      auto sw = f.shmem_swap.find(idx);
      oom = sw != f.shmem_swap.end() && sw->second == entry;  // else the slot was freed meanwhile
      return nullptr;
    }
    allocator().events().count(PGMAJFAULT);
    ++k.major;
    ++k.swapin;
    ++m_swap_stats.major_faults;
    if (k.task && k.task->mm) grab_swap_token(*k.task->mm, k);
  }
  lock_page(page, k, hw::Charge::SwapinWait);
  if (page->test(PG_writeback)) {
    // Still being written to its slot: wait for that, then look again (shmem_getpage's repeat).
    unlock_page(page, k.now());
    wait_on_page_writeback(page, k);
    put_page(page, k);
    return nullptr;
  }
  auto sw = f.shmem_swap.find(idx);
  if (sw == f.shmem_swap.end() || sw->second != entry || !page->test(PG_swapcache) ||
      page->private_ != entry) {
    // Moved back (or truncated) while this task slept: look again.
    unlock_page(page, k.now());
    put_page(page, k);
    return nullptr;
  }
  if (!page->test(PG_uptodate)) {
    unlock_page(page, k.now());
    put_page(page, k);
    ++m_swap_stats.sigbus;
    sigbus = true;
    return nullptr;
  }
  // move_from_swap_cache: into the file's cache (the page stays locked), out of the swap cache, dirty:
  // its only copy is in memory again once the slot goes.
  if (!add_to_page_cache(page, f.mapping, idx, k)) throw std::logic_error("shmem_swapin: page index taken");
  delete_from_swap_cache(page, k);
  page->set(PG_dirty);
  f.shmem_swap.erase(sw);
  swap_free(entry, k);  // shmem's own count on the slot
  ++m_swap_stats.shmem_swapin;
  unlock_page(page, k.now());
  return page;
}

bool MemoryManager::shmem_writepage(Page* page, KCtx& k) {
  AddressSpace* as = page->file_mapping();
  if (!as || !as->host) throw std::logic_error("shmem_writepage: page without a shmem mapping");
  File& f = *as->host;
  uint64_t swap;
  {
    SpinGuard g(*m_swap_lock, k);
    swap = m_swap ? m_swap->get_swap_page() : 0;
  }
  if (!swap) return false;  // redirty: AOP_WRITEPAGE_ACTIVATE
  // move_to_swap_cache: into the swap cache (GFP_ATOMIC), out of the file's page cache.
  if (__add_to_swap_cache(page, swap, k)) {
    swap_free(swap, k);
    return false;
  }
  {
    SpinGuard g(*as->tree_lock, k);
    as->page_tree.erase(page->index);
    --as->nrpages;
    page->mapping = 0;
    allocator().mod_zone_page_state(page, NR_FILE_PAGES, -1);
  }
  --page->count;            // the page cache's reference (the swap cache's and the isolation's remain)
  swap_duplicate(swap, k);  // the swap vector's count: 2 with the cache's
  page->set(PG_dirty);
  f.shmem_swap[page->index] = swap;
  ++m_swap_stats.add_total;
  ++m_swap_stats.shmem_swapout;
  unlock_page(page, k.now());
  return true;
}

}  // namespace pc::kernel
