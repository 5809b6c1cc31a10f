// Set-associative tag store with LRU replacement and per-line dirty state: the timing side of a cache
// (bytes live in memory). Plain C++ so that policies are testable without a simulation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pc::cache {

class TagArray {
 public:
  struct Victim {
    bool valid = false;
    bool dirty = false;
    uint64_t line = 0;  // line number (address / line size)
  };

  // Throws cfg::ConfigError naming `what` when the geometry does not divide into whole sets.
  TagArray(uint64_t size_bytes, unsigned ways, unsigned line_bytes, const std::string& what);

  // True when `line` is present; a hit makes it most recently used.
  bool lookup(uint64_t line) {
    Way* w = find(line);
    if (!w) return false;
    w->stamp = ++m_clock;
    return true;
  }
  bool contains(uint64_t line) const;
  // lookup(line) for a load, or for a store to a line held exclusively (then also set_dirty(line)), in
  // one search; false, with nothing changed, when the line is absent or the store's line not exclusive.
  bool hit_exclusive(uint64_t line, bool write) {
    Way* w = find(line);
    if (!w || (write && !w->excl)) return false;
    w->stamp = ++m_clock;
    if (write) w->dirty = true;
    return true;
  }
  // Marks a present line dirty; false when absent.
  bool set_dirty(uint64_t line) {
    Way* w = find(line);
    if (w) w->dirty = true;
    return w != nullptr;
  }
  // Marks a present line clean (written back, still valid); returns whether it was dirty.
  bool clear_dirty(uint64_t line);
  // Installs `line` (most recently used); returns the line it evicted. Installing a present line only
  // updates its dirty bit and recency.
  Victim fill(uint64_t line, bool dirty);
  // Drops `line`; returns whether it was present, and its dirty state in `was_dirty`.
  bool invalidate(uint64_t line, bool* was_dirty = nullptr);
  // Coherence shortcut: a line this core wrote and invalidated everywhere else is "exclusive" until
  // another core installs it; a write to an exclusive line need not invalidate the other cores again.
  // Returns whether `line` is present and exclusive.
  bool exclusive(uint64_t line) const {
    const Way* w = find(line);
    return w && w->excl;
  }
  void set_exclusive(uint64_t line) {
    if (Way* w = find(line)) w->excl = true;
  }
  void clear_exclusive(uint64_t line) {
    if (Way* w = find(line)) w->excl = false;
  }
  // Every valid line, for a flush.
  std::vector<Victim> drain();

  unsigned sets() const { return m_sets; }
  unsigned ways() const { return m_ways; }

 private:
  struct Way {
    uint64_t line = 0;
    uint64_t stamp = 0;  // last use, for LRU
    bool valid = false;
    bool dirty = false;
    bool excl = false;
  };
  // Sets are a power of two in every real geometry: a mask then, a division otherwise.
  uint64_t set_of(uint64_t line) const { return m_set_mask ? line & m_set_mask : line % m_sets; }
  Way* find(uint64_t line) {
    // A line is in at most one way (fill() looks first), so the way found last, if it still holds the
    // line, is the one the search would find; consecutive accesses to a line skip the search.
    Way* last = &m_ways_v[m_last];
    if (last->line == line && last->valid) return last;
    const uint64_t first = set_of(line) * m_ways;
    Way* s = &m_ways_v[first];
    for (unsigned w = 0; w < m_ways; ++w)
      if (s[w].line == line && s[w].valid) {
        m_last = first + w;
        return &s[w];
      }
    return nullptr;
  }
  const Way* find(uint64_t line) const { return const_cast<TagArray*>(this)->find(line); }

  unsigned m_sets, m_ways;
  uint64_t m_set_mask = 0;  // m_sets - 1 when m_sets is a power of two (and > 1), else 0
  uint64_t m_clock = 0;
  std::vector<Way> m_ways_v;
  uint64_t m_last = 0;  // index of the way find() found last
};

}  // namespace pc::cache
