// Microbenchmarks of the disk media's scheduling and timing: one queued command dispatched per
// iteration (HDD SPTF over a 32-deep queue, SSD die-parallel reads), and the sector store.
#include <benchmark/benchmark.h>

#include "models/disk/hdd_media.h"
#include "models/disk/sector_store.h"
#include "models/disk/ssd_media.h"

using namespace pc::disk;

static void BM_HddSptfDispatchQueue32(benchmark::State& st) {
  pc::stats::Group g(nullptr, "stats");
  HddMedia hdd(HddConfig{}, g);
  uint64_t x = 1, t = 0;
  auto next = [&] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 20; };
  for (unsigned i = 0; i < 32; ++i) hdd.enqueue({i, false, next() % (hdd.capacity_sectors() - 8), 8, 0});
  MediaResult r;
  for (auto _ : st) {
    if (!hdd.dispatch(t, r)) continue;
    t = r.finish;
    hdd.enqueue({r.slot, false, next() % (hdd.capacity_sectors() - 8), 8, t});
  }
}
BENCHMARK(BM_HddSptfDispatchQueue32);

static void BM_SsdRandomReadDispatch(benchmark::State& st) {
  pc::stats::Group g(nullptr, "stats");
  SsdMedia ssd(SsdConfig{}, g);
  uint64_t x = 1, t = 0;
  MediaResult r;
  for (auto _ : st) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    ssd.enqueue({0, false, ((x >> 20) % ssd.logical_pages()) * ssd.page_sectors(), 8, t});
    ssd.dispatch(t, r);
    t += 1000000000;  // 1 us apart
  }
}
BENCHMARK(BM_SsdRandomReadDispatch);

static void BM_SectorStoreWrite4K(benchmark::State& st) {
  SectorStore s(1ull << 30);
  std::vector<uint8_t> buf(4096, 7);
  uint64_t lba = 0;
  for (auto _ : st) {
    s.write(lba, 8, buf.data());
    lba = (lba + 8) & ((1 << 20) - 1);
  }
}
BENCHMARK(BM_SectorStoreWrite4K);
