// Page faults, copy-on-write, unmapping and fork's page-table copy (Linux 2.6.18 mm/memory.c,
// arch/x86_64/mm/fault.c; spec §11). Each fault path takes the locks Linux takes and, where it sleeps
// (allocating, reading a page), re-checks its PTE afterwards (pte_same) before installing anything.
#include <stdexcept>

#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

namespace {
// The end of the 2 MiB region (one PTE table) holding `va`, capped at `end`.
uint64_t pmd_addr_end(uint64_t va, uint64_t end) {
  const uint64_t boundary = (va | ((2ull << 20) - 1)) + 1;
  return boundary < end ? boundary : end;
}
}  // namespace

void MemoryManager::init_zero_page(KCtx& k) {
  Page* p = allocator().alloc_pages(GFP_KERNEL, 0, k);
  if (!p) throw std::runtime_error("boot: no memory for the zero page");
  p->set(PG_reserved);
  m_bus.zero_page(mem_map().page_to_phys(p), k);
  m_zero_page = p;
}

Page* MemoryManager::alloc_user_page(bool zero, KCtx& k) {
  cost(m_costs.page_alloc, k);
  Page* p = allocator().alloc_pages(GFP_HIGHUSER, 0, k);
  if (p && zero) m_bus.zero_page(mem_map().page_to_phys(p), k);  // clear_user_highpage: 4 KiB of stores
  return p;
}

void MemoryManager::put_page(Page* p, KCtx& k) {
  if (p->count == 1) cost(m_costs.page_free, k);  // the last reference: the page goes back to the allocator
  m_lru.put_page(p, k);
}

void MemoryManager::flush_tlb_page(MmStruct& mm, uint64_t va, FlushCause why, KCtx& k) {
  if (!mm.cpu_vm_mask) return;  // no CPU has this mm loaded: no TLB can hold its entries
  ++m_stats.tlb_page_flushes;
  const sc_core::sc_time t0 = k.now();
  m_arch.flush_tlb_page(k.cpu, mm.cpu_vm_mask, mm.cr3(), va, why, k.delay);
  if (m_flush_fs.size() <= k.cpu) m_flush_fs.resize(k.cpu + 1);
  m_flush_fs[k.cpu] += (k.now() - t0).value();
}

void MemoryManager::flush_tlb_mm(MmStruct& mm, FlushCause why, KCtx& k) {
  if (!mm.cpu_vm_mask) return;
  ++m_stats.tlb_mm_flushes;
  m_arch.flush_tlb_mm(k.cpu, mm.cpu_vm_mask, mm.cr3(), why, k.delay);
}

void MemoryManager::switch_mm(unsigned cpu, MmStruct* next, MmStruct*& active_mm, KCtx& k) {
  MmStruct* prev = m_loaded.at(cpu);
  if (!next) {
    // enter_lazy_tlb: a kernel thread runs on whatever the CPU has loaded (no CR3 write); it keeps that
    // mm alive while it does (mm_count).
    active_mm = prev;
    return;
  }
  active_mm = next;
  if (prev == next) {
    // A lazy kernel thread hands back to a task of the same mm: it is still loaded.
    next->cpu_vm_mask |= 1ull << cpu;
    return;
  }
  // 2.6.18 x86-64: leave the old mm's cpu_vm_mask, join the new one's, load CR3 (no PCIDs: a full flush).
  if (prev) prev->cpu_vm_mask &= ~(1ull << cpu);
  m_loaded[cpu] = next;
  ++next->mm_count;
  next->cpu_vm_mask |= 1ull << cpu;
  m_arch.switch_mm(cpu, next->cr3(), k.delay);
  if (prev) mmdrop(prev, k);
}

bool MemoryManager::expand_stack(Vma& vma, uint64_t va) {
  const uint64_t new_start = va & ~(kPageSize - 1);
  if (vma.vm_end - new_start > kMaxStackBytes) return false;
  MmStruct& mm = *vma.mm;
  auto it = mm.vmas.find(vma.vm_start);
  if (it != mm.vmas.begin()) {
    const Vma& prev = *std::prev(it)->second;
    if (prev.vm_end > new_start) return false;  // would collide with the mapping below
  }
  auto node = mm.vmas.extract(it);
  mm.total_vm += (vma.vm_start - new_start) >> kPageShift;
  vma.vm_pgoff -= (vma.vm_start - new_start) >> kPageShift;
  vma.vm_start = new_start;
  node.key() = new_start;
  mm.vmas.insert(std::move(node));
  return true;
}

