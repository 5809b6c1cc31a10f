// Page faults, copy-on-write, unmapping and fork's page-table copy (Linux 2.6.18 mm/memory.c;
// spec linux-2.6.18-mm.md §11).
#include <stdexcept>

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
  Page* p = allocator().alloc_pages(GFP_KERNEL, 0, k.cpu);
  if (!p) throw std::runtime_error("boot: no memory for the zero page");
  p->set(PG_reserved);
  m_bus.zero_page(mem_map().page_to_phys(p), k);
  m_zero_page = p;
}

Page* MemoryManager::alloc_user_page(bool zero, KCtx& k) {
  cost(m_costs.page_alloc, k);
  Page* p = allocator().alloc_pages(GFP_HIGHUSER, 0, k.cpu);
  if (p && zero) m_bus.zero_page(mem_map().page_to_phys(p), k);  // clear_user_highpage: 4 KiB of stores
  return p;
}

void MemoryManager::flush_tlb_page(MmStruct& mm, uint64_t va, FlushCause why, KCtx& k) {
  if (!mm.cpu_vm_mask) return;  // no CPU has this mm loaded: no TLB can hold its entries
  ++m_stats.tlb_page_flushes;
  m_arch.flush_tlb_page(k.cpu, mm.cpu_vm_mask, mm.cr3(), va, why, k.delay);
}

void MemoryManager::flush_tlb_mm(MmStruct& mm, FlushCause why, KCtx& k) {
  if (!mm.cpu_vm_mask) return;
  ++m_stats.tlb_mm_flushes;
  m_arch.flush_tlb_mm(k.cpu, mm.cpu_vm_mask, mm.cr3(), why, k.delay);
}

void MemoryManager::switch_mm(unsigned cpu, MmStruct* next, KCtx& k) {
  MmStruct* prev = m_current.at(cpu);
  if (prev == next) return;
  // 2.6.18 x86-64: leave the old mm's cpu_vm_mask, join the new one's, load CR3 (no PCIDs: a full flush).
  if (prev) prev->cpu_vm_mask &= ~(1ull << cpu);
  m_current[cpu] = next;
  if (!next) return;
  next->cpu_vm_mask |= 1ull << cpu;
  m_arch.switch_mm(cpu, next->cr3(), k.delay);
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
  vma.vm_pgoff -= (vma.vm_start - new_start) >> kPageShift;
  vma.vm_start = new_start;
  node.key() = new_start;
  mm.vmas.insert(std::move(node));
  return true;
}

FaultResult MemoryManager::handle_mm_fault(MmStruct& mm, uint64_t va, bool write, bool exec, KCtx& k) {
  if (!k.retry) ++m_stats.pgfault;
  cost(m_costs.fault_entry + m_costs.find_vma, k);
  auto segv = [&] {
    ++m_stats.segv;
    return FaultResult::SigSegv;
  };
  if (va >= TASK_SIZE) return segv();
  Vma* vma = mm.find_vma(va);
  if (!vma) return segv();
  if (va < vma->vm_start) {
    if (!(vma->vm_flags & VM_GROWSDOWN) || !expand_stack(*vma, va)) return segv();
  }
  // do_page_fault's good_area checks.
  if (write ? !(vma->vm_flags & VM_WRITE)
            : exec ? !(vma->vm_flags & VM_EXEC) : !(vma->vm_flags & (VM_READ | VM_EXEC | VM_WRITE)))
    return segv();

  cost(m_costs.pte_lock, k);
  const uint64_t pte_pa = walk(mm, va, true, k);
  if (!pte_pa) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  const uint64_t pte = get_pte(pte_pa, k);
  if (!(pte & pg::kP)) {
    if (pte == 0)
      return vma->vm_file ? do_no_page(mm, *vma, va, pte_pa, write, k)
                          : do_anonymous_page(mm, *vma, va, pte_pa, write, k);
    // A swap entry: swap-in (do_swap_page) arrives with the swap subsystem.
    return FaultResult::SigBus;
  }
  if (write && !(pte & pg::kRW)) return do_wp_page(mm, *vma, va, pte_pa, pte, k);
  // Present and permitted: the TLB was stale or only A/D needed setting (a spurious fault).
  const uint64_t entry = pte | pg::kA | (write ? pg::kD : 0);
  if (entry != pte)
    set_pte(pte_pa, entry, k);
  else if (write)
    flush_tlb_page(mm, va, FlushCause::Other, k);
  return FaultResult::Minor;
}

