// Page frame reclaiming (Linux 2.6.18 mm/vmscan.c; spec linux-2.6.18-mm.md §4-§5): scan_control,
// shrink_zone with its scan accumulators, isolate_lru_pages, shrink_inactive_list, shrink_page_list's
// per-page decision procedure, pageout and the rotation at write completion, shrink_active_list's
// swap_tendency, try_to_free_pages (direct reclaim) and balance_pgdat (kswapd's work).
//
// Reclaim reaches the rest of the kernel through ReclaimEnv (rmap, the page lock, the block layer's
// congestion, pdflush, the scheduler), so the decision procedure is unit-testable without a platform.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <systemc>
#include <vector>

#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/mm.h"
#include "kernel_model/mm/swap.h"

namespace pc::kernel {

struct Task;

// mapping_cap_account_dirty: NR_FILE_DIRTY counts dirty page-cache pages of mappings that account dirty
// pages (not shmem, not the swap cache); set_page_dirty and clear_page_dirty_for_io follow it.
inline bool mapping_cap_account_dirty(const Page* page) {
  const AddressSpace* as = page->file_mapping();
  return as && !page->test(PG_swapcache) && !(as->host && as->host->unlinked_shmem);
}

constexpr int DEF_PRIORITY = 12;
constexpr uint64_t SWAP_CLUSTER_MAX = 32;

// struct scan_control (2.6.18).
struct ScanControl {
  uint64_t nr_scanned = 0;    // inactive pages scanned in this pass (mapped or swap-cache ones twice)
  gfp_t gfp_mask = 0;         // the allocation's constraints: __GFP_FS / __GFP_IO decide may_enter_fs
  bool may_writepage = true;  // dirty pages may be written out by pageout (!laptop_mode at the start)
  bool may_swap = true;       // mapped pages may be unmapped (0 only in swsusp's first passes)
  uint64_t swap_cluster_max = SWAP_CLUSTER_MAX;  // isolation batch and the "enough progress" mark
  int swappiness = 60;                           // vm.swappiness: the weight of mapped pages in swap_tendency
  // Not a field of Linux's struct: current_is_kswapd() (PF_KSWAPD), which picks pgscan_kswapd_* and
  // kswapd_steal over pgscan_direct_*.
  bool kswapd = false;
};

// Slab shrinking (spec §4.9).
constexpr uint64_t SHRINK_BATCH = 128;
constexpr int DEFAULT_SEEKS = 2;  // a cache object costs two seeks to recreate (dcache, icache)

// shrinker_t: asked with nr_to_scan 0 it returns the number of freeable objects; otherwise it scans
// (and frees) up to nr_to_scan objects and returns the number left, or -1 if it cannot act under
// gfp_mask (the dcache without __GFP_FS).
using ShrinkerFn = std::function<int64_t(uint64_t nr_to_scan, gfp_t gfp_mask, KCtx& k)>;

// struct shrinker.
struct Shrinker {
  ShrinkerFn shrinker;
  int seeks = DEFAULT_SEEKS;  // seeks to recreate an object
  int64_t nr = 0;             // objects pending delete: the remainder carried between calls
};

// pageout_t.
enum class PageoutResult { Keep, Activate, Success, Clean };

// The label shrink_page_list left a page with (keep, keep_locked, activate_locked, free_it), recorded
// for tests and statistics.
enum class PageOutcome { Keep, KeepLocked, Activate, Free };

// What reclaim needs from the rest of the kernel.
class ReclaimEnv {
 public:
  virtual ~ReclaimEnv() = default;
  virtual int page_referenced(Page* page, bool is_locked, KCtx& k) = 0;
  virtual SwapResult try_to_unmap(Page* page, KCtx& k) = 0;
  // add_to_swap(page, GFP_ATOMIC): false while there is no swap.
  virtual bool add_to_swap(Page*, KCtx&) { return false; }
  // page_mapping: the page-cache mapping, or swapper_space for a swap-cache page.
  virtual AddressSpace* page_mapping(Page* page) { return page->file_mapping(); }
  // ->writepage of swapper_space (swap_writepage) and of shmem (shmem_writepage), for a locked page whose
  // PG_dirty pageout has just cleared: Submitted (the page is unlocked; under writeback unless the write
  // turned out unnecessary) or Activate (still locked, dirty again: no swap space).
  enum class WriteResult { Submitted, Activate };
  virtual WriteResult swap_writepage(Page*, KCtx&) { return WriteResult::Activate; }
  virtual WriteResult shmem_writepage(Page*, KCtx&) { return WriteResult::Activate; }
  // remove_mapping's swap-cache branch: __delete_from_swap_cache under swapper_space's tree_lock, then
  // swap_free of the cache's slot reference once the lock is dropped.
  virtual void delete_from_swap_cache_locked(Page*, KCtx&) {}
  virtual void swap_free(uint64_t, KCtx&) {}
  virtual int64_t total_swap_pages() const { return 0; }
  // disable_swap_token: reclaim reached priority 0 (mm/thrash.c).
  virtual void disable_swap_token() {}
  // A timeline span of the current task's kernel path (shrink_active_list, shrink_inactive_list).
  virtual void trace_span(const char*, const sc_core::sc_time&, KCtx&) {}
  virtual bool trylock_page(Page* page) { return !page->test_and_set(PG_locked); }
  virtual void unlock_page(Page* page, KCtx& k) = 0;
  // wake_up_page(page, PG_writeback): end_page_writeback wakes wait_on_page_writeback sleepers (fsync,
  // swapoff) at the completion time `at`.
  virtual void wake_up_page(Page* page, const sc_core::sc_time& at) = 0;
  virtual void put_page(Page* page, KCtx& k) = 0;
  // bdi_write_congested of the page's device.
  virtual bool write_congested(AddressSpace&) { return false; }
  // blk_congestion_wait(WRITE, timeout).
  virtual void blk_congestion_wait(const sc_core::sc_time& timeout, KCtx& k) = 0;
  // wakeup_pdflush(nr): background writeout of at least nr pages (0: all dirty pages).
  virtual void wakeup_pdflush(uint64_t, KCtx&) {}
  virtual void cond_resched(KCtx&) {}
  virtual sc_core::sc_time jiffy() const = 0;
  // Cumulative time the CPU `cpu` spent in TLB flushes (splitting rmap time from shootdowns).
  virtual uint64_t tlb_flush_fs(unsigned) const { return 0; }
};

// Where reclaim time went, per task (femtoseconds of the task's time, CPU parts and sleeps).
struct ReclaimSplit {
  uint64_t rmap = 0;        // page_referenced walks and A-bit clears (shootdowns excluded)
  uint64_t shootdown = 0;   // TLB flushes of page_referenced and try_to_unmap
  uint64_t unmap = 0;       // try_to_unmap (shootdowns excluded)
  uint64_t writeback = 0;   // pageout: writepage submissions
  uint64_t congestion = 0;  // blk_congestion_wait naps and throttle_vm_writeout (asleep)
  uint64_t freed = 0;       // pages this task reclaimed from the LRU
};

struct VmscanStats {
  uint64_t freed_lru = 0;              // pages shrink_page_list freed (what pgsteal counts)
  std::array<uint64_t, 4> outcomes{};  // PageOutcome counts
  uint64_t pageout_writes = 0;         // writepage calls from pageout
  uint64_t rotated = 0;                // rotate_reclaimable_page moves
  uint64_t direct_calls = 0, kswapd_runs = 0, congestion_waits = 0;
  uint64_t reclaimed_slab = 0;  // slab pages reclaim_state credited to try_to_free_pages and balance_pgdat
};

class Vmscan {
 public:
  Vmscan(Lru& lru, ReclaimEnv& env, const VmConfig& vm, const KernelCosts& costs, sc_core::sc_time cpu_cycle);