FaultResult MemoryManager::do_page_fault(MmStruct& mm, uint64_t va, uint32_t error_code, KCtx& k) {
  cost(m_costs.fault_entry, k);
  const bool write = error_code & pg::kPfWrite, exec = error_code & pg::kPfFetch;
  auto segv = [&] {
    ++m_stats.segv;
    return FaultResult::SigSegv;
  };
  if (va >= TASK_SIZE) return segv();
  mm.mmap_sem->down_read(k);
  cost(m_costs.find_vma, k);
  Vma* vma = mm.find_vma(va);
  FaultResult r;
  if (!vma || (va < vma->vm_start && (!(vma->vm_flags & VM_GROWSDOWN) || !expand_stack(*vma, va)))) {
    r = segv();
  } else if (write  ? !(vma->vm_flags & VM_WRITE)
             : exec ? !(vma->vm_flags & VM_EXEC)
                    : !(vma->vm_flags & (VM_READ | VM_EXEC | VM_WRITE))) {
    r = segv();  // do_page_fault's good_area checks
  } else {
    r = handle_mm_fault(mm, *vma, va, write, k);
  }
  mm.mmap_sem->up_read(k);
  return r;
}

FaultResult MemoryManager::handle_mm_fault(MmStruct& mm, Vma& vma, uint64_t va, bool write, KCtx& k) {
  allocator().events().count(PGFAULT);
  const uint64_t pte_pa = walk(mm, va, true, k);
  if (!pte_pa) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  // The entry is read without the lock; every path re-checks it under the lock before it changes it.
  const uint64_t entry = get_pte(pte_pa, k);
  return handle_pte_fault(mm, vma, va, pte_pa, entry, write, k);
}

FaultResult MemoryManager::handle_pte_fault(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa,
                                            uint64_t entry, bool write, KCtx& k) {
  if (!(entry & pg::kP)) {
    if (entry == 0)
      return vma.vm_file ? do_no_page(mm, vma, va, pte_pa, write, k)
                         : do_anonymous_page(mm, vma, va, pte_pa, write, k);
    return do_swap_page(mm, vma, va, pte_pa, entry, write, k);
  }
  Spinlock& ptl = pte_lockptr(mm, pte_pa);
  ptl.lock(k);
  if (get_pte(pte_pa, k) != entry) {  // somebody else handled it meanwhile
    ptl.unlock(k);
    return FaultResult::Minor;
  }
  if (write && !(entry & pg::kRW)) return do_wp_page(mm, vma, va, pte_pa, entry, ptl, k);
  const uint64_t young = entry | pg::kA | (write ? pg::kD : 0);
  if (young != entry) {
    // ptep_set_access_flags: only a write changes the entry (and flushes the stale translation).
    if (write) {
      set_pte(pte_pa, young, k);
      flush_tlb_page(mm, va & ~(kPageSize - 1), FlushCause::Other, k);
    }
  } else if (write) {
    flush_tlb_page(mm, va & ~(kPageSize - 1), FlushCause::Other, k);  // a spurious protection fault
  }
  ptl.unlock(k);
  return FaultResult::Minor;
}

FaultResult MemoryManager::do_anonymous_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write,
                                             KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  if (!write) {
    // Map the shared zero page read-only; a later write copies it (do_wp_page).
    Spinlock& ptl = pte_lockptr(mm, pte_pa);
    ptl.lock(k);
    if (get_pte(pte_pa, k) == 0) {
      ++m_stats.zero_page_maps;
      Lru::get_page(m_zero_page);
      ++mm.file_rss;
      page_add_file_rmap(m_zero_page);
      set_pte(pte_pa, mk_pte(m_zero_page, vma.vm_flags, false), k);
    }
    ptl.unlock(k);
    return FaultResult::Minor;
  }
  anon_vma_prepare(mm, vma, k);
  Page* page = alloc_user_page(true, k);  // may sleep (reclaim)
  if (!page) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  Spinlock& ptl = pte_lockptr(mm, pte_pa);
  ptl.lock(k);
  if (get_pte(pte_pa, k) != 0) {  // another thread of this mm mapped it meanwhile
    ptl.unlock(k);
    put_page(page, k);
    return FaultResult::Minor;
  }
  ++m_stats.anon_faults;
  ++mm.anon_rss;
  cost(m_costs.lru_op + m_costs.rmap_op, k);
  m_lru.lru_cache_add_active(page, k);
  page_add_new_anon_rmap(page, vma, addr);
  set_pte(pte_pa, mk_pte(page, vma.vm_flags, true) | pg::kD, k);
  ptl.unlock(k);
  return FaultResult::Minor;
}