FaultResult MemoryManager::do_anonymous_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write,
                                             KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  if (!write) {
    // Map the shared zero page read-only; a later write copies it (do_wp_page).
    ++m_stats.zero_page_maps;
    Lru::get_page(m_zero_page);
    ++mm.file_rss;
    page_add_file_rmap(m_zero_page);
    set_pte(pte_pa, mk_pte(m_zero_page, vma.vm_flags, false), k);
    return FaultResult::Minor;
  }
  anon_vma_prepare(vma);
  Page* page = alloc_user_page(true, k);
  if (!page) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  ++m_stats.anon_faults;
  ++mm.anon_rss;
  cost(m_costs.lru_op + m_costs.rmap_op, k);
  m_lru.lru_cache_add_active(page, k.cpu);
  page_add_new_anon_rmap(page, vma, addr);
  set_pte(pte_pa, mk_pte(page, vma.vm_flags, true) | pg::kD, k);
  return FaultResult::Minor;
}

Page* MemoryManager::find_or_read_file_page(File& f, uint64_t index, bool& major, KCtx& k) {
  AddressSpace& as = f.mapping;
  major = false;
  auto it = as.page_tree.find(index);
  if (it != as.page_tree.end()) {
    Page* page = it->second;
    if (page->test(PG_locked)) {  // another task's read of this page is in flight: sleep on it
      k.wait_page = page;
      return nullptr;
    }
    if (!k.retry) m_lru.mark_page_accessed(page);  // filemap_nopage on a page-cache hit
    return page;
  }
  // page_cache_readahead: the missing page and the pages after it, up to the window, the end of the
  // file or the first page already cached, go into the page cache locked and are read by one request.
  std::vector<Page*> window;
  // shmem has no readahead (shmem_nopage fills one page).
  const uint64_t last = std::min(f.backing->size_pages(), index + (f.unlinked_shmem ? 1 : m_ra_pages));
  for (uint64_t i = index; i < last; ++i) {
    if (i != index && as.page_tree.count(i)) break;
    Page* p = alloc_user_page(false, k);
    if (!p) break;  // a short window is fine; no page at all is not
    // add_to_page_cache_lru: the page cache holds the allocation's reference; the page goes inactive.
    p->mapping = reinterpret_cast<uintptr_t>(&as);
    p->index = i;
    p->set(PG_locked);
    as.page_tree.emplace(i, p);
    ++as.nrpages;
    m_lru.lru_cache_add(p, k.cpu);
    window.push_back(p);
  }
  if (window.empty()) return nullptr;
  Page* page = window.front();
  std::vector<uint64_t> pas;
  for (Page* p : window) pas.push_back(mem_map().page_to_phys(p));
  const bool io = f.backing->readpages(index, pas, k, [this, window](int err, uint64_t at) {
    // end_page_read for every page of the request: uptodate (or in error) and unlocked; sleepers wake.
    for (Page* p : window) {
      p->clear(PG_locked);
      p->set(err ? PG_error : PG_uptodate);
      if (m_on_unlock) m_on_unlock(p, at);
    }
  });
  if (!io) {
    for (Page* p : window) {
      p->clear(PG_locked);
      p->set(PG_uptodate);
    }
    return page;
  }
  major = true;
  ++k.major;
  k.wait_page = page;
  return nullptr;
}

