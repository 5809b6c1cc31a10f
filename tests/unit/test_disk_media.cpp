// HDD and SSD media timing with exact expected values derived from the parameters (no simulation
// kernel: the media are plain C++ driven with explicit times).
#include <gtest/gtest.h>

#include "models/disk/hdd_media.h"
#include "models/disk/sector_store.h"
#include "models/disk/ssd_media.h"
#include "platform/core/config.h"

using namespace pc;
using namespace pc::disk;

namespace {

constexpr Fs ms(double v) { return static_cast<Fs>(v * 1e12 + 0.5); }
constexpr Fs us(double v) { return static_cast<Fs>(v * 1e9 + 0.5); }
constexpr Fs ns(double v) {
  return static_cast<Fs>(v * 1e6 + 0.5);
}

// 6000 rpm: one revolution is exactly 10 ms. Zone 0 has 1000 sectors per track, so a sector passes
// the head in 10 us; 2 heads. Seek: 1.0 ms at d=1, 2.8 ms at the knee d=100, so the square-root piece
// is 0.8 + 0.2*sqrt(d) ms.
HddConfig test_hdd() {
  HddConfig c;
  c.rpm = 6000;
  c.heads = 2;
  c.zones = {{1000, 1000}, {1000, 500}};
  c.single_cyl_ms = 1.0;
  c.knee_cyl = 100;
  c.knee_ms = 2.8;
  c.full_stroke_ms = 21.8;
  c.head_switch_ms = 0.5;
  c.write_settle_ms = 0;
  c.cmd_overhead_us = 100;
  c.read_ahead = false;
  c.write_cache = false;
  return c;
}

MediaResult run_one(Media& m, const MediaOp& op, Fs now) {
  m.enqueue(op);
  MediaResult r;
  EXPECT_TRUE(m.dispatch(now, r));
  return r;
}

}  // namespace

TEST(HddMedia, GeometryAndSeekCurve) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(test_hdd(), root);
  // Capacity: 1000 cyl * 2 heads * 1000 + 1000 * 2 * 500 sectors.
  EXPECT_EQ(hdd.capacity_sectors(), 2000000u + 1000000u);
  EXPECT_EQ(hdd.rev_fs(), ms(10));
  const auto c = hdd.chs((49 * 2 + 1) * 1000 + 10);
  EXPECT_EQ(c.cyl, 49u);
  EXPECT_EQ(c.head, 1u);
  EXPECT_EQ(c.sector, 10u);
  const auto z1 = hdd.chs(2000000 + 2 * 500 + 7);  // zone 1 starts at cylinder 1000
  EXPECT_EQ(z1.cyl, 1001u);
  EXPECT_EQ(z1.head, 0u);
  EXPECT_EQ(z1.sector, 7u);
  EXPECT_EQ(hdd.seek_fs(0), 0u);
  EXPECT_EQ(hdd.seek_fs(1), ms(1.0));
  EXPECT_EQ(hdd.seek_fs(49), ms(2.2));   // 0.8 + 0.2*7
  EXPECT_EQ(hdd.seek_fs(100), ms(2.8));  // the knee: both pieces agree
  EXPECT_EQ(hdd.seek_fs(1999), ms(21.8));  // full stroke over N-1 = 1999 cylinders
  // Linear piece: 2.8 + (21.8-2.8)/(1999-100) * (d-100); at d = 1049.5 it would be 12.3 ms; check d=1049.
  EXPECT_NEAR(static_cast<double>(hdd.seek_fs(1049)), 2.8e12 + 19e12 / 1899.0 * 949, 2);
  // Track skew covers max(head switch 0.5 ms, seek(1) 1.0 ms) = 100 sectors of zone 0, plus one.
  EXPECT_EQ(hdd.track_skew(0), 101u);
}

