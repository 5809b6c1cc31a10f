// Stats: a histogram of cycle counts that is cheap to sample.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "platform/core/stats.h"

namespace pc::stats {

// A histogram of whole numbers (cycle counts) that counts its small samples per value and hands them to
// a Histogram only when the figures are read: a count per sample instead of the histogram's
// bookkeeping. The figures are those of the samples taken one by one: buckets, count, minimum and maximum
// do not depend on the order of the samples, and every partial sum of whole numbers below 2^53 is exact
// in any order (the histogram's own runs of equal samples rely on the same).
class CycleHistogram final : public Stat {
 public:
  CycleHistogram(Group& parent, const std::string& name, const std::string& unit, const std::string& desc)
      : Stat(parent, name, unit, desc), m_hidden(nullptr, name), m_hist(m_hidden, name, unit, desc) {}
  void sample(uint64_t v) {
    if (v < kCounted) {
      ++m_counts[v];
      m_top = std::max(m_top, v + 1);
    } else {
      m_hist.sample(double(v));
    }
  }
  const char* kind() const override { return m_hist.kind(); }
  Json to_json() const override {
    flush();
    return m_hist.to_json();
  }
  void reset() override {
    std::fill(m_counts.begin(), m_counts.begin() + static_cast<std::ptrdiff_t>(m_top), 0);
    m_top = 0;
    m_hist.reset();
  }

 private:
  static constexpr uint64_t kCounted = 1024;  // the histogram's exact (one per integer) buckets
  void flush() const {
    for (uint64_t v = 0; v < m_top; ++v)
      if (m_counts[v]) m_hist.sample(double(v), std::exchange(m_counts[v], 0));
    m_top = 0;
  }
  mutable std::vector<uint64_t> m_counts = std::vector<uint64_t>(kCounted);
  mutable uint64_t m_top = 0;  // m_counts is zero from here on
  Group m_hidden;              // holds m_hist outside the stats tree (this stat stands there for it)
  mutable Histogram m_hist;
};

}  // namespace pc::stats
