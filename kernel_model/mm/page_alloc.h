// Zones, watermarks, the buddy allocator with per-CPU hot/cold lists, and the __alloc_pages path
// (Linux 2.6.18 mm/page_alloc.c; spec linux-2.6.18-mm.md §1.1, §2).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/locks.h"
#include "kernel_model/mm/gfp.h"
#include "kernel_model/mm/page.h"
#include "kernel_model/mm/vmstat.h"

namespace pc::kernel {

constexpr unsigned MAX_ORDER = 11;
constexpr uint64_t kDmaLimitPfn = (16ull << 20) >> kPageShift;   // ZONE_DMA: below 16 MiB
constexpr uint64_t kDma32LimitPfn = (4ull << 30) >> kPageShift;  // ZONE_DMA32: below 4 GiB
// vm.lowmem_reserve_ratio defaults for DMA, DMA32, NORMAL.
constexpr std::array<uint64_t, MAX_NR_ZONES> kLowmemReserveRatio = {256, 256, 32};

struct FreeArea {
  ListHead free_list;
  uint64_t nr_free = 0;  // blocks of this order
};

struct PerCpuPages {
  ListHead list;
  uint64_t count = 0;
  uint64_t high = 0;
  uint64_t batch = 1;
};

struct Zone {
  std::string name;
  unsigned idx = 0;
  uint64_t zone_start_pfn = 0;
  uint64_t spanned_pages = 0;
  uint64_t present_pages = 0;
  uint64_t free_pages = 0;  // pages in the buddy free lists (not the per-CPU lists)
  uint64_t pages_min = 0, pages_low = 0, pages_high = 0;
  std::array<uint64_t, MAX_NR_ZONES> lowmem_reserve{};
  std::array<FreeArea, MAX_ORDER> free_area;
  // Per CPU: [0] hot, [1] cold. (Heap cells: list heads must not move.)
  std::vector<std::unique_ptr<std::array<PerCpuPages, 2>>> pageset;

  // LRU (mm/swap.c, mm/vmscan.c): head = newest, tail = oldest.
  ListHead active_list, inactive_list;
  uint64_t nr_active = 0, nr_inactive = 0;
  uint64_t nr_scan_active = 0, nr_scan_inactive = 0;
  uint64_t pages_scanned = 0;
  bool all_unreclaimable = false;
  int temp_priority = 12, prev_priority = 12;
  // zone->lock (buddy lists) and zone->lru_lock; null until the kernel gives the allocator its lock
  // classes (unit tests run without locking).
  std::unique_ptr<Spinlock> lock, lru_lock;
  // zone_page_state(): NR_ANON_PAGES, NR_FILE_MAPPED, ... (mm/vmstat.c), counted exactly.
  std::array<int64_t, NR_VM_ZONE_STAT_ITEMS> vm_stat{};

  bool populated() const { return present_pages > 0; }
  uint64_t pcp_pages() const {
    uint64_t n = 0;
    for (const auto& c : pageset) n += (*c)[0].count + (*c)[1].count;
    return n;
  }
};

// The alloc_flags of __alloc_pages (mm/page_alloc.c).
constexpr unsigned ALLOC_NO_WATERMARKS = 0x01;
constexpr unsigned ALLOC_WMARK_MIN = 0x02;
constexpr unsigned ALLOC_WMARK_LOW = 0x04;
constexpr unsigned ALLOC_WMARK_HIGH = 0x08;
constexpr unsigned ALLOC_HARDER = 0x10;
constexpr unsigned ALLOC_HIGH = 0x20;
constexpr unsigned ALLOC_CPUSET = 0x40;

// What the slow path calls into: kswapd, direct reclaim, the OOM killer and the retry nap. The kernel
// implements it; without hooks (unit tests) reclaim frees nothing and there is no OOM killer.
class ReclaimHooks {
 public:
  virtual ~ReclaimHooks() = default;
  virtual void wakeup_kswapd(Zone& zone, unsigned order, KCtx& k) = 0;
  // Direct reclaim for the task of `k` (PF_MEMALLOC set around it): returns progress (pages freed).
  virtual uint64_t try_to_free_pages(const std::vector<Zone*>& zonelist, gfp_t gfp, KCtx& k) = 0;
  // Returns true if a task was chosen to die (the allocation restarts).
  virtual bool out_of_memory(const std::vector<Zone*>& zonelist, gfp_t gfp, unsigned order, KCtx& k) = 0;
  // blk_congestion_wait(WRITE, HZ/50) between retries (the task sleeps).
  virtual void congestion_wait(KCtx& k) = 0;
  // cond_resched() around direct reclaim.
  virtual void cond_resched(KCtx& k) = 0;
};

enum class AllocFailure { None, Watermarks, CannotSleep, NoRetry, OutOfMemory };

struct AllocStats {
  uint64_t oom_calls = 0;
  uint64_t failures = 0;
  uint64_t pcp_refills = 0, pcp_drains = 0;
};

class PageAllocator {
 public:
  // Builds the zones for `frames` frames of physical memory seen by `cpus` CPUs; frames below
  // `reserved_frames` (firmware and the kernel image) are PG_reserved and never freed. Computes
  // min_free_kbytes, the watermarks and lowmem_reserve, then frees every other frame into the buddy lists.
  PageAllocator(MemMap& mem_map, unsigned cpus, uint64_t reserved_frames);

