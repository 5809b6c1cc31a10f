// Unit tests for the deterministic PRNG, the Zipf sampler and the synthetic access-pattern streams.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "testbench/workload/patterns.h"
#include "testbench/workload/rng.h"

namespace pc::tb {
namespace {

using hw::Op;
using hw::OpKind;

std::vector<Op> drain(OpStream& s) {
  std::vector<Op> ops;
  Op op;
  while (s.next(op)) ops.push_back(op);
  return ops;
}

std::vector<Op> run(const PatternConfig& cfg, uint64_t base, uint64_t seed) {
  auto s = make_pattern_stream(cfg, base, seed);
  return drain(*s);
}

PatternConfig config(Pattern p, uint64_t footprint_kib, uint64_t accesses, uint64_t size) {
  PatternConfig c;
  c.pattern = p;
  c.footprint_kib = footprint_kib;
  c.accesses = accesses;
  c.access_size = size;
  return c;
}

// |observed share - p| within 5 binomial standard deviations over n trials.
void expect_share(uint64_t hits, uint64_t n, double p, const char* what) {
  const double share = static_cast<double>(hits) / static_cast<double>(n);
  const double sigma = std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(share, p, 5 * sigma) << what;
}

// ---- Rng ----

TEST(Rng, SplitMix64ReferenceValue) {
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafull);
}

// Golden values from an independent (Python) implementation of splitmix64-seeded xoshiro256**:
// they pin the stream so a seed means the same workload on every platform.
TEST(Rng, GoldenOutputs) {
  Rng a(42);
  EXPECT_EQ(a.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(a.next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(a.next(), 0xae17533239e499a1ull);
  Rng z(0);
  EXPECT_EQ(z.next(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(z.next(), 0xbf6e1f784956452aull);
  Rng b(7);
  const uint64_t want1000[] = {700, 278, 839, 981, 990};
  for (uint64_t w : want1000) EXPECT_EQ(b.below(1000), w);
  const uint64_t want3[] = {2, 0, 0, 1, 0};
  for (uint64_t w : want3) EXPECT_EQ(b.below(3), w);
}

TEST(Rng, Uniform01IsTop53Bits) {
  Rng a(123), b(123);
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform01();
    EXPECT_EQ(u, static_cast<double>(b.next() >> 11) / 9007199254740992.0);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(Rng, BelowStaysInRangeAndIsUnbiased) {
  Rng r(5);
  EXPECT_EQ(r.below(1), 0u);
  EXPECT_EQ(r.below(0), 0u);
  for (int i = 0; i < 10000; ++i) EXPECT_LT(r.below(7), 7u);
  // n just above 2^63: half the raw draws are rejected; the result must still be < n and roughly uniform.
  const uint64_t n = (1ull << 63) + 12345;
  uint64_t upper = 0;
  const uint64_t trials = 20000;
  for (uint64_t i = 0; i < trials; ++i) {
    const uint64_t v = r.below(n);
    ASSERT_LT(v, n);
    if (v >= n / 2) ++upper;
  }
  expect_share(upper, trials, 0.5, "upper half of [0, 2^63 + 12345)");
  // Each of 6 values about 1/6 of the time.
  uint64_t counts[6] = {};
  const uint64_t m = 60000;
  for (uint64_t i = 0; i < m; ++i) ++counts[r.below(6)];
  for (uint64_t c : counts) expect_share(c, m, 1.0 / 6, "below(6)");
}

TEST(Rng, SameSeedSameStream) {
  Rng a(99), b(99), c(100);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

// ---- ZipfSampler ----

TEST(ZipfSampler, RejectsBadParameters) {
  EXPECT_THROW(ZipfSampler(0, 1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, 0.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, -1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, std::nan("")), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, INFINITY), std::invalid_argument);
}

TEST(ZipfSampler, SingleRank) {
  ZipfSampler z(1, 0.99);
  Rng r(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(z.sample(r), 1u);
}

TEST(ZipfSampler, N10S1MatchesHarmonicLaw) {
  const uint64_t n = 10, samples = 200000;
  double h10 = 0;
  for (uint64_t k = 1; k <= n; ++k) h10 += 1.0 / static_cast<double>(k);  // H(10) = 2.928968...
  ZipfSampler z(n, 1.0);
  Rng r(2024);
  std::vector<uint64_t> count(n + 1, 0);
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t k = z.sample(r);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++count[k];
  }
  expect_share(count[1], samples, 1.0 / h10, "rank 1 vs 1/H(10)");
  for (uint64_t k = 2; k <= n; ++k)
    expect_share(count[k], samples, 1.0 / (static_cast<double>(k) * h10), "rank k");
  // Non-increasing at coarse granularity: each rank against the next, and successive rank blocks.
  for (uint64_t k = 1; k < n; ++k) EXPECT_GE(count[k], count[k + 1]) << "rank " << k;
  EXPECT_GT(count[1] + count[2], count[3] + count[4]);
  EXPECT_GT(count[3] + count[4] + count[5], count[6] + count[7] + count[8]);
}

TEST(ZipfSampler, OtherExponentsMatchPmf) {
  for (double s : {0.5, 0.99, 1.5, 3.0}) {
    const uint64_t n = 50, samples = 100000;
    double norm = 0;
    for (uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -s);
    ZipfSampler z(n, s);
    Rng r(static_cast<uint64_t>(s * 1000));
    std::vector<uint64_t> count(n + 1, 0);
    for (uint64_t i = 0; i < samples; ++i) ++count[z.sample(r)];
    for (uint64_t k : {1, 2, 5, 20, 50})
      expect_share(count[k], samples, std::pow(static_cast<double>(k), -s) / norm, "zipf pmf");
  }
}

// sum_{k=1}^{n} k^-s: exact up to 10^6, then the midpoint-rule integral (error below 1e-12 here).
double zipf_norm(uint64_t n, double s) {
  const uint64_t m = n < 1000000 ? n : 1000000;
  double sum = 0;
  for (uint64_t k = m; k >= 1; --k) sum += std::pow(static_cast<double>(k), -s);
  if (n > m) {
    const double a = static_cast<double>(m) + 0.5, b = static_cast<double>(n) + 0.5;
    sum += s == 1.0 ? std::log(b / a) : (std::pow(b, 1 - s) - std::pow(a, 1 - s)) / (1 - s);
  }
  return sum;
}

TEST(ZipfSampler, HugeN) {
  const uint64_t n = 1ull << 40, samples = 100000;
  for (double s : {0.5, 1.0, 1.2}) {
    ZipfSampler z(n, s);
    Rng r(3);
    uint64_t ones = 0, low_quarter = 0;
    for (uint64_t i = 0; i < samples; ++i) {
      const uint64_t k = z.sample(r);
      ASSERT_GE(k, 1u);
      ASSERT_LE(k, n);
      ones += k == 1;
      low_quarter += k <= n / 4;
    }
    const double norm = zipf_norm(n, s);
    if (s < 1) {
      // P(1) ~ 2^-21 is too small to see; the CDF at n/4 is ~ sqrt(1/4).
      expect_share(low_quarter, samples, zipf_norm(n / 4, s) / norm, "P(k <= n/4), s = 0.5");
    } else {
      expect_share(ones, samples, 1.0 / norm, "P(1) at n = 2^40");
      expect_share(low_quarter, samples, zipf_norm(n / 4, s) / norm, "P(k <= n/4)");
    }
  }
}

// ---- RankScatter ----

TEST(RankScatter, IsABijectionThatSpreadsHotRanks) {
  for (uint64_t n : {1ull, 2ull, 3ull, 10ull, 97ull, 1000ull, 1024ull, 4096ull}) {
    RankScatter m(n);
    std::set<uint64_t> seen;
    for (uint64_t r = 1; r <= n; ++r) {
      const uint64_t s = m.slot(r);
      ASSERT_LT(s, n);
      seen.insert(s);
    }
    EXPECT_EQ(seen.size(), n) << "n=" << n;
  }
  RankScatter m(1024);
  EXPECT_EQ(m.multiplier(), 633u);  // floor(1024 * 0.618) = 632 is even; 633 is the first odd
  EXPECT_EQ(m.slot(1), 0u);
  EXPECT_EQ(m.slot(2), 633u);
  EXPECT_EQ(m.slot(3), 242u);  // 1266 mod 1024
}

// ---- pattern streams ----

TEST(Patterns, SequentialAddressesWrap) {
  auto cfg = config(Pattern::Sequential, 4, 130, 64);  // 64 slots
  cfg.read_fraction = 1.0;
  const auto ops = run(cfg, 0x100000, 1);
  ASSERT_EQ(ops.size(), 130u);
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].vaddr, 0x100000 + (i % 64) * 64) << i;
    EXPECT_EQ(ops[i].size, 64);
    EXPECT_EQ(ops[i].kind, OpKind::Read);
    EXPECT_EQ(ops[i].wdata, nullptr);
  }
}

TEST(Patterns, ComputeOpsInterleave) {
  auto cfg = config(Pattern::Sequential, 4, 10, 8);
  cfg.compute_cycles = 17;
  const auto ops = run(cfg, 0, 1);
  ASSERT_EQ(ops.size(), 20u);
  for (size_t i = 0; i < ops.size(); i += 2) {
    EXPECT_EQ(ops[i].kind, OpKind::Compute);
    EXPECT_EQ(ops[i].cycles, 17u);
    EXPECT_NE(ops[i + 1].kind, OpKind::Compute);
    EXPECT_EQ(ops[i + 1].vaddr, i / 2 * 8);
  }
}

TEST(Patterns, ZeroAccessesIsEmpty) {
  auto cfg = config(Pattern::Zipf, 4, 0, 8);
  cfg.compute_cycles = 5;
  EXPECT_TRUE(run(cfg, 0, 1).empty());
}

TEST(Patterns, StridedShiftsOneAccessPerLap) {
  // F = 4096, stride 1024: the walk 0, 1024, 2048, 3072 returns to 0 after 4 steps; each lap is shifted
  // by 8 bytes, so the first 512 accesses visit each of the 512 slots exactly once.
  auto cfg = config(Pattern::Strided, 4, 2048 + 2, 8);
  cfg.stride = 1024;
  const auto ops = run(cfg, 0x40000, 1);
  ASSERT_EQ(ops.size(), 2050u);
  const uint64_t want[] = {0, 1024, 2048, 3072, 8, 1032, 2056, 3080, 16, 1040};
  for (size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(ops[i].vaddr - 0x40000, want[i]) << i;
  std::set<uint64_t> first;
  for (size_t i = 0; i < 512; ++i) first.insert(ops[i].vaddr);
  EXPECT_EQ(first.size(), 512u);
  EXPECT_EQ(ops[511].vaddr - 0x40000, 3072u + 127 * 8);
  // Lap 128 shifts by 1024 bytes: the walk starts again at offset 1024 (mod 4096).
  EXPECT_EQ(ops[512].vaddr - 0x40000, 1024u);
  EXPECT_EQ(ops[513].vaddr - 0x40000, 2048u);
  // After 512 laps (2048 accesses, each slot 4 times) the shift is back to 0 and the pattern repeats.
  EXPECT_EQ(ops[1024].vaddr - 0x40000, 2048u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(ops[2048 + i].vaddr, ops[i].vaddr);
  std::map<uint64_t, int> visits;
  for (size_t i = 0; i < 2048; ++i) ++visits[ops[i].vaddr];
  EXPECT_EQ(visits.size(), 512u);
  for (const auto& [addr, n] : visits) EXPECT_EQ(n, 4) << addr;
}

TEST(Patterns, StridedNotAMultipleOfSize) {
  // stride 24, size 16, F = 4096: gcd(24, 4096) = 8, so a lap is 512 steps; offsets round down to 16.
  auto cfg = config(Pattern::Strided, 4, 600, 16);
  cfg.stride = 24;
  const auto ops = run(cfg, 0, 9);
  const uint64_t want[] = {0, 16, 48, 64, 96, 112, 144};
  for (size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(ops[i].vaddr, want[i]) << i;
  EXPECT_EQ(ops[511].vaddr, 4064u);  // 511 * 24 mod 4096 = 4072 -> 4064
  EXPECT_EQ(ops[512].vaddr, 16u);    // lap 1: shifted by 16
  EXPECT_EQ(ops[513].vaddr, 32u);    // 24 -> 16, + 16
  std::set<uint64_t> lap0;
  for (size_t i = 0; i < 512; ++i) lap0.insert(ops[i].vaddr);
  EXPECT_EQ(lap0.size(), 256u);  // every 16-byte slot already in the first lap
}

TEST(Patterns, StridedStrideEqualToFootprintBecomesSequential) {
  auto cfg = config(Pattern::Strided, 4, 70, 64);
  cfg.stride = 4096 * 3;
  const auto ops = run(cfg, 0, 1);
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(ops[i].vaddr, (i % 64) * 64) << i;
}

TEST(Patterns, EveryAddressInRangeAndAligned) {
  const Pattern all[] = {Pattern::Sequential, Pattern::Strided, Pattern::Random, Pattern::Zipf,
                         Pattern::HotCold};
  for (Pattern p : all) {
    for (uint64_t size : {1, 8, 64}) {
      auto cfg = config(p, 12, 20000, size);  // 12 KiB: not a power of two
      cfg.stride = 1000;
      cfg.zipf_s = 0.9;
      const uint64_t base = 0x7f0000000000;
      const auto ops = run(cfg, base, 77);
      ASSERT_EQ(ops.size(), 20000u);
      for (const Op& op : ops) {
        ASSERT_TRUE(op.kind == OpKind::Read || op.kind == OpKind::Write);
        ASSERT_EQ(op.size, size);
        ASSERT_GE(op.vaddr, base);
        ASSERT_LE(op.vaddr + size, base + 12 * 1024);
        ASSERT_EQ(op.vaddr % size, 0u);
      }
    }
  }
}

TEST(Patterns, ReadFractionWithinFiveSigma) {
  auto cfg = config(Pattern::Random, 1024, 100000, 8);
  cfg.read_fraction = 0.7;
  const auto ops = run(cfg, 0, 31337);
  uint64_t reads = 0;
  for (const Op& op : ops) reads += op.kind == OpKind::Read;
  expect_share(reads, ops.size(), 0.7, "read fraction");
  cfg.read_fraction = 0.0;
  for (const Op& op : run(cfg, 0, 1)) ASSERT_EQ(op.kind, OpKind::Write);
  cfg.read_fraction = 1.0;
  for (const Op& op : run(cfg, 0, 1)) ASSERT_EQ(op.kind, OpKind::Read);
}

TEST(Patterns, AddressesDoNotDependOnReadFraction) {
  auto cfg = config(Pattern::Zipf, 256, 5000, 8);
  cfg.read_fraction = 0.2;
  const auto a = run(cfg, 0, 4);
  cfg.read_fraction = 0.9;
  const auto b = run(cfg, 0, 4);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i].vaddr, b[i].vaddr) << i;
}

TEST(Patterns, SameSeedSameStreamDifferentSeedDifferent) {
  for (Pattern p : {Pattern::Random, Pattern::Zipf, Pattern::HotCold, Pattern::Sequential}) {
    auto cfg = config(p, 64, 10000, 8);
    const auto a = run(cfg, 0x1000, 11);
    const auto b = run(cfg, 0x1000, 11);
    const auto c = run(cfg, 0x1000, 12);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), c.size());
    bool differs = false;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].vaddr, b[i].vaddr);
      ASSERT_EQ(a[i].kind, b[i].kind);
      differs |= a[i].vaddr != c[i].vaddr || a[i].kind != c[i].kind;
    }
    EXPECT_TRUE(differs) << static_cast<int>(p);
  }
}

