// Configuration of the disk: controller, HDD and SSD media (spec: ../shared/spec/disk.md §2, §3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/core/config.h"

namespace pc::disk {

struct HddZone {
  uint64_t cylinders = 12000;          // cylinders in this zone (zones run from the outer edge inwards)
  uint64_t sectors_per_track = 1600;   // 512-byte sectors per track in this zone

  void describe(cfg::Visitor& v) {
    v.u64("cylinders", cylinders, "cylinders", "cylinders in the zone", 1, 10000000);
    v.u64("sectors_per_track", sectors_per_track, "sectors", "sectors per track in the zone", 1, 100000);
  }
};

// Defaults: a 250 GB 7200 rpm desktop drive of the 2.6.18 era (see hdd-7200 preset).
struct HddConfig {
  double rpm = 7200;
  uint64_t heads = 4;                   // recording surfaces
  std::vector<HddZone> zones = {{12000, 1600}, {12000, 1500}, {12000, 1400}, {12000, 1300},
                                {12000, 1200}, {12000, 1100}, {12000, 1000}, {12000, 900}};
  // Seek curve, Ruemmler–Wilkes/DiskSim HPL form: a + b*sqrt(d) below the knee, c + e*d from it,
  // pinned to these points (the two pieces meet at the knee).
  double single_cyl_ms = 1.0;           // seek of one cylinder
  uint64_t knee_cyl = 19200;            // distance where the curve turns linear
  double knee_ms = 7.65;                // seek time at the knee
  double full_stroke_ms = 15.5;         // seek over all cylinders
  double head_switch_ms = 1.0;          // switch to another surface of the same cylinder
  double write_settle_ms = 0.0;         // extra settle for writes after a seek
  double cmd_overhead_us = 20;          // drive firmware time per command
  bool read_ahead = true;               // on-drive read cache with read-ahead
  uint64_t read_ahead_kib = 512;        // how far the drive reads ahead of a read
  double max_wait_ms = 500;             // NCQ: a command older than this is served next (no starvation)
  // Write cache (WCE, on by default as drives of the era shipped): a write completes once its data is in
  // the buffer; the drive destages dirty data in its own order (shortest positioning first) while idle, or
  // at once when a write waits for buffer space or a FLUSH CACHE waits.
  bool write_cache = true;
  uint64_t write_cache_kib = 4096;     // buffer space for dirty data (half of the era's 8 MiB buffer)
  uint64_t write_cache_segments = 64;  // contiguous dirty extents the buffer can hold

  void describe(cfg::Visitor& v) {
    v.f64("rpm", rpm, "rpm", "spindle speed", 1000, 30000);
    v.u64("heads", heads, "surfaces", "recording surfaces (heads)", 1, 64);
    v.list("zones", zones, "zoned geometry, outer zone first: cylinders and sectors per track");
    v.f64("single_cyl_ms", single_cyl_ms, "ms", "seek time over one cylinder", 0.01, 100);
    v.u64("knee_cyl", knee_cyl, "cylinders", "seek distance where the square-root curve turns linear", 2, 100000000);
    v.f64("knee_ms", knee_ms, "ms", "seek time at the knee distance", 0.01, 1000);
    v.f64("full_stroke_ms", full_stroke_ms, "ms", "seek time over all cylinders", 0.01, 1000);
    v.f64("head_switch_ms", head_switch_ms, "ms", "head switch within a cylinder", 0, 100);
    v.f64("write_settle_ms", write_settle_ms, "ms", "additional settle time of a write after a seek", 0, 100);
    v.f64("cmd_overhead_us", cmd_overhead_us, "us", "drive command processing time", 0, 100000);
    v.boolean("read_ahead", read_ahead, "on-drive read cache with sequential read-ahead");
    v.u64("read_ahead_kib", read_ahead_kib, "KiB", "read-ahead distance beyond a read", 0, 1 << 20);
    v.f64("max_wait_ms", max_wait_ms, "ms", "NCQ aging: a command waiting longer is served first", 0.001, 1e6);
    v.boolean("write_cache", write_cache,
              "write cache (WCE): writes complete into the buffer and are destaged later; FLUSH CACHE waits "
              "for them");
    v.u64("write_cache_kib", write_cache_kib, "KiB", "buffer space for dirty (not yet destaged) data", 4,
          1 << 20);
    v.u64("write_cache_segments", write_cache_segments, "extents",
          "contiguous dirty extents the buffer holds", 1, 65536);
  }
};

// Defaults: MQSim's default SSD (ssdconfig.xml), with blocks per plane scaled down (see ssd-mqsim).
struct SsdConfig {
  uint64_t channels = 8;
  uint64_t dies_per_channel = 8;        // chips x dies sharing one channel
  uint64_t planes_per_die = 2;
  uint64_t blocks_per_plane = 128;
  uint64_t pages_per_block = 256;
  uint64_t page_bytes = 8192;
  double read_us = 75;                  // tR: page to data register
  double program_us = 750;              // tPROG
  double erase_us = 3800;               // tBERS
  double channel_mbps = 333;            // channel transfer rate (MB/s; 1-byte bus at 333 MT/s)
  double cmd_overhead_us = 20;          // firmware time per command (host interface + FTL lookup)
  double overprovision = 0.07;          // share of physical pages hidden from the host
  double gc_threshold = 0.05;           // GC when a plane's free blocks fall below this share
  bool preconditioned = true;           // start with every logical page mapped (a filled drive)
  // DRAM write buffer with early completion (0 = off: a write completes when its pages are programmed).
  uint64_t write_buffer_kib = 0;
  double buffer_write_us = 4.0;          // firmware time of a write into the buffer, per command
  double buffer_write_us_per_4k = 0.46;  // plus this per 4 KiB (NVMeVirt's FW_WBUF_LATENCY0/1)