FaultResult MemoryManager::do_no_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write,
                                      KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  const uint64_t index = linear_page_index(&vma, addr);
  if (index >= vma.vm_file->backing->size_pages()) return FaultResult::SigBus;  // beyond end of file
  if (!k.retry) ++m_stats.file_faults;
  bool major = false;
  Page* page = find_or_read_file_page(*vma.vm_file, index, major, k);
  if (major) ++m_stats.pgmajfault;
  if (!page && k.wait_page) return FaultResult::Blocked;
  if (!page) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  if (page->test(PG_error)) return FaultResult::SigBus;
  if (write && !(vma.vm_flags & VM_SHARED)) {
    // A write to a private file mapping gets its own anonymous copy right away.
    anon_vma_prepare(vma);
    Page* copy = alloc_user_page(false, k);
    if (!copy) {
      ++m_stats.oom;
      return FaultResult::Oom;
    }
    m_bus.copy_page(mem_map().page_to_phys(copy), mem_map().page_to_phys(page), k);
    ++m_stats.cow_copies;
    ++k.cow_copies;
    ++mm.anon_rss;
    m_lru.lru_cache_add_active(copy, k.cpu);
    page_add_new_anon_rmap(copy, vma, addr);
    set_pte(pte_pa, mk_pte(copy, vma.vm_flags, true) | pg::kD, k);
    return major ? FaultResult::Major : FaultResult::Minor;
  }
  Lru::get_page(page);
  ++mm.file_rss;
  page_add_file_rmap(page);
  // 2.6.18 has no dirty tracking for shared mappings: a shared writable mapping is writable at once.
  const bool writable = (vma.vm_flags & VM_SHARED) && (vma.vm_flags & VM_WRITE);
  uint64_t entry = mk_pte(page, vma.vm_flags, writable);
  if (write) {
    entry |= pg::kD;
    page->set(PG_dirty);
  }
  set_pte(pte_pa, entry, k);
  return major ? FaultResult::Major : FaultResult::Minor;
}

FaultResult MemoryManager::do_wp_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t pte,
                                      KCtx& k) {
  const uint64_t addr = va & ~(kPageSize - 1);
  Page* old = mem_map().phys_to_page(pg::frame_of(pte));
  bool reuse = false;
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE)) {
    reuse = true;
  } else if (old->anon() && !old->test(PG_locked)) {
    // can_share_swap_page: the only user is this PTE (swap-cache references join with swap).
    reuse = old->page_mapcount() == 1 && !old->test(PG_swapcache);
  }
  if (reuse) {
    ++m_stats.cow_reuses;
    set_pte(pte_pa, pte | pg::kA | pg::kD | pg::kRW, k);
    // ptep_set_access_flags on x86 flushes the entry: another CPU may hold the read-only translation.
    flush_tlb_page(mm, addr, FlushCause::Cow, k);
    return FaultResult::Minor;
  }
  anon_vma_prepare(vma);
  Page* copy = alloc_user_page(old == m_zero_page, k);
  if (!copy) {
    ++m_stats.oom;
    return FaultResult::Oom;
  }
  if (old != m_zero_page)
    m_bus.copy_page(mem_map().page_to_phys(copy), mem_map().page_to_phys(old), k);  // cow_user_page
  ++m_stats.cow_copies;
  ++k.cow_copies;
  cost(2 * m_costs.rmap_op + m_costs.lru_op, k);
  page_remove_rmap(old);
  if (!old->anon()) {
    --mm.file_rss;
    ++mm.anon_rss;
  }
  // ptep_establish: install the new PTE and flush the old translation everywhere.
  set_pte(pte_pa, mk_pte(copy, vma.vm_flags, true) | pg::kD, k);
  flush_tlb_page(mm, addr, FlushCause::Cow, k);
  m_lru.lru_cache_add_active(copy, k.cpu);
  page_add_new_anon_rmap(copy, vma, addr);
  put_page(old, k);  // the reference the old PTE held
  return FaultResult::Minor;
}