FaultResult MemoryManager::do_no_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write,
                                      KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  ++m_stats.file_faults;
  bool major = false, sigbus = false;
  // vma->vm_ops->nopage: shmem's for shared anonymous memory, filemap_nopage for a file.
  Page* page = vma.vm_file->unlinked_shmem ? shmem_nopage(vma, va, sigbus, k)
                                           : filemap_nopage(vma, va, major, sigbus, k);  // may sleep
  if (!page) {
    if (sigbus) return FaultResult::SigBus;
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  bool anon = false;
  if (write && !(vma.vm_flags & VM_SHARED)) {
    // A write to a private file mapping gets its own anonymous copy right away.
    anon_vma_prepare(mm, vma, k);
    Page* copy = alloc_user_page(false, k);
    if (!copy) {
      put_page(page, k);
      ++m_stats.oom;
      return FaultResult::Oom;
    }
    m_bus.copy_page(mem_map().page_to_phys(copy), mem_map().page_to_phys(page), k);
    ++m_stats.cow_copies;
    ++k.cow_copies;
    put_page(page, k);
    page = copy;
    anon = true;
  }
  Spinlock& ptl = pte_lockptr(mm, pte_pa);
  ptl.lock(k);
  if (get_pte(pte_pa, k) != 0) {  // mapped by somebody else meanwhile: back out
    ptl.unlock(k);
    put_page(page, k);
    return major ? FaultResult::Major : FaultResult::Minor;
  }
  // 2.6.18 has no dirty tracking for shared mappings: the PTE takes vm_page_prot, writable at once for a
  // shared writable mapping; a write fault also sets D in the PTE (not PG_dirty: the dirtiness moves to
  // the page when the PTE is unmapped, zapped or msync'ed).
  const bool writable = anon || ((vma.vm_flags & VM_SHARED) && (vma.vm_flags & VM_WRITE));
  uint64_t entry = mk_pte(page, vma.vm_flags, writable);
  if (write) entry |= pg::kD;
  if (anon) {
    ++mm.anon_rss;
    m_lru.lru_cache_add_active(page, k);
    page_add_new_anon_rmap(page, vma, addr);
  } else {
    ++mm.file_rss;
    page_add_file_rmap(page);  // the reference filemap_nopage took is the PTE's now
  }
  set_pte(pte_pa, entry, k);
  ptl.unlock(k);
  return major ? FaultResult::Major : FaultResult::Minor;
}

FaultResult MemoryManager::do_wp_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t orig_pte,
                                      Spinlock& ptl, KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  Page* old = mem_map().phys_to_page(pg::frame_of(orig_pte));
  bool reuse = false;
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE)) {
    reuse = true;
  } else if (old->anon() && trylock_page(old)) {
    reuse = can_share_swap_page(old);  // this PTE is the only user, slot references included
    unlock_page(old, k.now());
  }
  if (reuse) {
    ++m_stats.cow_reuses;
    // ptep_set_access_flags: young, dirty, writable; x86 flushes the stale read-only translation.
    set_pte(pte_pa, orig_pte | pg::kA | pg::kD | pg::kRW, k);
    flush_tlb_page(mm, addr, FlushCause::Cow, k);
    ptl.unlock(k);
    return FaultResult::Minor;
  }
  // Copy: hold the old page, drop the lock for the allocation and the copy (they may sleep), then
  // install the copy only if the PTE is still what the fault saw.
  Lru::get_page(old);
  ptl.unlock(k);
  anon_vma_prepare(mm, vma, k);
  Page* copy = alloc_user_page(old == m_zero_page, k);
  if (!copy) {
    put_page(old, k);
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  if (old != m_zero_page) m_bus.copy_page(mem_map().page_to_phys(copy), mem_map().page_to_phys(old), k);
  ptl.lock(k);
  if (get_pte(pte_pa, k) != orig_pte) {  // changed meanwhile: the copy goes
    ptl.unlock(k);
    put_page(copy, k);
    put_page(old, k);
    return FaultResult::Minor;
  }
  ++m_stats.cow_copies;
  ++k.cow_copies;
  cost(2 * m_costs.rmap_op + m_costs.lru_op, k);
  page_remove_rmap(old);
  if (!old->anon()) {
    --mm.file_rss;
    ++mm.anon_rss;
  }
  // ptep_establish: flush the old translation everywhere, install the new one.
  ptep_clear_flush(mm, addr, pte_pa, FlushCause::Cow, k);
  set_pte(pte_pa, mk_pte(copy, vma.vm_flags, true) | pg::kD, k);
  m_lru.lru_cache_add_active(copy, k);
  page_add_new_anon_rmap(copy, vma, addr);
  ptl.unlock(k);
  put_page(old, k);  // the reference the old PTE held
  put_page(old, k);  // ours
  return FaultResult::Minor;
}

