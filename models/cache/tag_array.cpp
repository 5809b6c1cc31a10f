// Set-associative LRU tag store.
#include "models/cache/tag_array.h"

#include <fmt/format.h>

#include "platform/core/config.h"

namespace pc::cache {

TagArray::TagArray(uint64_t size_bytes, unsigned ways, unsigned line_bytes, const std::string& what) {
  const uint64_t set_bytes = uint64_t{ways} * line_bytes;
  if (ways == 0 || line_bytes == 0 || size_bytes < set_bytes || size_bytes % set_bytes)
    throw cfg::ConfigError(fmt::format("{}: {} bytes do not divide into sets of {} ways x {}-byte lines",
                                       what, size_bytes, ways, line_bytes));
  m_sets = static_cast<unsigned>(size_bytes / set_bytes);
  m_ways = ways;
  m_ways_v.resize(uint64_t{m_sets} * m_ways);
  if (m_sets > 1 && (m_sets & (m_sets - 1)) == 0) m_set_mask = m_sets - 1;
}

bool TagArray::contains(uint64_t line) const {
  return find(line) != nullptr;
}

bool TagArray::clear_dirty(uint64_t line) {
  Way* w = find(line);
  const bool was = w && w->dirty;
  if (w) w->dirty = false;
  return was;
}

TagArray::Victim TagArray::fill(uint64_t line, bool dirty) {
  if (Way* w = find(line)) {
    w->dirty = w->dirty || dirty;
    w->stamp = ++m_clock;
    return {};
  }
  Way* s = &m_ways_v[set_of(line) * m_ways];
  Way* v = &s[0];
  for (unsigned w = 0; w < m_ways; ++w) {
    if (!s[w].valid) {
      v = &s[w];
      break;
    }
    if (s[w].stamp < v->stamp) v = &s[w];
  }
  Victim out{v->valid, v->valid && v->dirty, v->line};
  *v = Way{line, ++m_clock, true, dirty, false};
  return out;
}

bool TagArray::invalidate(uint64_t line, bool* was_dirty) {
  Way* w = find(line);
  if (was_dirty) *was_dirty = w && w->dirty;
  if (!w) return false;
  w->valid = false;
  w->dirty = false;
  w->excl = false;
  return true;
}

std::vector<TagArray::Victim> TagArray::drain() {
  std::vector<Victim> out;
  for (auto& w : m_ways_v) {
    if (w.valid) out.push_back({true, w.dirty, w.line});
    w = Way{};
  }
  return out;
}

}  // namespace pc::cache
