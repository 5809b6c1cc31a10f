// Address-space management: the mm's life (mm_alloc, mmput, mmdrop, exit_mmap), mmap/munmap/brk and VMA
// bookkeeping (Linux 2.6.18 kernel/fork.c, mm/mmap.c). Each system call holds mmap_sem for writing.
#include <algorithm>
#include <stdexcept>

#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace {
constexpr int64_t kENOMEM = 12, kEINVAL = 22;  // errno values
uint64_t page_align(uint64_t x) {
  return (x + kPageSize - 1) & ~(kPageSize - 1);
}
uint32_t prot_to_vm_flags(uint32_t prot) {
  return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
         ((prot & PROT_EXEC) ? VM_EXEC : 0);
}
}  // namespace

MmStruct* MemoryManager::mm_alloc(KCtx& k) {
  auto mm = std::make_unique<MmStruct>();
  mm->mmap_sem = std::make_unique<RwSemaphore>(m_locks.mmap_sem);
  mm->page_table_lock = std::make_unique<Spinlock>(m_locks.page_table_lock);
  mm->pgd = alloc_table(k);  // pgd_alloc: a zeroed PML4
  if (!mm->pgd) return nullptr;
  MmStruct* raw = mm.get();
  m_mms.emplace(raw, std::move(mm));
  return raw;
}

void MemoryManager::mmput(MmStruct* mm, KCtx& k) {
  if (--mm->mm_users > 0) return;
  exit_mmap(*mm, k);
  if (mm->on_mmlist) {
    SpinGuard g(*m_mmlist_lock, k);
    m_mmlist.erase(std::find(m_mmlist.begin(), m_mmlist.end(), mm));
    mm->on_mmlist = false;
  }
  put_swap_token(*mm, k);
  mmdrop(mm, k);
}

void MemoryManager::mmdrop(MmStruct* mm, KCtx& k) {
  if (--mm->mm_count > 0) return;
  // __mmdrop: the PGD goes with the struct (a lazy-TLB CPU kept both alive until it switched away).
  if (mm->pgd) {
    put_page(mem_map().phys_to_page(mm->pgd), k);
    ++m_stats.pt_pages_freed;
  }
  m_mms.erase(mm);
}

void MemoryManager::init_mapping(AddressSpace& as) {
  as.tree_lock = std::make_unique<Spinlock>(m_locks.tree_lock);
  as.i_mmap_lock = std::make_unique<Spinlock>(m_locks.i_mmap_lock);
}

File* MemoryManager::new_file(const std::string& name, std::unique_ptr<FileBacking> backing) {
  auto f = std::make_unique<File>();
  f->name = name;
  f->backing = std::move(backing);
  f->mapping.host = f.get();
  init_mapping(f->mapping);
  m_files.push_back(std::move(f));
  return m_files.back().get();
}

void MemoryManager::anon_vma_prepare(MmStruct& mm, Vma& vma, KCtx& k) {
  if (vma.anon_vma) return;
  // 2.6.18 first tries a mergeable neighbour's anon_vma; a fresh one per VMA is equivalent for rmap.
  m_anon_vmas.push_back(std::make_unique<AnonVma>());
  AnonVma* av = m_anon_vmas.back().get();
  av->lock = std::make_unique<Spinlock>(m_locks.anon_vma_lock);
  SpinGuard ga(*av->lock, k);
  SpinGuard gp(*mm.page_table_lock, k);
  if (vma.anon_vma) return;  // another thread of this mm set it meanwhile (the new one stays unused)
  vma.anon_vma = av;
  av->vmas.push_back(&vma);
}

void MemoryManager::link_vma_rmap(Vma& vma, Vma* dup_of, KCtx& k) {
  if (vma.anon_vma) {
    SpinGuard g(*vma.anon_vma->lock, k);
    vma.anon_vma->vmas.push_back(&vma);
  }
  if (vma.vm_file) {
    // __vma_link_file, or dup_mmap's vma_prio_tree_add next to the parent's VMA (the same range).
    SpinGuard g(*vma.vm_file->mapping.i_mmap_lock, k);
    if (dup_of)
      vma_prio_tree_add(&vma, dup_of);
    else
      vma_prio_tree_insert(&vma, vma.vm_file->mapping.i_mmap);
  }
}

