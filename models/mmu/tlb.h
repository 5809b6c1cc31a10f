// TLB and paging-structure-cache arrays: set-associative, PCID-tagged, LRU or FIFO (Intel SDM Vol. 3A
// §4.10.2 TLBs, §4.10.3 paging-structure caches). Plain C++: testable without a simulation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/mmu/mmu_config.h"
#include "platform/hwdefs/paging.h"

namespace pc::mmu {

// One cached translation (TLB) or one cached non-leaf entry (PSC).
struct TlbEntry {
  uint64_t tag = 0;      // linear address >> the array's shift
  uint64_t frame = 0;    // TLB: physical base of the page; PSC: the next table's physical address
  uint64_t leaf_pa = 0;  // TLB: physical address of the leaf entry (dirty assist by RMW)
  uint64_t stamp = 0;    // recency (LRU) or insertion order (FIFO)
  uint16_t pcid = 0;
  bool valid = false;
  bool global = false;                    // TLB only: G=1 in the leaf with CR4.PGE=1; matches any PCID
  bool rw = true, us = true, nx = false;  // permissions combined over every level used
  bool dirty = false;                     // TLB only: D was 1 when cached
  bool pcd = false;                       // PSC only: the next table is uncacheable
};

class TagCache {
 public:
  TagCache() = default;
  // `entries` = 0 disables the array. Throws cfg::ConfigError naming `what` on an impossible geometry.
  TagCache(const TlbArrayConfig& c, bool fifo, const std::string& what);

  bool enabled() const { return m_sets != 0; }
  TlbEntry* lookup(uint64_t tag, uint16_t pcid) {
    TlbEntry* e = peek(tag, pcid);
    if (e) touch(e);
    return e;
  }
  // lookup() in two steps: find the entry without marking its use, then mark it.
  TlbEntry* peek(uint64_t tag, uint16_t pcid) {
    if (!m_sets) return nullptr;
    TlbEntry* s = &m_e[set_of(tag) * m_ways];
    for (unsigned w = 0; w < m_ways; ++w)
      if (s[w].valid && s[w].tag == tag && (s[w].global || s[w].pcid == pcid)) return &s[w];
    return nullptr;
  }
  void touch(TlbEntry* e) {
    if (!m_fifo) e->stamp = ++m_clock;
  }
  void fill(const TlbEntry& e);
  template <class Pred>
  unsigned invalidate_if(Pred p) {
    unsigned n = 0;
    for (auto& e : m_e)
      if (e.valid && p(e)) {
        e.valid = false;
        ++n;
      }
    return n;
  }
  // Like invalidate_if, restricted to the one set that can hold `tag`.
  template <class Pred>
  unsigned invalidate_tag(uint64_t tag, Pred p) {
    if (!m_sets) return 0;
    unsigned n = 0;
    TlbEntry* s = &m_e[set_of(tag) * m_ways];
    for (unsigned w = 0; w < m_ways; ++w)
      if (s[w].valid && s[w].tag == tag && p(s[w])) {
        s[w].valid = false;
        ++n;
      }
    return n;
  }
  unsigned size() const { return static_cast<unsigned>(m_e.size()); }

 private:
  // A mask when the number of sets is a power of two (every real geometry), a division otherwise.
  uint64_t set_of(uint64_t tag) const { return m_pow2 ? tag & (m_sets - 1) : tag % m_sets; }
  unsigned m_sets = 0, m_ways = 0;
  bool m_pow2 = false;
  bool m_fifo = false;
  uint64_t m_clock = 0;
  std::vector<TlbEntry> m_e;
};

// A TLB with one array per page size.
class Tlb {
 public:
  explicit Tlb(const TlbConfig& c, const std::string& what);
  // The entry translating `va` in `pcid` (or a global one), with its page size.
  TlbEntry* lookup(uint64_t va, uint16_t pcid, hw::paging::PageSize& size) {
    TlbEntry* e = peek(va, pcid, size);
    if (e) touch(size, e);
    return e;
  }
  TlbEntry* peek(uint64_t va, uint16_t pcid, hw::paging::PageSize& size) {
    for (unsigned i = 0; i < 3; ++i) {
      const auto s = static_cast<hw::paging::PageSize>(i);
      if (TlbEntry* e = m_a[i].peek(va >> shift_of(s), pcid)) {
        size = s;
        return e;
      }
    }
    return nullptr;
  }
  void touch(hw::paging::PageSize size, TlbEntry* e) { m_a[static_cast<unsigned>(size)].touch(e); }
  bool holds(hw::paging::PageSize s) const { return m_a[static_cast<unsigned>(s)].enabled(); }
  void fill(hw::paging::PageSize s, TlbEntry e);  // e.tag is set from e.frame's linear address by the caller
  // INVLPG / INVPCID type 0: every entry that translates `va` (in `pcid`, or any PCID when `any_pcid`).
  unsigned invalidate_va(uint64_t va, uint16_t pcid, bool keep_global);
  unsigned invalidate_pcid(uint16_t pcid, bool keep_global);
  unsigned invalidate_all(bool keep_global);
  // Moves on with every fill and invalidation: while it stands still, which entries are valid and what
  // they translate is unchanged, so peek() of the same 4 KiB page in the same PCID finds the same entry
  // (the arrays are searched at va >> 12, 21 and 30, all fixed by the page). Recency (touch) and the
  // in-place D update do not move it: they change no search result, and a memo reads them live.
  uint64_t generation() const { return m_gen; }
  // Test only (the negative control of the hit-memo tests): fills and invalidations leave the
  // generation alone, so a memo keyed on it goes stale.
  void set_frozen_generation(bool on) { m_frozen = on; }

  static unsigned shift_of(hw::paging::PageSize s) { return 12 + 9 * static_cast<unsigned>(s); }

 private:
  void changed() { m_gen += !m_frozen; }
  TagCache m_a[3];
  uint64_t m_gen = 0;
  bool m_frozen = false;
};

}  // namespace pc::mmu
