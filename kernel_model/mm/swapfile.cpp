// Swap areas (Linux 2.6.18 mm/swapfile.c): rule for rule, comments at the points where the order matters.
#include "kernel_model/mm/swapfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kernel_model/mm/mm.h"

namespace pc::kernel {

namespace {
constexpr int kEINVAL = 22, kEPERM = 1, kEBUSY = 16;
constexpr size_t kPage = 4096, kVersionOff = 1024, kLastPageOff = 1028, kNrBadOff = 1032, kBadOff = 1536,
                 kMagicOff = kPage - 10;
constexpr char kMagic[] = "SWAPSPACE2";

uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // the header is in the CPU's byte order (little-endian x86-64)
  return v;
}
void put32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
}  // namespace

std::vector<uint8_t> mkswap_header(const SwapHeaderInfo& info) {
  std::vector<uint8_t> page(kPage, 0);
  put32(&page[kVersionOff], info.version);
  put32(&page[kLastPageOff], info.last_page);
  put32(&page[kNrBadOff], static_cast<uint32_t>(info.badpages.size()));
  for (size_t i = 0; i < info.badpages.size() && i < kSwapHeaderBadPagesMax; ++i)
    put32(&page[kBadOff + 4 * i], info.badpages[i]);
  std::memcpy(&page[kMagicOff], kMagic, 10);
  return page;
}

int parse_swap_header(const uint8_t* page, uint64_t area_pages, bool is_file, SwapHeaderInfo& out,
                      std::string& why) {
  if (std::memcmp(page + kMagicOff, kMagic, 10) != 0) {
    why = std::memcmp(page + kMagicOff, "SWAP-SPACE", 10) == 0
              ? "version-0 swap space (SWAP-SPACE) is not supported any more: run mkswap"
              : "no SWAPSPACE2 signature in the last 10 bytes of page 0 (not formatted with mkswap)";
    return -kEINVAL;
  }
  out.version = get32(page + kVersionOff);
  out.last_page = get32(page + kLastPageOff);
  const uint32_t nr_bad = get32(page + kNrBadOff);
  if (out.version != 1) {
    why = fmt::format("unable to handle swap header version {} (expected 1)", out.version);
    return -kEINVAL;
  }
  // maxpages = min(arch limit, last_page): slots 0 .. last_page - 1.
  const uint64_t maxpages = out.last_page;
  if (maxpages == 0) {
    why = "last_page is 0: the area has no slot";
    return -kEINVAL;
  }
  if (maxpages > area_pages) {
    why = fmt::format("swap area shorter than signature indicates (last_page {} but the area has {} pages)",
                      out.last_page, area_pages);
    return -kEINVAL;
  }
  if (nr_bad && is_file) {
    why = fmt::format("{} bad pages listed, but a swap file may not have bad pages", nr_bad);
    return -kEINVAL;
  }
  if (nr_bad > kSwapHeaderBadPagesMax) {
    why = fmt::format("{} bad pages listed (at most {})", nr_bad, kSwapHeaderBadPagesMax);
    return -kEINVAL;
  }
  out.badpages.clear();
  for (uint32_t i = 0; i < nr_bad; ++i) {
    const uint32_t nr = get32(page + kBadOff + 4 * i);
    if (nr == 0 || nr >= out.last_page) {
      why = fmt::format("bad page {} is outside 1 .. last_page - 1 ({})", nr, out.last_page - 1);
      return -kEINVAL;
    }
    out.badpages.push_back(nr);
  }
  // nr_good_pages. 2.6.18 computes last_page - nr_badpages - 1, so a page listed twice counts twice and
  // enough repeats make the count negative; here each bad page counts once.
  std::vector<uint32_t> distinct = out.badpages;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (out.last_page - 1 - distinct.size() == 0) {
    why = "empty swap area (no good page)";
    return -kEINVAL;
  }
  return 0;
}