TEST(HddMedia, SingleReadCostsSeekPlusRotationFromPlatterPositionPlusTransfer) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(test_hdd(), root);
  // Head at cylinder 0; target cylinder 49 head 1 sector 10, dispatched at 3.3 ms.
  // ready = 3.3 + 0.1 (overhead) + seek(49) = 2.2 -> 5.6 ms.
  // Track g = 49*2+1 = 99; its sector 10 sits at angular slot (10 + 99*101) mod 1000 = 9 -> 0.09 ms
  // into each revolution. Platter at 5.6 mod 10 = 5.6 ms, so the wait is 10 - 5.6 + 0.09 = 4.49 ms.
  // Transfer of 8 sectors: 8 * 10 us = 0.08 ms. Finish: 5.6 + 4.49 + 0.08 = 10.17 ms.
  const auto r = run_one(hdd, {3, false, (49 * 2 + 1) * 1000 + 10, 8, ms(3.3)}, ms(3.3));
  EXPECT_EQ(r.slot, 3u);
  EXPECT_EQ(r.start, ms(3.3));
  EXPECT_EQ(r.finish, ms(10.17));
  const auto* rot = dynamic_cast<const stats::Distribution*>(root.find("hdd.rotational_latency_us"));
  ASSERT_NE(rot, nullptr);
  EXPECT_DOUBLE_EQ(rot->max(), 4490.0);
  // The very next 4 KiB, issued when the first completes, has just missed its sector: ready at
  // 10.17 + 0.1 = 10.27 ms (no seek), sector 18 is slot 17 -> 0.17 ms; wait 10 - 0.27 + 0.17 = 9.9 ms.
  const auto r2 = run_one(hdd, {4, false, (49 * 2 + 1) * 1000 + 18, 8, ms(10.17)}, ms(10.17));
  EXPECT_EQ(r2.finish, ms(10.27 + 9.9 + 0.08));
}

TEST(HddMedia, TransferCrossingATrackPaysHeadSwitchAndSkew) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(test_hdd(), root);
  // Sectors 996..1003: 4 on (cyl 0, head 0), 4 on (cyl 0, head 1). Ready at 0.1 ms; sector 996 is
  // slot 996 -> 9.96 ms: wait 9.86, read 4 -> 10.0 ms; head switch 0.5 -> 10.5; sector 0 of track 1
  // is slot 101 -> 1.01 ms into the revolution: wait 0.51 -> 11.01; read 4 -> 11.05 ms.
  const auto r = run_one(hdd, {0, false, 996, 8, 0}, 0);
  EXPECT_EQ(r.finish, ms(11.05));
}

TEST(HddMedia, NcqServesShortestPositioningTimeFirst) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(test_hdd(), root);
  // Both queued at 0, the far one first. From cylinder 0: the far read (cylinder 1500, zone 1) needs a
  // long seek; the near one (cylinder 1, sector 500) needs seek(1) = 1 ms plus a wait, well under it.
  hdd.enqueue({0, false, 2000000 + (500 * 2) * 500, 8, 0});
  hdd.enqueue({1, false, 2 * 1000 + 500, 8, 0});
  MediaResult r;
  ASSERT_TRUE(hdd.dispatch(0, r));
  EXPECT_EQ(r.slot, 1u);
  EXPECT_FALSE(hdd.dispatch(r.finish - 1, r));  // one actuator: busy until the first finishes
  ASSERT_TRUE(hdd.dispatch(r.finish, r));
  EXPECT_EQ(r.slot, 0u);
}

TEST(HddMedia, SequentialStreamRunsAtMediaRateWithReadAhead) {
  stats::Group root(nullptr, "stats");
  auto cfg = test_hdd();
  cfg.read_ahead = true;
  cfg.read_ahead_kib = 512;
  cfg.cmd_overhead_us = 20;
  HddMedia hdd(cfg, root);
  // 1000 sequential 4 KiB reads from LBA 0, each issued 10 us after the previous completes.
  // First: ready 0.02 ms, sector 0 (slot 0) passes at 10.0 ms. From there the drive streams: 8000
  // sectors = 8 tracks of 10 ms, with 7 track changes; each costs the skew of 101 sectors = 1.01 ms
  // (the switch, 0.5 or 1.0 ms, fits inside it). The host (30 us per command) is faster than the medium
  // (80 us per 4 KiB), so the last read completes when the stream gets there: 10 + 80 + 7*1.01 ms.
  Fs t = 0, last = 0;
  for (unsigned i = 0; i < 1000; ++i) {
    const auto r = run_one(hdd, {0, false, i * 8ull, 8, t}, t);
    last = r.finish;
    t = r.finish + us(10);
  }
  EXPECT_EQ(last, ms(97.07));
  // Media rate of zone 0: 1000 * 512 B per 10 ms = 51.2 MB/s; achieved 4,096,000 B in 87.07 ms of
  // streaming = 47.0 MB/s, within 10% of it (the loss is the track skew).
  const double mbps = 4096000.0 / ((static_cast<double>(last) - 10e12) / 1e15) / 1e6;
  EXPECT_GT(mbps, 0.9 * 51.2);
  EXPECT_EQ(dynamic_cast<const stats::Counter*>(root.find("hdd.cache_hits"))->value(), 999u);
}