  // Spec §4.2: the per-zone scan accumulator step. Adds (list >> priority) + 1 to `acc`; returns the
  // quota for this call (all of it once it reaches swap_cluster_max, resetting `acc`; else 0).
  static uint64_t scan_quota(uint64_t& acc, uint64_t list_size, int priority, uint64_t swap_cluster_max);
  // Spec §4.8: distress = 100 >> prev_priority; swap_tendency = mapped_ratio/2 + distress + swappiness.
  static int swap_tendency(int mapped_ratio, int prev_priority, int swappiness);
  static bool reclaim_mapped(int mapped_ratio, int prev_priority, int swappiness) {
    return swap_tendency(mapped_ratio, prev_priority, swappiness) >= 100;
  }
  // mapped_ratio = (NR_FILE_MAPPED + NR_ANON_PAGES) * 100 / vm_total_pages.
  int mapped_ratio() const;

  uint64_t shrink_zone(int priority, Zone& zone, ScanControl& sc, KCtx& k);
  uint64_t isolate_lru_pages(uint64_t nr_to_scan, ListHead& src, ListHead& dst, uint64_t& scanned, KCtx& k);
  uint64_t shrink_inactive_list(uint64_t max_scan, Zone& zone, ScanControl& sc, KCtx& k);
  // Decides about every page of `pages` (isolated, each with the isolation reference): freed pages leave
  // the list, the others stay for the caller to put back. Returns the number freed.
  uint64_t shrink_page_list(ListHead& pages, ScanControl& sc, KCtx& k);
  PageoutResult pageout(Page* page, AddressSpace* mapping, KCtx& k);
  void shrink_active_list(uint64_t nr_pages, Zone& zone, ScanControl& sc, KCtx& k);
  // Direct reclaim (spec §4.10): 1 if at least 32 pages were freed.
  int try_to_free_pages(const std::vector<Zone*>& zones, gfp_t gfp, KCtx& k);
  // kswapd's work (spec §4.11); returns pages reclaimed.
  uint64_t balance_pgdat(unsigned order, KCtx& k);
  // remove_mapping: detaches a clean page nobody else holds from its page cache.
  bool remove_mapping(AddressSpace& mapping, Page* page, KCtx& k);
  // end_page_writeback (from the write's completion, at absolute time `at`).
  void end_page_writeback(Page* page, const sc_core::sc_time& at);
  // rotate_reclaimable_page: 0 if it moved the page to the inactive tail.
  int rotate_reclaimable_page(Page* page);
  // get_dirty_limits (mm/page-writeback.c): background and dirty thresholds in pages for `total` pages
  // of which `mapped` are mapped (file + anon).
  static void get_dirty_limits(uint64_t total, uint64_t mapped, unsigned dirty_ratio, unsigned bg_ratio,
                               bool less_throttle, uint64_t& background, uint64_t& dirty);
  // throttle_vm_writeout: naps while writeback exceeds 110% of the dirty threshold.
  void throttle_vm_writeout(KCtx& k);

