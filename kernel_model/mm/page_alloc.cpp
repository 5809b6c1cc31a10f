// Zones, watermarks, buddy allocator, per-CPU lists and __alloc_pages (Linux 2.6.18 mm/page_alloc.c).
#include "kernel_model/mm/page_alloc.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/task.h"

namespace pc::kernel {
namespace {

uint64_t isqrt(uint64_t x) {
  uint64_t r = 0, bit = 1ull << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}

unsigned fls(uint64_t x) {  // position of the most significant set bit, 1-based; 0 for 0
  unsigned n = 0;
  while (x) {
    ++n;
    x >>= 1;
  }
  return n;
}

// A loop that never makes progress is a model bug (the real OOM killer always frees a victim's memory).
constexpr unsigned kMaxRestarts = 100000;

}  // namespace

uint64_t PageAllocator::compute_min_free_kbytes(uint64_t lowmem_kbytes) {
  return std::clamp<uint64_t>(isqrt(lowmem_kbytes * 16), 128, 65536);
}

uint64_t PageAllocator::zone_batchsize(uint64_t present_pages) {
  uint64_t batch = present_pages / 1024;
  if (batch * kPageSize > 512 * 1024) batch = (512 * 1024) / kPageSize;
  batch /= 4;
  if (batch < 1) batch = 1;
  // Round down to 2^n - 1: batches of power-of-two size alias in the cache (2.6.18 comment).
  return (1ull << (fls(batch + batch / 2) - 1)) - 1;
}

PageAllocator::PageAllocator(MemMap& mem_map, unsigned cpus, uint64_t reserved_frames) : m_mem_map(mem_map) {
  const uint64_t frames = mem_map.frames();
  const uint64_t limits[MAX_NR_ZONES] = {kDmaLimitPfn, kDma32LimitPfn, ~0ull};
  const char* names[MAX_NR_ZONES] = {"DMA", "DMA32", "Normal"};
  uint64_t start = 0;
  for (unsigned i = 0; i < MAX_NR_ZONES; ++i) {
    Zone& z = m_zones[i];
    z.name = names[i];
    z.idx = i;
    const uint64_t end = std::min(frames, limits[i]);
    z.zone_start_pfn = start;
    z.spanned_pages = end > start ? end - start : 0;
    z.present_pages = z.spanned_pages;  // the platform's memory has no holes
    for (unsigned c = 0; c < cpus; ++c) z.pageset.push_back(std::make_unique<std::array<PerCpuPages, 2>>());
    for (uint64_t pfn = z.zone_start_pfn; pfn < z.zone_start_pfn + z.spanned_pages; ++pfn)
      m_mem_map.pfn_to_page(pfn)->zone = static_cast<uint8_t>(i);
    start = std::max(start, end);
  }

  uint64_t lowmem_pages = 0;  // x86-64 has no highmem: every zone counts
  for (const auto& z : m_zones) lowmem_pages += z.present_pages;
  m_min_free_kbytes = compute_min_free_kbytes(lowmem_pages * (kPageSize / 1024));
  setup_per_zone_pages_min();
  setup_per_zone_lowmem_reserve();

  for (auto& z : m_zones) {
    const uint64_t batch = zone_batchsize(z.present_pages);
    for (auto& cell : z.pageset) {
      auto& pcp = *cell;
      pcp[0].high = 6 * batch;
      pcp[0].batch = std::max<uint64_t>(1, batch);
      pcp[1].high = 2 * batch;
      pcp[1].batch = std::max<uint64_t>(1, batch / 2);
    }
  }

  // memmap_init + free_all_bootmem: reserved frames keep a reference forever; the rest go to the buddy
  // lists in the largest aligned blocks that fit in their zone.
  m_reserved = std::min(reserved_frames, frames);
  for (uint64_t pfn = 0; pfn < m_reserved; ++pfn) {
    Page* p = m_mem_map.pfn_to_page(pfn);
    p->set(PG_reserved);
    p->count = 1;
  }
  for (auto& z : m_zones) {
    const uint64_t end = z.zone_start_pfn + z.spanned_pages;
    uint64_t pfn = std::max(z.zone_start_pfn, m_reserved);
    while (pfn < end) {
      unsigned order = MAX_ORDER - 1;
      while (order && ((pfn & ((1ull << order) - 1)) || pfn + (1ull << order) > end)) --order;
      __free_one_page(m_mem_map.pfn_to_page(pfn), z, order);
      pfn += 1ull << order;
    }
  }
}

void PageAllocator::setup_per_zone_pages_min() {
  const uint64_t pages_min = m_min_free_kbytes >> (kPageShift - 10);
  uint64_t lowmem_pages = 0;
  for (const auto& z : m_zones) lowmem_pages += z.present_pages;
  for (auto& z : m_zones) {
    if (!lowmem_pages) break;
    // Each zone's share of min_free_kbytes is proportional to its size (spec §2.2; no highmem here).
    const uint64_t tmp = pages_min * z.present_pages / lowmem_pages;
    z.pages_min = tmp;
    z.pages_low = z.pages_min + tmp / 4;
    z.pages_high = z.pages_min + tmp / 2;
  }
}

void PageAllocator::setup_per_zone_lowmem_reserve() {
  for (unsigned j = 0; j < MAX_NR_ZONES; ++j) {
    m_zones[j].lowmem_reserve[j] = 0;
    uint64_t present = m_zones[j].present_pages;
    for (int idx = static_cast<int>(j) - 1; idx >= 0; --idx) {
      const uint64_t ratio = std::max<uint64_t>(1, kLowmemReserveRatio[idx]);
      m_zones[idx].lowmem_reserve[j] = present / ratio;
      present += m_zones[idx].present_pages;
    }
  }
}

bool PageAllocator::zone_watermark_ok(const Zone& z, unsigned order, uint64_t mark, unsigned classzone_idx,
                                      unsigned alloc_flags) const {
  // Signed: free may go negative for a large order (spec §2.5).
  int64_t min = static_cast<int64_t>(mark);
  int64_t free = static_cast<int64_t>(z.free_pages) - (int64_t{1} << order) + 1;
  if (alloc_flags & ALLOC_HIGH) min -= min / 2;
  if (alloc_flags & ALLOC_HARDER) min -= min / 4;
  if (free <= min + static_cast<int64_t>(z.lowmem_reserve[classzone_idx])) return false;
  for (unsigned o = 0; o < order; ++o) {
    free -= static_cast<int64_t>(z.free_area[o].nr_free << o);
    min >>= 1;
    if (free <= min) return false;
  }
  return true;
}

std::vector<Zone*> PageAllocator::zonelist(gfp_t gfp) {
  std::vector<Zone*> zl;
  for (int i = static_cast<int>(gfp_zone(gfp)); i >= 0; --i)
    if (m_zones[i].populated()) zl.push_back(&m_zones[i]);
  return zl;
}

Page* PageAllocator::__rmqueue(Zone& z, unsigned order) {
  for (unsigned cur = order; cur < MAX_ORDER; ++cur) {
    FreeArea& area = z.free_area[cur];
    if (area.free_list.empty()) continue;
    Page* page = page_of(area.free_list.next);
    ListHead::del(&page->lru);
    page->clear(PG_buddy);
    page->private_ = 0;
    --area.nr_free;
    z.free_pages -= 1ull << order;
    // expand(): hand the upper halves back, largest first.
    const uint64_t pfn = m_mem_map.page_to_pfn(page);
    for (unsigned high = cur; high > order; --high) {
      const uint64_t size = 1ull << (high - 1);
      Page* half = m_mem_map.pfn_to_page(pfn + size);
      z.free_area[high - 1].free_list.add(&half->lru);
      ++z.free_area[high - 1].nr_free;
      half->set(PG_buddy);
      half->private_ = high - 1;
    }
    return page;
  }
  return nullptr;
}

void PageAllocator::__free_one_page(Page* page, Zone& z, unsigned order) {
  uint64_t pfn = m_mem_map.page_to_pfn(page);
  z.free_pages += 1ull << order;
  const uint64_t zone_end = z.zone_start_pfn + z.spanned_pages;
  while (order < MAX_ORDER - 1) {
    const uint64_t buddy_pfn = pfn ^ (1ull << order);
    if (buddy_pfn < z.zone_start_pfn || buddy_pfn >= zone_end) break;
    Page* buddy = m_mem_map.pfn_to_page(buddy_pfn);
    // page_is_buddy: free, in the buddy lists at exactly this order.
    if (!buddy->test(PG_buddy) || buddy->private_ != order) break;
    ListHead::del(&buddy->lru);
    --z.free_area[order].nr_free;
    buddy->clear(PG_buddy);
    buddy->private_ = 0;
    pfn &= ~(1ull << order);
    ++order;
  }
  Page* head = m_mem_map.pfn_to_page(pfn);
  head->set(PG_buddy);
  head->private_ = order;
  z.free_area[order].free_list.add(&head->lru);
  ++z.free_area[order].nr_free;
}

void PageAllocator::set_lock_classes(LockClasses& lc) {
  for (auto& z : m_zones) {
    z.lock = std::make_unique<Spinlock>(lc.zone_lock);
    z.lru_lock = std::make_unique<Spinlock>(lc.lru_lock);
  }
}

int64_t PageAllocator::global_page_state(ZoneStatItem item) const {
  int64_t n = 0;
  for (const auto& z : m_zones) n += z.vm_stat[item];
  return n;
}

void PageAllocator::free_pages_check(const Page* p, const char* where) const {
  // free_pages_check / prep_new_page: mapped, still in a mapping, referenced, or carrying a flag that
  // only a page in use may carry: bad_page() (2.6.18 prints "Bad page state" and taints; the model stops).
  constexpr uint32_t kBad = (1u << PG_lru) | (1u << PG_private) | (1u << PG_locked) | (1u << PG_active) |
                            (1u << PG_reclaim) | (1u << PG_slab) | (1u << PG_swapcache) |
                            (1u << PG_writeback) | (1u << PG_reserved) | (1u << PG_buddy);
  if (p->mapcount != -1 || p->mapping || p->count != 0 || (p->flags & kBad))
    throw std::logic_error(
        fmt::format("Bad page state at {}: pfn {} flags 0x{:x} mapping 0x{:x} mapcount {} count {}", where,
                    m_mem_map.page_to_pfn(p), p->flags, p->mapping, p->mapcount, p->count));
}

void PageAllocator::free_pages_bulk(Zone& z, PerCpuPages& pcp, uint64_t count, KCtx* k) {
  lock_zone(z, k);
  // Returning pages to the buddy allocator is what tells reclaim the zone is no longer stuck.
  z.all_unreclaimable = false;
  z.pages_scanned = 0;
  while (count-- && !pcp.list.empty()) {
    Page* p = page_of(pcp.list.prev);  // the coldest end
    ListHead::del(&p->lru);
    --pcp.count;
    __free_one_page(p, z, 0);
  }
  unlock_zone(z, k);
}

void PageAllocator::prep_new_page(Page* page, unsigned order) {
  for (uint64_t i = 0; i < (1ull << order); ++i) {
    Page* p = page + i;
    if (p->flags & (1u << PG_dirty)) free_pages_check(p, "prep_new_page (PG_dirty)");
    p->count = 0;
    free_pages_check(p, "prep_new_page");
    p->flags &= ~((1u << PG_referenced) | (1u << PG_uptodate) | (1u << PG_error));
    p->private_ = 0;
    p->index = 0;
  }
  page->count = 1;
}

Page* PageAllocator::buffered_rmqueue(Zone& z, unsigned order, gfp_t gfp, KCtx& k) {
  Page* page = nullptr;
  if (order == 0) {
    PerCpuPages& pcp = (*z.pageset.at(k.cpu))[(gfp & __GFP_COLD) ? 1 : 0];
    if (pcp.list.empty()) {
      ++m_stats.pcp_refills;
      lock_zone(z, &k);
      for (uint64_t i = 0; i < pcp.batch; ++i) {  // rmqueue_bulk
        Page* p = __rmqueue(z, 0);
        if (!p) break;
        pcp.list.add_tail(&p->lru);
        ++pcp.count;
      }
      unlock_zone(z, &k);
    }
    if (!pcp.list.empty()) {
      page = page_of(pcp.list.next);
      ListHead::del(&page->lru);
      --pcp.count;
    }
  } else {
    lock_zone(z, &k);
    page = __rmqueue(z, order);
    unlock_zone(z, &k);
  }
  if (!page) return nullptr;
  m_events.count(zone_event(PGALLOC_DMA, z.idx), 1ull << order);
  prep_new_page(page, order);
  return page;
}

Page* PageAllocator::get_page_from_freelist(gfp_t gfp, unsigned order, const std::vector<Zone*>& zl,
                                            unsigned alloc_flags, KCtx& k) {
  if (zl.empty()) return nullptr;
  const unsigned classzone_idx = zl.front()->idx;
  for (Zone* z : zl) {
    if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
      const uint64_t mark = (alloc_flags & ALLOC_WMARK_MIN)   ? z->pages_min
                            : (alloc_flags & ALLOC_WMARK_LOW) ? z->pages_low
                                                              : z->pages_high;
      if (!zone_watermark_ok(*z, order, mark, classzone_idx, alloc_flags)) continue;
    }
    if (Page* p = buffered_rmqueue(*z, order, gfp, k)) return p;
  }
  return nullptr;
}

