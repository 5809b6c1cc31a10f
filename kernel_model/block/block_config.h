// Configuration of the kernel block layer and disk driver (Linux 2.6.18 block/ll_rw_blk.c defaults,
// ../shared/spec/disk.md §4.3).
#pragma once

#include <cstdint>
#include <string>

#include "platform/core/config.h"

namespace pc::kernel {

struct BlockConfig {
  std::string elevator = "deadline";  // I/O scheduler: noop | deadline
  uint64_t nr_requests = 128;         // BLKDEV_MAX_RQ: requests per queue (per direction)
  uint64_t unplug_thresh = 4;         // unplug once this many requests are queued
  double unplug_delay_ms = 3;         // unplug timer
  uint64_t max_sectors = 256;         // largest request (sectors) merging may build
  uint64_t max_segments = 128;        // MAX_PHYS_SEGMENTS: bio segments per request
  double read_expire_ms = 500;        // deadline: HZ/2
  double write_expire_ms = 5000;      // deadline: 5*HZ
  uint64_t fifo_batch = 16;           // deadline: requests per batch
  uint64_t writes_starved = 2;        // deadline: read batches before a write batch must run
  uint64_t queue_depth = 31;          // NCQ tags the driver uses (2.6.18 ahci: can_queue 31)
  uint64_t dma_region_kib = 1024;     // descriptors: the top of DRAM, reserved for the driver
  uint64_t irq_entry_ns = 1000;       // CPU cost of taking the interrupt (entry, EOI, exit)

  void describe(cfg::Visitor& v) {
    v.str("elevator", elevator, "I/O scheduler", {"noop", "deadline"});
    v.u64("nr_requests", nr_requests, "requests", "request slots per queue and direction (BLKDEV_MAX_RQ)", 4, 8192);
    v.u64("unplug_thresh", unplug_thresh, "requests", "queued requests that unplug the queue", 1, 8192);
    v.f64("unplug_delay_ms", unplug_delay_ms, "ms", "unplug timer", 0.001, 10000);
    v.u64("max_sectors", max_sectors, "sectors", "largest request merging may build", 8, 65536);
    v.u64("max_segments", max_segments, "segments", "bio segments per request (at most the controller's 256 PRD entries)", 1, 256);
    v.f64("read_expire_ms", read_expire_ms, "ms", "deadline: read FIFO expiry", 0.001, 1e6);
    v.f64("write_expire_ms", write_expire_ms, "ms", "deadline: write FIFO expiry", 0.001, 1e6);
    v.u64("fifo_batch", fifo_batch, "requests", "deadline: requests dispatched per batch", 1, 8192);
    v.u64("writes_starved", writes_starved, "batches", "deadline: read batches that may starve writes", 0, 1000);
    v.u64("queue_depth", queue_depth, "tags", "NCQ tags the driver keeps in flight", 1, 32);
    v.u64("dma_region_kib", dma_region_kib, "KiB", "driver descriptor memory at the top of DRAM", 256, 1 << 20);
    v.u64("irq_entry_ns", irq_entry_ns, "ns", "CPU time to enter and leave the disk interrupt", 0, 1000000);
  }
};

}  // namespace pc::kernel