void MemoryManager::zap_page_range(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k) {
  // mmu_gather: pages are released only after the TLB flush, so no CPU can still reach a freed frame.
  std::vector<Page*> gather;
  bool any = false;
  for (uint64_t va = start; va < end;) {
    const uint64_t pmd_end = pmd_addr_end(va, end);
    const uint64_t pte_pa = walk(mm, va, false, k);
    if (!pte_pa) {
      va = pmd_end;
      continue;
    }
    for (uint64_t a = va, p = pte_pa; a < pmd_end; a += kPageSize, p += 8) {
      const uint64_t pte = get_pte(p, k);
      if (!pte) continue;
      any = true;
      if (!(pte & pg::kP)) {  // a swap entry: drop the slot reference
        set_pte(p, 0, k);
        if (m_swap) m_swap->swap_free(pte);
        continue;
      }
      const uint64_t old = ptep_get_and_clear(p, k);
      Page* page = mem_map().phys_to_page(pg::frame_of(old));
      if (page->anon()) {
        --mm.anon_rss;
      } else {
        if (page != m_zero_page) {
          if (old & pg::kD) page->set(PG_dirty);
          if (old & pg::kA) m_lru.mark_page_accessed(page);
        }
        --mm.file_rss;
      }
      cost(m_costs.rmap_op, k);
      page_remove_rmap(page);
      gather.push_back(page);
    }
    va = pmd_end;
  }
  (void)vma;
  if (any) flush_tlb_mm(mm, FlushCause::Unmap, k);
  for (Page* p : gather) put_page(p, k);
}

bool MemoryManager::copy_page_range(MmStruct& dst, MmStruct& src, Vma& vma, KCtx& k) {
  for (uint64_t va = vma.vm_start; va < vma.vm_end;) {
    const uint64_t pmd_end = pmd_addr_end(va, vma.vm_end);
    const uint64_t src_pa = walk(src, va, false, k);
    if (!src_pa) {
      va = pmd_end;
      continue;
    }
    uint64_t dst_pa = 0;
    for (uint64_t a = va, p = src_pa; a < pmd_end; a += kPageSize, p += 8) {
      uint64_t pte = get_pte(p, k);
      if (!pte) continue;
      if (!dst_pa) {
        dst_pa = walk(dst, va, true, k);
        if (!dst_pa) return false;
      }
      const uint64_t child_pa = dst_pa + ((a - va) >> kPageShift) * 8;
      if (!(pte & pg::kP)) {  // copy_one_pte: a swap PTE is shared, with one more slot reference
        if (m_swap) m_swap->swap_duplicate(pte);
        set_pte(child_pa, pte, k);
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
      ++page->mapcount;  // page_dup_rmap
      if (page->anon())
        ++dst.anon_rss;
      else
        ++dst.file_rss;
      cost(m_costs.rmap_op, k);
      set_pte(child_pa, pte, k);
    }
    va = pmd_end;
  }
  return true;
}

void MemoryManager::change_protection(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k) {
  // The PTE takes vm_page_prot: writable only for shared writable mappings (private ones stay COW).
  const bool writable = (vma.vm_flags & VM_SHARED) && (vma.vm_flags & VM_WRITE);
  bool changed = false;
  for (uint64_t va = start; va < end;) {
    const uint64_t pmd_end = pmd_addr_end(va, end);
    const uint64_t pte_pa = walk(mm, va, false, k);
    if (pte_pa) {
      for (uint64_t a = va, p = pte_pa; a < pmd_end; a += kPageSize, p += 8) {
        const uint64_t pte = get_pte(p, k);
        if (!(pte & pg::kP)) continue;
        uint64_t n = pte & ~(pg::kRW | pg::kNX);
        if (writable) n |= pg::kRW;
        if (!(vma.vm_flags & VM_EXEC)) n |= pg::kNX;
        if (!(vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) n &= ~pg::kUS;  // PROT_NONE: supervisor only
        if (n != pte) {
          set_pte(p, n, k);
          changed = true;
        }
      }
    }
    va = pmd_end;
  }
  if (changed) flush_tlb_mm(mm, FlushCause::Mprotect, k);
}

}  // namespace pc::kernel
