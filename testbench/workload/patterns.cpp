// Synthetic workload generators: sequential, strided, random, Zipf and hot/cold address patterns.
#include "testbench/workload/patterns.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>

namespace pc::tb {

namespace {

// a * b mod n for a, b < n.
uint64_t mul_mod(uint64_t a, uint64_t b, uint64_t n) {
#ifdef __SIZEOF_INT128__
  __extension__ typedef unsigned __int128 U128;
  return static_cast<uint64_t>(static_cast<U128>(a) * b % n);
#else
  uint64_t r = 0;
  a %= n;
  for (; b != 0; b >>= 1) {
    if (b & 1) r = (r >= n - a) ? r - (n - a) : r + a;
    a = (a >= n - a) ? a - (n - a) : a + a;
  }
  return r;
#endif
}

// log1p(x) / x, continuous at 0.
double helper1(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double helper2(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1 + x * 0.5 * (1 + x * (1.0 / 3.0) * (1 + 0.25 * x));
}

const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Sequential:
      return "sequential";
    case Pattern::Strided:
      return "strided";
    case Pattern::Random:
      return "random";
    case Pattern::Zipf:
      return "zipf";
    case Pattern::HotCold:
      return "hotcold";
  }
  return "?";
}

[[noreturn]] void invalid(const PatternConfig& cfg, const std::string& what) {
  throw std::invalid_argument(std::string("workload pattern '") + pattern_name(cfg.pattern) + "': " + what);
}

// In [0, 1]; false for NaN.
bool is_fraction(double x) {
  return x >= 0.0 && x <= 1.0;
}

class PatternStream final : public OpStream {
 public:
  PatternStream(const PatternConfig& cfg, uint64_t base_addr, uint64_t seed)
      : m_pattern(cfg.pattern),
        m_base(base_addr),
        m_size(cfg.access_size),
        m_footprint(cfg.footprint_kib * 1024),
        m_slots(m_footprint / cfg.access_size),
        m_accesses(cfg.accesses),
        m_compute_cycles(cfg.compute_cycles),
        m_read_fraction(cfg.read_fraction),
        m_hot_access_fraction(cfg.hot_access_fraction),
        m_rng(seed) {
    switch (m_pattern) {
      case Pattern::Strided: {
        m_stride = cfg.stride % m_footprint;
        // The byte walk i*stride mod F first repeats (at offset 0) after F / gcd(stride, F) steps.
        m_cycle = m_stride == 0 ? 1 : m_footprint / std::gcd(m_stride, m_footprint);
        break;
      }
      case Pattern::Zipf:
        m_zipf.emplace(m_slots, cfg.zipf_s);
        m_scatter.emplace(m_slots);
        break;
      case Pattern::HotCold: {
        const double hot = std::ceil(cfg.hot_fraction * static_cast<double>(m_slots));
        m_hot_slots = hot < 1.0                             ? 1
                      : hot >= static_cast<double>(m_slots) ? m_slots
                                                            : static_cast<uint64_t>(hot);
        break;
      }
      case Pattern::Sequential:
      case Pattern::Random:
        break;
    }
  }

  bool next(hw::Op& op) override {
    if (m_issued == m_accesses) return false;
    hw::clear_op(op);
    if (m_compute_cycles != 0 && !m_compute_emitted) {
      op.kind = hw::OpKind::Compute;
      op.cycles = m_compute_cycles;
      m_compute_emitted = true;
      return true;
    }
    m_compute_emitted = false;
    // Address first, then the kind: both consume a fixed number of draws per pattern, so the address
    // sequence does not depend on read_fraction.
    const uint64_t offset = next_offset();
    make_access(op, m_rng, m_read_fraction, static_cast<uint8_t>(m_size), m_base + offset);
    ++m_issued;
    return true;
  }
  bool next_batch(hw::Op* ops, size_t n, size_t& filled) override {
    // Sequential, random and Zipf streams without compute ops: the same draws as next(), with the generator's
    // state in locals (the compiler keeps it in registers instead of reloading it after every op store).
    if (m_compute_cycles == 0 && m_pattern == Pattern::Sequential)
      return fill_batch(ops, n, filled,
                        [this](Rng&, uint64_t& seq) { return seq_step(seq, m_size, m_footprint); });
    if (m_compute_cycles == 0 && m_pattern == Pattern::Random)
      return fill_batch(ops, n, filled, [this](Rng& rng, uint64_t&) { return rng.below(m_slots) * m_size; });
    if (m_compute_cycles == 0 && m_pattern == Pattern::Zipf)
      return fill_batch(ops, n, filled, [this](Rng& rng, uint64_t&) {
        return m_scatter->slot(m_zipf->sample(rng)) * m_size;
      });
    for (; filled < n; ++filled)
      if (!next(ops[filled])) return false;  // next() clears the op itself
    return true;
  }

