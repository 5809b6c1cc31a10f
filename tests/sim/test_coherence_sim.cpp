// The coherent memory path: the kernel's loads and stores go through the caches of the core it runs on
// and stream a page through the line fill buffers; DMA snoops every cache (a dirty line is written back
// before a DMA read uses it or a partial DMA write merges into it; a DMA write drops every copy); a line
// another core writes is written back if dirty rather than dropped; and a dirty LLC victim's writeback
// never makes a core's delay wrap below zero (a random-write run on DDR with the check always on).
#include <gtest/gtest.h>

#include "kernel_model/hal/kernel_bus.h"
#include "models/dram/dram_controller.h"
#include "models/dram/lt_adapter.h"
#include "tests/support/mmu_rig.h"
#include "tests/support/soc_helpers.h"

using namespace pc;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

// Two cores with caches over the rig's fixed memory (100 cycles at 1 GHz, no bandwidth limit); a kernel
// bus whose port 0 runs on core 0, port 1 on core 1; a DMA master behind CoherentDma.
struct CoherenceRig {
  explicit CoherenceRig(uint64_t fill_buffers, uint64_t llc_kib = 8192, uint64_t llc_ways = 16)
      : r(opts(fill_buffers, llc_kib, llc_ways)), kbus("kbus", r.root), dma_port("dma"),
        snoop("dma_snoop", *r.llc, 64, r.root) {
    kbus.mem_isock.bind(r.caches[0]->tsock);
    kbus.mem_isock.bind(r.caches[1]->tsock);
    dma_port.isock.bind(snoop.tsock);
    snoop.isock.bind(r.router.tsock);
    r.start();
  }
  static test::RigOptions opts(uint64_t fill_buffers, uint64_t llc_kib, uint64_t llc_ways) {
    test::RigOptions o;
    o.caches = true;
    o.cores = 2;
    o.cache_cfg.line_fill_buffers = fill_buffers;
    o.cache_cfg.llc.size_kib = llc_kib;
    o.cache_cfg.llc.ways = llc_ways;
    return o;
  }
  // One DMA transaction (as the disk controller's engine issues them); returns its delay.
  sc_time dma(bool write, uint64_t addr, uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload gp;
    AccessExt ext;
    ext.requester = Requester::Dma;
    prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
    gp.set_extension(&ext);
    sc_time d = SC_ZERO_TIME;
    dma_port.isock->b_transport(gp, d);
    gp.clear_extension(&ext);
    EXPECT_TRUE(gp.is_response_ok());
    return d;
  }
  uint64_t cnt(const std::string& p, unsigned core) { return r.cnt(p, core); }
  uint64_t root_stat(const std::string& p) { return static_cast<uint64_t>(r.stat(p)); }

  test::MmuRig r;
  kernel::KernelBus kbus;
  test::WalkPort dma_port;
  cache::CoherentDma snoop;
};

// clear_page of a cold page: 64 line misses. Lines issue every 4 cycles (64 bytes at 16 bytes a cycle);
// each miss holds one of N fill buffers for its LLC lookup (40) + memory (100) = 140 cycles. Line i of
// round r = i / N issues at 140 r + 4 (i mod N) (N x 4 <= 140), so the last line (63) completes at
// 140 floor(63/N) + 4 (63 mod N) + 140.
uint64_t clear_page_cycles(uint64_t n) { return 140 * (63 / n) + 4 * (63 % n) + 140; }

void clear_page_streams(uint64_t buffers) {
  CoherenceRig c(buffers);
  kernel::BusCtx b{0, SC_ZERO_TIME};
  c.kbus.zero_page(0x100000, b);
  EXPECT_EQ(b.delay, c.r.clk.cycles(clear_page_cycles(buffers)));
  // The kernel's traffic is in core 0's cache stats, and only there.
  EXPECT_EQ(c.cnt("l1d.kernel_lines", 0), 64u);
  EXPECT_EQ(c.cnt("l1d.misses", 0), 64u);
  EXPECT_EQ(c.cnt("l1d.kernel_lines", 1), 0u);
  EXPECT_EQ(c.root_stat("mem.reads"), 64u);  // every line was filled (read for ownership)
  // Cached now: copying the page to another cold page on core 0 reads 64 L1 hits (4 cycles each,
  // issued 4 cycles apart: the last completes at 63 x 4 + 4) and writes 64 cold lines.
  b.delay = SC_ZERO_TIME;
  c.kbus.copy_page(0x200000, 0x100000, b);
  EXPECT_EQ(b.delay, c.r.clk.cycles(63 * 4 + 4 + clear_page_cycles(buffers)));
  EXPECT_EQ(c.cnt("l1d.kernel_lines", 0), 3u * 64);
}

}  // namespace