TEST(Patterns, RandomCoversAllSlotsUniformly) {
  auto cfg = config(Pattern::Random, 4, 64000, 64);  // 64 slots, ~1000 hits each
  const auto ops = run(cfg, 0, 8);
  std::vector<uint64_t> count(64, 0);
  for (const Op& op : ops) ++count[op.vaddr / 64];
  for (uint64_t c : count) expect_share(c, ops.size(), 1.0 / 64, "random slot");
}

TEST(Patterns, ZipfHottestSlotIsTheScatteredRankOne) {
  const uint64_t n = 1024;
  auto cfg = config(Pattern::Zipf, 64, 100000, 64);  // 1024 slots
  cfg.zipf_s = 1.0;
  const auto ops = run(cfg, 0, 21);
  std::vector<uint64_t> count(n, 0);
  for (const Op& op : ops) ++count[op.vaddr / 64];
  double hn = 0;
  for (uint64_t k = 1; k <= n; ++k) hn += 1.0 / static_cast<double>(k);
  RankScatter m(n);
  expect_share(count[m.slot(1)], ops.size(), 1.0 / hn, "rank 1 slot");
  expect_share(count[m.slot(2)], ops.size(), 0.5 / hn, "rank 2 slot");
  // The two hottest slots are not neighbours.
  const uint64_t d = m.slot(1) > m.slot(2) ? m.slot(1) - m.slot(2) : m.slot(2) - m.slot(1);
  EXPECT_GT(d, n / 4);
}

