// TLB and paging-structure-cache arrays.
#include "models/mmu/tlb.h"

#include <fmt/format.h>

namespace pc::mmu {

using hw::paging::PageSize;

TagCache::TagCache(const TlbArrayConfig& c, bool fifo, const std::string& what) : m_fifo(fifo) {
  if (c.entries == 0) return;
  if (c.ways == 0 || c.entries % c.ways)
    throw cfg::ConfigError(fmt::format("{}: {} entries do not divide into {} ways", what, c.entries, c.ways));
  m_ways = static_cast<unsigned>(c.ways);
  m_sets = static_cast<unsigned>(c.entries / c.ways);
  m_pow2 = (m_sets & (m_sets - 1)) == 0;
  m_e.resize(c.entries);
}

void TagCache::fill(const TlbEntry& e) {
  if (!m_sets) return;
  TlbEntry* s = &m_e[set_of(e.tag) * m_ways];
  TlbEntry* v = nullptr;
  for (unsigned w = 0; w < m_ways && !v; ++w)  // replace a stale copy of the same translation first
    if (s[w].valid && s[w].tag == e.tag && s[w].pcid == e.pcid) v = &s[w];
  for (unsigned w = 0; w < m_ways && !v; ++w)
    if (!s[w].valid) v = &s[w];
  if (!v) {
    v = &s[0];
    for (unsigned w = 1; w < m_ways; ++w)
      if (s[w].stamp < v->stamp) v = &s[w];
  }
  *v = e;
  v->valid = true;
  v->stamp = ++m_clock;
}

Tlb::Tlb(const TlbConfig& c, const std::string& what) {
  const bool fifo = c.replacement == "fifo";
  m_a[0] = TagCache(c.a4k, fifo, what + ".4k");
  m_a[1] = TagCache(c.a2m, fifo, what + ".2m");
  m_a[2] = TagCache(c.a1g, fifo, what + ".1g");
}

void Tlb::fill(PageSize s, TlbEntry e) {
  changed();
  m_a[static_cast<unsigned>(s)].fill(e);
}

unsigned Tlb::invalidate_va(uint64_t va, uint16_t pcid, bool keep_global) {
  changed();
  unsigned n = 0;
  for (unsigned i = 0; i < 3; ++i) {
    const uint64_t tag = va >> shift_of(static_cast<PageSize>(i));
    n += m_a[i].invalidate_tag(tag,
                               [&](const TlbEntry& e) { return e.global ? !keep_global : e.pcid == pcid; });
  }
  return n;
}

unsigned Tlb::invalidate_pcid(uint16_t pcid, bool keep_global) {
  changed();
  unsigned n = 0;
  for (auto& a : m_a)
    n += a.invalidate_if([&](const TlbEntry& e) { return e.global ? !keep_global : e.pcid == pcid; });
  return n;
}

unsigned Tlb::invalidate_all(bool keep_global) {
  changed();
  unsigned n = 0;
  for (auto& a : m_a) n += a.invalidate_if([&](const TlbEntry& e) { return !(keep_global && e.global); });
  return n;
}

}  // namespace pc::mmu
