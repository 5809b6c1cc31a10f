// Microbenchmarks of the per-access building blocks: backing store, stats, workload generation.
#include <benchmark/benchmark.h>

#include "models/mem/backing_store.h"
#include "platform/core/stats.h"
#include "testbench/workload/patterns.h"

static void BM_BackingStoreRead8(benchmark::State& st) {
  pc::mem::BackingStore s(1ull << 30);
  uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (uint64_t a = 0; a < (64 << 20); a += 4096) s.write(a, buf, 8);
  uint64_t a = 0;
  for (auto _ : st) {
    s.read(a, buf, 8);
    benchmark::DoNotOptimize(buf);
    a = (a + 4104) & ((64 << 20) - 1);
  }
}
BENCHMARK(BM_BackingStoreRead8);

static void BM_HistogramSample(benchmark::State& st) {
  pc::stats::Group g(nullptr, "stats");
  pc::stats::Histogram h(g, "h", "cycles", "");
  double v = 1;
  for (auto _ : st) {
    h.sample(v);
    v = v * 1.7 + 3;
    if (v > 1e7) v = 1;
  }
}
BENCHMARK(BM_HistogramSample);

static void BM_PatternNext(benchmark::State& st) {
  pc::tb::PatternConfig c;
  c.pattern = static_cast<pc::tb::Pattern>(st.range(0));
  c.accesses = 1ull << 40;
  auto s = pc::tb::make_pattern_stream(c, 0, 1);
  pc::hw::Op op;
  for (auto _ : st) {
    s->next(op);
    benchmark::DoNotOptimize(op);
  }
}
BENCHMARK(BM_PatternNext)->DenseRange(0, 4);
