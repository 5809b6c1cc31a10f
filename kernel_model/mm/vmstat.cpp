// Names of the VM counters, as 2.6.18's mm/vmstat.c prints them.
#include "kernel_model/mm/vmstat.h"

namespace pc::kernel {

const char* const kZoneStatNames[NR_VM_ZONE_STAT_ITEMS] = {
    "nr_anon_pages", "nr_mapped",    "nr_file_pages", "nr_slab",  "nr_page_table_pages",
    "nr_dirty",      "nr_writeback", "nr_unstable",   "nr_bounce"};

const char* const kZoneStatHelp[NR_VM_ZONE_STAT_ITEMS] = {"mapped anonymous pages",
                                                          "page-cache pages mapped into page tables",
                                                          "page-cache pages, swap cache included",
                                                          "pages of the slab allocator",
                                                          "PTE pages of all page tables",
                                                          "dirty page-cache pages",
                                                          "pages under writeback",
                                                          "NFS unstable pages (no NFS here: always 0)",
                                                          "bounce buffers (none on x86-64: always 0)"};

const char* const kVmEventNames[NR_VM_EVENT_ITEMS] = {"pgpgin",
                                                      "pgpgout",
                                                      "pswpin",
                                                      "pswpout",
                                                      "pgalloc_dma",
                                                      "pgalloc_dma32",
                                                      "pgalloc_normal",
                                                      "pgalloc_high",
                                                      "pgfree",
                                                      "pgactivate",
                                                      "pgdeactivate",
                                                      "pgfault",
                                                      "pgmajfault",
                                                      "pgrefill_dma",
                                                      "pgrefill_dma32",
                                                      "pgrefill_normal",
                                                      "pgrefill_high",
                                                      "pgsteal_dma",
                                                      "pgsteal_dma32",
                                                      "pgsteal_normal",
                                                      "pgsteal_high",
                                                      "pgscan_kswapd_dma",
                                                      "pgscan_kswapd_dma32",
                                                      "pgscan_kswapd_normal",
                                                      "pgscan_kswapd_high",
                                                      "pgscan_direct_dma",
                                                      "pgscan_direct_dma32",
                                                      "pgscan_direct_normal",
                                                      "pgscan_direct_high",
                                                      "pginodesteal",
                                                      "slabs_scanned",
                                                      "kswapd_steal",
                                                      "kswapd_inodesteal",
                                                      "pageoutrun",
                                                      "allocstall",
                                                      "pgrotated"};

const char* vm_event_help(VmEvent e) {
  switch (e) {
    case PGPGIN:
      return "KiB read from block devices (submit_bio)";
    case PGPGOUT:
      return "KiB written to block devices (submit_bio)";
    case PSWPIN:
      return "pages read from swap";
    case PSWPOUT:
      return "pages written to swap";
    case PGALLOC_DMA:
    case PGALLOC_DMA32:
    case PGALLOC_NORMAL:
    case PGALLOC_HIGH:
      return "pages allocated from the zone";
    case PGFREE:
      return "pages freed";
    case PGACTIVATE:
      return "pages moved to the active list";
    case PGDEACTIVATE:
      return "pages moved to the inactive list";
    case PGFAULT:
      return "page faults (every entry into handle_mm_fault)";
    case PGMAJFAULT:
      return "page faults that needed a read";
    case PGREFILL_DMA:
    case PGREFILL_DMA32:
    case PGREFILL_NORMAL:
    case PGREFILL_HIGH:
      return "active pages scanned by shrink_active_list";
    case PGSTEAL_DMA:
    case PGSTEAL_DMA32:
    case PGSTEAL_NORMAL:
    case PGSTEAL_HIGH:
      return "pages reclaimed from the zone";
    case PGSCAN_KSWAPD_DMA:
    case PGSCAN_KSWAPD_DMA32:
    case PGSCAN_KSWAPD_NORMAL:
    case PGSCAN_KSWAPD_HIGH:
      return "inactive pages scanned by kswapd";
    case PGSCAN_DIRECT_DMA:
    case PGSCAN_DIRECT_DMA32:
    case PGSCAN_DIRECT_NORMAL:
    case PGSCAN_DIRECT_HIGH:
      return "inactive pages scanned by direct reclaim";
    case PGINODESTEAL:
      return "page-cache pages freed by pruning inodes (direct)";
    case SLABS_SCANNED:
      return "slab objects scanned by shrink_slab";
    case KSWAPD_STEAL:
      return "pages kswapd reclaimed";
    case KSWAPD_INODESTEAL:
      return "page-cache pages freed by pruning inodes (kswapd)";
    case PAGEOUTRUN:
      return "balance_pgdat passes of kswapd";
    case ALLOCSTALL:
      return "entries into direct reclaim";
    case PGROTATED:
      return "pages rotated to the inactive tail when their writeback ended";
    default:
      return "";
  }
}

}  // namespace pc::kernel