TEST(Patterns, HotColdShareWithinFiveSigma) {
  auto cfg = config(Pattern::HotCold, 64, 100000, 64);  // 1024 slots, hot = ceil(102.4) = 103
  cfg.hot_fraction = 0.1;
  cfg.hot_access_fraction = 0.9;
  const auto ops = run(cfg, 0x200000, 5);
  uint64_t hot = 0;
  std::set<uint64_t> hot_slots_seen;
  for (const Op& op : ops) {
    const uint64_t slot = (op.vaddr - 0x200000) / 64;
    if (slot < 103) {
      ++hot;
      hot_slots_seen.insert(slot);
    }
  }
  expect_share(hot, ops.size(), 0.9, "hot share");
  EXPECT_EQ(hot_slots_seen.size(), 103u);  // slot 102 is hot, all hot slots used
}

TEST(Patterns, HotColdAllHotWhenColdSetEmpty) {
  auto cfg = config(Pattern::HotCold, 4, 5000, 64);
  cfg.hot_fraction = 1.0;
  cfg.hot_access_fraction = 0.0;  // would always pick cold, but there is none
  const auto ops = run(cfg, 0, 5);
  ASSERT_EQ(ops.size(), 5000u);
  for (const Op& op : ops) ASSERT_LT(op.vaddr, 4096u);
}

