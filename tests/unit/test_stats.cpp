// Statistics registry: values, percentiles, JSON shape, paths.
#include <gtest/gtest.h>

#include <memory>

#include "platform/core/cycle_histogram.h"
#include "platform/core/stats.h"

using namespace pc::stats;

TEST(Stats, CounterAndPaths) {
  Group root(nullptr, "stats");
  Group a(&root, "cpu");
  Group b(&a, "core0");
  Counter c(b, "reads", "accesses", "reads");
  ++c;
  c += 41;
  EXPECT_EQ(c.value(), 42u);
  EXPECT_EQ(b.path(), "stats.cpu.core0");
  EXPECT_EQ(root.to_json()["cpu"]["core0"]["reads"], 42);
  ASSERT_NE(root.find("cpu.core0.reads"), nullptr);
  EXPECT_EQ(root.find("cpu.core0.nope"), nullptr);
  std::vector<ListEntry> l;
  root.list(l);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].path, "stats.cpu.core0.reads");
  EXPECT_EQ(l[0].unit, "accesses");
  root.reset();
  EXPECT_EQ(c.value(), 0u);
}

TEST(Stats, DistributionExactForSmallValues) {
  Group root(nullptr, "stats");
  Histogram h(root, "lat", "cycles", "latency");
  for (int v = 1; v <= 100; ++v) h.sample(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.percentile(0.5), 50);
  EXPECT_EQ(h.percentile(0.9), 90);
  EXPECT_EQ(h.percentile(0.99), 99);
  EXPECT_EQ(h.max(), 100);
  const auto j = h.to_json();
  for (const char* k : {"count", "mean", "p50", "p90", "p99", "max", "buckets"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["buckets"].size(), 100u);
  EXPECT_EQ(j["p99"], 99);
}

TEST(Stats, DistributionLargeValuesWithinBucketError) {
  Group root(nullptr, "stats");
  Average a(root, "x", "ns", "x");
  a.sample(1e6, 99);
  a.sample(5e6, 1);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_LE(std::abs(a.percentile(0.5) - 1e6) / 1e6, 1.0 / 64);
  EXPECT_EQ(a.percentile(1.0), 5e6);  // clamped to max
  EXPECT_EQ(std::string(a.kind()), "average");
  // Buckets tile the line without gaps.
  for (size_t b = 1000; b < 2000; ++b)
    EXPECT_EQ(Distribution::bucket_high(b), Distribution::bucket_low(b + 1));
  for (double v : {1023.0, 1024.0, 1500.0, 65535.0, 1e9}) {
    const size_t b = Distribution::bucket_of(v);
    EXPECT_LE(Distribution::bucket_low(b), v);
    EXPECT_LT(v, Distribution::bucket_high(b));
  }
}

// Repeated samples are kept as a run until another value comes or anything reads the figures; the sum
// must come out bit for bit as separate additions give it, whole or fractional, read mid-run or not.
TEST(Stats, DistributionRunsSumAsSeparateSamples) {
  Group root(nullptr, "stats");
  Histogram h(root, "lat", "cycles", "latency");
  double sum = 0;
  uint64_t n = 0;
  auto take = [&](double v, int times) {
    for (int i = 0; i < times; ++i) {
      h.sample(v);
      sum += v;
      ++n;
    }
  };
  take(4, 1000);            // whole: one addition
  take(4.333333333, 777);   // fractional: the additions one by one
  EXPECT_EQ(h.sum(), sum);  // a read in the middle of a run
  take(4.333333333, 5);
  take(0.1, 3);
  take(9007199254740990.0, 3);  // whole, but the partial sums leave the exact range
  EXPECT_EQ(h.count(), n);
  EXPECT_EQ(h.sum(), sum);
  EXPECT_EQ(h.min(), 0.1);
  EXPECT_EQ(h.max(), 9007199254740990.0);
  EXPECT_EQ(h.to_json()["count"], n);
  h.sample(7, 2);  // a weighted sample ends the run and adds v * n once
  sum += 7.0 * 2;
  EXPECT_EQ(h.sum(), sum);
  EXPECT_EQ(h.count(), n + 2);
  h.sample(3);
  root.reset();  // a pending run is dropped with the rest
  EXPECT_EQ(h.count(), 0u);
  h.sample(5);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.sum(), 5);
}