namespace {
// 2 channels x 2 dies, 1 plane, 16 blocks of 8 pages of 4 KiB. The channel moves 4096 B in exactly
// 10 us (409.6 MB/s). tR 50 us, tPROG 500 us, tBERS 2 ms, firmware 5 us.
SsdConfig test_ssd() {
  SsdConfig c;
  c.channels = 2;
  c.dies_per_channel = 2;
  c.planes_per_die = 1;
  c.blocks_per_plane = 16;
  c.pages_per_block = 8;
  c.page_bytes = 4096;
  c.read_us = 50;
  c.program_us = 500;
  c.erase_us = 2000;
  c.channel_mbps = 409.6;
  c.cmd_overhead_us = 5;
  c.overprovision = 0.25;  // 12 user blocks per plane
  c.gc_threshold = 0.1;    // GC below ceil(1.6) = 2 free blocks
  c.preconditioned = true;
  return c;
}
}  // namespace

TEST(SsdMedia, SingleReadCostsReadTimePlusTransfer) {
  stats::Group root(nullptr, "stats");
  SsdMedia ssd(test_ssd(), root);
  EXPECT_EQ(ssd.logical_pages(), 4u * 12 * 8);
  EXPECT_EQ(ssd.xfer_fs(4096), us(10));
  EXPECT_EQ(ssd.die_of_page(5), 1u);  // preconditioned striping: page L on die L mod 4
  // 1 ms + 5 us firmware + 50 us tR + 10 us transfer.
  const auto r = run_one(ssd, {0, false, 5 * 8, 8, ms(1)}, ms(1));
  EXPECT_EQ(r.finish, ms(1) + us(65));
}

TEST(SsdMedia, QueuedReadsAcrossDiesFinishInTheTimeParallelismImplies) {
  stats::Group root(nullptr, "stats");
  SsdMedia ssd(test_ssd(), root);
  // Pages 0..7 queued at t=0 (two per die; dies 0,2 on channel 0, dies 1,3 on channel 1). All tR
  // start at 5 us and end at 55 us; each channel then moves its two first pages 55-65 and 65-75 us.
  // Die 0's second page (4) starts tR when its register frees at 65 -> 115, transfer 115-125; die 2's
  // second (6) starts at 75 -> 125, channel 0 free at 125 -> 125-135 us. Symmetrically on channel 1.
  // Serially the 8 reads would take 8 * 65 = 520 us.
  for (unsigned i = 0; i < 8; ++i) ssd.enqueue({i, false, i * 8ull, 8, 0});
  Fs finish[8] = {};
  MediaResult r;
  for (unsigned i = 0; i < 8; ++i) {
    ASSERT_TRUE(ssd.dispatch(0, r));
    finish[r.slot] = r.finish;
  }
  EXPECT_FALSE(ssd.dispatch(0, r));
  const Fs want[8] = {us(65), us(65), us(75), us(75), us(125), us(125), us(135), us(135)};
  for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(finish[i], want[i]) << "page " << i;
}