FaultResult MemoryManager::do_swap_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa,
                                        uint64_t orig_pte, bool write, KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  const uint64_t entry = orig_pte;
  if (!m_swap || !m_swap->valid(entry)) return FaultResult::SigBus;  // not a swap entry of an active area
  bool major = false;
  Spinlock& ptl = pte_lockptr(mm, pte_pa);
  Page* page = lookup_swap_cache(entry, k);
  if (!page) {
    swapin_readahead(entry, k);
    page = read_swap_cache_async(entry, k);
    if (!page) {
      // Back out if somebody else faulted in this PTE while we slept.
      SpinGuard g(ptl, k);
      if (get_pte(pte_pa, k) == orig_pte) {
        ++m_stats.oom;
        return FaultResult::Oom;
      }
      return FaultResult::Minor;
    }
    // Had to read the page from swap area: major fault.
    major = true;
    ++k.major;
    ++k.swapin;
    ++m_swap_stats.major_faults;
    allocator().events().count(PGMAJFAULT);
    grab_swap_token(mm, k);
  }
  // 2.6.18's order: marked accessed before the lock, while its read may still be in flight.
  m_lru.mark_page_accessed(page, k);
  lock_page(page, k, hw::Charge::SwapinWait);  // sleeps until the read completes
  ptl.lock(k);
  if (get_pte(pte_pa, k) != orig_pte) {  // handled by somebody else meanwhile
    ptl.unlock(k);
    unlock_page(page, k.now());
    put_page(page, k);
    return major ? FaultResult::Major : FaultResult::Minor;
  }
  if (!page->test(PG_uptodate)) {  // the read failed: SIGBUS, the swap PTE stays
    ptl.unlock(k);
    unlock_page(page, k.now());
    put_page(page, k);
    ++m_swap_stats.sigbus;
    return FaultResult::SigBus;
  }
  // The lookup's reference becomes the PTE's.
  ++mm.anon_rss;
  cost(m_costs.rmap_op, k);
  uint64_t pte = mk_pte(page, vma.vm_flags, false);
  if (write && can_share_swap_page(page)) {
    pte = mk_pte(page, vma.vm_flags, (vma.vm_flags & VM_WRITE) != 0) | pg::kD;
    write = false;
  }
  set_pte(pte_pa, pte, k);
  page_add_anon_rmap(page, vma, addr);
  swap_free(entry, k);  // the PTE's count on the slot
  // Release the slot early when swap is more than half full (or the page can never be swapped out
  // again: VM_LOCKED, as later kernels do); the page is dirty again then.
  if (m_swap->vm_swap_full() || (vma.vm_flags & VM_LOCKED)) remove_exclusive_swap_page(page, k);
  unlock_page(page, k.now());
  if (write) {
    // Not shared writable: copy on write now, with the PTE lock held as do_wp_page expects.
    const FaultResult r = do_wp_page(mm, vma, va, pte_pa, pte, ptl, k);
    if (r == FaultResult::Oom) return r;
    return major ? FaultResult::Major : FaultResult::Minor;
  }
  ptl.unlock(k);
  return major ? FaultResult::Major : FaultResult::Minor;
}

void MemoryManager::tlb_finish_mmu(MmuGather& tlb, KCtx& k) {
  // One flush, then the pages and page-table pages the unmap gathered are freed.
  if (tlb.need_flush) flush_tlb_mm(*tlb.mm, FlushCause::Unmap, k);
  tlb.need_flush = false;
  // free_pages_and_swap_cache: a page leaving its last mapping also leaves the swap cache if nobody
  // else refers to its slot (free_swap_cache).
  for (Page* p : tlb.pages) {
    free_swap_cache(p, k);
    put_page(p, k);
  }
  tlb.pages.clear();
}

