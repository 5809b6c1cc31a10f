// Swap I/O (Linux 2.6.18 mm/page_io.c; spec §10.4-§10.5): one bio of one page to the block of the slot on
// its area's disk (map_swap_page), PSWPIN / PSWPOUT, and the completions that run in the disk's interrupt
// handler: a write ends the page's writeback (rotating a PG_reclaim page), a read marks it uptodate and
// unlocks it, which is what wakes the faulting task.
#include <stdexcept>

#include "kernel_model/mm/mm.h"

namespace pc::kernel {

std::pair<unsigned, uint64_t> MemoryManager::swap_location(uint64_t entry, KCtx& k) {
  SpinGuard g(*m_swap_lock, k);
  return {m_swap->info(swp_type(entry)).disk, m_swap->map_swap_page(swp_type(entry), swp_offset(entry))};
}

void MemoryManager::swap_writepage(Page* page, KCtx& k) {
  if (remove_exclusive_swap_page(page, k)) {  // nobody but the swap cache refers to the slot any more
    unlock_page(page, k.now());
    return;
  }
  const auto [disk, block] = swap_location(page->private_, k);
  allocator().events().count(PSWPOUT);
  page->set(PG_writeback);
  allocator().mod_zone_page_state(page, NR_WRITEBACK, 1);
  unlock_page(page, k.now());
  m_swap_io->submit(disk, block, true, mem_map().page_to_phys(page), k, [this, page](int err, uint64_t at) {
    const sc_core::sc_time t = sc_core::sc_time::from_value(at);
    if (err) {
      // end_swap_bio_write: PG_error, no rotation. The page is made dirty again so reclaim keeps it
      // (its bytes are nowhere else); 2.6.18 leaves it clean and may drop it.
      ++m_swap_stats.write_errors;
      page->set(PG_error);
      page->set(PG_dirty);
      page->clear(PG_reclaim);
    }
    m_end_wb(page, t);
  });
}

void MemoryManager::swap_readpage(Page* page, KCtx& k) {
  if (!page->test(PG_locked)) throw std::logic_error("swap_readpage: page not locked");
  page->clear(PG_uptodate);
  const auto [disk, block] = swap_location(page->private_, k);
  allocator().events().count(PSWPIN);
  m_swap_io->submit(disk, block, false, mem_map().page_to_phys(page), k, [this, page](int err, uint64_t at) {
    // end_swap_bio_read.
    if (err) {
      ++m_swap_stats.read_errors;
      page->set(PG_error);
      page->clear(PG_uptodate);
    } else {
      page->set(PG_uptodate);
    }
    unlock_page(page, sc_core::sc_time::from_value(at));
  });
}

}  // namespace pc::kernel