TEST(CoherenceSim, PageClearStreamsThroughTenFillBuffers) { clear_page_streams(10); }
TEST(CoherenceSim, PageClearWithOneFillBufferIsSerialized) { clear_page_streams(1); }

// On DDR the fills overlap through the fill buffers' worker threads (the adapter waits inside each fill):
// a page clear on a core with ten buffers takes a fraction of the time it takes with one, the misses
// really are in the controller's queue together, and the bytes are right.
TEST(CoherenceSim, PageClearOnDdrOverlapsItsMisses) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(64ull << 20);
  dram::DdrConfig dc;
  dc.ctrl.checker = true;
  dram::DramController ctrl("dram", dc, store, root);
  dram::LtAdapter lt("lt");
  interconnect::Router router("router", hw::physical_address_map(store.size(), false), SC_ZERO_TIME, root);
  ClockDomain clk("cpu", 3000);
  cache::CachesConfig cc;
  cache::SharedLlc llc(cc, clk, root);
  stats::Group g0(&root, "core0"), g1(&root, "core1");
  cc.line_fill_buffers = 10;
  cache::CoreCaches c0("caches0", 0, cc, clk, llc, g0);
  cc.line_fill_buffers = 1;
  cache::CoreCaches c1("caches1", 1, cc, clk, llc, g1);
  kernel::KernelBus kbus("kbus", root);
  router.isock.bind(lt.tsock);
  lt.isock.bind(ctrl.tsock);
  c0.mem_isock.bind(router.tsock);
  c1.mem_isock.bind(router.tsock);
  kbus.mem_isock.bind(c0.tsock);
  kbus.mem_isock.bind(c1.tsock);
  sc_time t10, t1;
  uint64_t most_queued = 0;
  sc_core::sc_spawn([&] {
    uint8_t junk[4096];
    for (unsigned i = 0; i < 4096; ++i) junk[i] = static_cast<uint8_t>(i | 1);
    store.write(0x100000, junk, 4096);
    store.write(0x200000, junk, 4096);
    for (unsigned cpu : {0u, 1u}) {
      kernel::BusCtx b{cpu, SC_ZERO_TIME};
      const sc_time start = sc_core::sc_time_stamp();
      kbus.zero_page(cpu ? 0x200000 : 0x100000, b);
      (cpu ? t1 : t10) = sc_core::sc_time_stamp() + b.delay - start;
      wait(b.delay);
    }
  });
  ctrl.set_command_hook([&](unsigned, const dram::Command&) { most_queued = std::max(most_queued, ctrl.reads_outstanding()); });
  sc_core::sc_start();
  uint8_t got[4096], zero[4096] = {0};
  store.read(0x100000, got, 4096);
  EXPECT_EQ(0, std::memcmp(got, zero, 4096));
  store.read(0x200000, got, 4096);
  EXPECT_EQ(0, std::memcmp(got, zero, 4096));
  EXPECT_GE(most_queued, 8u);  // the misses were in the controller together
  EXPECT_LT(t10 * 4.0, t1);
  EXPECT_EQ(root.find("dram.reads")->to_json().get<double>(), 128.0);
  EXPECT_TRUE(ctrl.violation().empty());
}

