// The page cache: the page lock and page wait queues, find_get_page / add_to_page_cache, readahead
// (mm/readahead.c: page_cache_readahead's windows, read-around for mmap faults), filemap_nopage, and
// read()/write() (do_generic_mapping_read, generic_file_buffered_write) with the user side copied through
// the task's own page tables on its core (Linux 2.6.18 mm/filemap.c; spec §3.2, §11.5).
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/sched.h"
#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

namespace {
constexpr uint64_t VM_MIN_READAHEAD_PAGES = 4;  // 16 KiB, the current page included
constexpr uint64_t VM_MAX_CACHE_HIT = 256;
constexpr int64_t kEFAULT = 14, kENOMEM = 12, kEIO = 5;

uint64_t roundup_pow_of_two(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

// ---------------------------------------------------------------------------------------------------
// The page lock.

void MemoryManager::sync_page(Page* page, KCtx& k) {
  // ->sync_page: kick the device queue first, so the I/O a sleeper waits for is dispatched now rather
  // than at the unplug timer (block_sync_page; swap_unplug_io_fn for the swap cache).
  if (page->test(PG_swapcache)) {
    if (m_swap && m_swap_io && m_swap->valid(page->private_))
      m_swap_io->unplug(m_swap->info(swp_type(page->private_)).disk, k);
    return;
  }
  if (AddressSpace* as = page->file_mapping())
    if (as->host && as->host->backing) as->host->backing->sync_page(k);
}

void MemoryManager::lock_page(Page* page, KCtx& k, hw::Charge why) {
  while (page->test_and_set(PG_locked)) {
    ++m_stats.lock_page_waits;
    sync_page(page, k);
    // sync_page kicks the disk through its registers and may wait: the read can complete and unlock the
    // page meanwhile, waking nobody. Look again before sleeping (__lock_page's prepare_to_wait_exclusive
    // puts the task on the queue before it tests PG_locked, for the same reason). Nothing can run between
    // this test and the task joining the queue.
    if (!page->test(PG_locked) && !m_skip_lock_recheck) continue;
    page_waitqueue(page).sleep(k, why, true);
  }
}

void MemoryManager::unlock_page(Page* page, const sc_core::sc_time& at) {
  if (!page->test_and_clear(PG_locked)) throw std::logic_error("unlock_page of a page that is not locked");
  auto it = m_page_wq.find(page);
  if (it != m_page_wq.end()) it->second.wake_up(at, 1);  // wake_up_page: every waiter, one locker
}

void MemoryManager::wait_on_page_locked(Page* page, KCtx& k) {
  while (page->test(PG_locked)) {
    sync_page(page, k);
    if (page->test(PG_locked)) page_waitqueue(page).sleep(k, hw::Charge::IoWait);  // as in lock_page
  }
}

std::string MemoryManager::describe_page_wait(const void* wq) {
  for (const auto& [page, q] : m_page_wq)
    if (&q == wq) {
      return fmt::format("page pfn {} (flags 0x{:x}, count {}, mapcount {}, {}, index {})",
                         mem_map().page_to_pfn(page), page->flags, page->count, page->mapcount,
                         page->test(PG_swapcache) ? "swap cache"
                         : page->anon()           ? "anonymous"
                         : page->mapping          ? "page cache"
                                                  : "no mapping",
                         page->index);
    }
  return {};
}

void MemoryManager::set_page_dirty(Page* page) {
  // __set_page_dirty_nobuffers: NR_FILE_DIRTY on the clean-to-dirty edge of a page-cache page whose
  // mapping accounts dirty pages (mapping_cap_account_dirty: not shmem, whose backing_dev_info has
  // BDI_CAP_NO_ACCT_DIRTY; swap-cache and anonymous pages are not counted either).
  if (page->test_and_set(PG_dirty)) return;
  const AddressSpace* as = page->file_mapping();
  if (as && !page->test(PG_swapcache) && !(as->host && as->host->unlinked_shmem)) {
    allocator().mod_zone_page_state(page, NR_FILE_DIRTY, 1);
    if (m_on_dirtied && as->host) m_on_dirtied(*as->host);
  }
}

// ---------------------------------------------------------------------------------------------------
// The radix tree.

Page* MemoryManager::find_get_page(AddressSpace& as, uint64_t index, KCtx& k) {
  cost(m_costs.page_cache_op, k);
  SpinGuard g(*as.tree_lock, k);
  auto it = as.page_tree.find(index);
  if (it == as.page_tree.end()) return nullptr;
  Lru::get_page(it->second);
  return it->second;
}

bool MemoryManager::add_to_page_cache(Page* page, AddressSpace& as, uint64_t index, KCtx& k) {
  cost(m_costs.page_cache_op, k);
  SpinGuard g(*as.tree_lock, k);
  if (as.page_tree.count(index)) return false;  // -EEXIST
  as.page_tree.emplace(index, page);
  Lru::get_page(page);  // the page cache's reference
  page->set(PG_locked);
  page->mapping = reinterpret_cast<uintptr_t>(&as);
  page->index = index;
  ++as.nrpages;
  allocator().mod_zone_page_state(page, NR_FILE_PAGES, 1);
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Reading pages in.

uint64_t MemoryManager::do_page_cache_readahead(File& f, uint64_t start, uint64_t nr, KCtx& k) {
  // __do_page_cache_readahead: allocate the missing pages of the window (clipped at EOF) first, then put
  // them in the page cache and read each contiguous run with one request (->readpages).
  const uint64_t size = f.backing->size_pages();
  if (start >= size) return 0;
  const uint64_t end = std::min(start + nr, size);
  std::vector<std::pair<uint64_t, Page*>> pool;
  for (uint64_t i = start; i < end; ++i) {
    {
      SpinGuard g(*f.mapping.tree_lock, k);
      if (f.mapping.page_tree.count(i)) continue;
    }
    cost(m_costs.page_alloc, k);
    Page* p = allocator().alloc_pages(GFP_HIGHUSER | __GFP_COLD, 0, k);
    if (!p) break;  // a short window is fine
    pool.emplace_back(i, p);
  }
  uint64_t started = 0;
  std::vector<Page*> run;
  auto submit = [&] {
    if (run.empty()) return;
    std::vector<uint64_t> pas;
    for (Page* p : run) pas.push_back(mem_map().page_to_phys(p));
    const bool io = f.backing->readpages(run.front()->index, pas, k, [this, run](int err, uint64_t at) {
      // The read completed (interrupt context): uptodate or in error, then unlocked; sleepers wake.
      for (Page* p : run) {
        p->set(err ? PG_error : PG_uptodate);
        unlock_page(p, sc_core::sc_time::from_value(at));
      }
    });
    if (!io)
      for (Page* p : run) {
        p->set(PG_uptodate);
        unlock_page(p, k.now());
      }
    started += run.size();
    run.clear();
  };
  for (auto& [index, p] : pool) {
    if (!add_to_page_cache(p, f.mapping, index, k)) {  // somebody else added it meanwhile
      submit();
      put_page(p, k);
      continue;
    }
    m_lru.lru_cache_add(p, k);  // readahead pages go to the inactive list
    if (!run.empty() && run.back()->index + 1 != index) submit();
    run.push_back(p);
    put_page(p, k);  // the allocation's reference: the page cache holds its own
  }
  submit();
  m_stats.readahead_pages += started;
  return started;
}

uint64_t MemoryManager::max_sane_readahead(uint64_t nr) const {
  // min(nr, (inactive + free) / 2) over the node's zones.
  uint64_t inactive = 0;
  for (unsigned z = 0; z < MAX_NR_ZONES; ++z) inactive += m_lru.allocator().zone(z).nr_inactive;
  return std::min(nr, (inactive + m_lru.allocator().nr_free_pages()) / 2);
}

uint64_t MemoryManager::blockable_page_cache_readahead(File& f, FileRaState& ra, uint64_t offset, uint64_t nr,
                                                       KCtx& k) {
  const uint64_t actual = do_page_cache_readahead(f, offset, nr, k);
  // check_ra_success: a file that keeps being found cached turns readahead off.
  if (actual == 0) {
    ra.cache_hit += nr;
    if (ra.cache_hit >= VM_MAX_CACHE_HIT) {
      ra.start = ra.size = 0;
      ra.flags = RA_FLAG_INCACHE;
      ra.ahead_size += ra.ahead_start;  // reset_ahead_window
      ra.ahead_start = 0;
      return 0;
    }
  } else {
    ra.cache_hit = 0;
  }
  return 1;
}

bool MemoryManager::make_ahead_window(File& f, FileRaState& ra, bool force, KCtx& k) {
  // get_next_ra_size: grow 4x while small, then 2x; shrink after a miss.
  const uint64_t max = ra.ra_pages, cur = ra.size;
  uint64_t next;
  if (ra.flags & RA_FLAG_MISS) {
    ra.flags &= ~RA_FLAG_MISS;
    next = std::max(cur > 2 ? cur - 2 : 0, VM_MIN_READAHEAD_PAGES);
  } else {
    next = cur < max / 16 ? 4 * cur : 2 * cur;
  }
  ra.ahead_size = std::min(next, max);
  ra.ahead_start = ra.start + ra.size;
  // The submission always proceeds: the model has no read congestion check (bdi_read_congested).
  const bool ok = blockable_page_cache_readahead(f, ra, ra.ahead_start, ra.ahead_size, k);
  if (!ok && !force) {
    ra.ahead_size += ra.ahead_start;  // reset_ahead_window
    ra.ahead_start = 0;
  }
  return ok;
}

uint64_t MemoryManager::page_cache_readahead(File& f, FileRaState& ra, uint64_t offset, uint64_t req_size,
                                             KCtx& k) {
  if (static_cast<int64_t>(offset) == ra.prev_page && --req_size) ++offset;
  const bool sequential = static_cast<int64_t>(offset) == ra.prev_page + 1;
  ra.prev_page = static_cast<int64_t>(offset);
  const uint64_t max = ra.ra_pages;
  const uint64_t newsize = std::min(req_size, max);
  if (newsize == 0 || (ra.flags & RA_FLAG_INCACHE)) return static_cast<uint64_t>(ra.prev_page + 1);
  ra.prev_page += static_cast<int64_t>(newsize) - 1;
  if (sequential && ra.size == 0) {
    // The first sequential read (a read from the start included): a large initial window.
    const uint64_t n = roundup_pow_of_two(newsize);  // get_init_ra_size
    ra.size = n <= max / 32 ? n * 4 : n <= max / 4 ? n * 2 : max;
    ra.start = offset;
    if (blockable_page_cache_readahead(f, ra, offset, ra.size, k) && req_size >= max)
      make_ahead_window(f, ra, true, k);
    return static_cast<uint64_t>(ra.prev_page + 1);
  }
  if (!sequential) {  // random: readahead off, read what was asked
    ra.start = ra.size = 0;
    ra.flags = 0;
    ra.ahead_size += ra.ahead_start;
    ra.ahead_start = 0;
    blockable_page_cache_readahead(f, ra, offset, newsize, k);
    return static_cast<uint64_t>(ra.prev_page + 1);
  }
  bool recheck = false;
  if (ra.ahead_start == 0 && !make_ahead_window(f, ra, false, k)) recheck = true;
  if (recheck || ra.prev_page >= static_cast<int64_t>(ra.ahead_start)) {
    if (!recheck) {  // the reader crossed into the ahead window: shift and issue the next one
      ra.start = ra.ahead_start;
      ra.size = ra.ahead_size;
      make_ahead_window(f, ra, false, k);
    }
    ra.prev_page = std::min(ra.prev_page, static_cast<int64_t>(ra.ahead_start + ra.ahead_size) - 1);
  }
  return static_cast<uint64_t>(ra.prev_page + 1);
}

bool MemoryManager::page_cache_read(File& f, uint64_t index, KCtx& k) {
  cost(m_costs.page_alloc, k);
  Page* p = allocator().alloc_pages(GFP_HIGHUSER | __GFP_COLD, 0, k);
  if (!p) return false;
  if (add_to_page_cache(p, f.mapping, index, k)) {
    m_lru.lru_cache_add(p, k);
    std::vector<uint64_t> pas{mem_map().page_to_phys(p)};
    const bool io = f.backing->readpages(index, pas, k, [this, p](int err, uint64_t at) {
      p->set(err ? PG_error : PG_uptodate);
      unlock_page(p, sc_core::sc_time::from_value(at));
    });
    if (!io) {
      p->set(PG_uptodate);
      unlock_page(p, k.now());
    }
  }
  put_page(p, k);
  return true;
}

bool MemoryManager::read_page_sync(File& f, Page* page, KCtx& k) {
  // The caller owns the page lock: read into it and sleep until the data is there (block_prepare_write
  // reading a buffer it will only partly overwrite).
  WaitQueue done_wq;
  bool done = false;
  std::vector<uint64_t> pas{mem_map().page_to_phys(page)};
  const bool io = f.backing->readpages(page->index, pas, k, [&done, &done_wq, page](int err, uint64_t at) {
    page->set(err ? PG_error : PG_uptodate);
    done = true;
    done_wq.wake_up(sc_core::sc_time::from_value(at));
  });
  if (!io) {
    page->set(PG_uptodate);
    return true;
  }
  while (!done) {
    f.backing->sync_page(k);
    if (!done) done_wq.sleep(k, hw::Charge::IoWait);  // the kick may wait: the read may be done now
  }
  return page->test(PG_uptodate);
}

// ---------------------------------------------------------------------------------------------------
// Faults on file mappings.

Page* MemoryManager::filemap_nopage(Vma& vma, uint64_t va, bool& major, bool& sigbus, KCtx& k) {
  File& f = *vma.vm_file;
  AddressSpace& as = f.mapping;
  FileRaState& ra = f.ra;
  const uint64_t pgoff = linear_page_index(&vma, va & ~(kPageSize - 1));
  major = sigbus = false;
  if (pgoff >= f.backing->size_pages()) {
    sigbus = true;  // outside the file: NOPAGE_SIGBUS
    return nullptr;
  }
  bool did_readaround = false;
  for (unsigned retries = 0;; ++retries) {
    if (retries > 1000) throw std::logic_error("filemap_nopage: the page never came in");
    Page* page = find_get_page(as, pgoff, k);
    if (!page) {
      ++m_stats.page_cache_misses;
      bool readaround = false;
      if (!(vma.vm_flags & VM_RAND_READ)) {
        ++ra.mmap_miss;
        readaround = ra.mmap_miss <= ra.mmap_hit + MMAP_LOTSAMISS;
      }
      if (readaround) {
        if (!did_readaround) {
          major = true;
          allocator().events().count(PGMAJFAULT);
        }
        did_readaround = true;
        // Read-around: the window centred on the fault (not aligned), clipped at 0 and at EOF.
        const uint64_t ra_pages = max_sane_readahead(ra.ra_pages);
        if (ra_pages) {
          const uint64_t start = pgoff > ra_pages / 2 ? pgoff - ra_pages / 2 : 0;
          m_stats.readaround_pages += do_page_cache_readahead(f, start, ra_pages, k);
        }
        page = find_get_page(as, pgoff, k);
      }
      if (!page) {                                          // no_cached_page: read just this page
        if (!page_cache_read(f, pgoff, k)) return nullptr;  // no memory
        continue;                                           // retry_find
      }
    } else {
      ++m_stats.page_cache_hits;
    }
    if (!did_readaround) ++ra.mmap_hit;
    if (!page->test(PG_uptodate)) {
      // page_not_uptodate: its read is in flight (or failed). Sleep on the page lock until it is done.
      if (!did_readaround) {
        major = true;
        allocator().events().count(PGMAJFAULT);
        did_readaround = true;
      }
      lock_page(page, k);    // the task holds its reference while it sleeps
      if (!page->mapping) {  // truncated meanwhile
        unlock_page(page, k.now());
        put_page(page, k);
        continue;
      }
      const bool ok = page->test(PG_uptodate);
      unlock_page(page, k.now());
      if (!ok) {
        put_page(page, k);
        sigbus = true;  // a read error: SIGBUS
        return nullptr;
      }
    }
    // success: marked accessed once, after the page is known to be uptodate.
    m_lru.mark_page_accessed(page, k);
    return page;
  }
}

// ---------------------------------------------------------------------------------------------------
// read() and write().

bool MemoryManager::copy_user(MmStruct& mm, uint64_t user_va, uint64_t kernel_pa, uint64_t len, bool to_user,
                              KCtx& k) {
  if (m_cpus.empty()) throw std::logic_error("copy_user: the memory manager has no CPUs");
  uint8_t line[64];
  uint64_t done = 0;
  while (done < len) {
    const uint64_t uva = user_va + done, kpa = kernel_pa + done;
    // Whole lines of the user buffer (an access never crosses a line): the kernel side is split too.
    const unsigned n =
        static_cast<unsigned>(std::min({len - done, uint64_t{64} - (uva & 63), uint64_t{64} - (kpa & 63)}));
    if (to_user) m_bus.read(kpa, line, n, k);
    for (unsigned tries = 0;; ++tries) {
      const auto r = m_cpus.at(k.cpu)->kernel_access(uva, line, n, to_user, k.delay);
      if (r.ok) break;
      // A fault on the user buffer from kernel mode: the exception-table fixup runs the fault handler
      // (which may sleep) and the copy is retried; a bad address ends the copy with -EFAULT. The fault is
      // the task's like any other (do_page_fault counts min_flt/maj_flt whatever mode it came from).
      if (tries > 2) return false;
      const uint64_t cow_before = k.cow_copies;
      const FaultResult fr = do_page_fault(mm, uva, r.error_code, k);
      if (fr != FaultResult::Minor && fr != FaultResult::Major) return false;
      if (k.task) {
        ++(fr == FaultResult::Major ? k.task->maj_flt : k.task->min_flt);
        k.task->cow_faults += k.cow_copies - cow_before;
      }
    }
    if (!to_user) m_bus.write(kpa, line, n, k);
    done += n;
  }
  return true;
}

int64_t MemoryManager::do_generic_mapping_read(MmStruct& mm, File& f, uint64_t pos, uint64_t len,
                                               uint64_t buf, KCtx& k) {
  const uint64_t size = f.backing->size_pages() << kPageShift;
  if (pos >= size) return 0;  // files do not grow in this model
  len = std::min(len, size - pos);
  FileRaState ra = f.ra;  // Linux works on a copy and writes it back at the end
  uint64_t index = pos >> kPageShift;
  uint64_t next_index = index;
  int64_t prev_index = ra.prev_page;
  const uint64_t last_index = (pos + len + kPageSize - 1) >> kPageShift;
  uint64_t offset = pos & (kPageSize - 1);
  uint64_t done = 0;
  int64_t err = 0;
  while (done < len) {
    if (k.task) k.task->sched->check_resched(k);  // cond_resched
    if (index == next_index) next_index = page_cache_readahead(f, ra, index, last_index - index, k);
    Page* page = find_get_page(f.mapping, index, k);
    if (!page) {
      // handle_ra_miss, then read the page ourselves.
      ra.flags |= RA_FLAG_MISS;
      ra.flags &= ~RA_FLAG_INCACHE;
      ra.cache_hit = 0;
      if (!page_cache_read(f, index, k)) {
        err = -kENOMEM;
        break;
      }
      continue;
    }
    if (!page->test(PG_uptodate)) {
      lock_page(page, k);  // sleeps until the read completes
      const bool ok = page->test(PG_uptodate);
      unlock_page(page, k.now());
      if (!ok) {
        put_page(page, k);
        err = -kEIO;
        break;
      }
    }
    // page_ok: marked accessed once per page (not per copied piece, nor twice for the same page).
    if (prev_index != static_cast<int64_t>(index)) m_lru.mark_page_accessed(page, k);
    prev_index = static_cast<int64_t>(index);
    const uint64_t n = std::min(len - done, kPageSize - offset);
    const bool ok = copy_user(mm, buf + done, mem_map().page_to_phys(page) + offset, n, true, k);
    put_page(page, k);
    if (!ok) {
      err = -kEFAULT;
      break;
    }
    done += n;
    offset = 0;
    ++index;
  }
  f.ra = ra;
  return done ? static_cast<int64_t>(done) : err;
}

int64_t MemoryManager::generic_file_buffered_write(MmStruct& mm, File& f, uint64_t pos, uint64_t len,
                                                   uint64_t buf, KCtx& k) {
  const uint64_t size = f.backing->size_pages() << kPageShift;
  if (pos >= size) return 0;  // files do not grow in this model
  len = std::min(len, size - pos);
  uint64_t done = 0;
  while (done < len) {
    const uint64_t index = (pos + done) >> kPageShift, offset = (pos + done) & (kPageSize - 1);
    const uint64_t n = std::min(len - done, kPageSize - offset);
    // __grab_cache_page: the page locked, from the cache or fresh.
    Page* page = find_get_page(f.mapping, index, k);
    if (page) {
      lock_page(page, k);
    } else {
      cost(m_costs.page_alloc, k);
      page = allocator().alloc_pages(GFP_HIGHUSER, 0, k);
      if (!page) break;
      if (!add_to_page_cache(page, f.mapping, index, k)) {  // raced: use the one in the cache
        put_page(page, k);
        continue;
      }
      m_lru.lru_cache_add(page, k);
    }
    // prepare_write: a page the write covers only partly must be read first; a whole-page write is not.
    if (!page->test(PG_uptodate) && n < kPageSize && !read_page_sync(f, page, k)) {
      unlock_page(page, k.now());
      put_page(page, k);
      break;
    }
    const bool ok = copy_user(mm, buf + done, mem_map().page_to_phys(page) + offset, n, false, k);
    // commit_write: dirty, and uptodate once the whole page is valid.
    if (ok) {
      set_page_dirty(page);
      if (n == kPageSize) page->set(PG_uptodate);
    }
    unlock_page(page, k.now());
    m_lru.mark_page_accessed(page, k);
    put_page(page, k);
    if (!ok) break;
    done += n;
    if (m_on_write) m_on_write(f, k);             // balance_dirty_pages_ratelimited
    if (k.task) k.task->sched->check_resched(k);  // cond_resched
  }
  return done ? static_cast<int64_t>(done) : -kEFAULT;
}

}  // namespace pc::kernel
