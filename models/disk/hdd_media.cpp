// Hard-disk medium: geometry, seek curve, spindle position, read-ahead and SPTF.
#include "models/disk/hdd_media.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "platform/core/config.h"

namespace pc::disk {

HddMedia::HddMedia(const HddConfig& cfg, stats::Group& parent)
    : m_cfg(cfg),
      m_stats(&parent, "hdd", "hard-disk mechanics"),
      m_seek_distance(m_stats, "seek_distance", "cylinders",
                      "seek distance per command served from the medium"),
      m_seek_time(m_stats, "seek_time_us", "us",
                  "seek (or head switch) time per command served from the medium"),
      m_rot_latency(m_stats, "rotational_latency_us", "us",
                    "rotational wait before the first sector, per command"),
      m_cache_hits(m_stats, "cache_hits", "commands", "reads served from the read-ahead cache"),
      m_cache_misses(m_stats, "cache_misses", "commands", "reads that went to the medium"),
      m_sptf_reorders(m_stats, "ncq_reorders", "commands", "commands NCQ started ahead of an older one"),
      m_wc_writes(m_stats, "write_cache_writes", "commands", "writes completed into the write cache"),
      m_wc_read_hits(m_stats, "write_cache_read_hits", "commands",
                     "reads served from dirty data in the write cache"),
      m_destages(m_stats, "destages", "accesses", "medium writes of dirty extents from the write cache"),
      m_destaged_sectors(m_stats, "destaged_sectors", "sectors",
                         "sectors written from the write cache to the medium") {
  if (cfg.zones.empty()) throw pc::cfg::ConfigError("disk.hdd.zones: expected at least one zone");
  uint64_t lba = 0, cyl = 0;
  for (const auto& z : cfg.zones) {
    m_zone_lba.push_back(lba);
    m_zone_cyl.push_back(cyl);
    lba += z.cylinders * cfg.heads * z.sectors_per_track;
    cyl += z.cylinders;
  }
  m_capacity = lba;
  m_cylinders = cyl;
  // The seek curve must rise: single cylinder <= knee <= full stroke, with the knee inside the disk.
  if (cfg.knee_cyl >= m_cylinders - 1)
    throw pc::cfg::ConfigError(fmt::format("disk.hdd.knee_cyl: {} must be below the last seek distance ({} cylinders)",
                                           cfg.knee_cyl, m_cylinders - 1));
  if (!(cfg.single_cyl_ms <= cfg.knee_ms && cfg.knee_ms <= cfg.full_stroke_ms))
    throw pc::cfg::ConfigError(fmt::format(
        "disk.hdd: expected single_cyl_ms <= knee_ms <= full_stroke_ms, got {} / {} / {}", cfg.single_cyl_ms,
        cfg.knee_ms, cfg.full_stroke_ms));
  m_rev = static_cast<Fs>(std::llround(60e15 / cfg.rpm));
  m_overhead = fs_from_us(cfg.cmd_overhead_us);
  m_head_switch = fs_from_ms(cfg.head_switch_ms);
  m_settle = fs_from_ms(cfg.write_settle_ms);
  m_max_wait = fs_from_ms(cfg.max_wait_ms);
  m_ra_sectors = cfg.read_ahead ? cfg.read_ahead_kib * 2 : 0;
  m_wc_capacity = cfg.write_cache ? cfg.write_cache_kib * 2 : 0;
  // HPL curve pinned at d=1 (single_cyl), d=knee (knee_ms) and d=N-1 (full stroke), continuous at the knee.
  const double knee = static_cast<double>(cfg.knee_cyl);
  const double full = static_cast<double>(m_cylinders - 1);
  m_sqrt_b = (cfg.knee_ms - cfg.single_cyl_ms) / (std::sqrt(knee) - 1.0);
  m_sqrt_a = cfg.single_cyl_ms - m_sqrt_b;
  m_lin_e = full > knee ? (cfg.full_stroke_ms - cfg.knee_ms) / (full - knee) : 0.0;
  m_lin_c = cfg.knee_ms - m_lin_e * knee;
  // Track skew: sector 0 of the next track trails the previous track's sector 0 by enough sectors to
  // cover a head switch or a one-cylinder seek, plus one sector of margin, so a sequential transfer
  // crossing tracks waits only the switch (DiskSim's track/cylinder skew).
  const Fs sw = std::max(m_head_switch, seek_fs(1));
  for (const auto& z : cfg.zones) {
    const uint64_t s = (static_cast<U128>(sw) * z.sectors_per_track + m_rev - 1) / m_rev + 1;
    m_skew.push_back(static_cast<uint32_t>(std::min<uint64_t>(s, z.sectors_per_track - 1)));
  }
}

Fs HddMedia::seek_fs(uint64_t d) const {
  if (d == 0) return 0;
  const double ms = d < m_cfg.knee_cyl ? m_sqrt_a + m_sqrt_b * std::sqrt(static_cast<double>(d))
                                       : m_lin_c + m_lin_e * static_cast<double>(d);
  return fs_from_ms(ms);
}

HddMedia::Chs HddMedia::chs(uint64_t lba) const {
  const size_t z = static_cast<size_t>(std::upper_bound(m_zone_lba.begin(), m_zone_lba.end(), lba) - m_zone_lba.begin() - 1);
  const uint64_t spt = m_cfg.zones[z].sectors_per_track;
  const uint64_t rel = lba - m_zone_lba[z];
  const uint64_t track = rel / spt;
  Chs c;
  c.cyl = m_zone_cyl[z] + track / m_cfg.heads;
  c.head = static_cast<uint32_t>(track % m_cfg.heads);
  c.sector = static_cast<uint32_t>(rel % spt);
  c.spt = static_cast<uint32_t>(spt);
  c.zone = static_cast<uint32_t>(z);
  return c;
}

// Sector k of a track (after skew) starts at floor(k * T_rev / spt) within the revolution; the spindle is
// at angle 0 at time 0, so the platter position is simply t mod T_rev.
uint64_t HddMedia::angular_index(const Chs& c) const {
  const uint64_t g = c.cyl * m_cfg.heads + c.head;
  return (c.sector + (g % c.spt) * m_skew[c.zone]) % c.spt;
}

Fs HddMedia::sector_angle_fs(const Chs& c) const {
  return static_cast<Fs>(static_cast<U128>(angular_index(c)) * m_rev / c.spt);
}

Fs HddMedia::rot_wait(Fs t, const Chs& c) const {
  const Fs a = sector_angle_fs(c), p = t % m_rev;
  return a >= p ? a - p : a + m_rev - p;
}

Fs HddMedia::position_fs(uint64_t from_cyl, uint32_t from_head, uint64_t to_cyl, uint32_t to_head, bool write,
                         uint64_t* distance) const {
  const uint64_t d = to_cyl > from_cyl ? to_cyl - from_cyl : from_cyl - to_cyl;
  if (distance) *distance = d;
  if (d > 0) return seek_fs(d) + (write ? m_settle : 0);
  return to_head != from_head ? m_head_switch : 0;
}

Fs HddMedia::transfer(Fs t, uint64_t lba, uint32_t sectors, Fs* rot, Fs* xfer) const {
  bool first = true;
  while (sectors > 0) {
    const Chs c = chs(lba);
    const Fs w = rot_wait(t, c);
    if (rot && first) *rot += w;
    t += w;
    const uint32_t n = std::min<uint32_t>(sectors, c.spt - c.sector);
    // Sector boundaries are at floor(k*T/spt); read from the start of sector i to the start of i+n.
    const uint64_t i = angular_index(c);
    auto boundary = [&](uint64_t k) {
      return static_cast<Fs>((k / c.spt) * m_rev + static_cast<U128>(k % c.spt) * m_rev / c.spt);
    };
    const Fs dt = boundary(i + n) - boundary(i);
    t += dt;
    if (xfer) *xfer += dt + (first ? 0 : w);
    first = false;
    sectors -= n;
    lba += n;
    if (sectors > 0) {
      const Chs nc = chs(lba);
      const Fs sw = nc.cyl != c.cyl ? seek_fs(nc.cyl > c.cyl ? nc.cyl - c.cyl : c.cyl - nc.cyl) : m_head_switch;
      t += sw;
      if (xfer) *xfer += sw;
    }
  }
  return t;
}

HddMedia::Access HddMedia::access(Fs now, bool write, uint64_t lba, uint32_t sectors) const {
  Access a;
  const Chs c = chs(lba);
  a.seek = position_fs(m_cyl, m_head, c.cyl, c.head, write, &a.distance);
  a.finish = transfer(now + m_overhead + a.seek, lba, sectors, &a.rotation, &a.transfer);
  return a;
}

bool HddMedia::ra_hit(const MediaOp& op) const {
  return m_ra_valid && !op.write && op.lba >= m_ra_first && op.lba + op.sectors <= m_ra_limit;
}

// Where the read-ahead stream has taken the head by `now` (approximated by whole sectors of the current
// zone's rate, ignoring switch time); the stream stops there when another command moves the head.
uint64_t HddMedia::stream_position(Fs now) const {
  uint64_t pos = m_ra_next;
  if (now > m_ra_time) {
    const Chs c = chs(m_ra_next);
    pos += static_cast<uint64_t>(static_cast<U128>(now - m_ra_time) * c.spt / m_rev);
  }
  return std::min(pos, m_ra_limit - 1);
}

void HddMedia::sync_head_to_stream(Fs now) {
  if (!m_ra_valid) return;
  const uint64_t pos = stream_position(now);
  const Chs h = chs(pos);
  m_cyl = h.cyl;
  m_head = h.head;
  m_ra_limit = std::min(m_ra_limit, pos + 1);
}

Fs HddMedia::positioning_estimate(Fs now, uint64_t from_cyl, uint32_t from_head, const MediaOp& op) const {
  if (ra_hit(op)) return 0;
  const Chs c = chs(op.lba);
  const Fs ready = now + m_overhead + position_fs(from_cyl, from_head, c.cyl, c.head, op.write, nullptr);
  return ready - now + rot_wait(ready, c);
}

bool HddMedia::absorb(uint64_t lba, uint64_t n) {
  // The union of [lba, lba + n) with the extents it overlaps or touches replaces them.
  uint64_t lo = lba, hi = lba + n, covered = 0, merged = 0;
  auto it = m_dirty.upper_bound(lba);
  if (it != m_dirty.begin() && std::prev(it)->second >= lba) --it;
  auto first = it;
  for (; it != m_dirty.end() && it->first <= hi; ++it) {
    covered += std::min(hi, it->second) > std::max(lba, it->first)
                   ? std::min(hi, it->second) - std::max(lba, it->first)
                   : 0;
    lo = std::min(lo, it->first);
    hi = std::max(hi, it->second);
    ++merged;
  }
  const uint64_t added = n - covered;
  if (m_dirty_sectors + m_destage_sectors + added > m_wc_capacity) return false;
  // The extent being destaged keeps its segment until it is on the medium.
  if (merged == 0 && m_dirty.size() + (m_destage_sectors ? 1 : 0) >= m_cfg.write_cache_segments) return false;
  m_dirty.erase(first, it);
  m_dirty.emplace(lo, hi);
  m_dirty_sectors += added;
  return true;
}

bool HddMedia::dirty_hit(const MediaOp& op) const {
  const uint64_t end = op.lba + op.sectors;
  if (m_destage_sectors && op.lba >= m_destage_lba && end <= m_destage_lba + m_destage_sectors) return true;
  auto it = m_dirty.upper_bound(op.lba);
  return it != m_dirty.begin() && std::prev(it)->second >= end;
}

bool HddMedia::flush_done(Fs now, size_t i) const {
  for (size_t j = 0; j < i; ++j)
    if (m_queue[j].write && !m_queue[j].flush) return false;
  return m_dirty.empty() && m_destage_sectors == 0 && now >= m_writes_done;
}

Fs HddMedia::next_event(Fs now) const {
  // Destaging continues by itself (and a waiting flush or write needs it to), so the medium asks to be
  // called when the current access ends.
  if (m_busy_until > now && (!m_queue.empty() || !m_dirty.empty() || m_destage_sectors)) return m_busy_until;
  return ~Fs{0};
}

void HddMedia::head_now(Fs now, uint64_t& cyl, uint32_t& head) const {
  // Where a read-ahead stream has taken the head, without ending the stream.
  cyl = m_cyl;
  head = m_head;
  if (m_ra_valid) {
    const Chs h = chs(stream_position(now));
    cyl = h.cyl;
    head = h.head;
  }
}

void HddMedia::destage(Fs now) {
  // The drive's own order: the dirty extent reached soonest from where the head is.
  uint64_t cyl;
  uint32_t head;
  head_now(now, cyl, head);
  // Dirty data that continues the access that just ended is written on without a pause, as the drive
  // streams a sequential destage (no command overhead, no rotational wait): the best choice of all.
  auto pick = m_dirty.find(m_stream_lba);
  const bool streaming = pick != m_dirty.end() && now == m_destage_end;
  Fs best = streaming ? 0 : ~Fs{0};
  if (!streaming) pick = m_dirty.begin();
  for (auto it = m_dirty.begin(); it != m_dirty.end() && !streaming; ++it) {
    MediaOp op;
    op.write = true;
    op.lba = it->first;
    const Fs e = positioning_estimate(now, cyl, head, op);
    if (e < best) best = e, pick = it;
  }
  // At most 1 MiB per access, so that a read does not wait behind a whole sequential stream.
  const uint64_t lba = pick->first, n = std::min<uint64_t>(pick->second - pick->first, 2048);
  if (lba + n < pick->second) m_dirty.emplace(lba + n, pick->second);
  m_dirty.erase(pick);
  m_dirty_sectors -= n;
  MediaOp op;
  op.write = true;
  op.lba = lba;
  op.sectors = static_cast<uint32_t>(n);
  m_destage_lba = lba;
  m_destage_sectors = n;
  if (streaming) {
    // Continuing onto the next track costs the switch that track skew was laid out to cover.
    const Chs c = chs(lba), prev = chs(lba - 1);
    const Fs sw = c.cyl != prev.cyl ? seek_fs(1) : c.head != prev.head ? m_head_switch : 0;
    m_destage_end = transfer(now + sw, lba, static_cast<uint32_t>(n), nullptr, nullptr);
    m_ra_valid = false;
    const Chs last = chs(lba + n - 1);
    m_cyl = last.cyl;
    m_head = last.head;
    m_busy_until = m_destage_end;
    m_writes_done = std::max(m_writes_done, m_destage_end);
  } else {
    m_destage_end = serve_from_medium(now, op);
  }
  m_stream_lba = lba + n;
  ++m_destages;
  m_destaged_sectors += n;
}

Fs HddMedia::serve_from_medium(Fs now, const MediaOp& op) {
  const uint64_t end = op.lba + op.sectors;
  Fs finish;
  if (ra_hit(op)) {
    ++m_cache_hits;
    Fs ready = now + m_overhead;
    if (end > m_ra_next) {
      // Not yet read ahead: the stream reaches it at its media rate (no seek, no rotational wait).
      const Fs stream_end = transfer(m_ra_time, m_ra_next, static_cast<uint32_t>(end - m_ra_next), nullptr, nullptr);
      ready = std::max(ready, stream_end);
      m_ra_next = end;
      m_ra_time = stream_end;
    }
    // The drive keeps reading ahead of a sequential reader. If the stream had reached its limit and
    // stopped, it resumes from there when that sector next passes under the head.
    const Fs stop = m_ra_limit > m_ra_next
                        ? transfer(m_ra_time, m_ra_next, static_cast<uint32_t>(m_ra_limit - m_ra_next), nullptr, nullptr)
                        : m_ra_time;
    if (stop <= now && m_ra_limit < m_capacity) {
      m_ra_next = m_ra_limit;
      m_ra_time = now + rot_wait(now, chs(m_ra_limit));
    }
    m_ra_limit = std::min(m_capacity, std::max(m_ra_limit, end + m_ra_sectors));
    finish = ready;
  } else {
    if (!op.write) ++m_cache_misses;
    sync_head_to_stream(now);
    const Access a = access(now, op.write, op.lba, op.sectors);
    m_seek_distance.sample(static_cast<double>(a.distance));
    m_seek_time.sample(static_cast<double>(a.seek) / kFsPerUs);
    m_rot_latency.sample(static_cast<double>(a.rotation) / kFsPerUs);
    const Chs last = chs(end - 1);
    m_cyl = last.cyl;
    m_head = last.head;
    finish = a.finish;
    m_ra_valid = !op.write && m_ra_sectors > 0 && end < m_capacity;
    if (m_ra_valid) {
      m_ra_first = op.lba;
      m_ra_next = end;
      m_ra_time = finish;
      m_ra_limit = std::min(m_capacity, end + m_ra_sectors);
    }
    if (op.write) m_writes_done = std::max(m_writes_done, finish);
  }
  m_busy_until = finish;
  return finish;
}

bool HddMedia::dispatch(Fs now, MediaResult& out) {
  if (m_destage_sectors && now >= m_destage_end) m_destage_sectors = 0;  // that buffer space is free again
  // Commands the buffer answers need no actuator: writes into the write cache, reads of dirty data, and
  // a FLUSH once everything before it is on the medium.
  bool waiting_write = false, waiting_flush = false;
  for (size_t i = 0; i < m_queue.size(); ++i) {
    const MediaOp op = m_queue[i];
    bool done = false;
    if (op.flush) {
      done = flush_done(now, i);
      waiting_flush = waiting_flush || !done;
    } else if (op.write && m_wc_capacity) {
      done = absorb(op.lba, op.sectors);
      if (done)
        ++m_wc_writes;
      else
        waiting_write = true;
    } else if (!op.write && m_wc_capacity && dirty_hit(op)) {
      done = true;
      ++m_wc_read_hits;
    }
    if (done) {
      m_queue.erase(m_queue.begin() + static_cast<long>(i));
      out = {op.slot, now, op.flush ? now : now + m_overhead};
      return true;
    }
  }
  if (now < m_busy_until) return false;
  // The actuator is free. A waiting flush or a write that finds no buffer space makes destaging urgent;
  // otherwise host commands that need the medium go first and the drive destages while idle.
  const bool urgent = waiting_flush || waiting_write;
  std::vector<size_t> cand;
  for (size_t i = 0; i < m_queue.size(); ++i)
    if (!m_queue[i].flush && (!m_queue[i].write || !m_wc_capacity)) cand.push_back(i);
  if ((urgent || cand.empty()) && !m_dirty.empty()) {
    destage(now);
    return false;
  }
  if (cand.empty()) return false;
  // NCQ: shortest positioning time first (seek + rotation from the current head position), unless the
  // oldest command has waited past max_wait (aging prevents starvation of far requests).
  size_t pick = cand.front();
  if (now - m_queue[pick].arrival <= m_max_wait && cand.size() > 1) {
    uint64_t cyl;
    uint32_t head;
    head_now(now, cyl, head);
    Fs best = ~Fs{0};
    for (size_t i : cand) {
      const Fs e = positioning_estimate(now, cyl, head, m_queue[i]);
      if (e < best) best = e, pick = i;
    }
  }
  if (pick != cand.front()) ++m_sptf_reorders;
  const MediaOp op = m_queue[pick];
  m_queue.erase(m_queue.begin() + static_cast<long>(pick));
  out = {op.slot, now, serve_from_medium(now, op)};
  return true;
}

}  // namespace pc::disk