  const VmscanStats& stats() const { return m_stats; }
  // The outcome of each page of the last shrink_page_list call, in decision order.
  const std::vector<std::pair<Page*, PageOutcome>>& last_outcomes() const { return m_last; }
  const std::map<const Task*, ReclaimSplit>& splits() const { return m_split; }
  ReclaimSplit& split_of(const Task* t) { return m_split[t]; }
  // set_shrinker / remove_shrinker: the shrinker list (added at the tail, walked in order).
  Shrinker* set_shrinker(int seeks, ShrinkerFn fn);
  void remove_shrinker(Shrinker* s);
  // shrink_slab (spec §4.9): ages every registered cache in proportion to `scanned` LRU pages out of
  // `lru_pages`; returns the objects freed (the pages freed go to current->reclaim_state).
  uint64_t shrink_slab(uint64_t scanned, gfp_t gfp, uint64_t lru_pages, KCtx& k);

  // vm_total_pages (computed once, when the zonelists are built).
  void set_total_pages(uint64_t n) { m_total_pages = n; }
  uint64_t total_pages() const { return m_total_pages; }
  VmConfig& vm() { return m_vm; }

 private:
  void cost(uint64_t cycles, KCtx& k) { k.delay += m_cycle * static_cast<double>(cycles); }
  void lock_lru(Zone& z, KCtx& k) {
    if (z.lru_lock) z.lru_lock->lock(k);
  }
  void unlock_lru(Zone& z, KCtx& k) {
    if (z.lru_lock) z.lru_lock->unlock(k);
  }
  // blk_congestion_wait(WRITE, HZ/10), its sleep recorded as the task's reclaim congestion time.
  void congestion_nap(KCtx& k);
  bool page_mapping_inuse(Page* page) const;
  PageAllocator& alloc() { return m_lru.allocator(); }

  Lru& m_lru;
  ReclaimEnv& m_env;
  VmConfig m_vm;
  KernelCosts m_costs;
  sc_core::sc_time m_cycle;
  uint64_t m_total_pages = 0;
  VmscanStats m_stats;
  std::vector<std::pair<Page*, PageOutcome>> m_last;
  std::map<const Task*, ReclaimSplit> m_split;
  std::list<Shrinker> m_shrinkers;  // shrinker_list (std::list: a Shrinker* stays valid)
};

}  // namespace pc::kernel
