// Reverse mapping: map counts with the NR_ANON_PAGES / NR_FILE_MAPPED page state, page_referenced and
// try_to_unmap (Linux 2.6.18 mm/rmap.c; spec §8). The walks hold anon_vma->lock or i_mmap_lock, then the
// PTE lock of each mapping (page_check_address).
#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

void MemoryManager::page_add_new_anon_rmap(Page* page, Vma& vma, uint64_t addr) {
  page->mapcount = 0;
  page->mapping = reinterpret_cast<uintptr_t>(vma.anon_vma) | 1;  // PAGE_MAPPING_ANON
  page->index = linear_page_index(&vma, addr);
  allocator().mod_zone_page_state(page, NR_ANON_PAGES, 1);
}

void MemoryManager::page_add_anon_rmap(Page* page, Vma& vma, uint64_t addr) {
  // The first mapping sets the anon_vma and index (__page_set_anon_rmap); a swap-cache page read back
  // has none yet.
  if (++page->mapcount == 0) {
    page->mapping = reinterpret_cast<uintptr_t>(vma.anon_vma) | 1;
    page->index = linear_page_index(&vma, addr);
    allocator().mod_zone_page_state(page, NR_ANON_PAGES, 1);
  }
}

void MemoryManager::page_add_file_rmap(Page* page) {
  if (++page->mapcount == 0) allocator().mod_zone_page_state(page, NR_FILE_MAPPED, 1);
}

void MemoryManager::page_remove_rmap(Page* page) {
  if (page->mapcount < 0) throw std::logic_error("page_remove_rmap: page not mapped");
  if (--page->mapcount < 0)  // the last mapping went
    allocator().mod_zone_page_state(page, page->anon() ? NR_ANON_PAGES : NR_FILE_MAPPED, -1);
  // An anonymous page keeps its anon_vma in ->mapping after the last unmap (cleared when freed).
}

int MemoryManager::page_referenced_one(Page* page, Vma& vma, int& mapcount, KCtx& k) {
  const uint64_t address = vma_address(page, &vma);
  if (address == ~0ull) return 0;
  MmStruct& mm = *vma.mm;
  // page_check_address: the PTE, under its lock, must be present and point at this page.
  const uint64_t pte_pa = walk(mm, address, false, k);
  if (!pte_pa) return 0;
  SpinGuard g(pte_lockptr(mm, pte_pa), k);
  const uint64_t pte = get_pte(pte_pa, k);
  if (!(pte & pg::kP) || pg::frame_of(pte) != mem_map().page_to_phys(page)) return 0;
  int referenced = 0;
  if (ptep_clear_flush_young(mm, address, pte_pa, k)) {
    ++m_stats.young_cleared;
    ++referenced;
  }
  // Pretty much the only way to get here is if the thread with the swap token is in a page fault
  // (holding its mmap_sem): its pages count as referenced.
  const MmStruct* current_mm = k.task ? k.task->mm : nullptr;
  if (&mm != current_mm && has_swap_token(mm) && (mm.mmap_sem->readers() > 0 || mm.mmap_sem->writer())) {
    ++referenced;
    ++m_swap_stats.token_referenced;
  }
  --mapcount;
  return referenced;
}

int MemoryManager::page_referenced_file(Page* page, int mapcount, KCtx& k) {
  // The i_mmap_lock is held: the tree cannot change under the walk.
  int referenced = 0;
  ++m_stats.rmap_file_walks;
  VmaPrioTreeIter it(page->file_mapping()->i_mmap, page->index, page->index);
  uint64_t charged = 0;
  while (Vma* v = next_file_vma(it, charged, k)) {
    if ((v->vm_flags & (VM_LOCKED | VM_MAYSHARE)) == (VM_LOCKED | VM_MAYSHARE)) {
      ++referenced;
      break;
    }
    referenced += page_referenced_one(page, *v, mapcount, k);
    if (mapcount <= 0) break;
  }
  return referenced;
}

Vma* MemoryManager::next_file_vma(VmaPrioTreeIter& it, uint64_t& charged, KCtx& k) {
  Vma* v = it.next();
  const uint64_t n = it.tree.visited - charged;  // the tree nodes this step read
  charged = it.tree.visited;
  m_stats.prio_tree_nodes += n;
  cost(n * m_costs.prio_tree_node, k);
  if (v) {
    ++m_stats.rmap_file_vmas;
    cost(m_costs.rmap_op, k);
  }
  return v;
}