Page* PageAllocator::alloc_pages(gfp_t gfp, unsigned order, KCtx& k, AllocFailure* why) {
  if (order >= MAX_ORDER) throw std::invalid_argument("alloc_pages: order above MAX_ORDER-1");
  auto fail = [&](AllocFailure f) -> Page* {
    ++m_stats.failures;
    if (why) *why = f;
    return nullptr;
  };
  if (why) *why = AllocFailure::None;
  const std::vector<Zone*> zl = zonelist(gfp);
  const bool wait = gfp & __GFP_WAIT;
  // The task state the slow path reads: PF_MEMALLOC (kswapd, or a task inside reclaim), TIF_MEMDIE (an
  // OOM victim). A path with no task (interrupt context, boot) is neither and may not sleep.
  Task* cur = k.task;
  const bool in_interrupt = !cur;
  for (unsigned restart = 0; restart < kMaxRestarts; ++restart) {
    // Read at every restart: the OOM killer may just have chosen this task (TIF_MEMDIE).
    const bool memalloc = cur && (cur->flags & PF_MEMALLOC);
    const bool memdie = cur && cur->memdie;
    // 1. Fast path at the low watermark.
    if (Page* p = get_page_from_freelist(gfp | __GFP_HARDWALL, order, zl, ALLOC_WMARK_LOW | ALLOC_CPUSET, k))
      return p;
    // 2. Wake kswapd for every zone of the zonelist.
    if (m_hooks)
      for (Zone* z : zl) m_hooks->wakeup_kswapd(*z, order, k);
    // 3-4. Second try at the min watermark, lowered for atomic callers (no real-time tasks are modeled).
    unsigned alloc_flags = ALLOC_WMARK_MIN;
    if (!wait) alloc_flags |= ALLOC_HARDER;
    if (gfp & __GFP_HIGH) alloc_flags |= ALLOC_HIGH;
    if (wait) alloc_flags |= ALLOC_CPUSET;
    if (Page* p = get_page_from_freelist(gfp, order, zl, alloc_flags, k)) return p;
    // 5. Tasks in reclaim or chosen by the OOM killer may dip into the reserves entirely.
    if ((memalloc || memdie) && !in_interrupt) {
      if (!(gfp & __GFP_NOMEMALLOC)) {
        for (unsigned i = 0; i < kMaxRestarts; ++i) {
          if (Page* p = get_page_from_freelist(gfp, order, zl, ALLOC_NO_WATERMARKS, k)) return p;
          if (!(gfp & __GFP_NOFAIL) || !m_hooks) break;
          m_hooks->congestion_wait(k);
        }
      }
      return fail(AllocFailure::Watermarks);
    }
    // 6. Atomic requests (and paths that cannot sleep) fail here.
    if (!wait || in_interrupt) return fail(AllocFailure::CannotSleep);
    // 7-10. Direct reclaim, retried while it makes progress or the request is small.
    for (unsigned attempt = 0;; ++attempt) {
      if (attempt >= kMaxRestarts) throw std::logic_error("__alloc_pages: reclaim loop made no progress");
      uint64_t progress = 0;
      if (m_hooks) {
        m_hooks->cond_resched(k);
        // PF_MEMALLOC, and a reclaim_state counting the slab pages freed meanwhile.
        ReclaimState reclaim_state;
        cur->flags |= PF_MEMALLOC;
        cur->reclaim_state = &reclaim_state;
        progress = m_hooks->try_to_free_pages(zl, gfp, k);
        cur->reclaim_state = nullptr;
        cur->flags &= ~PF_MEMALLOC;
        m_hooks->cond_resched(k);
      }
      if (progress) {
        if (Page* p = get_page_from_freelist(gfp, order, zl, alloc_flags, k)) return p;
      } else if ((gfp & __GFP_FS) && !(gfp & __GFP_NORETRY)) {
        // Memory may have been freed by a concurrent OOM kill: one last try at the high watermark.
        if (Page* p =
                get_page_from_freelist(gfp | __GFP_HARDWALL, order, zl, ALLOC_WMARK_HIGH | ALLOC_CPUSET, k))
          return p;
        ++m_stats.oom_calls;
        if (!m_hooks || !m_hooks->out_of_memory(zl, gfp, order, k)) return fail(AllocFailure::OutOfMemory);
        break;  // a victim was killed: restart from the fast path
      }
      bool retry = false;
      if (!(gfp & __GFP_NORETRY)) retry = order <= 3 || (gfp & __GFP_REPEAT) || (gfp & __GFP_NOFAIL);
      if (!retry) return fail(AllocFailure::NoRetry);
      if (m_hooks) m_hooks->congestion_wait(k);
      if (!m_hooks) return fail(AllocFailure::OutOfMemory);  // nothing can ever free memory
    }
  }
  throw std::logic_error("__alloc_pages: OOM restarts made no progress");
}

