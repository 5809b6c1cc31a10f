// The disk path elaborated: controller error statuses through MMIO/DMA, the block layer's
// get_request_wait and blk_congestion_wait, end-to-end data integrity through block layer -> driver ->
// MMIO -> DMA -> media, SSD die parallelism and the HDD sequential rate through the whole path.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <vector>

#include "kernel_model/block/ahci.h"
#include "kernel_model/hal/kernel_bus.h"
#include "models/disk/disk_controller.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/soc/platform_config.h"
#include "platform/soc/soc.h"

using namespace pc;
namespace hd = pc::hw::disk;
using sc_core::SC_MS;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

// Small fast SSD: 2 channels x 2 dies, 16 blocks of 8 x 4 KiB pages; 384 logical pages (3072 sectors).
disk::DiskConfig small_ssd() {
  disk::DiskConfig c;
  c.media = "ssd";
  auto& s = c.ssd;
  s.channels = 2;
  s.dies_per_channel = 2;
  s.planes_per_die = 1;
  s.blocks_per_plane = 16;
  s.pages_per_block = 8;
  s.page_bytes = 4096;
  s.read_us = 50;
  s.program_us = 500;
  s.erase_us = 2000;
  s.channel_mbps = 409.6;
  s.cmd_overhead_us = 5;
  s.overprovision = 0.25;
  s.gc_threshold = 0.1;
  return c;
}

// Memory (1 MiB, 50 ns), router with the disk window, controller, a kernel bus and the irq line.
struct Rig {
  explicit Rig(const disk::DiskConfig& dc)
      : store(1 << 20),
        memory("mem", mem::FixedMemConfig{}, store, root),
        router("router", hw::physical_address_map(1 << 20, true), SC_ZERO_TIME, root),
        ctrl("disk", dc, root),
        bus("kbus", root),
        irq("irq") {
    router.isock.bind(memory.tsock);
    router.isock.bind(ctrl.tsock);
    ctrl.dma_isock.bind(router.tsock);
    bus.mem_isock.bind(router.tsock);
    ctrl.irq_out.bind(irq);
  }
  stats::Group root{nullptr, "stats"};
  mem::BackingStore store;
  mem::FixedMemory memory;
  interconnect::Router router;
  disk::DiskController ctrl;
  kernel::KernelBus bus;
  sc_core::sc_signal<bool> irq;
};

// Spends the bus context's local time, then polls CI every `period` until every issued slot completed.
void wait_ci_clear(kernel::KernelBus& b, kernel::BusCtx& bc, sc_time period) {
  sc_time& d = bc.delay;
  wait(d);
  d = SC_ZERO_TIME;
  while (b.read32(hw::kDiskCtrlBase + hd::kRegCi, bc) != 0) {
    wait(d);
    d = SC_ZERO_TIME;
    wait(period);
  }
}

uint64_t counter(stats::Group& root, const char* path) {
  const auto* c = dynamic_cast<const stats::Counter*>(root.find(path));
  return c ? c->value() : ~0ull;
}

// A read of 8 sectors from `lba` into 0x10000 in `slot`, its one PRD entry at 0x4000.
void write_read_command(kernel::KernelBus& b, uint64_t clb, unsigned slot, uint64_t lba, kernel::BusCtx& d) {
  const hd::PrdEntry e{0x10000, 4096, 0};
  b.write(0x4000, &e, sizeof e, d);
  hd::CmdHeader h{};
  h.opcode = hd::kOpRead;
  h.prd_count = 1;
  h.sectors = 8;
  h.lba = lba;
  h.prd_base = 0x4000;
  b.write(clb + slot * 32, &h, sizeof h, d);
}

}  // namespace