void MemoryManager::unlink_vma_rmap(Vma& vma, KCtx& k) {
  auto drop = [&](std::vector<Vma*>& v) { v.erase(std::remove(v.begin(), v.end(), &vma), v.end()); };
  if (vma.anon_vma) {
    SpinGuard g(*vma.anon_vma->lock, k);
    drop(vma.anon_vma->vmas);
  }
  if (!vma.vm_file) return;
  AddressSpace& as = vma.vm_file->mapping;
  {
    SpinGuard g(*as.i_mmap_lock, k);
    vma_prio_tree_remove(&vma, as.i_mmap);
  }
  if (vma.vm_file->unlinked_shmem && as.i_mmap.empty()) {
    // The last mapping of shared anonymous memory is gone: its inode goes and takes its pages
    // (truncate_inode_pages). Each page still holds the page cache's reference.
    std::vector<Page*> pages;
    {
      SpinGuard g(*as.tree_lock, k);
      for (auto& [index, page] : as.page_tree) {
        pages.push_back(page);
        allocator().mod_zone_page_state(page, NR_FILE_PAGES, -1);
        page->clear(PG_dirty);  // shmem does not account dirty pages (BDI_CAP_NO_ACCT_DIRTY)
        page->mapping = 0;
      }
      as.page_tree.clear();
      as.nrpages = 0;
    }
    for (Page* p : pages) put_page(p, k);
    // shmem_truncate: the slots of pages that are out in swap go too.
    std::map<uint64_t, uint64_t> swapped;
    swapped.swap(vma.vm_file->shmem_swap);
    for (const auto& [index, entry] : swapped) free_swap_and_cache(entry, k);
  }
}

Vma* MemoryManager::insert_vma(MmStruct& mm, std::unique_ptr<Vma> v, KCtx& k, Vma* dup_of) {
  cost(m_costs.vma_op, k);
  v->mm = &mm;
  Vma* raw = v.get();
  mm.total_vm += raw->pages();
  mm.vmas.emplace(raw->vm_start, std::move(v));
  link_vma_rmap(*raw, dup_of, k);
  return raw;
}

void MemoryManager::remove_vma(MmStruct& mm, Vma& vma, KCtx& k) {
  cost(m_costs.vma_op, k);
  mm.total_vm -= vma.pages();
  unlink_vma_rmap(vma, k);
  mm.vmas.erase(vma.vm_start);
}

void MemoryManager::split_vma(MmStruct& mm, Vma& vma, uint64_t addr, KCtx& k) {
  auto tail = std::make_unique<Vma>(vma);
  tail->vm_start = addr;
  tail->vm_pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> kPageShift);
  mm.total_vm -= tail->pages();  // insert_vma counts the tail again
  if (vma.vm_file) {
    // vma_adjust: the prio tree is keyed by the range, so the VMA leaves it while its end moves.
    AddressSpace& as = vma.vm_file->mapping;
    SpinGuard g(*as.i_mmap_lock, k);
    vma_prio_tree_remove(&vma, as.i_mmap);
    vma.vm_end = addr;
    vma_prio_tree_insert(&vma, as.i_mmap);
  } else {
    vma.vm_end = addr;
  }
  insert_vma(mm, std::move(tail), k);  // shares the anon_vma and the file, as __split_vma does
}

uint64_t MemoryManager::get_unmapped_area(MmStruct& mm, uint64_t len) const {
  // arch_get_unmapped_area (x86-64 2.6.18 legacy layout): first fit, bottom-up from TASK_UNMAPPED_BASE.
  uint64_t addr = kMmapBase;
  for (auto it = mm.vmas.lower_bound(0); it != mm.vmas.end(); ++it) {
    const Vma& v = *it->second;
    if (v.vm_end <= addr) continue;
    if (v.vm_start >= addr + len) break;
    addr = v.vm_end;
  }
  return addr + len <= TASK_SIZE ? addr : 0;
}