TEST(SsdMedia, SustainedRandomWritesTriggerGcAndSlowDown) {
  stats::Group root(nullptr, "stats");
  SsdMedia ssd(test_ssd(), root);
  // Batches of 8 random 4 KiB writes queued at once over the whole (full) drive. First batch, no GC
  // yet (4 spare blocks per plane): writes go to the die that frees first, round-robin 0,1,2,3: dies 0/1
  // transfer 5-15 us and program to 515; dies 2/3 wait for their channel, 15-25, program to 525. The
  // second four reuse dies 0,1 (free at 515: transfer 515-525, done 1025) and 2,3 (525-535, 1035).
  // Later, once planes are down to 2 free blocks, opening a block costs GC (copy the victim's valid
  // pages at tR + tPROG each, erase 2 ms) on that die, so batches take longer: the drive slows down.
  uint64_t x = 12345;
  Fs t = 0, first = 0;
  double late = 0;
  const unsigned batches = 300;
  for (unsigned b = 0; b < batches; ++b) {
    for (unsigned i = 0; i < 8; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      ssd.enqueue({i, true, ((x >> 33) % ssd.logical_pages()) * 8, 8, t});
    }
    Fs end = t;
    MediaResult r;
    while (ssd.dispatch(t, r)) end = std::max(end, r.finish);
    if (b == 0) first = end - t;
    if (b >= batches - 100) late += static_cast<double>(end - t) / 100;
    t = end;
  }
  EXPECT_EQ(first, us(1035));
  EXPECT_GT(ssd.gc_blocks(), 0u);
  EXPECT_GT(late, 1.5 * static_cast<double>(first));
  for (unsigned p = 0; p < 4; ++p) EXPECT_GE(ssd.free_blocks(p), 1u);
  // Every logical page is still mapped (GC moved valid pages, lost none).
  for (uint64_t l = 0; l < ssd.logical_pages(); ++l) ASSERT_NE(ssd.die_of_page(l), SsdMedia::kNone);
}

TEST(SsdMedia, GeometryWithoutSpareBlocksIsAConfigError) {
  stats::Group root(nullptr, "stats");
  auto c = test_ssd();
  c.overprovision = 0.01;  // floor(16 * 0.99) = 15 user blocks + 2 GC reserve > 16
  EXPECT_THROW(SsdMedia(c, root), cfg::ConfigError);
}

TEST(HddMedia, Preset7200SeekCurveAveragesTheDatasheetFigure) {
  // hdd-7200 defaults: 96,000 cylinders, 1.0 ms single, 7.65 ms at the 19,200-cylinder knee, 15.5 ms full
  // stroke. Vendors define the average seek over all seek lengths weighted by (N - d), i.e. random
  // source/destination pairs (spec §2.3); the 7K1000.C datasheet gives 8.5 ms for reads.
  stats::Group root(nullptr, "stats");
  HddMedia hdd(HddConfig{}, root);
  const uint64_t n = hdd.cylinders();
  ASSERT_EQ(n, 96000u);
  double sum = 0, w = 0;
  for (uint64_t d = 1; d < n; ++d) {
    sum += static_cast<double>(n - d) * static_cast<double>(hdd.seek_fs(d));
    w += static_cast<double>(n - d);
  }
  EXPECT_NEAR(sum / w / 1e12, 8.5, 0.05);
  // Capacity: 12,000 cylinders x 4 heads x (1600 + 1500 + ... + 900 = 10,000) sectors = 245.76 GB.
  EXPECT_EQ(hdd.capacity_sectors(), 12000ull * 4 * 10000);
}

TEST(HddMedia, ImpossibleGeometryOrSeekCurveIsAConfigError) {
  stats::Group root(nullptr, "stats");
  auto c = test_hdd();
  c.zones.clear();
  EXPECT_THROW(HddMedia(c, root), cfg::ConfigError);
  c = test_hdd();
  c.knee_cyl = 1999;  // the disk's longest seek is 1999 cylinders
  EXPECT_THROW(HddMedia(c, root), cfg::ConfigError);
  c = test_hdd();
  c.knee_ms = 0.5;  // below the single-cylinder seek
  EXPECT_THROW(HddMedia(c, root), cfg::ConfigError);
}

TEST(SectorStore, ReadsBackWhatWasWrittenAndZerosElsewhere) {
  SectorStore s(1000);
  std::vector<uint8_t> w(3 * 512), r(5 * 512);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(i * 7 + 1);
  s.write(6, 3, w.data());  // crosses the 8-sector chunk boundary
  s.read(5, 5, r.data());
  for (size_t i = 0; i < 512; ++i) ASSERT_EQ(r[i], 0);
  EXPECT_EQ(0, std::memcmp(r.data() + 512, w.data(), w.size()));
  for (size_t i = 4 * 512; i < r.size(); ++i) ASSERT_EQ(r[i], 0);
  EXPECT_THROW(s.write(999, 2, w.data()), std::logic_error);
}