TEST(Patterns, HotSetIsAtLeastOneSlot) {
  auto cfg = config(Pattern::HotCold, 4, 10000, 64);  // 64 slots; 0.0001 * 64 rounds up to 1
  cfg.hot_fraction = 0.0001;
  cfg.hot_access_fraction = 0.5;
  uint64_t slot0 = 0;
  const auto ops = run(cfg, 0, 5);
  for (const Op& op : ops) slot0 += op.vaddr == 0;
  // Slot 0 gets the hot half of the accesses (the cold ones never reach it).
  expect_share(slot0, ops.size(), 0.5, "single hot slot");
}

TEST(Patterns, InvalidConfigurationsThrow) {
  auto bad = [](PatternConfig c, uint64_t base = 0) {
    EXPECT_THROW(make_pattern_stream(c, base, 1), std::invalid_argument);
  };
  PatternConfig c = config(Pattern::Random, 4, 10, 8);
  c.access_size = 3;
  bad(c);
  c.access_size = 0;
  bad(c);
  c.access_size = 128;
  bad(c);
  c = config(Pattern::Random, 0, 10, 8);  // footprint smaller than an access
  bad(c);
  c = config(Pattern::Random, 4, 10, 8);
  bad(c, 4);                   // misaligned base
  bad(c, (~0ull - 4095) + 8);  // footprint runs past 2^64
  c.read_fraction = 1.5;
  bad(c);
  c = config(Pattern::Strided, 4, 10, 8);
  c.stride = 0;
  bad(c);
  c = config(Pattern::Zipf, 4, 10, 8);
  c.zipf_s = 0;
  bad(c);
  c = config(Pattern::HotCold, 4, 10, 8);
  c.hot_fraction = 0;
  bad(c);
  c.hot_fraction = 0.5;
  c.hot_access_fraction = -0.1;
  bad(c);
  try {
    make_pattern_stream(config(Pattern::Random, 4, 10, 24), 0, 1);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "workload pattern 'random': access_size 24 is not a power of two in [1, 64]");
  }
  // The top footprint that still fits is fine.
  EXPECT_NO_THROW(make_pattern_stream(config(Pattern::Random, 4, 10, 8), ~0ull - 4095, 1));
}

