// Address-space management: mm creation, fork (dup_mm), exit, mmap/munmap/mprotect/brk and VMA
// bookkeeping (Linux 2.6.18 kernel/fork.c, mm/mmap.c, mm/mprotect.c).
#include <algorithm>
#include <stdexcept>

#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace {
constexpr int64_t kENOMEM = 12, kEINVAL = 22;  // errno values
uint64_t page_align(uint64_t x) { return (x + kPageSize - 1) & ~(kPageSize - 1); }
uint32_t prot_to_vm_flags(uint32_t prot) {
  return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) | ((prot & PROT_EXEC) ? VM_EXEC : 0);
}
}  // namespace

std::unique_ptr<MmStruct> MemoryManager::mm_alloc(KCtx& k) {
  auto mm = std::make_unique<MmStruct>();
  mm->pgd = alloc_table(k);  // pgd_alloc: a zeroed PML4
  if (!mm->pgd) return nullptr;
  return mm;
}

void MemoryManager::anon_vma_prepare(Vma& vma) {
  if (vma.anon_vma) return;
  // 2.6.18 first tries a mergeable neighbour's anon_vma; a fresh one per VMA is equivalent for rmap.
  m_anon_vmas.push_back(std::make_unique<AnonVma>());
  vma.anon_vma = m_anon_vmas.back().get();
  vma.anon_vma->vmas.push_back(&vma);
}

void MemoryManager::link_vma_rmap(Vma& vma) {
  if (vma.anon_vma) vma.anon_vma->vmas.push_back(&vma);
  if (vma.vm_file) vma.vm_file->mapping.i_mmap.push_back(&vma);
}

void MemoryManager::unlink_vma_rmap(Vma& vma, KCtx& k) {
  auto drop = [&](std::vector<Vma*>& v) { v.erase(std::remove(v.begin(), v.end(), &vma), v.end()); };
  if (vma.anon_vma) drop(vma.anon_vma->vmas);
  if (!vma.vm_file) return;
  AddressSpace& as = vma.vm_file->mapping;
  drop(as.i_mmap);
  if (vma.vm_file->unlinked_shmem && as.i_mmap.empty()) {
    // The last mapping of shared anonymous memory is gone: its inode goes and takes its pages
    // (truncate_inode_pages). Each page still holds the page cache's reference.
    for (auto& [index, page] : as.page_tree) {
      page->mapping = 0;
      put_page(page, k);
    }
    as.page_tree.clear();
    as.nrpages = 0;
  }
}

Vma* MemoryManager::insert_vma(MmStruct& mm, std::unique_ptr<Vma> v, KCtx& k) {
  cost(m_costs.vma_op, k);
  v->mm = &mm;
  Vma* raw = v.get();
  mm.vmas.emplace(raw->vm_start, std::move(v));
  link_vma_rmap(*raw);
  return raw;
}

void MemoryManager::remove_vma(MmStruct& mm, Vma& vma, KCtx& k) {
  cost(m_costs.vma_op, k);
  unlink_vma_rmap(vma, k);
  mm.vmas.erase(vma.vm_start);
}

void MemoryManager::split_vma(MmStruct& mm, Vma& vma, uint64_t addr, KCtx& k) {
  auto tail = std::make_unique<Vma>(vma);
  tail->vm_start = addr;
  tail->vm_pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> kPageShift);
  vma.vm_end = addr;
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
  if (flags & MAP_FIXED) {
    if ((addr & (kPageSize - 1)) || addr + len > TASK_SIZE || addr + len < addr) return -kEINVAL;
    do_munmap(mm, addr, len, k);
  } else {
    addr = get_unmapped_area(mm, len);
    if (!addr) return -kENOMEM;
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
  return static_cast<int64_t>(addr);
}

int64_t MemoryManager::do_munmap(MmStruct& mm, uint64_t start, uint64_t len, KCtx& k) {
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
  for (Vma* v : victims) {
    zap_page_range(mm, *v, v->vm_start, v->vm_end, k);
    remove_vma(mm, *v, k);
  }
  free_pgtables(mm, start, end, k);
  return 0;
}

