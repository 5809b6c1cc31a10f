// MMU throughput per host second: a DTLB-hit translation, a walk that hits the PDE cache (one PTE read
// through the caches), and a cold 4-reference walk (after INVLPG). One elaboration shared by all three.
#include <benchmark/benchmark.h>

#include "tests/support/mmu_rig.h"

namespace {
using namespace pc;
using namespace pc::hw::paging;

constexpr uint64_t kBase = 1ull << 30;
constexpr uint64_t kPages = 1 << 16;  // 256 MiB of address space: far beyond DTLB + STLB reach

test::MmuRig& rig() {
  static test::MmuRig* r = [] {
    test::RigOptions o;
    o.caches = true;
    auto* r = new test::MmuRig(o);  // lives until exit: SystemC allows one elaboration per process
    r->start();
    const uint64_t cr3 = r->new_space();
    const uint64_t frame = r->frames.alloc();
    for (uint64_t i = 0; i < kPages; ++i) r->map_to(cr3, kBase + i * 4096, frame, test::kUserRW | kA | kD);
    r->m().write_cr3(cr3);
    return r;
  }();
  return *r;
}

void BM_TlbHitTranslation(benchmark::State& st) {
  auto& r = rig();
  r.tr(kBase);
  uint64_t off = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(r.tr(kBase + (off & 4095)));
    off += 8;
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_TlbHitTranslation);

void BM_WalkPdeCacheHit(benchmark::State& st) {
  auto& r = rig();
  uint64_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(r.tr(kBase + (i % kPages) * 4096));
    ++i;
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_WalkPdeCacheHit);

void BM_ColdWalkAfterInvlpg(benchmark::State& st) {
  auto& r = rig();
  uint64_t i = 0;
  for (auto _ : st) {
    const uint64_t va = kBase + (i % kPages) * 4096;
    r.m().invlpg(va);  // drops the PSCs too: a 4-reference walk
    benchmark::DoNotOptimize(r.tr(va));
    ++i;
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ColdWalkAfterInvlpg);
}  // namespace
