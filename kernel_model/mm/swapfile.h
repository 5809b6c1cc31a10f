// Swap areas (Linux 2.6.18 mm/swapfile.c, include/linux/swap.h; spec linux-2.6.18-mm.md §9): the on-disk
// header mkswap writes and sys_swapon validates, swap_info_struct with its swap_map counters, extents and
// cluster cursor, the priority list with round-robin among equal priorities, scan_swap_map,
// get_swap_page, swap_duplicate / swap_free, map_swap_page, valid_swaphandles and the counters
// (nr_swap_pages, total_swap_pages, vm_swap_full). Plain C++: the caller holds swap_lock around each
// call (MemoryManager does), so every rule is unit-testable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pc::kernel {

constexpr unsigned MAX_SWAPFILES = 32;
constexpr uint64_t SWAPFILE_CLUSTER = 256;
constexpr uint64_t LATENCY_LIMIT = 256;
constexpr uint16_t SWAP_MAP_MAX = 0x7fff;
constexpr uint16_t SWAP_MAP_BAD = 0x8000;
constexpr uint32_t SWP_USED = 1, SWP_WRITEOK = 3, SWP_ACTIVE = SWP_USED | SWP_WRITEOK;
constexpr unsigned kSwapHeaderBadPagesMax = 637;  // (4086 - 1536) / 4 for 4 KiB pages

// union swap_header's info part, as mkswap writes it into page 0 of the area.
struct SwapHeaderInfo {
  uint32_t version = 1;
  uint32_t last_page = 0;  // the last usable page of the area (its size in pages minus one)
  std::vector<uint32_t> badpages;
};

// mkswap: the 4096 bytes of page 0 (boot-block zeros, version, last_page, nr_badpages, the bad-page list
// from byte 1536, "SWAPSPACE2" in the last 10 bytes).
std::vector<uint8_t> mkswap_header(const SwapHeaderInfo& info);
// sys_swapon's header check: 0 and `out` filled, or a negative errno (-EINVAL) with `why` saying what is
// wrong (signature, version, last_page beyond the area, too many bad pages, bad pages on a file).
int parse_swap_header(const uint8_t* page, uint64_t area_pages, bool is_file, SwapHeaderInfo& out,
                      std::string& why);

// struct swap_extent: `nr_pages` slots from `start_page` live at PAGE_SIZE blocks from `start_block`.
struct SwapExtent {
  uint64_t start_page = 0, nr_pages = 0, start_block = 0;
};

struct SwapAreaStats {
  uint64_t allocations = 0;     // slots handed out by scan_swap_map
  uint64_t cluster_hits = 0;    // allocations that continued the current 256-slot cluster
  uint64_t cluster_misses = 0;  // cluster searches that found no free 256-slot run (first-free search)
  uint64_t new_clusters = 0;    // cluster searches that found a run
  uint64_t slots_examined = 0;  // swap_map entries looked at while allocating
  uint64_t max_inuse = 0;       // high-water mark of used slots
};

// struct swap_info_struct.
struct SwapInfo {
  uint32_t flags = 0;
  int prio = 0;
  std::string name;   // the area as the config names it (messages)
  unsigned disk = 0;  // the block device it lives on
  bool is_file = false;
  std::vector<uint16_t> swap_map;
  std::vector<SwapExtent> extents;
  size_t curr_swap_extent = 0;
  uint64_t lowest_bit = 0, highest_bit = 0, cluster_next = 0, cluster_nr = 0;
  uint64_t pages = 0;  // usable slots
  uint64_t max = 0;    // slots including the header
  uint64_t inuse_pages = 0;
  int next = -1;  // the next area in priority order
  SwapAreaStats stats;
};

// The area a swapon brings in: its size, where its slots are on the disk, the header read from it.
struct SwapOnRequest {
  std::string name;
  unsigned disk = 0;
  bool is_file = false;
  int prio = -1;  // -1: assigned (-1, -2, ... in swapon order, as 2.6.18 does without SWAP_FLAG_PREFER)
  uint64_t area_pages = 0;
  std::vector<SwapExtent> extents;  // cover [0, area_pages)
  const uint8_t* header = nullptr;  // page 0 as read from the disk
};