TEST(Patterns, BatchesDrawTheSameOpsAsOneAtATime) {
  // next_batch() has its own loops for some patterns (the generator's state in locals): every pattern,
  // with and without compute ops, gives the ops next() gives, whatever the batch sizes.
  for (Pattern p :
       {Pattern::Sequential, Pattern::Random, Pattern::Zipf, Pattern::HotCold, Pattern::Strided}) {
    for (uint64_t compute : {uint64_t{0}, uint64_t{3}}) {
      PatternConfig c = config(p, 64, 5000, 8);
      c.compute_cycles = compute;
      c.read_fraction = 0.7;
      c.stride = 200;
      const std::vector<Op> want = run(c, 4096, 11);
      auto s = make_pattern_stream(c, 4096, 11);
      std::vector<Op> got;
      std::vector<Op> buf(97);
      for (size_t k = 1;; k = (k + 12) % 97 + 1) {  // batch sizes 1, 14, 27, ... (1..97)
        size_t filled = 0;
        const bool full = s->next_batch(buf.data(), k, filled);
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(filled));
        if (!full) break;
      }
      ASSERT_EQ(got.size(), want.size()) << "pattern " << static_cast<int>(p) << " compute " << compute;
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].kind, want[i].kind) << "pattern " << static_cast<int>(p) << " op " << i;
        ASSERT_EQ(got[i].vaddr, want[i].vaddr) << "pattern " << static_cast<int>(p) << " op " << i;
        ASSERT_EQ(got[i].size, want[i].size) << "pattern " << static_cast<int>(p) << " op " << i;
        ASSERT_EQ(got[i].cycles, want[i].cycles) << "pattern " << static_cast<int>(p) << " op " << i;
      }
    }
  }
}

}  // namespace
}  // namespace pc::tb
