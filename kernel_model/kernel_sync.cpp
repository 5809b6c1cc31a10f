// sys_msync (Linux 2.6.18 mm/msync.c): for each VMA in the range, msync_interval moves the PTE Dirty
// bits into the pages; then MS_ASYNC only throttles the caller as a writer would be
// (balance_dirty_pages_ratelimited_nr: no I/O is started, as 2.6.18's comment says), while MS_SYNC on a
// shared file mapping drops mmap_sem and runs do_fsync on the file (kernel/page_writeback: write every
// dirty page of the whole file and wait for it).
#include <algorithm>

#include "kernel_model/kernel.h"

namespace pc::kernel {

namespace {
constexpr int64_t kEINVAL = 22, kENOMEM = 12;
}

int64_t Kernel::sys_msync(Task& t, uint64_t start, uint64_t len, uint32_t flags, KCtx& k) {
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return -kEINVAL;
  if (start & (kPageSize - 1)) return -kEINVAL;
  if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return -kEINVAL;
  len = (len + kPageSize - 1) & ~(kPageSize - 1);
  const uint64_t end = start + len;
  if (end < start) return -kENOMEM;
  if (end == start) return 0;
  MmStruct& mm = *t.mm;
  mm.mmap_sem->down_read(k);
  m_mm->cost(m_cfg.costs.find_vma, k);
  Vma* vma = mm.find_vma(start);
  int64_t error = -kENOMEM, unmapped_error = 0;
  bool done = false;
  while (vma && !done) {
    if (start < vma->vm_start) {  // a hole in the range: skipped, reported at the end
      unmapped_error = -kENOMEM;
      start = vma->vm_start;
    }
    int64_t dirtied = 0;
    const uint64_t stop = std::min(end, vma->vm_end);
    if (start < stop) {
      dirtied = m_mm->msync_interval(*vma, start, stop, flags, k);
      if (dirtied < 0) {
        error = dirtied;
        break;
      }
    }
    error = 0;
    if (end <= vma->vm_end) {
      error = unmapped_error;
      done = true;
    }
    File* file = vma->vm_file;
    start = vma->vm_end;
    const bool shared = vma->vm_flags & VM_SHARED;
    if ((flags & MS_ASYNC) && file && dirtied) {
      mm.mmap_sem->up_read(k);
      m_wb->balance_dirty_pages_ratelimited(*file, static_cast<uint64_t>(dirtied), k);
      mm.mmap_sem->down_read(k);
    } else if ((flags & MS_SYNC) && file && shared) {
      mm.mmap_sem->up_read(k);
      error = m_wb->do_fsync(*file, k);  // (2.6.18: this result replaces a hole's -ENOMEM)
      mm.mmap_sem->down_read(k);
      if (error) break;
    } else {
      vma = mm.find_vma(start);  // vma->vm_next
      continue;
    }
    // The VMA may have gone while mmap_sem was dropped: look the next one up again.
    m_mm->cost(m_cfg.costs.find_vma, k);
    vma = mm.find_vma(start);
  }
  mm.mmap_sem->up_read(k);
  return error;
}

}  // namespace pc::kernel
