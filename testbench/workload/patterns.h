// Synthetic workload generators: sequential, strided, random, Zipf and hot/cold address patterns
// over a private footprint, with a Zipf sampler (Hörmann & Derflinger rejection-inversion).
#pragma once

#include <cstdint>
#include <memory>

#include "testbench/workload/op_stream.h"
#include "testbench/workload/rng.h"
#include "testbench/workload/workload_config.h"

namespace pc::tb {

// Zipf(s) over ranks [1, n]: P(k) proportional to k^-s. Rejection-inversion (W. Hörmann, G. Derflinger,
// "Rejection-inversion to generate variates from monotone discrete distributions", 1996): O(1) expected
// time per sample and O(1) memory for any n (tested up to 2^40), any s > 0 including s == 1.
class ZipfSampler {
 public:
  // Throws std::invalid_argument unless n >= 1 and s is finite and > 0.
  ZipfSampler(uint64_t n, double s);

  uint64_t sample(Rng& rng) const;  // a rank in [1, n]
  uint64_t n() const { return m_n; }
  double s() const { return m_s; }

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;

  uint64_t m_n;
  double m_s;
  double m_h_integral_x1;  // H(1.5) - 1
  double m_h_integral_n;   // H(n + 0.5)
  double m_accept_width;   // 2 - H^-1(H(2.5) - h(2)): k - x below this is accepted without the test
};

// Fixed bijection rank [1, n] -> slot [0, n): slot = a * (rank - 1) mod n with a the first integer
// coprime with n at or above n * (golden ratio - 1), so consecutive ranks land far apart and the hot
// items are spread over the footprint instead of being adjacent.
class RankScatter {
 public:
  explicit RankScatter(uint64_t n);  // n >= 1
  uint64_t slot(uint64_t rank) const;
  uint64_t multiplier() const { return m_a; }

 private:
  uint64_t m_n;
  uint64_t m_a;
};

// A stream of exactly cfg.accesses memory operations (each preceded by a Compute op of
// cfg.compute_cycles when that is > 0) of cfg.access_size bytes, size-aligned, inside
// [base_addr, base_addr + cfg.footprint_kib * 1024). Same (cfg, base_addr, seed) => same stream.
// Throws std::invalid_argument on an inconsistent configuration.
std::unique_ptr<OpStream> make_pattern_stream(const PatternConfig& cfg, uint64_t base_addr, uint64_t seed);

}  // namespace pc::tb