int64_t MemoryManager::do_mmap(MmStruct& mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                               File* file, uint64_t pgoff, KCtx& k) {
  len = page_align(len);
  if (!len || len > TASK_SIZE) return -kEINVAL;
  if (!(flags & (MAP_SHARED | MAP_PRIVATE))) return -kEINVAL;
  if (!(flags & MAP_ANONYMOUS) && !file) return -kEINVAL;
  mm.mmap_sem->down_write(k);
  int64_t ret;
  if (flags & MAP_FIXED) {
    if ((addr & (kPageSize - 1)) || addr + len > TASK_SIZE || addr + len < addr) {
      mm.mmap_sem->up_write(k);
      return -kEINVAL;
    }
    do_munmap_locked(mm, addr, len, k);
  } else {
    addr = get_unmapped_area(mm, len);
    if (!addr) {
      mm.mmap_sem->up_write(k);
      return -kENOMEM;
    }
  }
  auto v = std::make_unique<Vma>();
  v->vm_start = addr;
  v->vm_end = addr + len;
  v->vm_flags = prot_to_vm_flags(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (flags & MAP_SHARED) v->vm_flags |= VM_SHARED | VM_MAYSHARE;
  if (flags & MAP_ANONYMOUS) {
    if (flags & MAP_SHARED) {
      // Shared anonymous memory is a shmem file in Linux: pages live in its page cache, so forked
      // children share them.
      v->vm_file = create_shmem_file(len);
      v->vm_pgoff = 0;
    } else {
      v->vm_pgoff = addr >> kPageShift;
    }
  } else {
    v->vm_file = file;
    v->vm_pgoff = pgoff;
  }
  insert_vma(mm, std::move(v), k);
  ret = static_cast<int64_t>(addr);
  mm.mmap_sem->up_write(k);
  return ret;
}

int64_t MemoryManager::do_munmap(MmStruct& mm, uint64_t start, uint64_t len, KCtx& k) {
  mm.mmap_sem->down_write(k);
  const int64_t r = do_munmap_locked(mm, start, len, k);
  mm.mmap_sem->up_write(k);
  return r;
}

int64_t MemoryManager::do_munmap_locked(MmStruct& mm, uint64_t start, uint64_t len, KCtx& k) {
  if ((start & (kPageSize - 1)) || start >= TASK_SIZE) return -kEINVAL;
  len = page_align(len);
  if (!len) return -kEINVAL;
  const uint64_t end = start + len;
  // Split the VMAs straddling either end, then unmap and remove every VMA inside.
  if (Vma* v = mm.find_vma(start); v && v->vm_start < start && v->vm_end > start) split_vma(mm, *v, start, k);
  if (Vma* v = mm.find_vma(end); v && v->vm_start < end && v->vm_end > end) split_vma(mm, *v, end, k);
  std::vector<Vma*> victims;
  for (auto it = mm.vmas.lower_bound(start); it != mm.vmas.end() && it->first < end; ++it)
    victims.push_back(it->second.get());
  if (victims.empty()) return 0;
  // unmap_region: unmap the pages, unlink the VMAs from rmap and free the page tables they used, then one
  // TLB flush, and only then free the pages and tables (tlb_finish_mmu).
  m_lru.lru_add_drain(k);
  MmuGather tlb{&mm};
  for (Vma* v : victims) unmap_vmas(mm, *v, v->vm_start, v->vm_end, tlb, k);
  for (Vma* v : victims) remove_vma(mm, *v, k);
  free_pgtables(mm, start, end, tlb, k);
  tlb_finish_mmu(tlb, k);
  return 0;
}

int64_t MemoryManager::do_brk(MmStruct& mm, uint64_t brk, KCtx& k) {
  mm.mmap_sem->down_write(k);
  struct Unlock {
    MmStruct& mm;
    KCtx& k;
    ~Unlock() { mm.mmap_sem->up_write(k); }
  } unlock{mm, k};
  if (brk < mm.start_brk) return static_cast<int64_t>(mm.brk);
  const uint64_t newbrk = page_align(brk), oldbrk = page_align(mm.brk);
  if (newbrk == oldbrk) {
    mm.brk = brk;
    return static_cast<int64_t>(brk);
  }
  if (brk < mm.brk) {
    do_munmap_locked(mm, newbrk, oldbrk - newbrk, k);
    mm.brk = brk;
    return static_cast<int64_t>(brk);
  }
  // Growing: the new range must be free; extend the heap VMA when it ends at the old break.
  if (Vma* v = mm.find_vma(oldbrk); v && v->vm_start < newbrk) return static_cast<int64_t>(mm.brk);
  Vma* heap = oldbrk > mm.start_brk ? mm.find_vma(oldbrk - 1) : nullptr;
  if (heap && heap->vm_end == oldbrk && !heap->vm_file) {
    mm.total_vm += (newbrk - heap->vm_end) >> kPageShift;
    heap->vm_end = newbrk;
    cost(m_costs.vma_op, k);
  } else {
    auto v = std::make_unique<Vma>();
    v->vm_start = oldbrk;
    v->vm_end = newbrk;
    v->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    v->vm_pgoff = oldbrk >> kPageShift;
    insert_vma(mm, std::move(v), k);
  }
  mm.brk = brk;
  return static_cast<int64_t>(brk);
}

void MemoryManager::setup_stack(MmStruct& mm, uint64_t size, KCtx& k) {
  auto v = std::make_unique<Vma>();
  v->vm_end = kStackTop;
  v->vm_start = kStackTop - page_align(size);
  v->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN;
  v->vm_pgoff = v->vm_start >> kPageShift;
  mm.start_stack = kStackTop;
  insert_vma(mm, std::move(v), k);
}

void MemoryManager::exit_mmap(MmStruct& mm, KCtx& k) {
  // The last user is gone: unmap everything, free every table but the PGD (mmdrop frees it), one flush.
  m_lru.lru_add_drain(k);
  std::vector<Vma*> all;
  for (auto& [s, v] : mm.vmas) all.push_back(v.get());
  MmuGather tlb{&mm};
  for (Vma* v : all) unmap_vmas(mm, *v, v->vm_start, v->vm_end, tlb, k);
  for (Vma* v : all) remove_vma(mm, *v, k);
  free_pgtables(mm, 0, TASK_SIZE, tlb, k);
  tlb_finish_mmu(tlb, k);
  ++m_stats.exits;
}

}  // namespace pc::kernel