int MemoryManager::page_referenced(Page* page, bool is_locked, KCtx& k) {
  ++m_stats.page_referenced_calls;
  int referenced = 0;
  if (page->test_and_clear(PG_referenced)) ++referenced;
  if (!page->mapped() || !page->mapping) return referenced;
  int mapcount = page->page_mapcount();
  if (AnonVma* av = page->anon_vma()) {  // page_referenced_anon
    SpinGuard g(*av->lock, k);
    for (Vma* v : av->vmas) {
      cost(m_costs.rmap_op, k);
      referenced += page_referenced_one(page, *v, mapcount, k);
      if (mapcount <= 0) break;
    }
    return referenced;
  }
  bool trylocked = false;
  if (!is_locked) {
    if (!trylock_page(page)) return referenced + 1;  // somebody holds it: treat as referenced
    trylocked = true;
  }
  // The page may have been truncated meanwhile (page_referenced checks page->mapping again).
  if (AddressSpace* as = page->file_mapping()) {
    SpinGuard g(*as->i_mmap_lock, k);
    referenced += page_referenced_file(page, mapcount, k);
  }
  if (trylocked) unlock_page(page, k.now());
  return referenced;
}

SwapResult MemoryManager::try_to_unmap_one(Page* page, Vma& vma, KCtx& k) {
  const uint64_t address = vma_address(page, &vma);
  if (address == ~0ull) return SwapResult::Again;
  MmStruct& mm = *vma.mm;
  const uint64_t pte_pa = walk(mm, address, false, k);
  if (!pte_pa) return SwapResult::Again;
  SpinGuard g(pte_lockptr(mm, pte_pa), k);
  const uint64_t pte = get_pte(pte_pa, k);
  if (!(pte & pg::kP) || pg::frame_of(pte) != mem_map().page_to_phys(page)) return SwapResult::Again;
  // An mlocked page, or one referenced since page_referenced looked (A cleared atomically, with a
  // flush), stays and is reactivated.
  if ((vma.vm_flags & VM_LOCKED) || ptep_clear_flush_young(mm, address, pte_pa, k)) return SwapResult::Fail;
  if (page->anon() && !page->test(PG_swapcache))
    return SwapResult::Fail;  // shrink_page_list adds anon pages to the swap cache first; never lose data
  // ptep_clear_flush: the entry goes in one exchange (a Dirty bit set up to that instant is in `old`),
  // then the translation is flushed everywhere.
  const uint64_t old = ptep_clear_flush(mm, address, pte_pa, FlushCause::TryToUnmap, k);
  if (old & pg::kD) set_page_dirty(page);
  mm.hiwater_rss = std::max(mm.hiwater_rss, mm.anon_rss + mm.file_rss);
  if (page->anon()) {
    const uint64_t entry = page->private_;
    swap_duplicate(entry, k);
    add_to_mmlist(mm, k);       // swapoff will look for the entry in this mm
    set_pte(pte_pa, entry, k);  // the swap-entry PTE
    --mm.anon_rss;
  } else {
    --mm.file_rss;
  }
  cost(m_costs.rmap_op, k);
  page_remove_rmap(page);
  g.unlock();
  put_page(page, k);
  ++m_stats.unmapped_by_rmap;
  return SwapResult::Again;
}

SwapResult MemoryManager::try_to_unmap_file(Page* page, KCtx& k) {
  // The i_mmap_lock is held. No nonlinear VMAs exist in the model, so the i_mmap_nonlinear pass of
  // 2.6.18 has nothing to do.
  SwapResult ret = SwapResult::Again;
  ++m_stats.rmap_file_walks;
  VmaPrioTreeIter it(page->file_mapping()->i_mmap, page->index, page->index);
  uint64_t charged = 0;
  while (Vma* v = next_file_vma(it, charged, k)) {
    ret = try_to_unmap_one(page, *v, k);
    if (ret == SwapResult::Fail || !page->mapped()) break;
  }
  return ret;
}

SwapResult MemoryManager::try_to_unmap(Page* page, KCtx& k) {
  SwapResult ret = SwapResult::Again;
  if (AnonVma* av = page->anon_vma()) {  // try_to_unmap_anon
    SpinGuard g(*av->lock, k);
    for (Vma* v : av->vmas) {
      cost(m_costs.rmap_op, k);
      ret = try_to_unmap_one(page, *v, k);
      if (ret == SwapResult::Fail || !page->mapped()) break;
    }
  } else if (AddressSpace* as = page->file_mapping()) {
    SpinGuard g(*as->i_mmap_lock, k);
    ret = try_to_unmap_file(page, k);
  }
  if (!page->mapped()) ret = SwapResult::Success;
  return ret;
}

}  // namespace pc::kernel
