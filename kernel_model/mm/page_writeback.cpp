// Dirty-page writeback (Linux 2.6.18 mm/page-writeback.c; fs/fs-writeback.c writeback_inodes in outline).
#include "kernel_model/mm/page_writeback.h"

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/task.h"

namespace pc::kernel {

PageWriteback::PageWriteback(MemoryManager& mm, Vmscan& vs, const VmConfig& vm, unsigned cpus,
                             std::function<std::vector<File*>()> files, std::function<bool()> congested)
    : m_mm(mm),
      m_vs(vs),
      m_vm(vm),
      m_cpus(cpus),
      m_files(std::move(files)),
      m_congested(std::move(congested)),
      m_ratelimits(cpus) {}

uint64_t PageWriteback::ratelimit_pages(uint64_t total_pages, unsigned cpus) {
  return std::clamp<uint64_t>(total_pages / (std::max(1u, cpus) * 32), 16, (4u << 20) / kPageSize);
}

sc_core::sc_time PageWriteback::hz10() const {
  return sc_core::sc_time(100, sc_core::SC_MS);  // HZ/10 jiffies at HZ 100, 250, 1000
}

void PageWriteback::dirty_limits(uint64_t& background, uint64_t& dirty, KCtx* k) const {
  PageAllocator& a = m_mm.allocator();
  const uint64_t mapped =
      static_cast<uint64_t>(a.global_page_state(NR_FILE_MAPPED) + a.global_page_state(NR_ANON_PAGES));
  Vmscan::get_dirty_limits(m_vs.total_pages(), mapped, static_cast<unsigned>(m_vm.dirty_ratio),
                           static_cast<unsigned>(m_vm.dirty_background_ratio),
                           k && k->task && (k->task->flags & PF_LESS_THROTTLE), background, dirty);
}

void PageWriteback::mark_inode_dirty(File& f, const sc_core::sc_time& at) {
  m_dirtied_when.emplace(&f, at);  // only the first dirtying counts until the file is clean again
}

bool PageWriteback::write_one(Page* page, File& f, KCtx& k) {
  if (!m_mm.trylock_page(page)) return false;  // WB_SYNC_NONE: a locked page is skipped
  return write_locked(page, f, k);
}

bool PageWriteback::write_locked(Page* page, File& f, KCtx& k) {
  // The page may have been cleaned or started meanwhile.
  if (page->test(PG_writeback) || !page->test(PG_dirty) || page->file_mapping() != &f.mapping) {
    m_mm.unlock_page(page, k.now());
    return false;
  }
  page->clear(PG_dirty);  // clear_page_dirty_for_io
  if (mapping_cap_account_dirty(page)) m_mm.allocator().mod_zone_page_state(page, NR_FILE_DIRTY, -1);
  page->set(PG_writeback);
  m_mm.allocator().mod_zone_page_state(page, NR_WRITEBACK, 1);
  const int err = f.backing->writepage(
      page->index, m_mm.mem_map().page_to_phys(page), k,
      [this, page](int, uint64_t at) { m_vs.end_page_writeback(page, sc_core::sc_time::from_value(at)); });
  if (err) {  // cannot be written (shmem): dirty again
    page->clear(PG_writeback);
    m_mm.allocator().mod_zone_page_state(page, NR_WRITEBACK, -1);
    page->set(PG_dirty);
    if (mapping_cap_account_dirty(page)) m_mm.allocator().mod_zone_page_state(page, NR_FILE_DIRTY, 1);
    m_mm.unlock_page(page, k.now());
    return false;
  }
  m_mm.unlock_page(page, k.now());
  ++m_stats.pages_written;
  return true;
}

void PageWriteback::writeback_inodes(WritebackControl& wbc, KCtx& k) {
  // Files in the order they were dirtied (the superblock's s_io list: oldest first).
  std::vector<std::pair<sc_core::sc_time, File*>> order;
  for (File* f : m_files()) {
    auto it = m_dirtied_when.find(f);
    if (it != m_dirtied_when.end()) order.emplace_back(it->second, f);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [when, f] : order) {
    if (wbc.nr_to_write <= 0) return;
    if (wbc.older_than && when > wbc.older_than_this) continue;
    if (wbc.nonblocking && m_congested()) {
      wbc.encountered_congestion = true;
      return;
    }
    // Dirty pages in index order (the radix tree's dirty tag lookup).
    std::vector<Page*> dirty;
    for (auto& [idx, p] : f->mapping.page_tree)
      if (p->test(PG_dirty)) dirty.push_back(p);
    bool all = true;
    for (Page* p : dirty) {
      if (wbc.nr_to_write <= 0) {
        all = false;
        break;
      }
      if (wbc.nonblocking && m_congested()) {
        wbc.encountered_congestion = true;
        all = false;
        break;
      }
      Lru::get_page(p);
      if (write_one(p, *f, k))
        --wbc.nr_to_write;
      else if (p->test(PG_dirty))
        ++wbc.pages_skipped, all = false;
      m_mm.put_page(p, k);
    }
    if (all) m_dirtied_when.erase(f);  // clean: redirtied_when starts anew
  }
}

namespace {
// pagevec_lookup_tag over the whole file: the pages with `flag` set, in index order, each with a reference
// taken so that it stays while the caller sleeps on it.
std::vector<Page*> pin_tagged(File& f, PageFlag flag) {
  std::vector<Page*> pages;
  for (auto& [idx, p] : f.mapping.page_tree)
    if (p->test(flag)) {
      Lru::get_page(p);
      pages.push_back(p);
    }
  return pages;
}
}  // namespace

int PageWriteback::filemap_fdatawrite(File& f, KCtx& k) {
  // __filemap_fdatawrite(mapping, WB_SYNC_ALL) through mpage_writepages: every page dirty now, in index
  // order. Unlike background writeback it sleeps for a locked page and waits for a write already under
  // way (the page may have been redirtied since it started). In 2.6.18 clear_page_dirty_for_io does not
  // look at PTEs: pages dirtied only through a shared mapping's PTE Dirty bits are not written (msync moves
  // those bits into the pages first).
  for (Page* p : pin_tagged(f, PG_dirty)) {
    m_mm.lock_page(p, k);
    if (p->file_mapping() == &f.mapping && p->test(PG_writeback)) {
      m_mm.sync_page(p, k);
      m_mm.wait_on_page_writeback(p, k);
    }
    if (write_locked(p, f, k)) ++m_stats.sync_pages_written;  // unlocks the page
    m_mm.put_page(p, k);
  }
  // The inode is clean once no page is dirty (__writeback_single_inode): wb_kupdate's age starts anew.
  bool clean = true;
  for (auto& [idx, p] : f.mapping.page_tree) clean = clean && !p->test(PG_dirty);
  if (clean) m_dirtied_when.erase(&f);
  return 0;
}

int PageWriteback::filemap_fdatawait(File& f, KCtx& k) {
  // wait_on_page_writeback_range over the whole file: each page under writeback, in index order (a write
  // error is not modeled for file pages, so the result is 0).
  for (Page* p : pin_tagged(f, PG_writeback)) {
    if (p->test(PG_writeback)) {
      m_mm.sync_page(p, k);  // wait_on_page_bit kicks the queue before it sleeps
      m_mm.wait_on_page_writeback(p, k);
    }
    m_mm.put_page(p, k);
  }
  return 0;
}

int PageWriteback::do_fsync(File& f, KCtx& k) {
  // fs/sync.c: filemap_fdatawrite, the file system's ->fsync, filemap_fdatawait. The model's files are
  // fixed extents of their disk with no metadata to write, and 2.6.18's ext3 mounts without barriers
  // (no FLUSH CACHE), so ->fsync adds nothing.
  ++m_stats.fsync_calls;
  const int ret = filemap_fdatawrite(f, k);
  const int err = filemap_fdatawait(f, k);
  return ret ? ret : err;
}

void PageWriteback::background_writeout(int64_t min_pages, KCtx& k) {
  ++m_stats.background_runs;
  m_writeback_in_progress = true;
  PageAllocator& a = m_mm.allocator();
  for (unsigned i = 0; i < 1000000; ++i) {
    uint64_t background = 0, dirty = 0;
    dirty_limits(background, dirty, &k);
    const int64_t nr = a.global_page_state(NR_FILE_DIRTY) + a.global_page_state(NR_UNSTABLE_NFS);
    if (nr < static_cast<int64_t>(background) && min_pages <= 0) break;
    WritebackControl wbc;
    wbc.nonblocking = true;
    wbc.nr_to_write = MAX_WRITEBACK_PAGES;
    writeback_inodes(wbc, k);
    min_pages -= static_cast<int64_t>(MAX_WRITEBACK_PAGES) - wbc.nr_to_write;
    if (wbc.nr_to_write > 0 || wbc.pages_skipped > 0) {  // wrote less than asked
      congestion_wait(hz10(), k);
      if (!wbc.encountered_congestion) break;
    }
  }
  m_writeback_in_progress = false;
}

void PageWriteback::wb_kupdate(KCtx& k) {
  ++m_stats.kupdate_runs;
  PageAllocator& a = m_mm.allocator();
  const sc_core::sc_time now = k.now();
  const sc_core::sc_time expire =
      sc_core::sc_time(10.0 * static_cast<double>(m_vm.dirty_expire_centisecs), sc_core::SC_MS);
  int64_t nr_to_write = a.global_page_state(NR_FILE_DIRTY) + a.global_page_state(NR_UNSTABLE_NFS);
  while (nr_to_write > 0) {
    WritebackControl wbc;
    wbc.nonblocking = true;
    wbc.older_than = true;
    wbc.older_than_this = now > expire ? now - expire : sc_core::SC_ZERO_TIME;
    wbc.nr_to_write = MAX_WRITEBACK_PAGES;
    writeback_inodes(wbc, k);
    if (wbc.nr_to_write > 0) {
      if (!wbc.encountered_congestion) break;  // all the old data is written
      congestion_wait(hz10(), k);
    }
    nr_to_write -= static_cast<int64_t>(MAX_WRITEBACK_PAGES);
  }
}

void PageWriteback::balance_dirty_pages_ratelimited(File& f, uint64_t nr_dirtied, KCtx& k) {
  uint64_t limit = ratelimit_pages(m_vs.total_pages(), m_cpus);
  if (m_dirty_exceeded) limit = 8;
  uint64_t& n = m_ratelimits.at(k.cpu);
  n += nr_dirtied;
  if (n >= limit) {
    n = 0;
    balance_dirty_pages(f, k);
  }
}

void PageWriteback::balance_dirty_pages(File& f, KCtx& k) {
  (void)f;  // one backing device: every file's pages count
  PageAllocator& a = m_mm.allocator();
  const int64_t write_chunk = static_cast<int64_t>(ratelimit_pages(m_vs.total_pages(), m_cpus) * 3 / 2);
  int64_t pages_written = 0, nr_reclaimable = 0;
  uint64_t background = 0, dirty = 0;
  bool throttled = false;
  for (unsigned i = 0;; ++i) {
    if (i > 1000000) throw std::logic_error("balance_dirty_pages: dirty memory never drains");
    dirty_limits(background, dirty, &k);
    nr_reclaimable = a.global_page_state(NR_FILE_DIRTY) + a.global_page_state(NR_UNSTABLE_NFS);
    if (nr_reclaimable + a.global_page_state(NR_WRITEBACK) <= static_cast<int64_t>(dirty)) break;
    throttled = true;
    m_dirty_exceeded = true;
    if (nr_reclaimable) {
      WritebackControl wbc;
      wbc.nr_to_write = write_chunk;
      writeback_inodes(wbc, k);
      dirty_limits(background, dirty, &k);
      nr_reclaimable = a.global_page_state(NR_FILE_DIRTY) + a.global_page_state(NR_UNSTABLE_NFS);
      if (nr_reclaimable + a.global_page_state(NR_WRITEBACK) <= static_cast<int64_t>(dirty)) break;
      pages_written += write_chunk - wbc.nr_to_write;
      if (pages_written >= write_chunk) break;  // we have done our duty
    }
    ++m_stats.throttle_naps;
    congestion_wait(hz10(), k);
  }
  if (throttled) ++m_stats.throttled;
  if (nr_reclaimable + a.global_page_state(NR_WRITEBACK) <= static_cast<int64_t>(dirty) && m_dirty_exceeded)
    m_dirty_exceeded = false;
  if (m_writeback_in_progress) return;
  if ((m_vm.laptop_mode && pages_written) ||
      (!m_vm.laptop_mode && nr_reclaimable > static_cast<int64_t>(background)))
    pdflush_operation([this](KCtx& kk) { background_writeout(0, kk); });
}

}  // namespace pc::kernel
