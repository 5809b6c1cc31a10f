// One bit per byte of a DRAM burst: which bytes a queued write holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pc::dram {

// Which bytes of a burst a write buffer holds: a WR of a partly written burst finds its runs a word at a
// time (a byte-per-byte scan took 2% of the DRAM-bound stream's instructions, whose writes are 8 bytes).
class ByteMask {
 public:
  explicit ByteMask(size_t bytes) : m_w((bytes + 63) / 64), m_n(bytes) {}
  void clear() { std::fill(m_w.begin(), m_w.end(), 0); }
  void set(size_t lo, size_t hi) {  // bytes [lo, hi)
    for (size_t i = lo; i < hi;) {
      const size_t k = i / 64, end = std::min(hi, (k + 1) * 64);
      const size_t n = end - i;
      m_w[k] |= (n == 64 ? ~uint64_t(0) : ((uint64_t(1) << n) - 1)) << (i % 64);
      i = end;
    }
  }
  bool test(size_t i) const { return (m_w[i / 64] >> (i % 64)) & 1; }
  bool all(size_t lo, size_t hi) const { return next(lo, false) >= hi; }  // every byte of [lo, hi)
  bool all() const { return all(0, m_n); }
  // The first byte from `i` on that is written (`set`) or not; the burst size if none.
  size_t next(size_t i, bool set) const {
    while (i < m_n) {
      const size_t k = i / 64;
      const uint64_t x = (set ? m_w[k] : ~m_w[k]) & (~uint64_t(0) << (i % 64));
      if (x) return std::min(m_n, k * 64 + static_cast<size_t>(__builtin_ctzll(x)));
      i = (k + 1) * 64;
    }
    return m_n;
  }
  // Calls f(first, count) for each maximal run of written bytes, in address order.
  template <class F>
  void each_run(F f) const {
    for (size_t i = next(0, true); i < m_n;) {
      const size_t j = next(i, false);
      f(i, j - i);
      i = next(j, true);
    }
  }

 private:
  std::vector<uint64_t> m_w;  // bits past the burst stay 0
  size_t m_n;
};
}  // namespace pc::dram
