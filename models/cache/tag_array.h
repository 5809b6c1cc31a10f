// Set-associative tag store with LRU replacement and per-line dirty state: the timing side of a cache
// (bytes live in memory). Plain C++ so that policies are testable without a simulation.
#pragma once

#include <cstddef>
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
    const size_t w = find(line);
    if (w == kNone) return false;
    m_stamps[w] = ++m_clock;
    return true;
  }
  bool contains(uint64_t line) const;
  // lookup(line) for a load, or for a store to a line held exclusively (then also set_dirty(line)), in
  // one search; false, with nothing changed, when the line is absent or the store's line not exclusive.
  bool hit_exclusive(uint64_t line, bool write) {
    const size_t w = find(line);
    if (w == kNone || (write && !(m_flags[w] & kExcl))) return false;
    m_stamps[w] = ++m_clock;
    if (write) m_flags[w] |= kDirty;
    return true;
  }
  // Marks a present line dirty; false when absent.
  bool set_dirty(uint64_t line) {
    const size_t w = find(line);
    if (w != kNone) m_flags[w] |= kDirty;
    return w != kNone;
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
    const size_t w = find(line);
    return w != kNone && (m_flags[w] & kExcl);
  }
  void set_exclusive(uint64_t line) {
    const size_t w = find(line);
    if (w != kNone) m_flags[w] |= kExcl;
  }
  void clear_exclusive(uint64_t line) {
    const size_t w = find(line);
    if (w != kNone) m_flags[w] &= static_cast<uint8_t>(~kExcl);
  }
  // Every valid line, for a flush.
  std::vector<Victim> drain();

  unsigned sets() const { return m_sets; }
  unsigned ways() const { return m_ways; }

 private:
  // The ways are kept as parallel arrays, set after set: a search reads only the tags (a 16-way set's in
  // two host cache lines rather than six), and most searches in a large cache miss the host's caches.
  // An invalid way holds kInvalid, which no line number equals (a line is an address / line size).
  static constexpr uint64_t kInvalid = UINT64_MAX;
  static constexpr size_t kNone = SIZE_MAX;
  static constexpr uint8_t kDirty = 1, kExcl = 2;
  // Sets are a power of two in every real geometry: a mask then, a division otherwise.
  uint64_t set_of(uint64_t line) const { return m_set_mask ? line & m_set_mask : line % m_sets; }
  // The way holding `line`, or kNone.
  size_t find(uint64_t line) const {
    // A line is in at most one way (fill() looks first), so the way found last, if it still holds the
    // line, is the one the search would find; consecutive accesses to a line skip the search.
    if (m_tags[m_last] == line) return m_last;
    const size_t first = set_of(line) * m_ways;
    const uint64_t* t = &m_tags[first];
    for (unsigned w = 0; w < m_ways; ++w)
      if (t[w] == line) {
        m_last = first + w;
        return first + w;
      }
    return kNone;
  }

  unsigned m_sets, m_ways;
  uint64_t m_set_mask = 0;  // m_sets - 1 when m_sets is a power of two (and > 1), else 0
  uint64_t m_clock = 0;
  std::vector<uint64_t> m_tags;    // by way: its line, or kInvalid
  std::vector<uint64_t> m_stamps;  // by way: last use, for LRU
  std::vector<uint8_t> m_flags;    // by way: kDirty, kExcl
  mutable size_t m_last = 0;       // index of the way find() found last
};

}  // namespace pc::cache
