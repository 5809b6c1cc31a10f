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
  bool lookup(uint64_t line);
  bool contains(uint64_t line) const;
  // Marks a present line dirty; false when absent.
  bool set_dirty(uint64_t line);
  // Marks a present line clean (written back, still valid); returns whether it was dirty.
  bool clear_dirty(uint64_t line);
  // Installs `line` (most recently used); returns the line it evicted. Installing a present line only
  // updates its dirty bit and recency.
  Victim fill(uint64_t line, bool dirty);
  // Drops `line`; returns whether it was present, and its dirty state in `was_dirty`.
  bool invalidate(uint64_t line, bool* was_dirty = nullptr);
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
  };
  Way* find(uint64_t line);
  const Way* find(uint64_t line) const;

  unsigned m_sets, m_ways;
  uint64_t m_clock = 0;
  std::vector<Way> m_ways_v;
};

}  // namespace pc::cache