// DMA snoops: a whole-line DMA write drops a dirty copy without a writeback (its data supersedes it); a
// partial DMA write and a DMA read of a dirty line each cost one writeback first; a clean copy costs none.
TEST(CoherenceSim, DmaSnoopsEveryCache) {
  CoherenceRig c(10);
  kernel::BusCtx b0{0, SC_ZERO_TIME}, b1{1, SC_ZERO_TIME};
  uint8_t line[64];
  for (unsigned i = 0; i < 64; ++i) line[i] = static_cast<uint8_t>(0xa0 + i);
  c.kbus.write(0x10000, line, 64, b0);  // X: dirty in core 0
  c.kbus.write(0x10040, line, 64, b0);  // Z: dirty in core 0
  c.kbus.write(0x10080, line, 64, b1);  // W: dirty in core 1
  uint8_t tmp[64];
  c.kbus.read(0x100c0, tmp, 64, b1);  // V: clean in core 1
  const uint64_t mem_writes = c.root_stat("mem.writes");
  uint8_t dma_data[64];
  for (unsigned i = 0; i < 64; ++i) dma_data[i] = static_cast<uint8_t>(i);
  // X: whole line written by DMA: no writeback, core 0's copy is gone, memory holds the DMA bytes.
  EXPECT_EQ(c.dma(true, 0x10000, dma_data, 64), SC_ZERO_TIME + c.r.clk.cycles(100));
  EXPECT_EQ(c.root_stat("dma_snoop.writebacks"), 0u);
  EXPECT_EQ(c.cnt("l1d.coherence_invals", 0), 1u);
  // Z: 16 bytes written by DMA into a dirty line: written back first (100), then the DMA write (100).
  EXPECT_EQ(c.dma(true, 0x10050, dma_data, 16), c.r.clk.cycles(200));
  EXPECT_EQ(c.root_stat("dma_snoop.writebacks"), 1u);
  EXPECT_EQ(c.cnt("l1d.snoop_writebacks", 0), 1u);
  // W: DMA read of a line dirty in core 1: written back first; core 1 keeps it, clean.
  EXPECT_EQ(c.dma(false, 0x10080, tmp, 64), c.r.clk.cycles(200));
  EXPECT_EQ(0, std::memcmp(tmp, line, 64));
  EXPECT_EQ(c.root_stat("dma_snoop.writebacks"), 2u);
  EXPECT_EQ(c.cnt("l1d.snoop_writebacks", 1), 1u);
  // V: clean: the DMA read costs only itself, and core 1 still hits on it.
  EXPECT_EQ(c.dma(false, 0x100c0, tmp, 64), c.r.clk.cycles(100));
  EXPECT_EQ(c.root_stat("dma_snoop.writebacks"), 2u);
  EXPECT_EQ(c.root_stat("dma_snoop.snoops"), 4u);
  EXPECT_EQ(c.root_stat("mem.writes"), mem_writes + 2 + 2);  // two DMA writes, two snoop writebacks
  const uint64_t hits1 = c.cnt("l1d.hits", 1);
  b1.delay = SC_ZERO_TIME;
  c.kbus.read(0x10080, tmp, 64, b1);
  c.kbus.read(0x100c0, tmp, 64, b1);
  EXPECT_EQ(c.cnt("l1d.hits", 1), hits1 + 2);
  // Core 0 reads X again: a miss (its copy was dropped) that returns the DMA's bytes.
  b0.delay = SC_ZERO_TIME;
  c.kbus.read(0x10000, tmp, 64, b0);
  EXPECT_EQ(0, std::memcmp(tmp, dma_data, 64));
}

// A dirty line that another core writes is written back (to the LLC), not dropped: with an LLC of one
// set of 16 lines, 16 further lines push it out, and memory sees exactly that one write.
TEST(CoherenceSim, DirtyLineInvalidatedByAnotherCoreIsWrittenBack) {
  CoherenceRig c(10, 1, 16);  // 1 KiB LLC, 16 ways: one set
  kernel::BusCtx b0{0, SC_ZERO_TIME}, b1{1, SC_ZERO_TIME};
  uint64_t v = 1;
  c.kbus.write(0x20000, &v, 8, b0);  // dirty in core 0's L1D
  c.kbus.write(0x20008, &v, 8, b1);  // core 1 writes the same line: core 0's dirty copy goes to the LLC
  EXPECT_EQ(c.cnt("l1d.coherence_invals", 0), 1u);
  EXPECT_EQ(c.cnt("l1d.snoop_writebacks", 0), 1u);
  const uint64_t before = c.root_stat("mem.writes");
  uint8_t tmp[64];
  for (uint64_t i = 1; i <= 16; ++i) c.kbus.read(0x40000 + i * 64, tmp, 64, b1);  // clean fills evict it
  EXPECT_EQ(c.root_stat("mem.writes"), before + 1);
  EXPECT_EQ(c.root_stat("llc.writebacks"), 1u);
}

