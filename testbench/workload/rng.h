// Deterministic pseudo-random numbers for the workload generators: xoshiro256** seeded by splitmix64.
// Integer arithmetic only, so a seed gives bit-identical results on every platform and standard library.
#pragma once

#include <cstdint>

namespace pc::tb {

// A stateless 64-bit mix (one splitmix64 output for state `x`): hashes for data patterns and seeds.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// One step of splitmix64: advances `state` and returns the next output.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// High 64 bits of the 128-bit product a * b.
inline uint64_t mul_hi64(uint64_t a, uint64_t b, uint64_t& lo) {
#ifdef __SIZEOF_INT128__
  __extension__ typedef unsigned __int128 U128;
  const U128 m = static_cast<U128>(a) * b;
  lo = static_cast<uint64_t>(m);
  return static_cast<uint64_t>(m >> 64);
#else
  const uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
  const uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
  const uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  lo = (mid << 32) | (ll & 0xffffffffu);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& w : m_s) w = splitmix64(sm);  // never all zero: splitmix64 is a bijection per step
  }

  uint64_t next() {
    const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
  }

  // Uniform in [0, n) without bias (Lemire, "Fast random integer generation in an interval", 2019).
  // below(0) returns 0.
  uint64_t below(uint64_t n) {
    uint64_t lo;
    uint64_t hi = mul_hi64(next(), n, lo);
    if (lo < n) {
      const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the low products that would bias the result
      while (lo < threshold) hi = mul_hi64(next(), n, lo);
    }
    return hi;
  }

  // Uniform in [0, 1) on the 2^-53 grid.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t m_s[4];
};

}  // namespace pc::tb
