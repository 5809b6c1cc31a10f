// msync's page-table half (Linux 2.6.18 mm/msync.c: msync_interval, msync_page_range): the Dirty bits of
// a shared file mapping's PTEs move into their pages, which writeback can then see.
#include <algorithm>

#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;
constexpr int64_t kEBUSY = 16;

int64_t MemoryManager::msync_interval(Vma& vma, uint64_t start, uint64_t end, uint32_t flags, KCtx& k) {
  if ((flags & MS_INVALIDATE) && (vma.vm_flags & VM_LOCKED)) return -kEBUSY;
  if (!vma.vm_file || !(vma.vm_flags & VM_SHARED)) return 0;
  MmStruct& mm = *vma.mm;
  int64_t dirtied = 0;
  constexpr uint64_t kPmdSize = 1ull << 21;  // one PTE page maps 2 MiB
  for (uint64_t addr = start; addr < end;) {
    // msync_pte_range: one PTE page at a time, under its lock; a missing table is skipped whole.
    const uint64_t next = std::min(end, (addr & ~(kPmdSize - 1)) + kPmdSize);
    uint64_t pte_pa = walk(mm, addr, false, k);
    if (!pte_pa) {
      addr = next;
      continue;
    }
    SpinGuard g(pte_lockptr(mm, pte_pa), k);
    for (; addr < next; addr += kPageSize, pte_pa += 8) {
      const uint64_t pte = get_pte(pte_pa, k);
      if (!(pte & pg::kP) || !(pte & pg::kD)) continue;  // pte_present, pte_maybe_dirty
      Page* page = mem_map().phys_to_page(pg::frame_of(pte));
      if (page == m_zero_page) continue;  // vm_normal_page
      if (ptep_clear_flush_dirty(mm, addr, pte_pa, k) && !page->test(PG_dirty)) {
        set_page_dirty(page);  // returns 1 on the clean-to-dirty edge
        ++dirtied;
      }
    }
  }
  m_stats.msync_pages_dirtied += static_cast<uint64_t>(dirtied);
  return dirtied;
}

}  // namespace pc::kernel