// Write caches. The HDD below is test_hdd() (6000 rpm, 10 ms per revolution, 1000 sectors per track in
// zone 0, 100 us firmware time, seek 0.8 + 0.2 sqrt(d) ms below the knee) with its write cache on.
namespace {
HddConfig cached_hdd(uint64_t kib, uint64_t segments) {
  HddConfig c = test_hdd();
  c.write_cache = true;
  c.write_cache_kib = kib;
  c.write_cache_segments = segments;
  return c;
}
uint64_t counter_of(stats::Group& root, const char* path) {
  return dynamic_cast<const stats::Counter*>(root.find(path))->value();
}
}  // namespace

TEST(HddMedia, WriteCacheCompletesAtBufferSpeedAndDestagesWhileIdle) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(cached_hdd(64, 4), root);
  const uint64_t lba = (49 * 2 + 1) * 1000 + 10;  // cylinder 49, head 1, sector 10
  // The write is done once its data is in the buffer: firmware time only.
  const auto w = run_one(hdd, {3, true, lba, 8, ms(3.3)}, ms(3.3));
  EXPECT_EQ(w.finish, ms(3.4));
  // Idle: the drive destages it at once, exactly as an uncached write would have gone: ready at
  // 3.3 + 0.1 + seek(49) = 5.6 ms, rotational wait 4.49 ms, transfer 0.08 ms -> on the medium at 10.17 ms.
  MediaResult r;
  EXPECT_FALSE(hdd.dispatch(ms(3.3), r));
  EXPECT_EQ(hdd.next_event(ms(3.3)), ms(10.17));
  EXPECT_EQ(hdd.dirty_sectors(), 0u);
  // FLUSH CACHE waits for that destage.
  hdd.enqueue({4, false, 0, 0, ms(3.4), true});
  EXPECT_FALSE(hdd.dispatch(ms(3.4), r));
  ASSERT_TRUE(hdd.dispatch(ms(10.17), r));
  EXPECT_EQ(r.slot, 4u);
  EXPECT_EQ(r.finish, ms(10.17));
  EXPECT_EQ(counter_of(root, "hdd.destages"), 1u);
  EXPECT_EQ(counter_of(root, "hdd.write_cache_writes"), 1u);
}

TEST(HddMedia, AWriteThatFindsTheCacheFullWaitsForADestage) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(cached_hdd(8, 64), root);                    // 16 sectors: two 4 KiB writes
  hdd.enqueue({0, true, 500, 8, 0});                        // cylinder 0, head 0, sector 500
  hdd.enqueue({1, true, 2000000 + (500 * 2) * 500, 8, 0});  // cylinder 1500
  hdd.enqueue({2, true, 4000, 8, 0});
  MediaResult r;
  ASSERT_TRUE(hdd.dispatch(0, r));
  EXPECT_EQ(r.finish, us(100));
  ASSERT_TRUE(hdd.dispatch(0, r));
  EXPECT_EQ(r.finish, us(100));
  // The third does not fit: the drive destages the extent it reaches first from cylinder 0, the one on
  // cylinder 0 (no seek): ready 0.1 ms, sector 500 passes at 5.0 ms, 8 sectors on the medium at 5.08 ms.
  EXPECT_FALSE(hdd.dispatch(0, r));
  EXPECT_EQ(hdd.next_event(0), ms(5.08));
  ASSERT_TRUE(hdd.dispatch(ms(5.08), r));
  EXPECT_EQ(r.slot, 2u);
  EXPECT_EQ(r.finish, ms(5.18));
}

TEST(HddMedia, SequentialWritesMergeAndDirtyDataAnswersReads) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(cached_hdd(64, 1), root);  // one segment: only a contiguous run fits
  hdd.enqueue({0, true, 1000, 8, 0});
  hdd.enqueue({1, true, 1008, 8, 0});  // appends to the same extent
  hdd.enqueue({2, true, 5000, 8, 0});  // would need a second segment
  MediaResult r;
  ASSERT_TRUE(hdd.dispatch(0, r));
  ASSERT_TRUE(hdd.dispatch(0, r));
  EXPECT_EQ(r.slot, 1u);
  EXPECT_FALSE(hdd.dispatch(0, r));  // slot 2 waits; the 16-sector extent is destaged as one access
  EXPECT_EQ(counter_of(root, "hdd.destaged_sectors"), 16u);
  // While it is being destaged, a read of it comes from the buffer.
  hdd.enqueue({3, false, 1004, 8, us(10)});
  ASSERT_TRUE(hdd.dispatch(us(10), r));
  EXPECT_EQ(r.slot, 3u);
  EXPECT_EQ(r.finish, us(110));
  EXPECT_EQ(counter_of(root, "hdd.write_cache_read_hits"), 1u);
}