  void set_reclaim_hooks(ReclaimHooks* h) { m_hooks = h; }
  // zone->lock and zone->lru_lock of every zone.
  void set_lock_classes(LockClasses& lc);

  // __alloc_pages for the path `k` (its CPU's per-CPU lists; its task's PF_MEMALLOC and TIF_MEMDIE):
  // returns nullptr (and the reason) when the allocation fails.
  Page* alloc_pages(gfp_t gfp, unsigned order, KCtx& k, AllocFailure* why = nullptr);
  void free_pages(Page* page, unsigned order, KCtx& k);  // __free_pages after the count hit zero
  // Drops a reference; frees the page when it was the last (put_page for order 0).
  void put_page(Page* page, KCtx& k);

  bool zone_watermark_ok(const Zone& z, unsigned order, uint64_t mark, unsigned classzone_idx,
                         unsigned alloc_flags) const;
  // The zonelist for an allocation: populated zones from gfp_zone(gfp) down to DMA.
  std::vector<Zone*> zonelist(gfp_t gfp);

  uint64_t min_free_kbytes() const { return m_min_free_kbytes; }
  // The vm.min_free_kbytes sysctl: recomputes the watermarks and lowmem_reserve.
  void set_min_free_kbytes(uint64_t kbytes) {
    m_min_free_kbytes = kbytes;
    setup_per_zone_pages_min();
    setup_per_zone_lowmem_reserve();
  }
  Zone& zone(unsigned idx) { return m_zones[idx]; }
  const Zone& zone(unsigned idx) const { return m_zones[idx]; }
  MemMap& mem_map() { return m_mem_map; }
  // Pages in buddy lists + per-CPU lists, over all zones.
  uint64_t nr_free_pages() const;
  uint64_t nr_reserved() const { return m_reserved; }
  uint64_t total_present() const;
  const AllocStats& stats() const { return m_stats; }
  VmEvents& events() { return m_events; }
  const VmEvents& events() const { return m_events; }
  // Zone page state (mod_zone_page_state and the global sum).
  void mod_zone_page_state(Page* p, ZoneStatItem item, int64_t delta) {
    m_zones[p->zone].vm_stat[item] += delta;
  }
  int64_t global_page_state(ZoneStatItem item) const;
  // Frees every per-CPU list back to the buddy lists (drain_all_pages).
  void drain_all_pages();

  // Spec §2.1: isqrt(lowmem_kbytes * 16) clamped to [128, 65536].
  static uint64_t compute_min_free_kbytes(uint64_t lowmem_kbytes);
  // Spec §2.6 zone_batchsize.
  static uint64_t zone_batchsize(uint64_t present_pages);

 private:
  void setup_per_zone_pages_min();
  void setup_per_zone_lowmem_reserve();
  Page* get_page_from_freelist(gfp_t gfp, unsigned order, const std::vector<Zone*>& zl, unsigned alloc_flags,
                               KCtx& k);
  Page* buffered_rmqueue(Zone& z, unsigned order, gfp_t gfp, KCtx& k);
  Page* __rmqueue(Zone& z, unsigned order);
  void __free_one_page(Page* page, Zone& z, unsigned order);
  void free_pages_bulk(Zone& z, PerCpuPages& pcp, uint64_t count, KCtx* k);
  void prep_new_page(Page* page, unsigned order);
  // free_pages_check / bad_page: a page freed or allocated in a state it must not be in stops the run.
  void free_pages_check(const Page* page, const char* where) const;
  void lock_zone(Zone& z, KCtx* k) {
    if (z.lock && k) z.lock->lock(*k);
  }
  void unlock_zone(Zone& z, KCtx* k) {
    if (z.lock && k) z.lock->unlock(*k);
  }

  MemMap& m_mem_map;
  std::array<Zone, MAX_NR_ZONES> m_zones;
  uint64_t m_min_free_kbytes = 0;
  uint64_t m_reserved = 0;
  ReclaimHooks* m_hooks = nullptr;
  AllocStats m_stats;
  VmEvents m_events;
};

}  // namespace pc::kernel