 private:
  // next_batch() of a stream without compute ops, `offset(rng, seq)` drawing next_offset()'s offset.
  template <class Offset>
  bool fill_batch(hw::Op* ops, size_t n, size_t& filled, Offset offset) {
    Rng rng = m_rng;
    uint64_t seq = m_seq, issued = m_issued;
    const uint64_t accesses = m_accesses, base = m_base;
    const double read_fraction = m_read_fraction;
    const auto size = static_cast<uint8_t>(m_size);
    size_t i = filled;
    for (; i < n && issued != accesses; ++i) {
      hw::Op& op = ops[i];
      hw::clear_op(op);
      const uint64_t off = offset(rng, seq);
      make_access(op, rng, read_fraction, size, base + off);
      ++issued;
    }
    m_rng = rng;
    m_seq = seq;
    m_issued = issued;
    filled = i;
    return i == n;
  }

  // The sequential walk's offset, moving `seq` on by one access (wrapping at the footprint).
  static uint64_t seq_step(uint64_t& seq, uint64_t size, uint64_t footprint) {
    const uint64_t off = seq;
    seq += size;
    if (seq == footprint) seq = 0;
    return off;
  }
  // An access at `vaddr`; its kind is drawn after the address (see next()).
  static void make_access(hw::Op& op, Rng& rng, double read_fraction, uint8_t size, uint64_t vaddr) {
    op.kind = rng.uniform01() < read_fraction ? hw::OpKind::Read : hw::OpKind::Write;
    op.size = size;
    op.vaddr = vaddr;
  }
  uint64_t next_offset() {
    switch (m_pattern) {
      case Pattern::Sequential:
        return seq_step(m_seq, m_size, m_footprint);
      case Pattern::Strided: {
        // Access i of lap l (a lap is the m_cycle steps until the byte walk j*stride mod F returns to
        // 0) is at offset (align_down(j*stride mod F, size) + l*size) mod F. Each lap is the previous one
        // shifted by one access: the walk's points are g = gcd(stride, F) apart, so after ceil(g/size)
        // laps every slot has been visited.
        uint64_t off = (m_walk & ~(m_size - 1)) + m_shift;
        if (off >= m_footprint) off -= m_footprint;
        m_walk += m_stride;
        if (m_walk >= m_footprint) m_walk -= m_footprint;
        if (++m_step == m_cycle) {
          m_step = 0;
          m_walk = 0;
          m_shift += m_size;
          if (m_shift == m_footprint) m_shift = 0;
        }
        return off;
      }
      case Pattern::Random:
        return m_rng.below(m_slots) * m_size;
      case Pattern::Zipf:
        return m_scatter->slot(m_zipf->sample(m_rng)) * m_size;
      case Pattern::HotCold: {
        const bool hot = m_rng.uniform01() < m_hot_access_fraction;
        const uint64_t cold_slots = m_slots - m_hot_slots;
        const uint64_t slot =
            (hot || cold_slots == 0) ? m_rng.below(m_hot_slots) : m_hot_slots + m_rng.below(cold_slots);
        return slot * m_size;
      }
    }
    return 0;
  }

  Pattern m_pattern;
  uint64_t m_base;
  uint64_t m_size;
  uint64_t m_footprint;  // bytes
  uint64_t m_slots;      // m_footprint / m_size
  uint64_t m_accesses;
  uint64_t m_compute_cycles;
  double m_read_fraction;
  double m_hot_access_fraction;
  Rng m_rng;

  uint64_t m_issued = 0;
  bool m_compute_emitted = false;

  uint64_t m_seq = 0;  // sequential: next offset

  uint64_t m_stride = 0;  // strided: stride mod footprint
  uint64_t m_cycle = 1;   // strided: steps per lap
  uint64_t m_walk = 0;    // strided: j*stride mod footprint
  uint64_t m_step = 0;    // strided: j
  uint64_t m_shift = 0;   // strided: lap * size mod footprint

  std::optional<ZipfSampler> m_zipf;
  std::optional<RankScatter> m_scatter;