TEST(HddMedia, FlushWithoutWriteCacheWaitsOnlyForWritesInProgress) {
  stats::Group root(nullptr, "stats");
  HddMedia hdd(test_hdd(), root);  // write cache off: writes complete on the medium
  const auto w = run_one(hdd, {0, true, (49 * 2 + 1) * 1000 + 10, 8, ms(3.3)}, ms(3.3));
  EXPECT_EQ(w.finish, ms(10.17));  // the full positioning and transfer
  hdd.enqueue({1, false, 0, 0, ms(4), true});
  MediaResult r;
  EXPECT_FALSE(hdd.dispatch(ms(4), r));
  ASSERT_TRUE(hdd.dispatch(ms(10.17), r));
  EXPECT_EQ(r.finish, ms(10.17));
}

TEST(SsdMedia, WriteBufferCompletesEarlyAndHoldsSpaceUntilProgrammed) {
  stats::Group root(nullptr, "stats");
  auto c = test_ssd();
  c.write_buffer_kib = 8;  // two 4 KiB pages
  c.buffer_write_us = 4;
  c.buffer_write_us_per_4k = 0.5;
  SsdMedia ssd(c, root);
  for (unsigned i = 0; i < 3; ++i) ssd.enqueue({i, true, (10 + i) * 8ull, 8, 0});
  ssd.enqueue({3, false, 0, 0, 0, true});
  Fs finish[4] = {};
  MediaResult r;
  for (unsigned i = 0; i < 4; ++i) {
    ASSERT_TRUE(ssd.dispatch(0, r));
    finish[r.slot] = r.finish;
  }
  // Buffered after 4 + 0.5 us; each page then takes its channel for 10 us and its die for tPROG 500 us,
  // holding its buffer space until then: pages 1 and 2 (dies 0 and 1) are programmed at 514.5 us.
  EXPECT_EQ(finish[0], ns(4500));
  EXPECT_EQ(finish[1], ns(4500));
  // The third waits for space until 514.5 us, is buffered at 519 us and programmed on die 2 (channel 0,
  // free) from 519 to 529 + 500 = 1029 us; the FLUSH completes then.
  EXPECT_EQ(finish[2], ns(519000));
  EXPECT_EQ(finish[3], ns(1029000));
  // A read of a page still in the buffer is answered from DRAM.
  EXPECT_EQ(run_one(ssd, {4, false, 12 * 8, 8, us(600)}, us(600)).finish, us(605));
  EXPECT_EQ(counter_of(root, "ssd.buffer_read_hits"), 1u);
}

TEST(SsdMedia, SubPageWriteReadsTheRestOfTheOldPageFirst) {
  stats::Group root(nullptr, "stats");
  auto c = test_ssd();
  c.page_bytes = 8192;  // two 4 KiB halves; page L preconditioned on die L mod 4
  SsdMedia ssd(c, root);
  // 4 KiB into page 5 at 1 ms: firmware 5 us; the other half is read from page 5's die 1 (tR 50 us, 4 KiB
  // over channel 1 in 10 us); the whole page then goes to die 0 (channel 0, 8 KiB in 20 us) and is
  // programmed in 500 us: done at 1 ms + 5 + 60 + 20 + 500 us.
  EXPECT_EQ(run_one(ssd, {0, true, 5 * 16, 8, ms(1)}, ms(1)).finish, ms(1) + us(585));
  EXPECT_EQ(counter_of(root, "ssd.rmw_reads"), 1u);
  // A whole page needs no read: 16 sectors of page 6 at 3 ms go straight to a free die.
  EXPECT_EQ(run_one(ssd, {1, true, 6 * 16, 16, ms(3)}, ms(3)).finish, ms(3) + us(5 + 20 + 500));
  EXPECT_EQ(counter_of(root, "ssd.rmw_reads"), 1u);
}