void PageAllocator::free_pages(Page* page, unsigned order, KCtx& k) {
  Zone& z = m_zones[page->zone];
  m_events.count(PGFREE, 1ull << order);
  page->count = 0;
  if (page->anon()) page->mapping = 0;  // free_hot_cold_page clears an anonymous page's anon_vma
  free_pages_check(page, "free_pages");
  page->flags &= ~(1u << PG_dirty);
  if (order == 0) {
    // free_hot_cold_page (hot): onto the per-CPU list; past `high`, a batch goes back to the buddy lists.
    PerCpuPages& pcp = (*z.pageset.at(k.cpu))[0];
    pcp.list.add(&page->lru);
    ++pcp.count;
    if (pcp.count >= pcp.high) {
      ++m_stats.pcp_drains;
      free_pages_bulk(z, pcp, pcp.batch, &k);
    }
    return;
  }
  lock_zone(z, &k);
  z.all_unreclaimable = false;
  z.pages_scanned = 0;
  __free_one_page(page, z, order);
  unlock_zone(z, &k);
}

void PageAllocator::put_page(Page* page, KCtx& k) {
  if (page->count <= 0) throw std::logic_error("put_page on a free page");
  if (--page->count == 0) free_pages(page, 0, k);
}

void PageAllocator::drain_all_pages() {
  for (auto& z : m_zones)
    for (auto& c : z.pageset)
      for (auto& pcp : *c) free_pages_bulk(z, pcp, pcp.count, nullptr);
}

uint64_t PageAllocator::nr_free_pages() const {
  uint64_t n = 0;
  for (const auto& z : m_zones) n += z.free_pages + z.pcp_pages();
  return n;
}

uint64_t PageAllocator::total_present() const {
  uint64_t n = 0;
  for (const auto& z : m_zones) n += z.present_pages;
  return n;
}

}  // namespace pc::kernel
