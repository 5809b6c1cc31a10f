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
  const uint64_t n = uint64_t{m_sets} * m_ways;
  m_tags.assign(n, kInvalid);
  m_stamps.assign(n, 0);
  m_flags.assign(n, 0);
  if (m_sets > 1 && (m_sets & (m_sets - 1)) == 0) m_set_mask = m_sets - 1;
}

bool TagArray::contains(uint64_t line) const {
  return find(line) != kNone;
}

bool TagArray::clear_dirty(uint64_t line) {
  const size_t w = find(line);
  if (w == kNone) return false;
  const bool was = m_flags[w] & kDirty;
  m_flags[w] &= static_cast<uint8_t>(~kDirty);
  return was;
}

TagArray::Victim TagArray::fill(uint64_t line, bool dirty) {
  if (const size_t w = find(line); w != kNone) {
    if (dirty) m_flags[w] |= kDirty;
    m_stamps[w] = ++m_clock;
    return {};
  }
  // The victim: the first invalid way, else the least recently used (the first of equal stamps).
  const size_t first = set_of(line) * m_ways;
  size_t v = first;
  uint64_t oldest = m_stamps[first];
  for (size_t w = first; w < first + m_ways; ++w) {
    if (m_tags[w] == kInvalid) {
      v = w;
      break;
    }
    if (m_stamps[w] < oldest) v = w, oldest = m_stamps[w];
  }
  const bool valid = m_tags[v] != kInvalid;
  Victim out{valid, valid && (m_flags[v] & kDirty), valid ? m_tags[v] : 0};
  m_tags[v] = line;
  m_stamps[v] = ++m_clock;
  m_flags[v] = dirty ? kDirty : 0;
  return out;
}

bool TagArray::invalidate(uint64_t line, bool* was_dirty) {
  const size_t w = find(line);
  if (was_dirty) *was_dirty = w != kNone && (m_flags[w] & kDirty);
  if (w == kNone) return false;
  m_tags[w] = kInvalid;
  m_flags[w] = 0;
  return true;
}

std::vector<TagArray::Victim> TagArray::drain() {
  std::vector<Victim> out;
  for (size_t w = 0; w < m_tags.size(); ++w) {
    if (m_tags[w] != kInvalid) out.push_back({true, (m_flags[w] & kDirty) != 0, m_tags[w]});
    m_tags[w] = kInvalid;
    m_stamps[w] = 0;
    m_flags[w] = 0;
  }
  return out;
}

}  // namespace pc::cache
