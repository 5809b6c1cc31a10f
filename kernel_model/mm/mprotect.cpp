// mprotect: new VMA flags and the PTEs rewritten to match (Linux 2.6.18 mm/mprotect.c).
#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

namespace {
constexpr int64_t kENOMEM = 12, kEINVAL = 22;
uint32_t prot_to_vm_flags(uint32_t prot) {
  return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
         ((prot & PROT_EXEC) ? VM_EXEC : 0);
}
uint64_t pmd_addr_end(uint64_t va, uint64_t end) {
  const uint64_t boundary = (va | ((2ull << 20) - 1)) + 1;
  return boundary < end ? boundary : end;
}
}  // namespace

int64_t MemoryManager::do_mprotect(MmStruct& mm, uint64_t start, uint64_t len, uint32_t prot, KCtx& k) {
  if (start & (kPageSize - 1)) return -kEINVAL;
  len = (len + kPageSize - 1) & ~(kPageSize - 1);
  const uint64_t end = start + len;
  if (end < start) return -kEINVAL;
  mm.mmap_sem->down_write(k);
  // The whole range must be mapped (-ENOMEM otherwise, checked before anything changes).
  for (uint64_t a = start; a < end;) {
    Vma* v = mm.find_vma(a);
    if (!v || v->vm_start > a) {
      mm.mmap_sem->up_write(k);
      return -kENOMEM;
    }
    a = v->vm_end;
  }
  if (Vma* v = mm.find_vma(start); v->vm_start < start) split_vma(mm, *v, start, k);
  if (Vma* v = mm.find_vma(end); v && v->vm_start < end && v->vm_end > end) split_vma(mm, *v, end, k);
  for (auto it = mm.vmas.lower_bound(start); it != mm.vmas.end() && it->first < end; ++it) {
    Vma& v = *it->second;
    v.vm_flags = (v.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | prot_to_vm_flags(prot);
    change_protection(mm, v, v.vm_start, v.vm_end, k);
  }
  mm.mmap_sem->up_write(k);
  return 0;
}

void MemoryManager::change_protection(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k) {
  // The PTE takes vm_page_prot: writable only for shared writable mappings (private ones stay COW).
  const bool writable = (vma.vm_flags & VM_SHARED) && (vma.vm_flags & VM_WRITE);
  bool changed = false;
  for (uint64_t va = start; va < end;) {
    const uint64_t pmd_end = pmd_addr_end(va, end);
    const uint64_t pte_pa = walk(mm, va, false, k);
    if (pte_pa) {
      SpinGuard g(pte_lockptr(mm, pte_pa), k);
      for (uint64_t a = va, p = pte_pa; a < pmd_end; a += kPageSize, p += 8) {
        const uint64_t pte = get_pte(p, k);
        if (!(pte & pg::kP)) continue;
        // ptep_get_and_clear, then the new entry (change_pte_range): a D bit set meanwhile is kept.
        const uint64_t old = ptep_get_and_clear(p, k);
        uint64_t n = old & ~(pg::kRW | pg::kNX);
        if (writable) n |= pg::kRW;
        if (!(vma.vm_flags & VM_EXEC)) n |= pg::kNX;
        if (!(vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) n &= ~pg::kUS;  // PROT_NONE: supervisor only
        set_pte(p, n, k);
        changed = true;
      }
    }
    va = pmd_end;
  }
  if (changed) flush_tlb_mm(mm, FlushCause::Mprotect, k);
}

}  // namespace pc::kernel
