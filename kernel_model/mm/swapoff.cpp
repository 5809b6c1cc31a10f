// sys_swapon and sys_swapoff with try_to_unuse (Linux 2.6.18 mm/swapfile.c; spec §9.8-§9.9): swapoff
// reads every slot still in use back into memory (one page at a time, no readahead), finds each
// reference to it in the mms of the mmlist and the shmem files, and puts the page in their place.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

namespace {
constexpr int kENOMEM = 12, kEINVAL = 22;
}

int MemoryManager::sys_swapon(const SwapOnRequest& rq, std::string& why, KCtx& k) {
  if (!m_swap) {
    why = "the kernel has no swap support configured";
    return -kEINVAL;
  }
  SpinGuard g(*m_swap_lock, k);
  return m_swap->sys_swapon(rq, why);
}

void MemoryManager::wait_on_page_writeback(Page* page, KCtx& k) {
  while (page->test(PG_writeback)) page_waitqueue(page).sleep(k, hw::Charge::IoWait);
}

void MemoryManager::wake_up_page(Page* page, const sc_core::sc_time& at) {
  auto it = m_page_wq.find(page);
  if (it != m_page_wq.end()) it->second.wake_up(at, 1);
}

bool MemoryManager::unuse_mm(MmStruct& mm, uint64_t entry, Page* page, KCtx& k) {
  ++m_swap_stats.unuse_mm_scans;
  if (!mm.mmap_sem->down_read_trylock(k)) {
    // Activate the page so reclaim is unlikely to unmap it while the lock is dropped.
    m_lru.activate_page(page, k);
    unlock_page(page, k.now());
    mm.mmap_sem->down_read(k);
    lock_page(page, k);
  }
  bool found = false;
  for (auto& [start, vp] : mm.vmas) {
    (void)start;
    Vma& vma = *vp;
    if (!vma.anon_vma) continue;
    // unuse_vma: only the one address if the page still knows its anonymous place, else the whole VMA.
    uint64_t addr = vma.vm_start, end = vma.vm_end;
    if (page->mapping) {
      addr = vma_address(page, &vma);
      if (addr == ~0ull || !page->anon() || page->anon_vma() != vma.anon_vma) continue;
      end = addr + kPageSize;
    }
    for (uint64_t va = addr; va < end && !found;) {
      const uint64_t pmd_end = std::min<uint64_t>(end, (va | ((2ull << 20) - 1)) + 1);
      const uint64_t pte_pa = walk(mm, va, false, k);
      if (!pte_pa) {
        va = pmd_end;
        continue;
      }
      SpinGuard g(pte_lockptr(mm, pte_pa), k);
      // "swapoff spends a _lot_ of time in this loop": the entries are compared a cache line (8 PTEs) at
      // a time, as the CPU's loads would fetch them.
      uint64_t line[8] = {};
      uint64_t line_pa = ~0ull;
      for (uint64_t a = va, p = pte_pa; a < pmd_end; a += kPageSize, p += 8) {
        if ((p & ~63ull) != line_pa) {
          line_pa = p & ~63ull;
          m_bus.read(line_pa, line, 64, k);
          ++m_stats.pte_reads;
        }
        if (line[(p & 63) / 8] != entry) continue;
        // unuse_pte: a present, old PTE with the VMA's protection (read-only for a private mapping: a
        // later write sorts out COW), the page's reference and rmap, the slot's count dropped.
        ++mm.anon_rss;
        Lru::get_page(page);
        set_pte(p, mk_pte(page, vma.vm_flags, false) & ~pg::kA, k);
        page_add_anon_rmap(page, vma, a);
        swap_free(entry, k);
        m_lru.activate_page(page, k);  // not swapped straight out again
        found = true;
        break;
      }
      va = pmd_end;
    }
    if (found) break;
  }
  mm.mmap_sem->up_read(k);
  return found;
}

bool MemoryManager::shmem_unuse(uint64_t entry, Page* page, KCtx& k) {
  for (auto& f : m_files) {
    if (!f->unlinked_shmem) continue;
    for (auto it = f->shmem_swap.begin(); it != f->shmem_swap.end(); ++it) {
      if (it->second != entry) continue;
      // move_from_swap_cache into the file at its index.
      if (add_to_page_cache(page, f->mapping, it->first, k)) {
        delete_from_swap_cache(page, k);
        page->set(PG_dirty);
        f->shmem_swap.erase(it);
      }
      // The count drops even when the entry is left behind (try_to_unuse re-increments it then).
      swap_free(entry, k);
      return true;
    }
  }
  return false;
}