  uint64_t m_hot_slots = 1;
};

void validate(const PatternConfig& cfg, uint64_t base_addr) {
  const uint64_t size = cfg.access_size;
  if (size == 0 || size > hw::kMaxAccessBytes || (size & (size - 1)) != 0)
    invalid(cfg, "access_size " + std::to_string(size) + " is not a power of two in [1, " +
                     std::to_string(hw::kMaxAccessBytes) + "]");
  if (cfg.footprint_kib > std::numeric_limits<uint64_t>::max() / 1024)
    invalid(cfg, "footprint_kib " + std::to_string(cfg.footprint_kib) + " overflows a 64-bit byte count");
  const uint64_t footprint = cfg.footprint_kib * 1024;
  if (footprint < size)
    invalid(cfg, "footprint of " + std::to_string(footprint) + " bytes is smaller than access_size " +
                     std::to_string(size));
  if (base_addr % size != 0)
    invalid(cfg, "base address " + std::to_string(base_addr) + " is not a multiple of access_size " +
                     std::to_string(size));
  if (base_addr > std::numeric_limits<uint64_t>::max() - (footprint - 1))
    invalid(cfg, "footprint of " + std::to_string(footprint) + " bytes at base address " +
                     std::to_string(base_addr) + " wraps the address space");
  if (!is_fraction(cfg.read_fraction))
    invalid(cfg, "read_fraction " + std::to_string(cfg.read_fraction) + " is outside [0, 1]");
  switch (cfg.pattern) {
    case Pattern::Strided:
      if (cfg.stride == 0) invalid(cfg, "stride must be at least 1 byte");
      break;
    case Pattern::Zipf:
      if (!(cfg.zipf_s > 0.0) || !std::isfinite(cfg.zipf_s))
        invalid(cfg, "zipf_s " + std::to_string(cfg.zipf_s) + " must be finite and > 0");
      break;
    case Pattern::HotCold:
      if (!(cfg.hot_fraction > 0.0 && cfg.hot_fraction <= 1.0))
        invalid(cfg, "hot_fraction " + std::to_string(cfg.hot_fraction) + " is outside (0, 1]");
      if (!is_fraction(cfg.hot_access_fraction))
        invalid(cfg, "hot_access_fraction " + std::to_string(cfg.hot_access_fraction) + " is outside [0, 1]");
      break;
    case Pattern::Sequential:
    case Pattern::Random:
      break;
  }
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double s) : m_n(n), m_s(s) {
  if (n == 0) throw std::invalid_argument("ZipfSampler: n must be at least 1");
  if (!(s > 0.0) || !std::isfinite(s))
    throw std::invalid_argument("ZipfSampler: exponent s=" + std::to_string(s) + " must be finite and > 0");
  m_h_integral_x1 = h_integral(1.5) - 1.0;
  m_h_integral_n = h_integral(static_cast<double>(n) + 0.5);
  m_accept_width = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

// h(x) = x^-s, the continuous density that dominates P(k) ~ k^-s.
double ZipfSampler::h(double x) const {
  return std::exp(-m_s * std::log(x));
}

// H(x) = (x^(1-s) - 1) / (1-s), an antiderivative of h; log(x) at s == 1 (the helpers keep it continuous).
double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return helper2((1.0 - m_s) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1.0 - m_s);
  if (t < -1.0) t = -1.0;  // rounding can push t just below the domain of log1p
  return std::exp(helper1(t) * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  const double n = static_cast<double>(m_n);
  for (;;) {
    // u is uniform in (H(1.5) - 1, H(n + 0.5)]; x = H^-1(u) has density h on [0.5, n + 0.5] (roughly).
    const double u = m_h_integral_n + rng.uniform01() * (m_h_integral_x1 - m_h_integral_n);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (!(k >= 1.0)) k = 1.0;  // also catches NaN
    if (k > n) k = n;
    // Accept k when u falls under the area assigned to k, i.e. u >= H(k + 0.5) - h(k); the cheap first
    // test covers most samples.
    if (k - x <= m_accept_width || u >= h_integral(k + 0.5) - h(k)) return static_cast<uint64_t>(k);
  }
}

RankScatter::RankScatter(uint64_t n) : m_n(n) {
  if (n == 0) throw std::invalid_argument("RankScatter: n must be at least 1");
  uint64_t a = static_cast<uint64_t>(static_cast<double>(n) * 0.6180339887498949);
  if (a == 0) a = 1;
  while (std::gcd(a, n) != 1) {
    if (++a >= n) a = 1;
  }
  m_a = a;
}

uint64_t RankScatter::slot(uint64_t rank) const {
  return mul_mod(m_a % m_n, (rank - 1) % m_n, m_n);
}

std::unique_ptr<OpStream> make_pattern_stream(const PatternConfig& cfg, uint64_t base_addr, uint64_t seed) {
  validate(cfg, base_addr);
  return std::make_unique<PatternStream>(cfg, base_addr, seed);
}

}  // namespace pc::tb
