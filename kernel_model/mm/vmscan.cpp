// Page frame reclaiming (Linux 2.6.18 mm/vmscan.c, with get_dirty_limits/throttle_vm_writeout of
// mm/page-writeback.c and end_page_writeback/rotate_reclaimable_page of mm/filemap.c, mm/swap.c).
#include "kernel_model/mm/vmscan.h"

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/task.h"

namespace pc::kernel {

namespace {
// Times one call's share of the task's time, less the TLB flushes done on the CPU meanwhile.
class SplitTimer {
 public:
  SplitTimer(const ReclaimEnv& env, KCtx& k)
      : m_env(env), m_k(k), m_t0(k.now()), m_f0(env.tlb_flush_fs(k.cpu)) {}
  // Adds the elapsed time without flushes to `part` and the flushes to `flush`.
  void stop(uint64_t& part, uint64_t& flush) {
    const uint64_t total = (m_k.now() - m_t0).value();
    const uint64_t f = m_env.tlb_flush_fs(m_k.cpu) - m_f0;
    flush += std::min(f, total);
    part += total - std::min(f, total);
  }

 private:
  const ReclaimEnv& m_env;
  KCtx& m_k;
  sc_core::sc_time m_t0;
  uint64_t m_f0;
};
}  // namespace

Vmscan::Vmscan(Lru& lru, ReclaimEnv& env, const VmConfig& vm, const KernelCosts& costs,
               sc_core::sc_time cpu_cycle)
    : m_lru(lru), m_env(env), m_vm(vm), m_costs(costs), m_cycle(cpu_cycle) {
  m_total_pages = lru.allocator().total_present();
}

uint64_t Vmscan::scan_quota(uint64_t& acc, uint64_t list_size, int priority, uint64_t swap_cluster_max) {
  acc += (list_size >> priority) + 1;
  if (acc >= swap_cluster_max) {
    const uint64_t n = acc;
    acc = 0;
    return n;
  }
  return 0;  // the credit carries over to the next call
}

int Vmscan::swap_tendency(int mapped_ratio, int prev_priority, int swappiness) {
  const int distress = 100 >> prev_priority;
  return mapped_ratio / 2 + distress + swappiness;
}

int Vmscan::mapped_ratio() const {
  PageAllocator& a = m_lru.allocator();
  const int64_t mapped = a.global_page_state(NR_FILE_MAPPED) + a.global_page_state(NR_ANON_PAGES);
  return m_total_pages ? static_cast<int>(mapped * 100 / static_cast<int64_t>(m_total_pages)) : 0;
}

void Vmscan::get_dirty_limits(uint64_t total, uint64_t mapped, unsigned vm_dirty_ratio, unsigned bg_ratio,
                              bool less_throttle, uint64_t& background, uint64_t& dirty) {
  const uint64_t unmapped_ratio = total ? 100 - std::min<uint64_t>(100, mapped * 100 / total) : 100;
  uint64_t dirty_ratio = vm_dirty_ratio;
  if (dirty_ratio > unmapped_ratio / 2) dirty_ratio = unmapped_ratio / 2;
  if (dirty_ratio < 5) dirty_ratio = 5;
  uint64_t background_ratio = bg_ratio;
  if (background_ratio >= dirty_ratio) background_ratio = dirty_ratio / 2;
  background = background_ratio * total / 100;
  dirty = dirty_ratio * total / 100;
  if (less_throttle) {  // PF_LESS_THROTTLE or a real-time task: 25% more
    background += background / 4;
    dirty += dirty / 4;
  }
}

void Vmscan::congestion_nap(KCtx& k) {
  ++m_stats.congestion_waits;
  const sc_core::sc_time t0 = k.now();
  // HZ/10 jiffies (100 ms at HZ 100, 250 and 1000).
  const sc_core::sc_time jiffy = m_env.jiffy();
  const uint64_t hz = static_cast<uint64_t>(sc_core::sc_time(1, sc_core::SC_SEC) / jiffy + 0.5);
  m_env.blk_congestion_wait(jiffy * static_cast<double>(std::max<uint64_t>(1, hz / 10)), k);
  m_split[k.task].congestion += (k.now() - t0).value();
}

void Vmscan::throttle_vm_writeout(KCtx& k) {
  PageAllocator& a = alloc();
  for (unsigned i = 0;; ++i) {
    uint64_t background = 0, dirty = 0;
    const uint64_t mapped =
        static_cast<uint64_t>(a.global_page_state(NR_FILE_MAPPED) + a.global_page_state(NR_ANON_PAGES));
    get_dirty_limits(m_total_pages, mapped, static_cast<unsigned>(m_vm.dirty_ratio),
                     static_cast<unsigned>(m_vm.dirty_background_ratio),
                     k.task && (k.task->flags & PF_LESS_THROTTLE), background, dirty);
    dirty += dirty / 10;  // 110% of the threshold
    const int64_t wb = a.global_page_state(NR_WRITEBACK) + a.global_page_state(NR_UNSTABLE_NFS);
    if (wb <= static_cast<int64_t>(dirty)) break;
    if (i > 100000) throw std::logic_error("throttle_vm_writeout: writeback never drains");
    congestion_nap(k);
  }
}

Shrinker* Vmscan::set_shrinker(int seeks, ShrinkerFn fn) {
  if (seeks <= 0) throw std::invalid_argument("set_shrinker: seeks must be positive");
  m_shrinkers.push_back(Shrinker{std::move(fn), seeks, 0});
  return &m_shrinkers.back();
}

void Vmscan::remove_shrinker(Shrinker* s) {
  m_shrinkers.remove_if([s](const Shrinker& e) { return &e == s; });
}

uint64_t Vmscan::shrink_slab(uint64_t scanned, gfp_t gfp, uint64_t lru_pages, KCtx& k) {
  if (scanned == 0) scanned = SWAP_CLUSTER_MAX;
  if (k.task && k.task->memdie) return 1;
  // down_read_trylock(&shrinker_rwsem): only set_shrinker/remove_shrinker write it, outside any run of
  // reclaim in the model, so the trylock always succeeds; its cost is one lock round trip.
  cost(m_costs.spin_lock, k);
  uint64_t ret = 0;
  for (Shrinker& s : m_shrinkers) {
    const uint64_t max_pass = static_cast<uint64_t>(std::max<int64_t>(0, s.shrinker(0, gfp, k)));
    // (4 * scanned / seeks) first, as 2.6.18 does to keep the product within 64 bits.
    uint64_t delta = (4 * scanned) / static_cast<uint64_t>(s.seeks);
    delta *= max_pass;
    delta /= lru_pages + 1;
    s.nr += static_cast<int64_t>(delta);
    if (s.nr < 0) s.nr = static_cast<int64_t>(max_pass);  // printk(KERN_ERR "nr=%ld") in 2.6.18
    // Never try to free more than twice the estimate of freeable objects.
    if (s.nr > static_cast<int64_t>(max_pass * 2)) s.nr = static_cast<int64_t>(max_pass * 2);
    uint64_t total_scan = static_cast<uint64_t>(s.nr);
    s.nr = 0;
    while (total_scan >= SHRINK_BATCH) {
      // An OOM victim stops at once, and the remainder is dropped (goto done skips the carry).
      if (k.task && k.task->memdie) return ret;
      const int64_t nr_before = s.shrinker(0, gfp, k);
      const int64_t shrink_ret = s.shrinker(SHRINK_BATCH, gfp, k);
      if (shrink_ret == -1) break;
      if (shrink_ret < nr_before) ret += static_cast<uint64_t>(nr_before - shrink_ret);
      alloc().events().count(SLABS_SCANNED, SHRINK_BATCH);
      total_scan -= SHRINK_BATCH;
      m_env.cond_resched(k);
    }
    s.nr += static_cast<int64_t>(total_scan);
  }
  return ret;
}

bool Vmscan::page_mapping_inuse(Page* page) const {
  // Mapped by a PTE, in the swap cache, or its file is mmapped by anyone.
  if (page->mapped()) return true;
  if (page->test(PG_swapcache)) return true;
  AddressSpace* as = page->file_mapping();
  return as && !as->i_mmap.empty();  // mapping_mapped
}

uint64_t Vmscan::isolate_lru_pages(uint64_t nr_to_scan, ListHead& src, ListHead& dst, uint64_t& scanned,
                                   KCtx& k) {
  uint64_t nr_taken = 0, scan = 0;
  for (; scan < nr_to_scan && !src.empty(); ++scan) {
    Page* page = page_of(src.prev);  // the tail: the oldest page
    cost(m_costs.lru_op, k);
    if (!page->test_and_clear(PG_lru))
      throw std::logic_error("isolate_lru_pages: page on a list without PG_lru");
    ListHead::del(&page->lru);
    if (page->count == 0) {  // get_page_testone: being freed elsewhere, leave it to its freer
      page->set(PG_lru);
      src.add(&page->lru);
      continue;
    }
    Lru::get_page(page);
    dst.add(&page->lru);
    ++nr_taken;
  }
  scanned = scan;
  return nr_taken;
}

PageoutResult Vmscan::pageout(Page* page, AddressSpace* mapping, KCtx& k) {
  // is_page_cache_freeable: the page cache's reference and ours only (no buffers in this model).
  if (page->count - (page->test(PG_private) ? 1 : 0) != 2) return PageoutResult::Keep;
  if (!mapping) return PageoutResult::Keep;  // no buffers to strip
  const bool swapcache = page->test(PG_swapcache);
  const bool shmem = !swapcache && mapping->host && mapping->host->unlinked_shmem;
  if (swapcache || shmem) {
    // swapper_space and shmem: swap_backing_dev_info and shmem's are never congested (2.6.18's
    // may_write_to_queue sees no congestion on them), and neither accounts dirty pages.
    if (!page->test_and_clear(PG_dirty)) return PageoutResult::Clean;
    page->set(PG_reclaim);
    ++m_stats.pageout_writes;
    const auto r = swapcache ? m_env.swap_writepage(page, k) : m_env.shmem_writepage(page, k);
    if (r == ReclaimEnv::WriteResult::Activate) {  // AOP_WRITEPAGE_ACTIVATE: locked, dirty again
      page->set(PG_dirty);
      page->clear(PG_reclaim);
      return PageoutResult::Activate;
    }
    if (!page->test(PG_writeback)) page->clear(PG_reclaim);
    return PageoutResult::Success;
  }
  if (!mapping->host || !mapping->host->backing) return PageoutResult::Activate;  // no ->writepage
  // may_write_to_queue: kswapd and pdflush (PF_SWAPWRITE) write even to a congested queue.
  const bool swapwrite = k.task && (k.task->flags & PF_SWAPWRITE);
  if (!swapwrite && m_env.write_congested(*mapping)) return PageoutResult::Keep;
  // clear_page_dirty_for_io.
  if (!page->test_and_clear(PG_dirty)) return PageoutResult::Clean;
  if (mapping_cap_account_dirty(page)) alloc().mod_zone_page_state(page, NR_FILE_DIRTY, -1);
  page->set(PG_reclaim);
  // block_write_full_page: set_page_writeback, unlock, submit the bio.
  page->set(PG_writeback);
  alloc().mod_zone_page_state(page, NR_WRITEBACK, 1);
  ++m_stats.pageout_writes;
  const uint64_t pa = alloc().mem_map().page_to_phys(page);
  const int err = mapping->host->backing->writepage(page->index, pa, k, [this, page](int, uint64_t at) {
    end_page_writeback(page, sc_core::sc_time::from_value(at));
  });
  if (err) {
    // AOP_WRITEPAGE_ACTIVATE (shmem without swap): still locked, dirty again, reactivated.
    page->clear(PG_writeback);
    alloc().mod_zone_page_state(page, NR_WRITEBACK, -1);
    page->set(PG_dirty);
    if (mapping_cap_account_dirty(page)) alloc().mod_zone_page_state(page, NR_FILE_DIRTY, 1);
    page->clear(PG_reclaim);
    return PageoutResult::Activate;
  }
  m_env.unlock_page(page, k);
  if (!page->test(PG_writeback)) page->clear(PG_reclaim);  // a synchronous write already completed
  return PageoutResult::Success;
}

void Vmscan::end_page_writeback(Page* page, const sc_core::sc_time& at) {
  // PG_reclaim set by pageout: rotate the page to the inactive tail, where the next scan frees it.
  if (!page->test_and_clear(PG_reclaim) || rotate_reclaimable_page(page)) {
    if (!page->test_and_clear(PG_writeback))
      throw std::logic_error("end_page_writeback: not under writeback");
    alloc().mod_zone_page_state(page, NR_WRITEBACK, -1);
  }
  m_env.wake_up_page(page, at);
}

int Vmscan::rotate_reclaimable_page(Page* page) {
  if (page->test(PG_locked) || page->test(PG_dirty) || page->test(PG_active) || !page->test(PG_lru)) return 1;
  // Under zone->lru_lock with interrupts off in Linux: the completion handler runs atomically here.
  Zone& z = alloc().zone(page->zone);
  ListHead::move_tail(&page->lru, &z.inactive_list);
  alloc().events().count(PGROTATED);
  ++m_stats.rotated;
  if (!page->test_and_clear(PG_writeback))
    throw std::logic_error("rotate_reclaimable_page: not under writeback");
  alloc().mod_zone_page_state(page, NR_WRITEBACK, -1);
  return 0;
}

bool Vmscan::remove_mapping(AddressSpace& mapping, Page* page, KCtx& k) {
  if (mapping.tree_lock) mapping.tree_lock->lock(k);
  cost(m_costs.page_cache_op, k);
  // The page cache's reference and the isolation's: anybody else (a pagevec, a reader between
  // find_get_page and put_page) keeps the page.
  if (page->count != 2 || page->test(PG_dirty)) {
    if (mapping.tree_lock) mapping.tree_lock->unlock(k);
    return false;
  }
  if (page->test(PG_swapcache)) {
    const uint64_t entry = page->private_;
    m_env.delete_from_swap_cache_locked(page, k);
    if (mapping.tree_lock) mapping.tree_lock->unlock(k);
    m_env.swap_free(entry, k);
    --page->count;  // the swap cache's reference
    return true;
  }
  // __remove_from_page_cache.
  mapping.page_tree.erase(page->index);
  --mapping.nrpages;
  page->mapping = 0;
  alloc().mod_zone_page_state(page, NR_FILE_PAGES, -1);
  if (mapping.tree_lock) mapping.tree_lock->unlock(k);
  --page->count;  // __put_page: the page cache's reference (never the last: ours remains)
  return true;
}

uint64_t Vmscan::shrink_page_list(ListHead& pages, ScanControl& sc, KCtx& k) {
  ListHead ret_pages;
  std::vector<Page*> freed;
  uint64_t nr_reclaimed = 0;
  ReclaimSplit& split = m_split[k.task];
  m_last.clear();
  auto release_freed = [&] {  // __pagevec_release_nonlru: drop the isolation references, freeing
    for (Page* p : freed) m_env.put_page(p, k);
    freed.clear();
  };
  while (!pages.empty()) {
    m_env.cond_resched(k);
    Page* page = page_of(pages.prev);
    ListHead::del(&page->lru);
    cost(m_costs.lru_op, k);
    PageOutcome out = PageOutcome::KeepLocked;
    AddressSpace* mapping = nullptr;
    int referenced = 0;
    bool may_enter_fs = false;
    if (!m_env.trylock_page(page)) {
      out = PageOutcome::Keep;
      goto done;
    }
    ++sc.nr_scanned;
    if (!sc.may_swap && page->mapped()) goto done;  // keep_locked
    // Double the pressure for mapped and swap-cache pages: the slab is shrunk in proportion.
    if (page->mapped() || page->test(PG_swapcache)) ++sc.nr_scanned;
    if (page->test(PG_writeback)) goto done;  // keep_locked
    // A swap-cache page whose write failed (PG_error, dirty again) stays in memory: its bytes exist
    // nowhere else. Not in 2.6.18, whose end_swap_bio_write leaves the page clean and lets reclaim drop it.
    if (page->test(PG_swapcache) && page->test(PG_error) && page->test(PG_dirty)) {
      out = PageOutcome::Activate;
      goto done;
    }
    {
      SplitTimer t(m_env, k);
      referenced = m_env.page_referenced(page, true, k);
      t.stop(split.rmap, split.shootdown);
    }
    if (referenced && page_mapping_inuse(page)) {
      out = PageOutcome::Activate;
      goto done;
    }
    if (page->anon() && !page->test(PG_swapcache)) {
      if (!m_env.add_to_swap(page, k)) {  // no swap: the anonymous page stays active
        out = PageOutcome::Activate;
        goto done;
      }
    }
    mapping = m_env.page_mapping(page);  // swapper_space for a swap-cache page
    may_enter_fs = (sc.gfp_mask & __GFP_FS) || (page->test(PG_swapcache) && (sc.gfp_mask & __GFP_IO));
    if (page->mapped() && mapping) {
      SplitTimer t(m_env, k);
      const SwapResult r = m_env.try_to_unmap(page, k);
      t.stop(split.unmap, split.shootdown);
      if (r == SwapResult::Fail) {
        out = PageOutcome::Activate;
        goto done;
      }
      if (r == SwapResult::Again) goto done;  // keep_locked
    }
    if (page->test(PG_dirty)) {
      if (referenced || !may_enter_fs || !sc.may_writepage) goto done;  // keep_locked
      // The CPU time of the submission only: a sleep for a free request is the task's I/O wait.
      auto reclaim_cpu = [&k]() -> uint64_t {
        if (!k.task) return k.now().value();
        const auto c = k.task->charges_at(k.now());
        return c[hw::Charge::DirectReclaim] + c[hw::Charge::KernelThread];
      };
      const uint64_t c0 = reclaim_cpu();
      const PageoutResult r = pageout(page, mapping, k);
      split.writeback += reclaim_cpu() - c0;
      if (r == PageoutResult::Keep) goto done;
      if (r == PageoutResult::Activate) {
        out = PageOutcome::Activate;
        goto done;
      }
      if (r == PageoutResult::Success) {
        // The write is asynchronous: the page (unlocked by writepage) waits for its completion.
        if (page->test(PG_writeback) || page->test(PG_dirty)) {
          out = PageOutcome::Keep;
          goto done;
        }
        // A synchronous write already finished: relock and fall through.
        if (!m_env.trylock_page(page)) {
          out = PageOutcome::Keep;
          goto done;
        }
        if (page->test(PG_dirty) || page->test(PG_writeback)) goto done;  // keep_locked
        mapping = m_env.page_mapping(page);
      }
    }
    // PG_private (buffer heads): the model keeps no buffers, so try_to_release_page never applies.
    if (!mapping || !remove_mapping(*mapping, page, k)) goto done;  // keep_locked
    out = PageOutcome::Free;
  done:
    switch (out) {
      case PageOutcome::Free:
        m_env.unlock_page(page, k);
        ++nr_reclaimed;
        freed.push_back(page);
        if (freed.size() == PAGEVEC_SIZE) release_freed();
        break;
      case PageOutcome::Activate:
        page->set(PG_active);
        alloc().events().count(PGACTIVATE);
        m_env.unlock_page(page, k);
        ret_pages.add(&page->lru);
        break;
      case PageOutcome::KeepLocked:
        m_env.unlock_page(page, k);
        ret_pages.add(&page->lru);
        break;
      case PageOutcome::Keep:
        ret_pages.add(&page->lru);
        break;
    }
    ++m_stats.outcomes[static_cast<unsigned>(out)];
    m_last.emplace_back(page, out);
  }
  // list_splice(&ret_pages, page_list).
  while (!ret_pages.empty()) ListHead::move_tail(ret_pages.prev, &pages);
  // The surviving pages go back in the order they were decided (the caller walks the list).
  release_freed();
  m_stats.freed_lru += nr_reclaimed;
  split.freed += nr_reclaimed;
  return nr_reclaimed;
}

uint64_t Vmscan::shrink_inactive_list(uint64_t max_scan, Zone& zone, ScanControl& sc, KCtx& k) {
  struct Span {  // the call as one timeline span, whichever return it takes
    ReclaimEnv& env;
    KCtx& k;
    sc_core::sc_time begin;
    ~Span() { env.trace_span("shrink_inactive_list", begin, k); }
  } span{m_env, k, k.now()};
  uint64_t nr_scanned = 0, nr_reclaimed = 0;
  std::vector<Page*> pvec;
  auto release = [&] {
    for (Page* p : pvec) m_env.put_page(p, k);
    pvec.clear();
  };
  m_lru.lru_add_drain(k);
  lock_lru(zone, k);
  do {
    ListHead page_list;
    uint64_t nr_scan = 0;
    const uint64_t nr_taken =
        isolate_lru_pages(sc.swap_cluster_max, zone.inactive_list, page_list, nr_scan, k);
    zone.nr_inactive -= nr_taken;
    zone.pages_scanned += nr_scan;
    unlock_lru(zone, k);
    nr_scanned += nr_scan;
    const uint64_t nr_freed = shrink_page_list(page_list, sc, k);
    nr_reclaimed += nr_freed;
    if (sc.kswapd) {
      alloc().events().count(zone_event(PGSCAN_KSWAPD_DMA, zone.idx), nr_scan);
      alloc().events().count(KSWAPD_STEAL, nr_freed);
    } else {
      alloc().events().count(zone_event(PGSCAN_DIRECT_DMA, zone.idx), nr_scan);
    }
    if (m_vm.count_pgsteal)
      alloc().events().count(zone_event(PGSTEAL_DMA, zone.idx), nr_freed);
    else
      alloc().events().count(PGACTIVATE, nr_freed);  // 2.6.18 counts the freed pages here
    if (nr_taken == 0) {
      release();
      return nr_reclaimed;
    }
    lock_lru(zone, k);
    // Put back the survivors: activated ones on the active list, the rest at the inactive head.
    while (!page_list.empty()) {
      Page* page = page_of(page_list.prev);
      page->set(PG_lru);
      ListHead::del(&page->lru);
      cost(m_costs.lru_op, k);
      if (page->test(PG_active))
        Lru::add_page_to_active_list(zone, page);
      else
        Lru::add_page_to_inactive_list(zone, page);
      pvec.push_back(page);
      if (pvec.size() == PAGEVEC_SIZE) {
        unlock_lru(zone, k);
        release();
        lock_lru(zone, k);
      }
    }
  } while (nr_scanned < max_scan);
  unlock_lru(zone, k);
  release();
  return nr_reclaimed;
}

void Vmscan::shrink_active_list(uint64_t nr_pages, Zone& zone, ScanControl& sc, KCtx& k) {
  const sc_core::sc_time span_begin = k.now();
  bool reclaim_mapped_now = false;
  if (sc.may_swap) reclaim_mapped_now = reclaim_mapped(mapped_ratio(), zone.prev_priority, sc.swappiness);
  ReclaimSplit& split = m_split[k.task];
  m_lru.lru_add_drain(k);
  ListHead l_hold, l_active, l_inactive;
  lock_lru(zone, k);
  uint64_t pgscanned = 0;
  const uint64_t taken = isolate_lru_pages(nr_pages, zone.active_list, l_hold, pgscanned, k);
  zone.pages_scanned += pgscanned;
  zone.nr_active -= taken;
  unlock_lru(zone, k);
  const bool no_swap = m_env.total_swap_pages() == 0;
  while (!l_hold.empty()) {
    m_env.cond_resched(k);
    Page* page = page_of(l_hold.prev);
    ListHead::del(&page->lru);
    if (page->mapped()) {
      bool keep = !reclaim_mapped_now || (no_swap && page->anon());
      if (!keep) {
        SplitTimer t(m_env, k);
        keep = m_env.page_referenced(page, false, k) != 0;
        t.stop(split.rmap, split.shootdown);
      }
      if (keep) {
        l_active.add(&page->lru);
        continue;
      }
    }
    l_inactive.add(&page->lru);  // unmapped pages go unconditionally
  }
  std::vector<Page*> pvec;
  auto release = [&] {
    for (Page* p : pvec) m_env.put_page(p, k);
    pvec.clear();
  };
  uint64_t pgdeactivate = 0;
  lock_lru(zone, k);
  while (!l_inactive.empty()) {
    Page* page = page_of(l_inactive.prev);
    page->set(PG_lru);
    if (!page->test_and_clear(PG_active))
      throw std::logic_error("shrink_active_list: inactive page on the active list");
    ListHead::move(&page->lru, &zone.inactive_list);
    cost(m_costs.lru_op, k);
    ++zone.nr_inactive;
    ++pgdeactivate;
    pvec.push_back(page);
    if (pvec.size() == PAGEVEC_SIZE) {
      unlock_lru(zone, k);
      release();
      lock_lru(zone, k);
    }
  }
  while (!l_active.empty()) {
    Page* page = page_of(l_active.prev);
    page->set(PG_lru);
    ListHead::move(&page->lru, &zone.active_list);
    cost(m_costs.lru_op, k);
    ++zone.nr_active;
    pvec.push_back(page);
    if (pvec.size() == PAGEVEC_SIZE) {
      unlock_lru(zone, k);
      release();
      lock_lru(zone, k);
    }
  }
  unlock_lru(zone, k);
  alloc().events().count(zone_event(PGREFILL_DMA, zone.idx), pgscanned);
  alloc().events().count(PGDEACTIVATE, pgdeactivate);
  release();
  m_env.trace_span("shrink_active_list", span_begin, k);
}

uint64_t Vmscan::shrink_zone(int priority, Zone& zone, ScanControl& sc, KCtx& k) {
  uint64_t nr_active = scan_quota(zone.nr_scan_active, zone.nr_active, priority, sc.swap_cluster_max);
  uint64_t nr_inactive = scan_quota(zone.nr_scan_inactive, zone.nr_inactive, priority, sc.swap_cluster_max);
  uint64_t nr_reclaimed = 0;
  // Strict alternation in chunks of swap_cluster_max, and no early exit (2.6.18).
  while (nr_active || nr_inactive) {
    if (nr_active) {
      const uint64_t n = std::min(nr_active, sc.swap_cluster_max);
      nr_active -= n;
      shrink_active_list(n, zone, sc, k);
    }
    if (nr_inactive) {
      const uint64_t n = std::min(nr_inactive, sc.swap_cluster_max);
      nr_inactive -= n;
      nr_reclaimed += shrink_inactive_list(n, zone, sc, k);
    }
  }
  throttle_vm_writeout(k);
  return nr_reclaimed;
}

int Vmscan::try_to_free_pages(const std::vector<Zone*>& zones, gfp_t gfp, KCtx& k) {
  ++m_stats.direct_calls;
  alloc().events().count(ALLOCSTALL);
  ScanControl sc;
  sc.gfp_mask = gfp;
  sc.may_writepage = !m_vm.laptop_mode;
  sc.may_swap = true;
  sc.swap_cluster_max = SWAP_CLUSTER_MAX;
  sc.swappiness = static_cast<int>(m_vm.swappiness);
  sc.kswapd = k.task && (k.task->flags & PF_KSWAPD);
  uint64_t lru_pages = 0, total_scanned = 0, nr_reclaimed = 0;
  int ret = 0;
  for (Zone* z : zones) {
    z->temp_priority = DEF_PRIORITY;
    lru_pages += z->nr_active + z->nr_inactive;
  }
  ReclaimState* reclaim_state = k.task ? k.task->reclaim_state : nullptr;
  for (int priority = DEF_PRIORITY; priority >= 0; --priority) {
    sc.nr_scanned = 0;
    if (!priority) m_env.disable_swap_token();
    // shrink_zones.
    for (Zone* z : zones) {
      if (!z->populated()) continue;
      z->temp_priority = priority;
      if (z->prev_priority > priority) z->prev_priority = priority;
      if (z->all_unreclaimable && priority != DEF_PRIORITY) continue;
      nr_reclaimed += shrink_zone(priority, *z, sc, k);
    }
    shrink_slab(sc.nr_scanned, gfp, lru_pages, k);
    if (reclaim_state) {
      nr_reclaimed += reclaim_state->reclaimed_slab;
      m_stats.reclaimed_slab += reclaim_state->reclaimed_slab;
      reclaim_state->reclaimed_slab = 0;
    }
    total_scanned += sc.nr_scanned;
    if (nr_reclaimed >= sc.swap_cluster_max) {
      ret = 1;
      break;
    }
    if (total_scanned > sc.swap_cluster_max + sc.swap_cluster_max / 2) {
      m_env.wakeup_pdflush(m_vm.laptop_mode ? 0 : total_scanned, k);
      sc.may_writepage = true;
    }
    if (sc.nr_scanned && priority < DEF_PRIORITY - 2) congestion_nap(k);
  }
  for (Zone* z : zones) z->prev_priority = z->temp_priority;
  return ret;
}

uint64_t Vmscan::balance_pgdat(unsigned order, KCtx& k) {
  ++m_stats.kswapd_runs;
  ScanControl sc;
  sc.gfp_mask = GFP_KERNEL;
  sc.may_swap = true;
  sc.swap_cluster_max = SWAP_CLUSTER_MAX;
  sc.swappiness = static_cast<int>(m_vm.swappiness);
  sc.kswapd = true;
  PageAllocator& a = alloc();
  uint64_t nr_reclaimed = 0;
  ReclaimState* reclaim_state = k.task ? k.task->reclaim_state : nullptr;  // kswapd's own
  for (unsigned loops = 0;; ++loops) {                                     // loop_again
    if (loops > 1000000) throw std::logic_error("balance_pgdat: zones never balance");
    uint64_t total_scanned = 0;
    nr_reclaimed = 0;
    sc.may_writepage = !m_vm.laptop_mode;
    a.events().count(PAGEOUTRUN);
    for (unsigned i = 0; i < MAX_NR_ZONES; ++i) a.zone(i).temp_priority = DEF_PRIORITY;
    bool all_zones_ok = true;
    for (int priority = DEF_PRIORITY; priority >= 0; --priority) {
      all_zones_ok = true;
      if (!priority) m_env.disable_swap_token();
      // The highest zone that is below pages_high.
      int end_zone = -1;
      for (int i = MAX_NR_ZONES - 1; i >= 0; --i) {
        Zone& z = a.zone(static_cast<unsigned>(i));
        if (!z.populated()) continue;
        if (z.all_unreclaimable && priority != DEF_PRIORITY) continue;
        if (!a.zone_watermark_ok(z, order, z.pages_high, 0, 0)) {
          end_zone = i;
          break;
        }
      }
      if (end_zone < 0) break;  // out: balanced
      uint64_t lru_pages = 0;
      for (int i = 0; i <= end_zone; ++i) lru_pages += a.zone(i).nr_active + a.zone(i).nr_inactive;
      for (int i = 0; i <= end_zone; ++i) {
        Zone& z = a.zone(static_cast<unsigned>(i));
        if (!z.populated()) continue;
        if (z.all_unreclaimable && priority != DEF_PRIORITY) continue;
        if (!a.zone_watermark_ok(z, order, z.pages_high, static_cast<unsigned>(end_zone), 0))
          all_zones_ok = false;
        z.temp_priority = priority;
        if (z.prev_priority > priority) z.prev_priority = priority;
        sc.nr_scanned = 0;
        nr_reclaimed += shrink_zone(priority, z, sc, k);
        if (reclaim_state) reclaim_state->reclaimed_slab = 0;
        const uint64_t nr_slab = shrink_slab(sc.nr_scanned, GFP_KERNEL, lru_pages, k);
        if (reclaim_state) {
          nr_reclaimed += reclaim_state->reclaimed_slab;
          m_stats.reclaimed_slab += reclaim_state->reclaimed_slab;
        }
        total_scanned += sc.nr_scanned;
        if (z.all_unreclaimable) continue;
        if (nr_slab == 0 && z.pages_scanned >= (z.nr_active + z.nr_inactive) * 4) z.all_unreclaimable = true;
        // Writing dirty pages only helps once scanning clearly outruns reclaiming.
        if (total_scanned > SWAP_CLUSTER_MAX * 2 && total_scanned > nr_reclaimed + nr_reclaimed / 2)
          sc.may_writepage = true;
      }
      if (all_zones_ok) break;
      if (total_scanned && priority < DEF_PRIORITY - 2) congestion_nap(k);
      if (nr_reclaimed >= SWAP_CLUSTER_MAX) break;
    }
    for (unsigned i = 0; i < MAX_NR_ZONES; ++i) a.zone(i).prev_priority = a.zone(i).temp_priority;
    if (all_zones_ok) return nr_reclaimed;
    m_env.cond_resched(k);
  }
}

}  // namespace pc::kernel