int MemoryManager::try_to_unuse(unsigned type, KCtx& k) {
  MmStruct* start_mm = nullptr;  // init_mm: the shmem files
  // The mm after `cur` on the circular mmlist whose head is init_mm (nullptr).
  auto next_after = [&](MmStruct* cur) -> MmStruct* {
    if (!cur) return m_mmlist.empty() ? nullptr : m_mmlist.front();
    auto it = std::find(m_mmlist.begin(), m_mmlist.end(), cur);
    if (it == m_mmlist.end() || ++it == m_mmlist.end()) return nullptr;
    return *it;
  };
  auto count = [&](uint64_t e) { return m_swap->swap_count(e); };
  uint64_t i = 0;
  for (;;) {
    {
      SpinGuard g(*m_swap_lock, k);
      i = m_swap->find_next_to_unuse(type, i);
    }
    if (!i) break;
    const uint64_t entry = swp_entry(type, i);
    // Get a page for the entry, using the existing swap cache page if there is one, else reading it
    // from disk (no readahead: swapoff reads one slot at a time).
    Page* page = read_swap_cache_async(entry, k);
    if (!page) {
      if (!count(entry)) continue;  // freed while we slept
      if (start_mm) mmput(start_mm, k);
      return -kENOMEM;
    }
    wait_on_page_locked(page, k);
    wait_on_page_writeback(page, k);
    lock_page(page, k);
    wait_on_page_writeback(page, k);
    bool shmem = false;
    uint16_t swcount = count(entry);
    if (swcount > 1) {
      if (!start_mm)
        shmem = shmem_unuse(entry, page, k);
      else
        unuse_mm(*start_mm, entry, page, k);
    }
    if (count(entry) > 1) {
      // Walk the circular mmlist from start_mm once, while references remain; the first mm in which the
      // count dropped is where the next slot's search starts.
      bool set_start_mm = count(entry) >= swcount;
      MmStruct* new_start_mm = start_mm;
      if (new_start_mm) ++new_start_mm->mm_users;
      MmStruct* mm = next_after(start_mm);
      while (count(entry) > 1 && mm != start_mm) {
        if (mm && mm->mm_users <= 0) {  // exiting: its exit_mmap frees its entries
          mm = next_after(mm);
          continue;
        }
        if (mm) ++mm->mm_users;  // held across the sleeps of unuse_mm
        swcount = count(entry);
        if (!mm) {
          set_start_mm = true;
          shmem = shmem_unuse(entry, page, k);
        } else {
          unuse_mm(*mm, entry, page, k);
        }
        if (set_start_mm && count(entry) < swcount) {
          if (new_start_mm) mmput(new_start_mm, k);
          if (mm) ++mm->mm_users;
          new_start_mm = mm;
          set_start_mm = false;
        }
        MmStruct* next = next_after(mm);  // while `mm` is held, so it is still on the list
        if (mm) mmput(mm, k);
        // An exit while mmput slept may have freed `next`: start over (a second visit finds nothing).
        if (next && !m_mms.count(next)) next = next_after(start_mm);
        mm = next;
      }
      if (start_mm) mmput(start_mm, k);
      start_mm = new_start_mm;
    }
    // A saturated count cannot say how many references are left: after one pass it is taken as 1.
    if (count(entry) == SWAP_MAP_MAX) {
      SpinGuard g(*m_swap_lock, k);
      m_swap->reset_saturated(entry);
    }
    // References left (mms skipped while exiting): write the page out so the slot's data is current.
    if (count(entry) > 1 && page->test(PG_dirty) && page->test(PG_swapcache)) {
      page->clear(PG_dirty);
      swap_writepage(page, k);
      lock_page(page, k);
      wait_on_page_writeback(page, k);
    }
    if (page->test(PG_swapcache)) {
      if (shmem) {
        swap_duplicate(entry, k);
      } else {
        delete_from_swap_cache(page, k);
      }
    }
    // The swap count may already be 1 without every present PTE marked dirty: keep the page.
    page->set(PG_dirty);
    ++m_swap_stats.unuse_pages;
    unlock_page(page, k.now());
    put_page(page, k);
  }
  if (start_mm) mmput(start_mm, k);
  return 0;
}

int64_t MemoryManager::sys_swapoff(unsigned type, std::string& why, KCtx& k) {
  if (!m_swap || type >= m_swap->nr_swapfiles() || (m_swap->info(type).flags & SWP_ACTIVE) != SWP_ACTIVE) {
    why = "not an active swap area";
    return -kEINVAL;
  }
  const SwapInfo& si = m_swap->info(type);
  // security_vm_enough_memory(p->pages) with OVERCOMMIT_GUESS: page cache + free pages + free swap
  // (this area's included) must exceed the area's size.
  const int64_t free = allocator().global_page_state(NR_FILE_PAGES) +
                       static_cast<int64_t>(allocator().nr_free_pages()) + m_swap->nr_swap_pages();
  if (free <= static_cast<int64_t>(si.pages)) {
    why = fmt::format("not enough memory to take back {} pages ({} available)", si.inuse_pages, free);
    return -kENOMEM;
  }
  {
    SpinGuard g(*m_swap_lock, k);
    m_swap->swapoff_begin(type);
  }
  if (k.task) k.task->flags |= PF_SWAPOFF;
  const int err = try_to_unuse(type, k);
  if (k.task) k.task->flags &= ~PF_SWAPOFF;
  if (err) {
    SpinGuard g(*m_swap_lock, k);
    m_swap->swapoff_abort(type);
    why = "try_to_unuse failed: out of memory";
    return err;
  }
  // drain_mmlist: with no slot in use anywhere, no mm needs to stay on the list.
  bool any = false;
  for (unsigned t = 0; t < m_swap->nr_swapfiles(); ++t)
    if (m_swap->info(t).inuse_pages && t != type) any = true;
  if (!any) {
    SpinGuard g(*m_mmlist_lock, k);
    for (MmStruct* mm : m_mmlist) mm->on_mmlist = false;
    m_mmlist.clear();
  }
  SpinGuard g(*m_swap_lock, k);
  m_swap->swapoff_end(type);
  return 0;
}

}  // namespace pc::kernel
