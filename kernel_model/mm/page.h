// Page descriptors (struct page) for every physical frame, with the Linux 2.6.18 flag bit numbers
// (include/linux/page-flags.h) and reference counts (include/linux/mm.h).
#pragma once

#include <cstdint>
#include <vector>

#include "kernel_model/mm/list.h"

namespace pc::kernel {

constexpr unsigned kPageShift = 12;
constexpr uint64_t kPageSize = 1ull << kPageShift;

enum PageFlag : unsigned {
  PG_locked = 0,
  PG_error = 1,
  PG_referenced = 2,
  PG_uptodate = 3,
  PG_dirty = 4,
  PG_lru = 5,
  PG_active = 6,
  PG_slab = 7,
  PG_reserved = 10,
  PG_private = 11,
  PG_writeback = 12,
  PG_swapcache = 15,
  PG_reclaim = 17,
  PG_buddy = 19,
};

struct AnonVma;
struct AddressSpace;

struct Page {
  ListHead lru;              // LRU list, buddy free list or per-CPU list link (first member: see page_of)
  uint32_t flags = 0;
  int32_t count = 0;         // _count: users of the page (0 = free)
  int32_t mapcount = -1;     // _mapcount: PTEs mapping it, minus one (-1 = unmapped)
  uintptr_t mapping = 0;     // address_space*, or anon_vma* with bit 0 set (PAGE_MAPPING_ANON)
  uint64_t index = 0;        // page offset in the file, or linear page index for anonymous pages
  uint64_t private_ = 0;     // buddy order while PG_buddy; swap entry while PG_swapcache
  uint8_t zone = 0;          // zone index (page_zonenum)

  bool test(PageFlag f) const { return flags & (1u << f); }
  void set(PageFlag f) { flags |= 1u << f; }
  void clear(PageFlag f) { flags &= ~(1u << f); }
  bool test_and_clear(PageFlag f) {
    const bool was = test(f);
    clear(f);
    return was;
  }
  bool test_and_set(PageFlag f) {
    const bool was = test(f);
    set(f);
    return was;
  }

  bool anon() const { return mapping & 1; }
  AnonVma* anon_vma() const { return anon() ? reinterpret_cast<AnonVma*>(mapping & ~uintptr_t{1}) : nullptr; }
  AddressSpace* file_mapping() const {
    return (!anon() && mapping) ? reinterpret_cast<AddressSpace*>(mapping) : nullptr;
  }
  bool mapped() const { return mapcount >= 0; }
  int page_mapcount() const { return mapcount + 1; }
};

inline Page* page_of(ListHead* l) { return reinterpret_cast<Page*>(l); }  // lru is the first member

// mem_map: one descriptor per frame of physical memory, indexed by page frame number.
class MemMap {
 public:
  explicit MemMap(uint64_t frames) : m_pages(frames) {}
  uint64_t frames() const { return m_pages.size(); }
  Page* pfn_to_page(uint64_t pfn) { return &m_pages.at(pfn); }
  uint64_t page_to_pfn(const Page* p) const { return static_cast<uint64_t>(p - m_pages.data()); }
  uint64_t page_to_phys(const Page* p) const { return page_to_pfn(p) << kPageShift; }
  Page* phys_to_page(uint64_t pa) { return pfn_to_page(pa >> kPageShift); }

 private:
  std::vector<Page> m_pages;
};

}  // namespace pc::kernel