// Random writes over 64 MiB on the Nehalem platform with DDR: dirty LLC victims go through the writeback
// buffer while the cores run on; no access's delay may wrap (delay_until throws if one would), and every
// dirty victim reaches DRAM except those still in the buffers when the cores halt.
TEST(CoherenceSim, RandomWritesOnDdrNeverWrapADelay) {
  auto cfg = test::resolve_config(
      {"nehalem"},
      R"({"cpu": {"cores": 2}, "caches": {"llc": {"size_kib": 256, "ways": 16}},
          "workload": {"synthetic": {"pattern": "random", "footprint_kib": 65536, "accesses": 60000,
                                     "read_fraction": 0.0, "access_size": 8}}})",
      {});
  soc::Soc s(cfg);
  s.run(false);
  const uint64_t llc_wb = static_cast<uint64_t>(test::stat_of(s, "llc.writebacks"));
  const uint64_t dram_writes = static_cast<uint64_t>(test::stat_of(s, "dram.writes"));
  EXPECT_GT(llc_wb, 10000u);  // the premise: dirty victims went to DDR while the cores ran
  EXPECT_LE(llc_wb, dram_writes + 2 * cfg.caches.writeback_buffers);
}

// The documented rule for a writeback that cannot overlap: page clears through tiny caches evict a dirty
// line every few cycles, faster than DDR takes them; with two writeback buffers the clearing core stalls
// until one drains (counted), and every dirty victim reaches DRAM once the buffers have drained.
TEST(CoherenceSim, FullWritebackBufferStallsTheAccessThatEvicts) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(64ull << 20);
  dram::DdrConfig dc;
  dc.ctrl.checker = true;
  dram::DramController ctrl("dram", dc, store, root);
  dram::LtAdapter lt("lt");
  interconnect::Router router("router", hw::physical_address_map(store.size(), false), SC_ZERO_TIME, root);
  ClockDomain clk("cpu", 3000);
  cache::CachesConfig cc;
  cc.l1d = {4, 4, 4};
  cc.l2 = {4, 4, 10};
  cc.llc = {4, 4, 40};
  cc.writeback_buffers = 2;
  cache::SharedLlc llc(cc, clk, root);
  stats::Group g0(&root, "core0");
  cache::CoreCaches c0("caches0", 0, cc, clk, llc, g0);
  kernel::KernelBus kbus("kbus", root);
  router.isock.bind(lt.tsock);
  lt.isock.bind(ctrl.tsock);
  c0.mem_isock.bind(router.tsock);
  kbus.mem_isock.bind(c0.tsock);
  sc_core::sc_spawn([&] {
    kernel::BusCtx b{0, SC_ZERO_TIME};
    for (uint64_t p = 0; p < 8; ++p) {
      kbus.zero_page(0x100000 + p * 4096, b);
      wait(b.delay);
      b.delay = SC_ZERO_TIME;
    }
  });
  sc_core::sc_start();
  const double wb = root.find("llc.writebacks")->to_json().get<double>();
  // 8 pages = 512 dirty lines through 64 + 64 + 64 lines of cache: at least 512 - 192 reach DRAM.
  EXPECT_GE(wb, 512.0 - 192);
  EXPECT_EQ(root.find("dram.writes")->to_json().get<double>(), wb);
  EXPECT_GT(root.find("core0.l1d.writeback_stalls")->to_json().get<double>(), 0.0);
  EXPECT_TRUE(ctrl.violation().empty());
}
