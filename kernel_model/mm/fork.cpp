// fork's address-space copy: dup_mm / dup_mmap (Linux 2.6.18 kernel/fork.c): both mmap_sems held for
// writing, each VMA copied and linked into rmap, its page table copied (copy_page_range, mm/memory.c),
// and the parent's TLBs flushed because its writable PTEs became read-only.
#include "kernel_model/mm/mm.h"

namespace pc::kernel {

MmStruct* MemoryManager::dup_mm(MmStruct& old, KCtx& k) {
  MmStruct* mm = mm_alloc(k);
  if (!mm) return nullptr;
  old.mmap_sem->down_write(k);
  mm->mmap_sem->down_write(k);
  mm->start_brk = old.start_brk;
  mm->brk = old.brk;
  mm->start_stack = old.start_stack;
  bool ok = true;
  for (auto& [start, ov] : old.vmas) {
    auto v = std::make_unique<Vma>(*ov);  // shares anon_vma (anon_vma_link) and file
    v->vm_flags &= ~VM_LOCKED;
    Vma* nv = insert_vma(*mm, std::move(v), k, ov->vm_file ? ov.get() : nullptr);
    if (!copy_page_range(*mm, old, *nv, k)) {
      ok = false;
      break;
    }
  }
  mm->mmap_sem->up_write(k);
  flush_tlb_mm(old, FlushCause::Fork, k);
  old.mmap_sem->up_write(k);
  if (!ok) {
    mmput(mm, k);
    return nullptr;
  }
  ++m_stats.forks;
  return mm;
}

}  // namespace pc::kernel