int64_t MemoryManager::do_mprotect(MmStruct& mm, uint64_t start, uint64_t len, uint32_t prot, KCtx& k) {
  if (start & (kPageSize - 1)) return -kEINVAL;
  len = page_align(len);
  const uint64_t end = start + len;
  if (end < start) return -kEINVAL;
  // The whole range must be mapped (-kENOMEM otherwise, checked before anything changes).
  for (uint64_t a = start; a < end;) {
    Vma* v = mm.find_vma(a);
    if (!v || v->vm_start > a) return -kENOMEM;
    a = v->vm_end;
  }
  if (Vma* v = mm.find_vma(start); v->vm_start < start) split_vma(mm, *v, start, k);
  if (Vma* v = mm.find_vma(end); v && v->vm_start < end && v->vm_end > end) split_vma(mm, *v, end, k);
  for (auto it = mm.vmas.lower_bound(start); it != mm.vmas.end() && it->first < end; ++it) {
    Vma& v = *it->second;
    v.vm_flags = (v.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | prot_to_vm_flags(prot);
    change_protection(mm, v, v.vm_start, v.vm_end, k);
  }
  return 0;
}

int64_t MemoryManager::do_brk(MmStruct& mm, uint64_t brk, KCtx& k) {
  if (brk < mm.start_brk) return static_cast<int64_t>(mm.brk);
  const uint64_t newbrk = page_align(brk), oldbrk = page_align(mm.brk);
  if (newbrk == oldbrk) {
    mm.brk = brk;
    return static_cast<int64_t>(brk);
  }
  if (brk < mm.brk) {
    do_munmap(mm, newbrk, oldbrk - newbrk, k);
    mm.brk = brk;
    return static_cast<int64_t>(brk);
  }
  // Growing: the new range must be free; extend the heap VMA when it ends at the old break.
  if (Vma* v = mm.find_vma(oldbrk); v && v->vm_start < newbrk) return static_cast<int64_t>(mm.brk);
  Vma* heap = oldbrk > mm.start_brk ? mm.find_vma(oldbrk - 1) : nullptr;
  if (heap && heap->vm_end == oldbrk && !heap->vm_file) {
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

std::unique_ptr<MmStruct> MemoryManager::dup_mm(MmStruct& old, KCtx& k) {
  auto mm = mm_alloc(k);
  if (!mm) return nullptr;
  mm->start_brk = old.start_brk;
  mm->brk = old.brk;
  mm->start_stack = old.start_stack;
  for (auto& [start, ov] : old.vmas) {
    auto v = std::make_unique<Vma>(*ov);  // shares anon_vma (anon_vma_link) and file
    Vma* nv = insert_vma(*mm, std::move(v), k);
    if (!copy_page_range(*mm, old, *nv, k)) {
      exit_mmap(*mm, k);
      return nullptr;
    }
  }
  // The parent's writable PTEs became read-only: no CPU may keep a writable translation.
  flush_tlb_mm(old, FlushCause::Fork, k);
  ++m_stats.forks;
  return mm;
}

void MemoryManager::exit_mmap(MmStruct& mm, KCtx& k) {
  std::vector<Vma*> all;
  for (auto& [s, v] : mm.vmas) all.push_back(v.get());
  for (Vma* v : all) zap_page_range(mm, *v, v->vm_start, v->vm_end, k);
  for (Vma* v : all) remove_vma(mm, *v, k);
  free_pgtables(mm, 0, TASK_SIZE, k);
  if (mm.pgd) free_table(mm.pgd, k);
  mm.pgd = 0;
  ++m_stats.exits;
}

File* MemoryManager::create_shmem_file(uint64_t len) {
  class ShmemBacking : public FileBacking {
   public:
    ShmemBacking(KernelBus& bus, uint64_t pages) : m_bus(bus), m_pages(pages) {}
    // A new shmem page is a zeroed page, not I/O.
    bool readpage(uint64_t, uint64_t pa, KCtx& k, IoDone) override {
      m_bus.zero_page(pa, k);
      return false;
    }
    bool readpages(uint64_t, const std::vector<uint64_t>& pas, KCtx& k, IoDone) override {
      for (uint64_t pa : pas) m_bus.zero_page(pa, k);
      return false;
    }
    void writepage(uint64_t, uint64_t, KCtx&, IoDone done) override {
      done(0, sc_core::sc_time_stamp().value());
    }
    uint64_t size_pages() const override { return m_pages; }

   private:
    KernelBus& m_bus;
    uint64_t m_pages;
  };
  auto f = std::make_unique<File>();
  f->name = "/dev/zero (deleted)";
  f->unlinked_shmem = true;
  f->backing = std::make_unique<ShmemBacking>(m_bus, len >> kPageShift);
  f->mapping.host = f.get();
  m_files.push_back(std::move(f));
  return m_files.back().get();
}

}  // namespace pc::kernel
