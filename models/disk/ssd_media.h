// NAND SSD medium: channels x dies x planes with per-die tR/tPROG/tBERS and per-channel transfer, a
// page-mapped FTL with dynamic die allocation and greedy garbage collection below a free-block
// threshold, sub-page writes as read-modify-write, and a DRAM write buffer with early completion
// (../shared/spec/disk.md §3.1, §3.3, §3.5; MQSim/SimpleSSD structure, NVMeVirt's write buffer).
#pragma once

#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "models/disk/disk_config.h"
#include "models/disk/media.h"
#include "platform/core/stats.h"

namespace pc::disk {

class SsdMedia : public Media {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  // Throws cfg::ConfigError when the geometry leaves no room for the FTL (too few spare blocks).
  SsdMedia(const SsdConfig& cfg, stats::Group& parent);
  ~SsdMedia() override;

  uint64_t capacity_sectors() const override { return m_logical_pages * m_sectors_per_page; }
  void enqueue(const MediaOp& op) override { m_queue.push_back(op); }
  bool dispatch(Fs now, MediaResult& out) override;
  void finish_stats(Fs now) override;

  // Public for tests.
  unsigned dies() const { return m_dies; }
  unsigned channel_of_die(unsigned die) const { return die % m_cfg.channels; }
  // The die holding logical page `lpn`, or kNone if it is unmapped.
  uint32_t die_of_page(uint64_t lpn) const;
  uint64_t logical_pages() const { return m_logical_pages; }
  uint64_t page_sectors() const { return m_sectors_per_page; }
  Fs read_fs() const { return m_tr; }
  Fs program_fs() const { return m_tprog; }
  Fs erase_fs() const { return m_tbers; }
  Fs overhead_fs() const { return m_overhead; }
  Fs xfer_fs(uint64_t bytes) const;
  uint64_t gc_blocks() const { return m_gc_blocks.value(); }
  uint64_t free_blocks(unsigned plane) const { return m_planes[plane].free.size(); }

 private:
  struct Plane {
    std::deque<uint32_t> free;  // erased blocks (global block ids)
    uint32_t active = kNone;    // block being programmed
    uint32_t write_ptr = 0;     // next page in the active block
  };
  uint32_t block_of(uint32_t ppn) const { return ppn / static_cast<uint32_t>(m_cfg.pages_per_block); }
  unsigned plane_of_block(uint32_t blk) const { return blk / static_cast<uint32_t>(m_cfg.blocks_per_plane); }
  unsigned die_of_plane(unsigned plane) const { return plane / static_cast<unsigned>(m_cfg.planes_per_die); }
  // Next free page of the plane's active block, opening a new block when it is full.
  uint32_t allocate(unsigned plane);
  void map(uint64_t lpn, uint32_t ppn);
  // Greedy GC on one plane while its free blocks are below the threshold; returns the die time it takes.
  Fs collect(unsigned plane);
  Fs read_page(Fs t0, uint64_t lpn, uint64_t bytes);
  // Programs logical page `lpn` with `bytes` of new data whose transfer may start at t0; a write smaller
  // than a page first reads the rest of the old page (read-modify-write) unless it is still buffered.
  Fs write_page(Fs t0, uint64_t lpn, uint64_t bytes);
  // Write buffer: the time `bytes` of space are free at or after `t`, taking that space until `release`
  // is known (set by hold()).
  Fs buffer_space(Fs t, uint64_t bytes);

  SsdConfig m_cfg;
  unsigned m_dies = 0, m_planes_total = 0;
  uint64_t m_logical_pages = 0, m_sectors_per_page = 0, m_gc_free_min = 0;
  Fs m_tr = 0, m_tprog = 0, m_tbers = 0, m_overhead = 0;
  std::vector<uint32_t> m_fwd;    // logical page -> physical page
  std::vector<uint32_t> m_rev;    // physical page -> logical page (kNone when invalid or free)
  std::vector<uint32_t> m_valid;  // valid pages per block
  std::vector<Plane> m_planes;
  std::vector<unsigned> m_plane_rr;  // per die: next plane to program
  std::vector<Fs> m_die_free, m_ch_free, m_die_busy;
  std::deque<MediaOp> m_queue;
  unsigned m_die_rr = 0;
  // Write buffer: bytes held until their page is programmed (release time, bytes), the earliest time the
  // next buffered write may enter, the end of the last program, and pages whose newest data is buffered.
  struct Held {
    Fs release;
    uint64_t bytes, lpn;
    bool operator>(const Held& o) const { return release > o.release; }
  };
  std::priority_queue<Held, std::vector<Held>, std::greater<>> m_buf;
  uint64_t m_buf_used = 0, m_buf_capacity = 0;
  Fs m_buf_cursor = 0, m_programs_done = 0;
  std::unordered_map<uint64_t, Fs> m_buffered;  // lpn -> when its buffered copy is programmed

  stats::Group m_stats;
  stats::Counter m_page_reads, m_page_programs, m_unmapped_reads, m_gc_blocks, m_gc_pages_moved, m_erases;
  stats::Counter m_rmw_reads, m_buffered_writes, m_buffer_read_hits;
  stats::Scalar m_gc_time_us, m_die_util_mean, m_die_util_max;
  stats::Formula m_write_amp;
};

}  // namespace pc::disk