TEST(DiskSim, ErrorPathsCompleteWithErrorStatusAndTheDeviceCarriesOn) {
  Rig rig(small_ssd());
  const uint64_t R = hw::kDiskCtrlBase;
  const uint64_t clb = 0x1000, unmapped = 0x200000;  // 2 MiB: above the 1 MiB of DRAM, below MMIO
  bool finished = false;
  uint32_t cs = 0, err = 0, st[6] = {}, hdr_status[6] = {}, bytes_done5 = 0;
  bool irq_seen = false, data_ok = false;
  sc_core::sc_spawn([&] {
    auto& b = rig.bus;
    kernel::BusCtx bc;
    sc_time& d = bc.delay;
    const uint64_t cap = b.read32(R + hd::kRegCapacityLo, bc);
    EXPECT_EQ(cap, 384u * 8);
    b.write32(R + hd::kRegClbLo, clb, bc);
    b.write32(R + hd::kRegClbHi, 0, bc);
    b.write32(R + hd::kRegIe, hd::kIntCompletion, bc);
    auto cmd = [&](unsigned slot, uint8_t op, uint64_t lba, uint32_t sectors, uint64_t buf, uint32_t bytes) {
      const uint64_t prd_base = 0x4000 + slot * 0x100;
      hd::PrdEntry e{buf, bytes, 0};
      b.write(prd_base, &e, sizeof(e), bc);
      hd::CmdHeader h{};
      h.opcode = op;
      h.prd_count = 1;
      h.sectors = sectors;
      h.lba = lba;
      h.prd_base = prd_base;
      b.write(clb + slot * 32, &h, sizeof(h), bc);
    };
    uint8_t pattern[4096];
    for (unsigned i = 0; i < 4096; ++i) pattern[i] = static_cast<uint8_t>(i * 13 + 5);
    for (unsigned off = 0; off < 4096; off += 64) b.write(0x20000 + off, pattern + off, 64, bc);
    cmd(0, hd::kOpRead, cap - 4, 8, 0x10000, 4096);  // reaches 4 sectors past the end
    cmd(1, hd::kOpRead, 0, 8, 0x10000, 2048);        // PRD bytes (2048) != 8 sectors
    cmd(2, hd::kOpWrite, 16, 8, unmapped, 4096);     // write data fetch from an unmapped address
    cmd(3, hd::kOpRead, 24, 8, unmapped, 4096);      // read data lands on an unmapped address
    cmd(4, 7, 0, 8, 0x10000, 4096);                  // no such opcode
    cmd(5, hd::kOpWrite, 100, 8, 0x20000, 4096);     // a good write among them
    b.write32(R + hd::kRegCi, 0x3f, bc);
    wait(d);
    d = SC_ZERO_TIME;
    while (b.read32(R + hd::kRegCi, bc) != 0) {
      wait(d);
      d = SC_ZERO_TIME;
      if (rig.irq.read()) irq_seen = true;
      wait(sc_time(100, sc_core::SC_US));
    }
    if (rig.irq.read()) irq_seen = true;
    cs = b.read32(R + hd::kRegCs, bc);
    err = b.read32(R + hd::kRegErr, bc);
    for (unsigned s = 0; s < 6; ++s) {
      st[s] = b.read32(R + hd::kRegSlotStatus + 4 * s, bc);
      uint32_t wb[2];
      b.read(clb + s * 32 + 24, wb, 8, bc);
      hdr_status[s] = wb[0];
      if (s == 5) bytes_done5 = wb[1];
    }
    b.write32(R + hd::kRegCs, cs, bc);
    b.write32(R + hd::kRegErr, err, bc);
    b.write32(R + hd::kRegIs, hd::kIntCompletion, bc);
    // The device carries on: read back what slot 5 wrote.
    cmd(0, hd::kOpRead, 100, 8, 0x30000, 4096);
    b.write32(R + hd::kRegCi, 1, bc);
    wait_ci_clear(b, bc, sc_time(100, sc_core::SC_US));
    uint8_t got[4096];
    for (unsigned off = 0; off < 4096; off += 64) b.read(0x30000 + off, got + off, 64, bc);
    data_ok = std::memcmp(got, pattern, 4096) == 0 && b.read32(R + hd::kRegSlotStatus, bc) == hd::kStatusOk;
    finished = true;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  EXPECT_TRUE(irq_seen);
  EXPECT_EQ(cs, 0x3fu);
  EXPECT_EQ(err, 0x1fu);  // all but slot 5
  const uint32_t want[6] = {hd::kStatusLbaRange, hd::kStatusBadDescriptor, hd::kStatusDmaFault,
                            hd::kStatusDmaFault, hd::kStatusBadDescriptor, hd::kStatusOk};
  for (unsigned s = 0; s < 6; ++s) {
    EXPECT_EQ(st[s], want[s]) << "slot " << s;
    EXPECT_EQ(hdr_status[s], want[s]) << "slot " << s << " header write-back";
  }
  EXPECT_EQ(bytes_done5, 4096u);
  EXPECT_TRUE(data_ok);
  EXPECT_EQ(counter(rig.root, "disk.lba_errors"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.bad_descriptors"), 2u);
  EXPECT_EQ(counter(rig.root, "disk.dma_faults"), 2u);
  EXPECT_EQ(counter(rig.root, "disk.write.requests"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.read.requests"), 1u);
}

// Found by the fuzz harness (tests/fuzz/regressions/disk/clb-moved-under-a-command): the status of a
// command went to the header at the command list base programmed at completion time, not to the header
// the command was fetched from, so a driver moving CLB under a running command had 8 bytes written into
// whatever its new list held.
TEST(DiskSim, StatusGoesToTheHeaderTheCommandCameFromWhenClbMoves) {
  Rig rig(small_ssd());
  const uint64_t R = hw::kDiskCtrlBase, clb = 0x1000, moved = 0x6000;
  bool finished = false;
  uint32_t old_status[2] = {~0u, ~0u}, new_list[8] = {}, st = ~0u;
  sc_core::sc_spawn([&] {
    auto& b = rig.bus;
    kernel::BusCtx bc;
    sc_time& d = bc.delay;
    for (unsigned off = 0; off < 32; off += 4) b.write32(moved + 3 * 32 + off, 0xa5a5a5a5, bc);
    b.write32(R + hd::kRegClbLo, clb, bc);
    write_read_command(b, clb, 3, 40, bc);
    b.write32(R + hd::kRegCi, 1u << 3, bc);
    wait(d + sc_time(10, sc_core::SC_US));  // fetched, now on the medium (tR 50 us)
    d = SC_ZERO_TIME;
    b.write32(R + hd::kRegClbLo, moved, bc);
    while (b.read32(R + hd::kRegCi, bc) != 0) {
      wait(d);
      d = SC_ZERO_TIME;
      wait(sc_time(20, sc_core::SC_US));
    }
    st = b.read32(R + hd::kRegSlotStatus + 4 * 3, bc);
    b.read(clb + 3 * 32 + 24, old_status, 8, bc);
    b.read(moved + 3 * 32, new_list, 32, bc);
    finished = true;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  EXPECT_EQ(st, hd::kStatusOk);
  EXPECT_EQ(old_status[0], hd::kStatusOk);
  EXPECT_EQ(old_status[1], 4096u);  // bytes_done
  for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(new_list[i], 0xa5a5a5a5u) << "word " << i << " of the new list";
}

// Found by the fuzz harness (tests/fuzz/regressions/disk/dma-into-own-registers): a PRD entry naming the
// controller's own register window made the DMA engine write disk data into its registers (here CI,
// issuing every slot) instead of failing the command with kStatusDmaFault as disk_regs.h specifies.
TEST(DiskSim, DmaIntoTheDeviceWindowIsADmaFault) {
  Rig rig(small_ssd());
  const uint64_t R = hw::kDiskCtrlBase, clb = 0x1000;
  bool finished = false;
  uint32_t st = ~0u, err = 0, ci_after = ~0u;
  uint64_t completed = 0;
  sc_core::sc_spawn([&] {
    auto& b = rig.bus;
    kernel::BusCtx bc;
    sc_time& d = bc.delay;
    b.write32(R + hd::kRegClbLo, clb, bc);
    auto run = [&](unsigned slot, uint8_t op, const std::vector<hd::PrdEntry>& prd) {
      const uint64_t base = 0x4000 + slot * 0x100;
      b.write(base, prd.data(), static_cast<unsigned>(prd.size() * sizeof(hd::PrdEntry)), bc);
      hd::CmdHeader h{};
      h.opcode = op;
      h.prd_count = static_cast<uint16_t>(prd.size());
      h.sectors = 1;
      h.prd_base = base;
      b.write(clb + slot * 32, &h, sizeof h, bc);
      b.write32(R + hd::kRegCi, 1u << slot, bc);
      while (b.read32(R + hd::kRegCi, bc) != 0) {
        wait(d);
        d = SC_ZERO_TIME;
        wait(sc_time(20, sc_core::SC_US));
      }
    };
    for (unsigned off = 0; off < 512; off += 4) b.write32(0x8000 + off, 0xffffffff, bc);
    run(0, hd::kOpWrite, {{0x8000, 512, 0}});  // sector 0 now holds all ones
    // Read it back with its first 4 bytes aimed at CI.
    run(1, hd::kOpRead, {{R + hd::kRegCi, 4, 0}, {0x9000, 508, 0}});
    st = b.read32(R + hd::kRegSlotStatus + 4, bc);
    err = b.read32(R + hd::kRegErr, bc);
    ci_after = b.read32(R + hd::kRegCi, bc);
    completed = rig.ctrl.completed();
    finished = true;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  EXPECT_EQ(st, hd::kStatusDmaFault);
  EXPECT_EQ(err, 1u << 1);
  EXPECT_EQ(ci_after, 0u);
  EXPECT_EQ(completed, 2u);  // the two commands, nothing issued by data
  EXPECT_EQ(counter(rig.root, "disk.dma_faults"), 1u);
}

// Found by the fuzz harness (tests/fuzz/regressions/disk/completion-visible-before-its-transfer): the
// registers (CI cleared, CS, IS) said "done" as soon as a read's transfer started, while its data and status
// were still crossing the link for microseconds of simulated time; only the interrupt line waited. A
// driver polling CI saw the completion before the interrupt, and before the data was due in memory.
TEST(DiskSim, RegistersReportACompletionWhenItsInterruptRisesNotBefore) {
  Rig rig(small_ssd());
  const uint64_t R = hw::kDiskCtrlBase, clb = 0x1000;
  bool finished = false;
  sc_time ci_clear = SC_ZERO_TIME, irq_rise = SC_ZERO_TIME;
  sc_core::sc_spawn([&] {
    wait(rig.irq.posedge_event());
    irq_rise = sc_core::sc_time_stamp();
  });
  sc_core::sc_spawn([&] {
    auto& b = rig.bus;
    kernel::BusCtx bc;
    sc_time& d = bc.delay;
    b.write32(R + hd::kRegClbLo, clb, bc);
    b.write32(R + hd::kRegIe, hd::kIntCompletion, bc);
    write_read_command(b, clb, 0, 0, bc);
    b.write32(R + hd::kRegCi, 1, bc);
    // Poll CI every 100 ns: the first read that sees the slot done.
    for (;;) {
      const uint32_t ci = b.read32(R + hd::kRegCi, bc);
      wait(d);
      d = SC_ZERO_TIME;
      if (ci == 0) break;
      wait(sc_time(100, sc_core::SC_NS));
    }
    ci_clear = sc_core::sc_time_stamp();
    finished = true;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  ASSERT_GT(irq_rise, SC_ZERO_TIME);
  // 4 KiB over the 600 MB/s link takes 6.8 us: before the fix CI read 0 that long before the interrupt.
  EXPECT_GE(ci_clear, irq_rise);
  EXPECT_LE(ci_clear, irq_rise + sc_time(300, sc_core::SC_NS));  // one poll and one register read later
}

TEST(DiskSim, GetRequestWaitAndBlkCongestionWait) {
  Rig rig(small_ssd());
  kernel::BlockConfig bc;  // 128 requests, congestion on 113 / off 103
  kernel::BlockLayer blk(rig.root);
  kernel::AhciDisk sda("sda", bc, rig.bus, hw::kDiskCtrlBase, (1 << 20) - (512 << 10), 512 << 10, blk,
                       rig.root);
  sda.irq_in.bind(rig.irq);
  std::deque<kernel::Bio> bios(140);
  unsigned completed = 0, errors = 0;
  bool congested_after_submit = false, congested_at_wake = true, finished = false;
  sc_time slept_congested, slept_idle;
  sc_core::sc_spawn([&] {
    kernel::KCtx k;
    for (unsigned i = 0; i < bios.size(); ++i) {
      auto& b = bios[i];
      b.sector = i * 16;  // never adjacent: one request each
      b.write = true;
      b.vecs.push_back({0x10000 + (i % 64) * 4096ull, 4096});
      b.end_io = [&](kernel::Bio&, int e) {
        ++completed;
        errors += e != 0;
      };
      blk.submit_bio(&b, k);  // the 129th sleeps in get_request_wait until a request is freed
    }
    congested_after_submit = sda.queue().congested(true);
    slept_congested = blk.blk_congestion_wait(true, sc_time(1, sc_core::SC_SEC), k);
    congested_at_wake = sda.queue().congested(true);
    // Nothing clears congestion any more: the wait runs to its timeout.
    while (completed < bios.size()) wait(sc_time(1, SC_MS));
    slept_idle = blk.blk_congestion_wait(true, sc_time(2, SC_MS), k);
    finished = true;
  });
  sc_core::sc_start(sc_time(10, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  EXPECT_EQ(completed, 140u);
  EXPECT_EQ(errors, 0u);
  EXPECT_GT(counter(rig.root, "block.queue.request_waits"), 0u);
  EXPECT_TRUE(congested_after_submit);
  EXPECT_LT(slept_congested, sc_time(1, sc_core::SC_SEC));  // woken by the queue leaving congestion
  EXPECT_FALSE(congested_at_wake);
  EXPECT_EQ(slept_idle, sc_time(2, SC_MS));
  EXPECT_EQ(counter(rig.root, "congestion.woken"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.write.requests"), 140u);
}

namespace {
soc::PlatformConfig blockio_cfg(const std::vector<std::string>& sets) {
  soc::ConfigResolver r;
  r.apply_set("dram.size_mib=256");
  r.apply_set("workload.source=blockio");
  for (const auto& s : sets) r.apply_set(s);
  return r.finish();
}
double stat(soc::Soc& s, const std::string& path) {
  const auto* st = s.stats().find(path);
  if (!st) return -1;
  auto j = st->to_json();
  return j.is_number() ? j.get<double>() : -1;
}
}  // namespace

TEST(DiskSim, DataIntegrityThroughTheWholePathOnHdd) {
  // 8 KiB reads and writes, half each, 8 outstanding, over 4 MiB so reads find written data.
  soc::Soc s(
      blockio_cfg({"disk.media=hdd", "workload.blockio.data_check=true", "workload.blockio.read_fraction=0.5",
                   "workload.blockio.block_kib=8", "workload.blockio.queue_depth=8",
                   "workload.blockio.requests=1500", "workload.blockio.span_mib=4"}));
  s.run(false);
  EXPECT_EQ(stat(s, "blockio.data_errors"), 0);
  EXPECT_EQ(stat(s, "blockio.io_errors"), 0);
  EXPECT_GT(stat(s, "blockio.reads_checked"), 600);
  EXPECT_EQ(stat(s, "blockio.read.ios") + stat(s, "blockio.write.ios"), 1500);
  EXPECT_EQ(stat(s, "disk.read.requests") + stat(s, "disk.write.requests"),
            stat(s, "kernel.block.commands_issued"));
}

TEST(DiskSim, DataIntegrityThroughTheWholePathOnSsdWithGc) {
  // A small SSD (3072 sectors of user space); 4000 I/Os, 30% reads, 16 outstanding, over all of it:
  // GC runs while data is checked.
  auto c =
      blockio_cfg({"disk.media=ssd", "workload.blockio.data_check=true", "workload.blockio.read_fraction=0.3",
                   "workload.blockio.queue_depth=16", "workload.blockio.requests=4000"});
  c.disk.ssd = small_ssd().ssd;
  soc::Soc s(c);
  s.run(false);
  EXPECT_EQ(stat(s, "blockio.data_errors"), 0);
  EXPECT_EQ(stat(s, "blockio.io_errors"), 0);
  EXPECT_GT(stat(s, "blockio.reads_checked"), 1000);
  EXPECT_GT(stat(s, "disk.ssd.gc_blocks"), 0);
}

TEST(DiskSim, SsdQueueDepthUsesDieParallelism) {
  // MQSim preset: one 4 KiB read alone costs at least firmware 20 + tR 75 + 4096 B at 333 MB/s 12.3 us
  // = 107.3 us, so queue depth 1 cannot exceed 9,320 IOPS. With 31 tags over 64 dies, reads overlap:
  // more than ten times that, up to what the 600 MB/s SATA link carries (146,484 x 4 KiB per second).
  soc::ConfigResolver r;
  r.apply_preset("ssd-mqsim");
  r.apply_set("dram.size_mib=256");
  r.apply_set("workload.source=blockio");
  r.apply_set("workload.blockio.queue_depth=32");
  r.apply_set("workload.blockio.requests=3000");
  soc::Soc s(r.finish());
  s.run(false);
  EXPECT_EQ(stat(s, "blockio.read.ios"), 3000);
  EXPECT_GT(stat(s, "blockio.read.iops"), 10 * 1e6 / 107.3);
  EXPECT_LE(stat(s, "blockio.read.iops"), 600e6 / 4096);
}

TEST(DiskSim, HddSequentialStreamRunsNearTheZoneMediaRate) {
  // hdd-7200, outer zone: 1600 sectors per 8.333 ms revolution = 98.3 MB/s. Sequential 4 KiB reads at
  // queue depth 1 are served by the drive's read-ahead, so the stream runs at the media rate less the
  // track skew (193 of 1793 sector times per track: 87.8 MB/s), far above random-access speed. 10,000
  // reads (40 MB, 50 tracks) make the first read's rotational wait (< 8.3 ms) a small share of the run.
  soc::ConfigResolver r;
  r.apply_preset("hdd-7200");
  r.apply_set("dram.size_mib=256");
  r.apply_set("workload.source=blockio");
  r.apply_set("workload.blockio.pattern=sequential");
  r.apply_set("workload.blockio.requests=10000");
  soc::Soc s(r.finish());
  s.run(false);
  const double secs = static_cast<double>(s.sim_cycles()) / 3e9;
  const double mbps = stat(s, "blockio.read.bytes") / secs / 1e6;
  const double media = 1600 * 512 / (60.0 / 7200) / 1e6;
  EXPECT_GT(mbps, 0.85 * media);
  EXPECT_LT(mbps, media);
  EXPECT_EQ(stat(s, "disk.hdd.cache_misses"), 1);  // only the first read goes to the medium
}

TEST(DiskSim, SingleHddReadThroughTheWholePathCostsSeekRotationTransferPlusItsOverheads) {
  // The unit tests' drive: 6000 rpm (10 ms revolution), zone 0 with 1000 sectors per track (10 us per
  // sector), 2 heads, seek 0.8 + 0.2*sqrt(d) ms below 100 cylinders, 100 us command overhead, no
  // read-ahead; memory 50 ns per transaction, MMIO 100 ns, router 0.
  disk::DiskConfig dc;
  dc.media = "hdd";
  auto& h = dc.hdd;
  h.rpm = 6000;
  h.heads = 2;
  h.zones = {{1000, 1000}, {1000, 500}};
  h.single_cyl_ms = 1.0;
  h.knee_cyl = 100;
  h.knee_ms = 2.8;
  h.full_stroke_ms = 21.8;
  h.head_switch_ms = 0.5;
  h.cmd_overhead_us = 100;
  h.read_ahead = false;
  dc.controller.link_mbps = 409.6;  // 4096 B cross the SATA link in exactly 10 us
  Rig rig(dc);
  kernel::BlockConfig bc;
  bc.irq_entry_ns = 1000;
  kernel::BlockLayer blk(rig.root);
  kernel::AhciDisk sda("sda", bc, rig.bus, hw::kDiskCtrlBase, 512 << 10, 512 << 10, blk, rig.root);
  sda.irq_in.bind(rig.irq);
  kernel::Bio bio, bad;
  int err = 1, bad_err = 0;
  kernel::Fs done = 0;
  sc_core::sc_spawn([&] {
    bio.sector = (49 * 2 + 1) * 1000 + 10;  // cylinder 49, head 1, sector 10
    bio.vecs.push_back({0x10000, 4096});
    sc_core::sc_event ev;
    kernel::KCtx k;
    bio.end_io = [&](kernel::Bio& b, int e) {
      err = e;
      done = b.completed;
      ev.notify(sc_time::from_value(b.completed - sc_core::sc_time_stamp().value()));
    };
    blk.submit_bio(&bio, k);
    sda.unplug(k);  // a reader about to wait on the page kicks the queue (block_sync_page)
    k.sync();
    wait(ev);
    bad.sector = 3000000 - 4;  // capacity 2,000,000 + 1,000,000 sectors: 4 sectors past the end
    bad.vecs.push_back({0x10000, 4096});
    bad.end_io = [&](kernel::Bio&, int e) { bad_err = e; };
    blk.submit_bio(&bad, k);
    k.sync();
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  // Timeline. t=0: port start, 3 MMIO reads + 3 writes = 600 ns. __make_request plugs, the reader
  // unplugs: PRD (16 B) and header (32 B) writes 2 x 50 ns, CI write 100 ns -> issued at 800 ns. The
  // controller fetches header and PRD (2 x 50 ns) -> queued on the drive at 900 ns.
  // Drive: ready = 0.9 us + 100 us + seek(49) 2.2 ms = 2.3009 ms; sector 10 of track 99 is angular slot
  // (10 + 99*101) mod 1000 = 9 -> 0.09 ms into the revolution: wait 10 - 2.3009 + 0.09 = 7.7891 ms;
  // transfer 8 sectors 80 us -> media done F = 10.17 ms. The data then streams over the link (10 us)
  // while the DMA engine writes it to memory in 64 B bursts (3.2 us, hidden under the link), then the
  // status write-back (50 ns): completion posted at F + 10.05 us. The interrupt handler: entry 1 us,
  // IS read/write, CS read/write, ERR read (5 x 100 ns): bi_end_io at F + 11.55 us.
  const double F_us = 10170.0;
  EXPECT_EQ(err, 0);
  EXPECT_EQ(done, static_cast<kernel::Fs>((F_us + 11.55) * 1e9 + 0.5));
  auto dist = [&](const char* p) { return dynamic_cast<const stats::Distribution*>(rig.root.find(p)); };
  ASSERT_NE(dist("disk.read.service_time_us"), nullptr);
  EXPECT_NEAR(dist("disk.read.queue_time_us")->max(), 0.1, 1e-9);  // 800 -> 900 ns
  EXPECT_NEAR(dist("disk.read.service_time_us")->max(), F_us + 10.05 - 0.9, 1e-6);
  EXPECT_NEAR(dist("disk.hdd.rotational_latency_us")->max(), 7789.1, 1e-6);
  EXPECT_NEAR(dist("disk.hdd.seek_time_us")->max(), 2200, 1e-6);
  EXPECT_EQ(dist("disk.hdd.seek_distance")->max(), 49);
  // Every byte crossed the memory: the driver wrote PRD (16 B) and header (32 B); the DMA engine read
  // them back (2 reads) and wrote 64 x 64 B of data plus the 8-byte status write-back.
  EXPECT_EQ(counter(rig.root, "mem.writes"), 2u + 64 + 1);
  EXPECT_EQ(counter(rig.root, "mem.bytes_written"), 16u + 32 + 4096 + 8);
  EXPECT_EQ(counter(rig.root, "mem.reads"), 2u);
  EXPECT_EQ(counter(rig.root, "disk.dma_bytes"), 32u + 16 + 4096 + 8);
  EXPECT_EQ(bad_err, -5);  // beyond the device: -EIO from the block layer, nothing issued
  EXPECT_EQ(counter(rig.root, "block.bad_bios"), 1u);
  EXPECT_EQ(counter(rig.root, "block.commands_issued"), 1u);
}

TEST(DiskSim, DataIntegrityWithMergedMultiSegmentRequests) {
  // A sequential stream from 8 issuers with their own buffers: bios of neighbouring blocks merge while
  // the queue is plugged, so one command carries several PRD entries pointing at different buffers.
  // Half reads, half writes over 1 MiB, wrapping 8 times: every read checks data written a wrap before.
  soc::Soc s(blockio_cfg({"disk.media=hdd", "workload.blockio.data_check=true",
                          "workload.blockio.pattern=sequential", "workload.blockio.read_fraction=0.5",
                          "workload.blockio.queue_depth=8", "workload.blockio.requests=2048",
                          "workload.blockio.span_mib=1"}));
  s.run(false);
  EXPECT_EQ(stat(s, "blockio.data_errors"), 0);
  EXPECT_EQ(stat(s, "blockio.io_errors"), 0);
  EXPECT_GT(stat(s, "blockio.reads_checked"), 800);
  EXPECT_GT(stat(s, "kernel.block.queue.back_merges"), 0);
  EXPECT_LT(stat(s, "kernel.block.commands_issued"), 2048);  // merged bios share a command
}

TEST(DiskSim, DataCheckingDetectsCorruptedSectors) {
  // The negative control of the integrity tests: flip bytes behind the driver's back (straight into the
  // drive's sector store) part-way through; reads of those blocks afterwards must be reported.
  soc::Soc s(blockio_cfg({"disk.media=ssd", "workload.blockio.data_check=true",
                          "workload.blockio.pattern=sequential", "workload.blockio.read_fraction=0.5",
                          "workload.blockio.queue_depth=4", "workload.blockio.requests=2048",
                          "workload.blockio.span_mib=1"}));
  sc_core::sc_spawn([&] {
    wait(sc_time(20, SC_MS));
    std::vector<uint8_t> junk(2048 * 512, 0xa5);
    s.disk()->store().write(0, 2048, junk.data());
  });
  s.run(false);
  EXPECT_GT(stat(s, "blockio.data_errors"), 0);
  EXPECT_EQ(stat(s, "blockio.io_errors"), 0);
}

TEST(DiskSim, UnplugTimerIssuesALoneAsyncWriteAfterThreeMs) {
  Rig rig(small_ssd());
  kernel::BlockConfig bc;  // unplug_delay 3 ms, unplug_thresh 4
  kernel::BlockLayer blk(rig.root);
  kernel::AhciDisk sda("sda", bc, rig.bus, hw::kDiskCtrlBase, 512 << 10, 512 << 10, blk, rig.root);
  sda.irq_in.bind(rig.irq);
  kernel::Bio bio;
  int err = 1;
  sc_core::sc_spawn([&] {
    bio.sector = 64;
    bio.write = true;  // not sync: it waits in the plugged queue
    bio.vecs.push_back({0x10000, 4096});
    bio.end_io = [&](kernel::Bio&, int e) { err = e; };
    kernel::KCtx k;
    blk.submit_bio(&bio, k);
    k.sync();
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  // Port start (6 MMIO accesses, 600 ns), then __make_request plugs the empty queue: the timer fires
  // 3 ms later and kblockd's unplug hands the request to the driver at 3.0006 ms.
  EXPECT_EQ(err, 0);
  EXPECT_EQ(bio.dispatched, static_cast<kernel::Fs>(3.0006e12));
  EXPECT_EQ(counter(rig.root, "block.unplugs_timer"), 1u);
  EXPECT_EQ(counter(rig.root, "block.unplugs_threshold"), 0u);
  EXPECT_EQ(counter(rig.root, "block.queue.plugs"), 1u);
}

TEST(DiskSim, DmaCompetesWithACoreForMemory) {
  // One core does random 8-byte accesses while 8 issuers read 4 KiB blocks from the SSD. Memory: 50 ns,
  // one port at 1 GB/s (8 B take 8 ns, a 64 B DMA burst 64 ns). Alone, an in-order core never finds
  // the port busy (its next access comes 50 ns after the previous started, the port frees after 8), so
  // every access would take exactly 50 ns; DMA bursts from the controller make some of them queue.
  soc::Soc s(blockio_cfg({"cpu.cores=1", "dram.model=fixed", "dram.fixed.bandwidth_gbps=1", "disk.media=ssd",
                          "workload.blockio.with_cores=true", "workload.blockio.queue_depth=8",
                          "workload.blockio.requests=400", "workload.synthetic.pattern=random",
                          "workload.synthetic.footprint_kib=1024", "workload.synthetic.accesses=200000"}));
  s.run(false);
  const auto* lat = dynamic_cast<const stats::Distribution*>(s.stats().find("mem.latency_ns"));
  ASSERT_NE(lat, nullptr);
  EXPECT_NEAR(lat->min(), 50, 1e-6);
  EXPECT_GT(lat->max(), 51);
  const auto* core = dynamic_cast<const stats::Distribution*>(s.stats().find("cpu.core0.access_latency"));
  ASSERT_NE(core, nullptr);
  EXPECT_GT(core->max(), 150);  // 50 ns = 150 cycles at 3 GHz: some core access waited behind DMA
  EXPECT_EQ(stat(s, "blockio.read.ios"), 400);
  EXPECT_EQ(stat(s, "summary.mem_accesses"), 200000);
}

namespace {
// Writes 4 KiB through MMIO/DMA, then issues FLUSH CACHE; returns the controller's write and flush latency
// (us) and checks the data reads back.
struct FlushRun {
  double write_us = 0, flush_us = 0;
  bool data_ok = false;
};
FlushRun write_then_flush(Rig& rig) {
  FlushRun out;
  sc_core::sc_spawn([&] {
    auto& b = rig.bus;
    kernel::BusCtx bc;
    const uint64_t R = hw::kDiskCtrlBase, clb = 0x1000;
    b.write32(R + hd::kRegClbLo, clb, bc);
    b.write32(R + hd::kRegClbHi, 0, bc);
    auto issue = [&](uint8_t op, uint64_t lba, uint64_t buf) {
      hd::PrdEntry e{buf, 4096, 0};
      b.write(0x4000, &e, sizeof(e), bc);
      hd::CmdHeader h{};
      h.opcode = op;
      h.prd_count = op == hd::kOpFlush ? 0 : 1;
      h.sectors = op == hd::kOpFlush ? 0 : 8;
      h.lba = lba;
      h.prd_base = 0x4000;
      b.write(clb, &h, sizeof(h), bc);
      b.write32(R + hd::kRegCi, 1, bc);
      wait_ci_clear(b, bc, sc_time(10, sc_core::SC_US));
      b.write32(R + hd::kRegCs, 1, bc);
    };
    uint8_t pattern[4096], got[4096];
    for (unsigned i = 0; i < 4096; ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
    for (unsigned off = 0; off < 4096; off += 64) b.write(0x20000 + off, pattern + off, 64, bc);
    issue(hd::kOpWrite, 12345678, 0x20000);
    issue(hd::kOpFlush, 0, 0);
    issue(hd::kOpRead, 12345678, 0x30000);
    for (unsigned off = 0; off < 4096; off += 64) b.read(0x30000 + off, got + off, 64, bc);
    out.data_ok = std::memcmp(got, pattern, 4096) == 0;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  out.write_us = rig.root.find("disk.write.latency_us")->to_json()["max"].get<double>();
  out.flush_us = rig.root.find("disk.flush_latency_us")->to_json()["max"].get<double>();
  return out;
}
}  // namespace

TEST(DiskSim, FlushWaitsForTheDrivesWriteCacheToDestage) {
  Rig rig(disk::DiskConfig{});  // hdd-7200 defaults: write cache on
  const FlushRun r = write_then_flush(rig);
  EXPECT_TRUE(r.data_ok);
  // The write completes into the buffer: firmware 20 us, link 4 KiB at 600 MB/s, descriptor DMA; no
  // positioning. The drive destages it while idle and FLUSH waits for that access (a seek and a rotational
  // wait: more than the 20 us firmware time, at most a full stroke and a revolution).
  EXPECT_LT(r.write_us, 100);
  EXPECT_GT(r.flush_us, 20);
  EXPECT_LT(r.flush_us, 20 + 15500 + 8334);
  EXPECT_EQ(counter(rig.root, "disk.hdd.destages"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.hdd.write_cache_writes"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.flushes"), 1u);
}

TEST(DiskSim, WithoutWriteCacheWritesPayPositioningAndFlushIsImmediate) {
  disk::DiskConfig c;
  c.hdd.write_cache = false;
  Rig rig(c);
  const FlushRun r = write_then_flush(rig);
  EXPECT_TRUE(r.data_ok);
  // 12,345,678 is 6.2 GB in: a seek from cylinder 0 of at least the single-cylinder time, and the write
  // is on the medium when it completes, so the flush has nothing to wait for.
  EXPECT_GT(r.write_us, 1000);
  EXPECT_LT(r.flush_us, 1);
  EXPECT_EQ(counter(rig.root, "disk.hdd.destages"), 0u);
}

TEST(DiskSim, InjectedMediaErrorsFailOnlyTheirRequestsWithEioAndMoveNoData) {
  // Sectors 64..71 fail writes, 200..207 fail reads (uncorrectable media error). Five bios at once, never
  // adjacent (five requests): writes to 0, 64, 128 and reads of 200 and 300. Only the write to 64 and the
  // read of 200 end with -EIO; the sector store keeps its old bytes at 64, the read buffer of 200 keeps
  // what memory held. Then the other direction of each range works: a write to 200, a read of 64.
  disk::DiskConfig dc = small_ssd();
  dc.inject_errors = {{64, 8, disk::InjectOn::Write}, {200, 8, disk::InjectOn::Read}};
  Rig rig(dc);
  kernel::BlockConfig bc;
  kernel::BlockLayer blk(rig.root);
  kernel::AhciDisk sda("sda", bc, rig.bus, hw::kDiskCtrlBase, 512 << 10, 512 << 10, blk, rig.root);
  sda.irq_in.bind(rig.irq);
  auto fill = [](uint8_t seed) {
    std::vector<uint8_t> v(4096);
    for (unsigned i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 7 + seed);
    return v;
  };
  const auto old64 = fill(1), old200 = fill(2), old300 = fill(3), w0 = fill(4), w64 = fill(5), w128 = fill(6),
             w200 = fill(7);
  const std::vector<uint8_t> stale(4096, 0xee);
  rig.ctrl.store().write(64, 8, old64.data());
  rig.ctrl.store().write(200, 8, old200.data());
  rig.ctrl.store().write(300, 8, old300.data());
  rig.store.write(0x10000, w0.data(), 4096);
  rig.store.write(0x11000, w64.data(), 4096);
  rig.store.write(0x12000, w128.data(), 4096);
  rig.store.write(0x13000, stale.data(), 4096);  // the failing read's buffer
  rig.store.write(0x14000, stale.data(), 4096);
  rig.store.write(0x15000, w200.data(), 4096);
  rig.store.write(0x16000, stale.data(), 4096);
  std::deque<kernel::Bio> bios(7);
  const struct {
    uint64_t sector;
    bool write;
    uint64_t pa;
  } io[7] = {{0, true, 0x10000},    {64, true, 0x11000},  {128, true, 0x12000}, {200, false, 0x13000},
             {300, false, 0x14000}, {200, true, 0x15000}, {64, false, 0x16000}};
  int err[7] = {1, 1, 1, 1, 1, 1, 1};
  unsigned completed = 0;
  bool finished = false;
  sc_core::sc_spawn([&] {
    kernel::KCtx k;
    auto submit = [&](unsigned i) {
      auto& b = bios[i];
      b.sector = io[i].sector;
      b.write = io[i].write;
      b.vecs.push_back({io[i].pa, 4096});
      b.end_io = [&, i](kernel::Bio&, int e) {
        err[i] = e;
        ++completed;
      };
      blk.submit_bio(&b, k);
    };
    for (unsigned i = 0; i < 5; ++i) submit(i);
    sda.unplug(k);
    k.sync();
    while (completed < 5) wait(sc_time(100, sc_core::SC_US));
    for (unsigned i = 5; i < 7; ++i) submit(i);
    sda.unplug(k);
    k.sync();
    while (completed < 7) wait(sc_time(100, sc_core::SC_US));
    finished = true;
  });
  sc_core::sc_start(sc_time(1, sc_core::SC_SEC));
  ASSERT_TRUE(finished);
  const int want[7] = {0, -5, 0, -5, 0, 0, 0};
  for (unsigned i = 0; i < 7; ++i) EXPECT_EQ(err[i], want[i]) << "bio " << i;
  std::vector<uint8_t> got(4096);
  auto sectors = [&](uint64_t lba) {
    rig.ctrl.store().read(lba, 8, got.data());
    return got;
  };
  auto memory = [&](uint64_t pa) {
    rig.store.read(pa, got.data(), 4096);
    return got;
  };
  EXPECT_EQ(sectors(0), w0);
  EXPECT_EQ(sectors(64), old64);  // the failed write changed nothing
  EXPECT_EQ(sectors(128), w128);
  EXPECT_EQ(sectors(200), w200);      // writes to a read-failing range work
  EXPECT_EQ(memory(0x13000), stale);  // the failed read moved no data
  EXPECT_EQ(memory(0x14000), old300);
  EXPECT_EQ(memory(0x16000), old64);  // reads of a write-failing range work
  EXPECT_EQ(counter(rig.root, "disk.media_errors_write"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.media_errors_read"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.write.errors"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.read.errors"), 1u);
  EXPECT_EQ(counter(rig.root, "disk.write.requests"), 3u);
  EXPECT_EQ(counter(rig.root, "disk.write.bytes"), 3u * 4096);
  EXPECT_EQ(counter(rig.root, "disk.read.requests"), 2u);
  EXPECT_EQ(counter(rig.root, "disk.read.bytes"), 2u * 4096);
  EXPECT_EQ(counter(rig.root, "block.command_errors"), 2u);
  EXPECT_EQ(counter(rig.root, "block.commands_completed"), 7u);
  EXPECT_EQ(counter(rig.root, "disk.lba_errors"), 0u);
}