bool SwapAreas::valid(uint64_t entry) const {
  if (!entry || (entry & 1)) return false;
  const unsigned type = swp_type(entry);
  if (type >= m_info.size() || !(m_info[type].flags & SWP_USED)) return false;
  return swp_offset(entry) < m_info[type].max;
}

void SwapAreas::insert_in_list(unsigned type) {
  SwapInfo& p = m_info[type];
  int prev = -1, i = m_head;
  for (; i >= 0; i = m_info[i].next) {
    if (p.prio >= m_info[i].prio) break;  // before existing equal priorities
    prev = i;
  }
  p.next = i;
  if (prev < 0)
    m_head = m_next = static_cast<int>(type);
  else
    m_info[prev].next = static_cast<int>(type);
}

void SwapAreas::remove_from_list(unsigned type) {
  int prev = -1;
  for (int i = m_head; i >= 0; i = m_info[i].next) {
    if (i == static_cast<int>(type)) break;
    prev = i;
  }
  if (prev < 0)
    m_head = m_info[type].next;
  else
    m_info[prev].next = m_info[type].next;
  if (m_next == static_cast<int>(type)) m_next = m_head;  // "just pick something that's safe"
}

int SwapAreas::sys_swapon(const SwapOnRequest& rq, std::string& why) {
  unsigned type = 0;
  while (type < m_info.size() && (m_info[type].flags & SWP_USED)) ++type;
  if (type >= MAX_SWAPFILES) {
    why = fmt::format("no free swap type (at most {} areas)", MAX_SWAPFILES);
    return -kEPERM;
  }
  for (const SwapInfo& s : m_info)
    if ((s.flags & SWP_USED) && s.name == rq.name) {
      why = "already used as swap";
      return -kEBUSY;
    }
  SwapHeaderInfo h;
  if (!rq.header) {
    why = "no header page";
    return -kEINVAL;
  }
  if (const int e = parse_swap_header(rq.header, rq.area_pages, rq.is_file, h, why)) return e;
  SwapInfo p;
  p.flags = SWP_USED;
  p.name = rq.name;
  p.disk = rq.disk;
  p.is_file = rq.is_file;
  p.prio = rq.prio >= 0 ? rq.prio : --m_least_priority;
  p.lowest_bit = p.cluster_next = 1;
  const uint64_t maxpages = h.last_page;
  p.highest_bit = maxpages - 1;
  p.swap_map.assign(maxpages, 0);
  for (uint32_t b : h.badpages) p.swap_map[b] = SWAP_MAP_BAD;
  p.swap_map[0] = SWAP_MAP_BAD;  // the header
  p.max = maxpages;
  p.pages = static_cast<uint64_t>(std::count(p.swap_map.begin(), p.swap_map.end(), 0));  // good slots
  // setup_swap_extents: the extents the caller mapped, clipped to max.
  for (const SwapExtent& e : rq.extents) {
    if (e.start_page >= maxpages) break;
    SwapExtent c = e;
    c.nr_pages = std::min(c.nr_pages, maxpages - c.start_page);
    p.extents.push_back(c);
  }
  uint64_t covered = 0;
  for (const SwapExtent& e : p.extents) {
    if (e.start_page != covered) {
      why = fmt::format("the area's extents leave a hole at page {}", covered);
      return -kEINVAL;
    }
    covered += e.nr_pages;
  }
  if (covered < maxpages) {
    why = fmt::format("the area's extents cover {} of its {} pages", covered, maxpages);
    return -kEINVAL;
  }
  p.flags |= SWP_WRITEOK;
  if (type == m_info.size())
    m_info.push_back(std::move(p));
  else
    m_info[type] = std::move(p);
  m_nr_swap_pages += static_cast<int64_t>(m_info[type].pages);
  m_total_swap_pages += static_cast<int64_t>(m_info[type].pages);
  insert_in_list(type);
  return static_cast<int>(type);
}

