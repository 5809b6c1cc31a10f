// Hard-disk medium: zoned geometry, DiskSim/Ruemmler–Wilkes HPL seek curve, a spindle whose angular
// position follows simulated time, head switches, per-zone media rate, a read-ahead cache, a segmented
// write cache destaged shortest-positioning-first, and NCQ shortest-positioning-time-first scheduling
// (../shared/spec/disk.md §2.1, §2.4; DiskSim's buffer segments and immediate-report writes).
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "models/disk/disk_config.h"
#include "models/disk/media.h"
#include "platform/core/stats.h"

namespace pc::disk {

class HddMedia : public Media {
 public:
  struct Chs {
    uint64_t cyl = 0;
    uint32_t head = 0;
    uint32_t sector = 0;  // sector index within the track
    uint32_t spt = 0;     // sectors per track of the zone
    uint32_t zone = 0;
  };

  HddMedia(const HddConfig& cfg, stats::Group& parent);

  uint64_t capacity_sectors() const override { return m_capacity; }
  void enqueue(const MediaOp& op) override { m_queue.push_back(op); }
  bool dispatch(Fs now, MediaResult& out) override;
  Fs next_event(Fs now) const override;
  uint64_t dirty_sectors() const { return m_dirty_sectors; }

  // Geometry and timing, public for tests.
  Chs chs(uint64_t lba) const;
  uint64_t cylinders() const { return m_cylinders; }
  Fs rev_fs() const { return m_rev; }
  Fs seek_fs(uint64_t distance) const;
  // Angular offset (in sectors) of sector 0 of a track: track skew hides the switch to the next track.
  uint32_t track_skew(uint32_t zone) const { return m_skew[zone]; }
  // Time within a revolution at which sector `s` of the track starts passing under the head.
  Fs sector_angle_fs(const Chs& c) const;
  // Service of a command that starts at `now` from the current head position, without read-ahead
  // hits: overhead + positioning + rotational wait + transfer (crossing tracks as needed).
  struct Access {
    Fs finish = 0, seek = 0, rotation = 0, transfer = 0;
    uint64_t distance = 0;
  };
  Access access(Fs now, bool write, uint64_t lba, uint32_t sectors) const;
  void set_head(uint64_t cyl, uint32_t head) { m_cyl = cyl; m_head = head; }
  uint64_t head_cyl() const { return m_cyl; }

 private:
  Fs position_fs(uint64_t from_cyl, uint32_t from_head, uint64_t to_cyl, uint32_t to_head, bool write,
                 uint64_t* distance) const;
  uint64_t angular_index(const Chs& c) const;
  uint64_t stream_position(Fs now) const;
  Fs rot_wait(Fs t, const Chs& c) const;
  // Transfers `sectors` from `lba`, the head already on its track at time t; returns the end time and
  // accumulates rotational waits (after the first, only those following track switches).
  Fs transfer(Fs t, uint64_t lba, uint32_t sectors, Fs* rot, Fs* xfer) const;
  Fs positioning_estimate(Fs now, uint64_t from_cyl, uint32_t from_head, const MediaOp& op) const;
  bool ra_hit(const MediaOp& op) const;
  void sync_head_to_stream(Fs now);
  void head_now(Fs now, uint64_t& cyl, uint32_t& head) const;  // for positioning estimates
  // Serves `op` from the medium now (read miss, or a write without the cache): SPTF has chosen it.
  Fs serve_from_medium(Fs now, const MediaOp& op);
  // Write cache: takes [lba, lba + n) into the dirty set if space and segments allow.
  bool absorb(uint64_t lba, uint64_t n);
  bool dirty_hit(const MediaOp& op) const;
  // A FLUSH at queue index i completes once no earlier write is queued and nothing dirty or destaging
  // remains.
  bool flush_done(Fs now, size_t i) const;
  // Starts destaging the dirty extent with the shortest positioning time.
  void destage(Fs now);

  HddConfig m_cfg;
  uint64_t m_capacity = 0, m_cylinders = 0;
  std::vector<uint64_t> m_zone_lba, m_zone_cyl;  // first LBA / cylinder of each zone
  std::vector<uint32_t> m_skew;
  Fs m_rev = 0, m_overhead = 0, m_head_switch = 0, m_settle = 0, m_max_wait = 0;
  double m_sqrt_a = 0, m_sqrt_b = 0, m_lin_c = 0, m_lin_e = 0;  // seek curve in fs

  std::deque<MediaOp> m_queue;
  uint64_t m_cyl = 0;
  uint32_t m_head = 0;
  Fs m_busy_until = 0;
  // Read-ahead stream: sectors [m_ra_first, m_ra_next) are cached; the head reads on from m_ra_next,
  // which starts under the head at m_ra_time, and stops at m_ra_limit.
  bool m_ra_valid = false;
  uint64_t m_ra_first = 0, m_ra_next = 0, m_ra_limit = 0, m_ra_sectors = 0;
  Fs m_ra_time = 0;

  // Write cache: dirty extents (start -> end LBA), the extent being destaged, and when the last write
  // that went to the medium (destage or uncached write) is done.
  std::map<uint64_t, uint64_t> m_dirty;
  uint64_t m_dirty_sectors = 0, m_wc_capacity = 0;
  uint64_t m_destage_lba = 0, m_destage_sectors = 0,
           m_stream_lba = ~uint64_t{0};  // stream: where the last destage ended
  Fs m_destage_end = 0, m_writes_done = 0;

  stats::Group m_stats;
  stats::Histogram m_seek_distance, m_seek_time, m_rot_latency;
  stats::Counter m_cache_hits, m_cache_misses, m_sptf_reorders;
  stats::Counter m_wc_writes, m_wc_read_hits, m_destages, m_destaged_sectors;
};

}  // namespace pc::disk
