// Shared anonymous memory (mm/shmem.c): a MAP_SHARED | MAP_ANONYMOUS mapping is backed by an unlinked
// shmem file whose pages live in its page cache, so a fork shares them. Until swap exists a shmem page has
// no backing store.
#include "kernel_model/mm/mm.h"

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
    // Until swap exists a shmem page has no backing store: it cannot be written back and must stay
    // (shmem_writepage without swap returns AOP_WRITEPAGE_ACTIVATE; the page is never dropped as zeros).
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

}  // namespace pc::kernel