int SwapAreas::swapoff_begin(unsigned type) {
  if (type >= m_info.size() || (m_info[type].flags & SWP_ACTIVE) != SWP_ACTIVE) return -kEINVAL;
  SwapInfo& p = m_info[type];
  remove_from_list(type);
  m_nr_swap_pages -= static_cast<int64_t>(p.pages);
  m_total_swap_pages -= static_cast<int64_t>(p.pages);
  p.flags &= ~(SWP_WRITEOK & ~SWP_USED);
  return 0;
}

void SwapAreas::swapoff_abort(unsigned type) {
  SwapInfo& p = m_info.at(type);
  m_nr_swap_pages += static_cast<int64_t>(p.pages);
  m_total_swap_pages += static_cast<int64_t>(p.pages);
  p.flags |= SWP_WRITEOK;
  insert_in_list(type);
}

void SwapAreas::swapoff_end(unsigned type) {
  SwapInfo& p = m_info.at(type);
  p.flags = 0;
  p.swap_map.clear();
  p.extents.clear();
  p.highest_bit = p.lowest_bit = 0;
  p.inuse_pages = 0;
}

uint64_t SwapAreas::scan_swap_map(SwapInfo& si) {
  uint64_t offset;
  uint64_t& examined = si.stats.slots_examined;
  // The swap lock is dropped during the searches in Linux (cond_resched every LATENCY_LIMIT slots); the
  // model holds no simulated lock inside this function, the caller charges it.
  if (si.cluster_nr == 0) {
    si.cluster_nr = SWAPFILE_CLUSTER - 1;
    if (si.pages - si.inuse_pages < SWAPFILE_CLUSTER) goto lowest;
    offset = si.lowest_bit;
    // Locate the first empty (unaligned) run of 256 slots.
    for (uint64_t last_in_cluster = offset + SWAPFILE_CLUSTER - 1; last_in_cluster <= si.highest_bit;
         ++offset) {
      ++examined;
      if (si.swap_map[offset]) {
        last_in_cluster = offset + SWAPFILE_CLUSTER;
      } else if (offset == last_in_cluster) {
        si.cluster_next = offset - SWAPFILE_CLUSTER + 1;
        ++si.stats.new_clusters;
        goto cluster;
      }
    }
    ++si.stats.cluster_misses;
    goto lowest;
  }
  --si.cluster_nr;
  ++si.stats.cluster_hits;
cluster:
  offset = si.cluster_next;
  if (offset > si.highest_bit) {
  lowest:
    offset = si.lowest_bit;
  }
checks:
  if ((si.flags & SWP_WRITEOK) != SWP_WRITEOK) return 0;
  if (!si.highest_bit) return 0;
  ++examined;
  if (!si.swap_map[offset]) {
    if (offset == si.lowest_bit) ++si.lowest_bit;
    if (offset == si.highest_bit) --si.highest_bit;
    ++si.inuse_pages;
    si.stats.max_inuse = std::max(si.stats.max_inuse, si.inuse_pages);
    if (si.inuse_pages == si.pages) {
      si.lowest_bit = si.max;
      si.highest_bit = 0;
    }
    si.swap_map[offset] = 1;
    si.cluster_next = offset + 1;
    ++si.stats.allocations;
    return offset;
  }
  while (++offset <= si.highest_bit) {
    ++examined;
    if (!si.swap_map[offset]) goto checks;
  }
  goto lowest;
}

uint64_t SwapAreas::get_swap_page() {
  if (m_nr_swap_pages <= 0) return 0;
  --m_nr_swap_pages;
  int wrapped = 0;
  for (int type = m_next, next; type >= 0 && wrapped < 2; type = next) {
    SwapInfo& si = m_info[type];
    next = si.next;
    if (next < 0 || (!wrapped && si.prio != m_info[next].prio)) {
      next = m_head;
      ++wrapped;
    }
    if (!si.highest_bit) continue;
    if ((si.flags & SWP_WRITEOK) != SWP_WRITEOK) continue;
    m_next = next;  // the next allocation starts at the following area: round robin among equals
    if (const uint64_t offset = scan_swap_map(si)) return swp_entry(static_cast<unsigned>(type), offset);
    next = m_next;
  }
  ++m_nr_swap_pages;
  return 0;
}

