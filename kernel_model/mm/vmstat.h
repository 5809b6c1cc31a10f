// The VM counters of Linux 2.6.18 (include/linux/vmstat.h, mmzone.h; mm/vmstat.c): per-zone page-state
// items (zone_stat_item) and the global event counters (vm_event_item), named and ordered as
// /proc/vmstat prints them. Linux keeps per-CPU deltas folded in lazily; the model counts exactly.
#pragma once

#include <array>
#include <cstdint>

namespace pc::kernel {

// enum zone_stat_item (2.6.18): the first nine lines of /proc/vmstat.
enum ZoneStatItem : unsigned {
  NR_ANON_PAGES,    // mapped anonymous pages
  NR_FILE_MAPPED,   // page-cache pages mapped into page tables ("nr_mapped")
  NR_FILE_PAGES,    // page-cache pages, swap cache included
  NR_SLAB,          // pages used by the slab allocator
  NR_PAGETABLE,     // PTE pages ("nr_page_table_pages")
  NR_FILE_DIRTY,    // dirty page-cache pages ("nr_dirty")
  NR_WRITEBACK,     // pages under writeback
  NR_UNSTABLE_NFS,  // NFS pages sent to the server but not committed (always 0 here)
  NR_BOUNCE,        // bounce buffers (always 0 here)
  NR_VM_ZONE_STAT_ITEMS
};

// enum vm_event_item (2.6.18), FOR_ALL_ZONES giving DMA, DMA32, NORMAL and HIGH (0 on x86-64).
enum VmEvent : unsigned {
  PGPGIN,  // sectors read by submit_bio (/proc/vmstat shows KiB)
  PGPGOUT,
  PSWPIN,
  PSWPOUT,
  PGALLOC_DMA,
  PGALLOC_DMA32,
  PGALLOC_NORMAL,
  PGALLOC_HIGH,
  PGFREE,
  PGACTIVATE,
  PGDEACTIVATE,
  PGFAULT,
  PGMAJFAULT,
  PGREFILL_DMA,
  PGREFILL_DMA32,
  PGREFILL_NORMAL,
  PGREFILL_HIGH,
  PGSTEAL_DMA,
  PGSTEAL_DMA32,
  PGSTEAL_NORMAL,
  PGSTEAL_HIGH,
  PGSCAN_KSWAPD_DMA,
  PGSCAN_KSWAPD_DMA32,
  PGSCAN_KSWAPD_NORMAL,
  PGSCAN_KSWAPD_HIGH,
  PGSCAN_DIRECT_DMA,
  PGSCAN_DIRECT_DMA32,
  PGSCAN_DIRECT_NORMAL,
  PGSCAN_DIRECT_HIGH,
  PGINODESTEAL,
  SLABS_SCANNED,
  KSWAPD_STEAL,
  KSWAPD_INODESTEAL,
  PAGEOUTRUN,
  ALLOCSTALL,
  PGROTATED,
  NR_VM_EVENT_ITEMS
};

// /proc/vmstat names, in its order: the zone items, then the events (vmstat_text in mm/vmstat.c).
extern const char* const kZoneStatNames[NR_VM_ZONE_STAT_ITEMS];
extern const char* const kVmEventNames[NR_VM_EVENT_ITEMS];
// One line each for the stats descriptions.
extern const char* const kZoneStatHelp[NR_VM_ZONE_STAT_ITEMS];
const char* vm_event_help(VmEvent e);

// The events of one zone-indexed family: base + zone index (zone 0 DMA, 1 DMA32, 2 NORMAL).
constexpr VmEvent zone_event(VmEvent base, unsigned zone) {
  return static_cast<VmEvent>(base + zone);
}

// The global event counters (count_vm_event and friends).
class VmEvents {
 public:
  void count(VmEvent e, uint64_t n = 1) { m_v[e] += n; }
  uint64_t get(VmEvent e) const { return m_v[e]; }
  // The value /proc/vmstat prints (pgpgin/pgpgout in KiB).
  uint64_t shown(VmEvent e) const { return (e == PGPGIN || e == PGPGOUT) ? m_v[e] / 2 : m_v[e]; }

 private:
  std::array<uint64_t, NR_VM_EVENT_ITEMS> m_v{};
};

}  // namespace pc::kernel