class SwapAreas {
 public:
  // sys_swapon: validates the header and brings the area in; returns its type (>= 0) or a negative errno
  // with `why` filled (-EINVAL bad header or no good pages, -EPERM no free type, -EBUSY already on).
  int sys_swapon(const SwapOnRequest& rq, std::string& why);
  // sys_swapoff, first half: takes the area off the priority list and out of the counters and clears
  // SWP_WRITEOK (no new slots); -EINVAL if it is not active. The caller then runs try_to_unuse.
  int swapoff_begin(unsigned type);
  // After a failed try_to_unuse: the area goes back in as it was.
  void swapoff_abort(unsigned type);
  // After a successful one: the area's type is free again.
  void swapoff_end(unsigned type);
  // sys_swapoff's overcommit check input: slots in use in the area.
  uint64_t inuse(unsigned type) const { return m_info.at(type).inuse_pages; }

  // get_swap_page: the entry (PTE encoding, swp_entry(type, offset)) of a newly allocated slot with
  // swap_map 1, or 0 when every area is full.
  uint64_t get_swap_page();
  // scan_swap_map: a free slot of `si` (its count set to 1), 0 if none.
  uint64_t scan_swap_map(SwapInfo& si);
  // swap_duplicate: one more user of the slot; false if the entry is invalid or free.
  bool swap_duplicate(uint64_t entry);
  // swap_free / swap_entry_free: one user fewer; the slot is free at 0 (saturated counts stay).
  void swap_free(uint64_t entry);
  // The slot's swap_map value (0 for an invalid entry).
  uint16_t swap_count(uint64_t entry) const;
  // map_swap_page: the PAGE_SIZE block on the area's disk holding the slot (moves the extent cursor).
  uint64_t map_swap_page(unsigned type, uint64_t offset);
  // valid_swaphandles: the swap-in readahead window for `entry` with 2^page_cluster slots; returns the
  // number of slots to read from `offset` (the faulting slot among them), 0 for no readahead.
  unsigned valid_swaphandles(uint64_t entry, unsigned page_cluster, uint64_t& offset) const;
  // find_next_to_unuse: the next slot after `prev` in use (non-zero, not bad), wrapping once; 0 if none.
  uint64_t find_next_to_unuse(unsigned type, uint64_t prev) const;
  // swapoff's rule for a saturated count: it becomes 1 again.
  void reset_saturated(uint64_t entry);

  int64_t nr_swap_pages() const { return m_nr_swap_pages; }
  int64_t total_swap_pages() const { return m_total_swap_pages; }
  // vm_swap_full: fewer than half the slots are free.
  bool vm_swap_full() const { return m_nr_swap_pages * 2 < m_total_swap_pages; }
  unsigned nr_swapfiles() const { return static_cast<unsigned>(m_info.size()); }
  const SwapInfo& info(unsigned type) const { return m_info.at(type); }
  SwapInfo& info(unsigned type) { return m_info.at(type); }
  bool valid(uint64_t entry) const;
  int list_head() const { return m_head; }
  int list_next() const { return m_next; }
  // Slots the allocator examined over all areas (stats).
  uint64_t bad_free_attempts() const { return m_bad_free; }

 private:
  void insert_in_list(unsigned type);
  void remove_from_list(unsigned type);

  std::vector<SwapInfo> m_info;
  int m_head = -1, m_next = -1;  // swap_list.head, swap_list.next
  int m_least_priority = 0;      // the last assigned automatic priority
  int64_t m_nr_swap_pages = 0, m_total_swap_pages = 0;
  uint64_t m_bad_free = 0;  // swap_free of a free or invalid entry (a bug if it ever happens)
};

}  // namespace pc::kernel