bool SwapAreas::swap_duplicate(uint64_t entry) {
  if (!valid(entry)) return false;
  SwapInfo& p = m_info[swp_type(entry)];
  uint16_t& c = p.swap_map[swp_offset(entry)];
  if (c == 0 || c == SWAP_MAP_BAD) return false;
  if (c < SWAP_MAP_MAX - 1)
    ++c;
  else if (c <= SWAP_MAP_MAX)
    c = SWAP_MAP_MAX;  // saturated: "permanent" until swapoff (2.6.18 warns "swap_dup: swap entry overflow")
  return true;
}

void SwapAreas::swap_free(uint64_t entry) {
  if (!valid(entry) || !m_info[swp_type(entry)].swap_map[swp_offset(entry)]) {
    ++m_bad_free;  // swap_info_get's "Unused swap offset entry" printk
    return;
  }
  const unsigned type = swp_type(entry);
  SwapInfo& p = m_info[type];
  const uint64_t offset = swp_offset(entry);
  uint16_t& c = p.swap_map[offset];
  if (c >= SWAP_MAP_MAX) return;
  if (--c) return;
  if (offset < p.lowest_bit) p.lowest_bit = offset;
  if (offset > p.highest_bit) p.highest_bit = offset;
  if (m_next >= 0 && p.prio > m_info[m_next].prio) m_next = static_cast<int>(type);
  // Also during swapoff: sys_swapoff took all the area's usable slots out of nr_swap_pages, so each slot
  // try_to_unuse frees brings the count back to the other areas' free slots.
  ++m_nr_swap_pages;
  --p.inuse_pages;
}

uint16_t SwapAreas::swap_count(uint64_t entry) const {
  if (!valid(entry)) return 0;
  return m_info[swp_type(entry)].swap_map[swp_offset(entry)];
}

void SwapAreas::reset_saturated(uint64_t entry) {
  if (!valid(entry)) return;
  uint16_t& c = m_info[swp_type(entry)].swap_map[swp_offset(entry)];
  if (c == SWAP_MAP_MAX) c = 1;
}

uint64_t SwapAreas::map_swap_page(unsigned type, uint64_t offset) {
  SwapInfo& si = m_info.at(type);
  // Walk the circular extent list from the cached cursor.
  for (size_t n = 0; n < si.extents.size(); ++n) {
    const SwapExtent& e = si.extents[si.curr_swap_extent];
    if (offset >= e.start_page && offset < e.start_page + e.nr_pages)
      return e.start_block + (offset - e.start_page);
    si.curr_swap_extent = (si.curr_swap_extent + 1) % si.extents.size();
  }
  throw std::logic_error(fmt::format("map_swap_page: slot {} of '{}' is in no extent", offset, si.name));
}

unsigned SwapAreas::valid_swaphandles(uint64_t entry, unsigned page_cluster, uint64_t& offset) const {
  if (!page_cluster || !valid(entry)) return 0;
  const SwapInfo& si = m_info[swp_type(entry)];
  unsigned i = 1u << page_cluster, ret = 0;
  uint64_t toff = (swp_offset(entry) >> page_cluster) << page_cluster;
  if (!toff) {  // the first page is the header
    ++toff;
    --i;
  }
  offset = toff;
  do {
    if (toff >= si.max) break;
    if (!si.swap_map[toff] || si.swap_map[toff] == SWAP_MAP_BAD) break;
    ++toff;
    ++ret;
  } while (--i);
  return ret;
}

uint64_t SwapAreas::find_next_to_unuse(unsigned type, uint64_t prev) const {
  const SwapInfo& si = m_info.at(type);
  uint64_t max = si.max, i = prev;
  for (;;) {
    if (++i >= max) {
      if (!prev) return 0;
      max = prev + 1;  // wrap around once to the beginning
      prev = 0;
      i = 1;
    }
    const uint16_t count = si.swap_map[i];
    if (count && count != SWAP_MAP_BAD) return i;
  }
}

}  // namespace pc::kernel