void MemoryManager::unmap_vmas(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, MmuGather& tlb,
                               KCtx& k) {
  // zap_pte_range over each PTE page, under its lock.
  for (uint64_t va = start; va < end;) {
    const uint64_t pmd_end = pmd_addr_end(va, end);
    const uint64_t pte_pa = walk(mm, va, false, k);
    if (!pte_pa) {
      va = pmd_end;
      continue;
    }
    SpinGuard g(pte_lockptr(mm, pte_pa), k);
    for (uint64_t a = va, p = pte_pa; a < pmd_end; a += kPageSize, p += 8) {
      const uint64_t pte = get_pte(p, k);
      if (!pte) continue;
      if (!(pte & pg::kP)) {  // a swap entry: drop the slot reference (and its cached page if unused)
        set_pte(p, 0, k);
        free_swap_and_cache(pte, k);
        continue;
      }
      const uint64_t old = ptep_get_and_clear(p, k);
      tlb.need_flush = true;
      Page* page = mem_map().phys_to_page(pg::frame_of(old));
      if (page->anon()) {
        --mm.anon_rss;
      } else {
        if (page != m_zero_page) {
          if (old & pg::kD) set_page_dirty(page);  // the PTE's dirtiness goes to the page
          if (old & pg::kA) m_lru.mark_page_accessed(page, k);
        }
        --mm.file_rss;
      }
      cost(m_costs.rmap_op, k);
      page_remove_rmap(page);
      tlb.pages.push_back(page);  // tlb_remove_page
    }
    va = pmd_end;
  }
  (void)vma;
}

bool MemoryManager::copy_page_range(MmStruct& dst, MmStruct& src, Vma& vma, KCtx& k) {
  // A mapping that never had an anonymous page (plain file or shared memory) is not copied: the child
  // faults its pages in (2.6.18 skips it unless it is hugetlb, nonlinear, PFN-mapped or insert-page).
  if (!(vma.vm_flags & (VM_HUGETLB | VM_NONLINEAR | VM_PFNMAP | VM_INSERTPAGE)) && !vma.anon_vma) return true;
  for (uint64_t va = vma.vm_start; va < vma.vm_end;) {
    const uint64_t pmd_end = pmd_addr_end(va, vma.vm_end);
    const uint64_t src_pa = walk(src, va, false, k);
    if (!src_pa) {
      va = pmd_end;
      continue;
    }
    const uint64_t dst_pa = walk(dst, va, true, k);
    if (!dst_pa) return false;
    // copy_pte_range: the child's PTE lock, then the parent's (same class, nested).
    SpinGuard gd(pte_lockptr(dst, dst_pa), k);
    SpinGuard gs(pte_lockptr(src, src_pa), k);
    for (uint64_t a = va, p = src_pa, c = dst_pa; a < pmd_end; a += kPageSize, p += 8, c += 8) {
      uint64_t pte = get_pte(p, k);
      if (!pte) continue;
      if (!(pte & pg::kP)) {  // copy_one_pte: a swap PTE is shared, with one more slot reference
        swap_duplicate(pte, k);
        // The child joins the mmlist (after its parent in Linux) so swapoff finds its entries.
        add_to_mmlist(dst, k);
        set_pte(c, pte, k);
        continue;
      }
      // A COW mapping's writable PTE is write-protected in both parent and child.
      if (vma.is_cow() && (pte & pg::kRW)) {
        ptep_set_wrprotect(p, k);
        pte &= ~pg::kRW;
      }
      if (vma.vm_flags & VM_SHARED) pte &= ~pg::kD;  // pte_mkclean
      pte &= ~pg::kA;                                // the child's copy starts old
      Page* page = mem_map().phys_to_page(pg::frame_of(pte));
      Lru::get_page(page);
      ++page->mapcount;  // page_dup_rmap: no zone counter changes
      if (page->anon())
        ++dst.anon_rss;
      else
        ++dst.file_rss;
      cost(m_costs.rmap_op, k);
      set_pte(c, pte, k);
    }
    va = pmd_end;
  }
  return true;
}

}  // namespace pc::kernel