TEST(Stats, DistributionAlternatingSamplesTakeEachOnItsOwn) {
  // Values that alternate end a run of one sample at every step (flush_run without add_repeats): the sum
  // must round as the separate additions do, and the buckets must match those of the same values taken
  // in runs (flush_run), on both sides of the exact integer range's end (1024) and for values below 0.
  Group root(nullptr, "stats");
  Histogram alt(root, "alt", "cycles", "alternating"), runs(root, "runs", "cycles", "in runs");
  const double vals[] = {0.1, 3, 1023.5, 1024, 5000.25, -2, 0, 7.75};
  double sum = 0;
  for (int i = 0; i < 300; ++i) {
    const double v = vals[i % 8];
    alt.sample(v);
    sum += v;
  }
  for (int k = 0; k < 8; ++k)
    for (int i = 0; i < 300 / 8 + (k < 300 % 8); ++i) runs.sample(vals[k]);
  EXPECT_EQ(alt.sum(), sum);
  EXPECT_EQ(alt.count(), 300u);
  EXPECT_EQ(runs.count(), 300u);
  EXPECT_EQ(alt.min(), -2);
  EXPECT_EQ(alt.max(), 5000.25);
  for (int k = 1; k <= 100; ++k) {  // (a count, not p += 0.01: that sum passes 1.0 before its last step)
    const double p = k / 100.0;
    EXPECT_EQ(alt.percentile(p), runs.percentile(p)) << p;
  }
  // 38 samples each of the first four values, 37 of the others: -2, 0 and 0.1 (bucket 0) and 3 make 150,
  // so the median is the 150th sample, in 3's bucket.
  EXPECT_EQ(alt.percentile(0.5), 3);
  EXPECT_EQ(alt.percentile(0.51), 7);  // in 7.75's bucket (the 151st to 187th samples): its lower bound
}

TEST(Stats, FormulaAndScalar) {
  Group root(nullptr, "stats");
  Counter n(root, "n", "ops", "ops");
  Scalar t(root, "t", "s", "time");
  Formula f(root, "rate", "ops/s", "rate", [&] { return static_cast<double>(n.value()) / t.value(); });
  n += 10;
  t.set(4);
  EXPECT_DOUBLE_EQ(root.to_json()["rate"].get<double>(), 2.5);
  t.set(0);
  EXPECT_TRUE(root.to_json()["rate"].is_null());  // not finite: null, never a bogus number
}

TEST(Stats, GroupsUnregisterOnDestruction) {
  Group root(nullptr, "stats");
  {
    Group g(&root, "tmp");
    Counter c(g, "c", "", "");
    EXPECT_TRUE(root.to_json().contains("tmp"));
  }
  EXPECT_FALSE(root.to_json().contains("tmp"));
}

TEST(Stats, GroupMayGoBeforeItsStats) {
  // Owners are destroyed in whatever order their members say; a stat outliving its group must not touch it.
  auto g = std::make_unique<Group>(nullptr, "stats");
  auto c = std::make_unique<Counter>(*g, "c", "", "");
  auto sub = std::make_unique<Group>(g.get(), "sub");
  g.reset();
  c.reset();
  sub.reset();
  SUCCEED();
}

// A cycle histogram (the DRAM controller's read latency) counts small samples per value: its figures must
// be those of a plain histogram given the same samples one by one, read in the middle and after a reset.
TEST(Stats, CycleHistogramMatchesHistogram) {
  Group root(nullptr, "stats");
  CycleHistogram counted(root, "counted", "tCK", "d");
  Histogram plain(root, "plain", "tCK", "d");
  uint64_t s = 7;
  auto both = [&](uint64_t v) {
    counted.sample(v);
    plain.sample(double(v));
  };
  for (int i = 0; i < 5000; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    both(i % 7 == 0 ? 1000 + (s >> 40) % 5000 : (s >> 33) % 300);  // exact buckets and above them
    if (i == 2500) {
      EXPECT_EQ(counted.to_json(), plain.to_json());
    }
  }
  EXPECT_EQ(counted.to_json(), plain.to_json());
  EXPECT_STREQ(counted.kind(), plain.kind());
  counted.reset();
  plain.reset();
  EXPECT_EQ(counted.to_json(), plain.to_json());
  for (uint64_t v : {5, 5, 0, 1023, 1024, 5}) both(v);
  EXPECT_EQ(counted.to_json(), plain.to_json());
}