  void describe(cfg::Visitor& v) {
    v.u64("channels", channels, "channels", "flash channels", 1, 64);
    v.u64("dies_per_channel", dies_per_channel, "dies", "dies sharing one channel", 1, 64);
    v.u64("planes_per_die", planes_per_die, "planes", "planes per die", 1, 16);
    v.u64("blocks_per_plane", blocks_per_plane, "blocks", "erase blocks per plane", 4, 1 << 20);
    v.u64("pages_per_block", pages_per_block, "pages", "pages per erase block", 1, 4096);
    v.u64("page_bytes", page_bytes, "bytes", "flash page size (multiple of 4096)", 4096, 65536);
    v.f64("read_us", read_us, "us", "page read time tR", 0.001, 100000);
    v.f64("program_us", program_us, "us", "page program time tPROG", 0.001, 100000);
    v.f64("erase_us", erase_us, "us", "block erase time tBERS", 0.001, 1000000);
    v.f64("channel_mbps", channel_mbps, "MB/s", "channel transfer rate", 1, 100000);
    v.f64("cmd_overhead_us", cmd_overhead_us, "us", "firmware time per command", 0, 100000);
    v.f64("overprovision", overprovision, "", "share of physical capacity hidden from the host", 0.01, 0.9);
    v.f64("gc_threshold", gc_threshold, "", "GC when a plane's free-block share falls below this", 0.001, 0.5);
    v.boolean("preconditioned", preconditioned, "start full: every logical page mapped");
    v.u64("write_buffer_kib", write_buffer_kib, "KiB",
          "DRAM write buffer: writes complete once buffered and are programmed behind (0 = off)", 0, 1 << 24);
    v.f64("buffer_write_us", buffer_write_us, "us", "firmware time of a buffered write, per command", 0,
          100000);
    v.f64("buffer_write_us_per_4k", buffer_write_us_per_4k, "us",
          "firmware time of a buffered write, per 4 KiB", 0, 100000);
  }
};

struct ControllerConfig {
  uint64_t mmio_latency_ns = 100;       // register access
  uint64_t dma_burst_bytes = 64;        // DMA moves data in transactions of this size
  uint64_t queue_depth = 32;            // NCQ depth the controller reports (slots)
  double link_mbps = 600;               // SATA link data rate, MB/s (6 Gb/s after 8b/10b); 0 = unlimited

  void describe(cfg::Visitor& v) {
    v.u64("mmio_latency_ns", mmio_latency_ns, "ns", "latency of a register access", 0, 100000);
    v.u64("dma_burst_bytes", dma_burst_bytes, "bytes", "bytes per DMA transaction (power of two)", 8, 4096);
    v.u64("queue_depth", queue_depth, "slots", "command slots", 1, 32);
    v.f64("link_mbps", link_mbps, "MB/s", "SATA link data rate between drive and controller (0 = unlimited)", 0, 100000);
  }
};

enum class InjectOn : uint8_t { Read, Write, Both };

// A range of sectors whose commands fail with an uncorrectable media error (ATA ERR.UNC) in the given
// direction, after the medium has spent the command's time on them.
struct InjectedError {
  uint64_t lba = 0;
  uint64_t sectors = 1;
  InjectOn on = InjectOn::Both;

  bool hits(bool write, uint64_t first, uint64_t count) const {
    if (on != InjectOn::Both && (on == InjectOn::Write) != write) return false;
    return first < lba + sectors && lba < first + count;
  }
  void describe(cfg::Visitor& v) {
    v.u64("lba", lba, "sector", "first failing sector");
    v.u64("sectors", sectors, "sectors", "sectors that fail from lba on", 1, 1ull << 48);
    v.choice("on", on, {{"read", InjectOn::Read}, {"write", InjectOn::Write}, {"both", InjectOn::Both}},
             "which commands fail: reads, writes or both");
  }
};

struct DiskConfig {
  bool present = true;                  // the platform has a disk controller
  std::string media = "hdd";            // hdd | ssd
  ControllerConfig controller;
  HddConfig hdd;
  SsdConfig ssd;
  std::vector<InjectedError> inject_errors;  // sector ranges that fail (fault injection)

  void describe(cfg::Visitor& v) {
    v.boolean("present", present, "the platform has a disk controller and disk");
    v.str("media", media, "disk medium", {"hdd", "ssd"});
    v.section("controller", controller, "AHCI-like controller with NCQ");
    v.section("hdd", hdd, "hard disk: zoned geometry, seek curve, rotation, read-ahead");
    v.section("ssd", ssd, "NAND SSD: channels x dies x planes, page-mapped FTL with GC");
    v.list("inject_errors", inject_errors,
           "sector ranges whose reads and/or writes complete with an uncorrectable media error: "
           "[{\"lba\": N, \"sectors\": M, \"on\": \"read\"|\"write\"|\"both\"}]");
  }
};

}  // namespace pc::disk
