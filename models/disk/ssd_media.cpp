// NAND SSD medium: FTL, die/channel timing and garbage collection.
#include "models/disk/ssd_media.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "platform/core/config.h"

namespace pc::disk {

SsdMedia::SsdMedia(const SsdConfig& cfg, stats::Group& parent)
    : m_cfg(cfg),
      m_stats(&parent, "ssd", "NAND flash, FTL and garbage collection"),
      m_page_reads(m_stats, "page_reads", "pages", "flash page reads for the host"),
      m_page_programs(m_stats, "page_programs", "pages", "flash page programs for the host"),
      m_unmapped_reads(m_stats, "unmapped_reads", "pages",
                       "reads of never-written pages (answered with zeros)"),
      m_gc_blocks(m_stats, "gc_blocks", "blocks", "blocks reclaimed by garbage collection"),
      m_gc_pages_moved(m_stats, "gc_pages_moved", "pages", "valid pages copied by garbage collection"),
      m_erases(m_stats, "erases", "blocks", "block erases"),
      m_rmw_reads(m_stats, "rmw_reads", "pages", "old-page reads for sub-page writes (read-modify-write)"),
      m_buffered_writes(m_stats, "buffered_writes", "commands",
                        "writes completed into the DRAM write buffer"),
      m_buffer_read_hits(m_stats, "buffer_read_hits", "pages", "page reads served from the write buffer"),
      m_gc_time_us(m_stats, "gc_time_us", "us", "die time spent in garbage collection"),
      m_die_util_mean(m_stats, "die_utilisation_mean", "", "mean share of the run each die was busy"),
      m_die_util_max(m_stats, "die_utilisation_max", "", "largest share of the run a die was busy"),
      m_write_amp(m_stats, "write_amplification", "", "(host + GC programs) / host programs", [this] {
        const double h = static_cast<double>(m_page_programs.value());
        return h ? (h + static_cast<double>(m_gc_pages_moved.value())) / h : 0.0;
      }) {
  if (cfg.page_bytes % 4096) throw pc::cfg::ConfigError("disk.ssd.page_bytes: expected a multiple of 4096");
  m_dies = static_cast<unsigned>(cfg.channels * cfg.dies_per_channel);
  m_planes_total = static_cast<unsigned>(m_dies * cfg.planes_per_die);
  m_sectors_per_page = cfg.page_bytes / 512;
  const uint64_t user_blocks = static_cast<uint64_t>(std::floor(cfg.blocks_per_plane * (1.0 - cfg.overprovision)));
  m_gc_free_min = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(cfg.gc_threshold * cfg.blocks_per_plane)));
  // GC needs the active block plus at least one spare beyond its threshold to make progress.
  if (user_blocks + m_gc_free_min + 1 > cfg.blocks_per_plane || user_blocks == 0)
    throw pc::cfg::ConfigError(fmt::format(
        "disk.ssd: {} blocks per plane with overprovision {} and gc_threshold {} leave no spare blocks for GC",
        cfg.blocks_per_plane, cfg.overprovision, cfg.gc_threshold));
  const uint64_t phys_pages = uint64_t{m_planes_total} * cfg.blocks_per_plane * cfg.pages_per_block;
  if (phys_pages >= kNone) throw pc::cfg::ConfigError("disk.ssd: more than 2^32 physical pages");
  m_logical_pages = uint64_t{m_planes_total} * user_blocks * cfg.pages_per_block;
  m_tr = fs_from_us(cfg.read_us);
  m_tprog = fs_from_us(cfg.program_us);
  m_tbers = fs_from_us(cfg.erase_us);
  m_overhead = fs_from_us(cfg.cmd_overhead_us);
  m_buf_capacity = cfg.write_buffer_kib * 1024;
  if (m_buf_capacity && m_buf_capacity < cfg.page_bytes)
    throw pc::cfg::ConfigError(fmt::format("disk.ssd.write_buffer_kib: {} KiB cannot hold one {}-byte page",
                                           cfg.write_buffer_kib, cfg.page_bytes));

  m_fwd.assign(m_logical_pages, kNone);
  m_rev.assign(phys_pages, kNone);
  m_valid.assign(uint64_t{m_planes_total} * cfg.blocks_per_plane, 0);
  m_planes.resize(m_planes_total);
  m_plane_rr.assign(m_dies, 0);
  m_die_free.assign(m_dies, 0);
  m_die_busy.assign(m_dies, 0);
  m_ch_free.assign(cfg.channels, 0);
  const uint64_t first_free = cfg.preconditioned ? user_blocks : 0;
  for (unsigned p = 0; p < m_planes_total; ++p)
    for (uint64_t b = first_free; b < cfg.blocks_per_plane; ++b)
      m_planes[p].free.push_back(static_cast<uint32_t>(p * cfg.blocks_per_plane + b));
  if (cfg.preconditioned) {
    // A filled drive, striped the way sequential filling lays it out: page L on die L mod dies (channel
    // first), then plane, then the next page of the plane's blocks.
    for (uint64_t l = 0; l < m_logical_pages; ++l) {
      const uint64_t die = l % m_dies, plane = (l / m_dies) % cfg.planes_per_die;
      const uint64_t q = l / (m_dies * cfg.planes_per_die);
      const uint64_t p = die * cfg.planes_per_die + plane;
      map(l, static_cast<uint32_t>((p * cfg.blocks_per_plane + q / cfg.pages_per_block) * cfg.pages_per_block +
                                   q % cfg.pages_per_block));
    }
  }
}

SsdMedia::~SsdMedia() = default;

Fs SsdMedia::xfer_fs(uint64_t bytes) const {
  return static_cast<Fs>(std::llround(static_cast<double>(bytes) * 1e9 / m_cfg.channel_mbps));
}

uint32_t SsdMedia::die_of_page(uint64_t lpn) const {
  const uint32_t ppn = m_fwd.at(lpn);
  return ppn == kNone ? kNone : die_of_plane(plane_of_block(block_of(ppn)));
}

void SsdMedia::map(uint64_t lpn, uint32_t ppn) {
  const uint32_t old = m_fwd[lpn];
  if (old != kNone) {
    m_rev[old] = kNone;
    --m_valid[block_of(old)];
  }
  m_fwd[lpn] = ppn;
  m_rev[ppn] = static_cast<uint32_t>(lpn);
  ++m_valid[block_of(ppn)];
}

uint32_t SsdMedia::allocate(unsigned plane) {
  Plane& pl = m_planes[plane];
  if (pl.active == kNone || pl.write_ptr == m_cfg.pages_per_block) {
    if (pl.free.empty()) throw std::logic_error("SSD FTL: plane out of free blocks (GC could not keep up)");
    pl.active = pl.free.front();
    pl.free.pop_front();
    pl.write_ptr = 0;
  }
  return static_cast<uint32_t>(pl.active * m_cfg.pages_per_block + pl.write_ptr++);
}

Fs SsdMedia::collect(unsigned plane) {
  Fs t = 0;
  Plane& pl = m_planes[plane];
  const uint32_t first = static_cast<uint32_t>(plane * m_cfg.blocks_per_plane);
  while (pl.free.size() < m_gc_free_min) {
    // Greedy victim: the full block with the fewest valid pages.
    uint32_t victim = kNone, best = kNone;
    std::vector<bool> is_free(m_cfg.blocks_per_plane, false);
    for (uint32_t b : pl.free) is_free[b - first] = true;
    for (uint32_t b = first; b < first + m_cfg.blocks_per_plane; ++b) {
      if (b == pl.active || is_free[b - first]) continue;
      if (m_valid[b] < best) best = m_valid[b], victim = b;
    }
    if (victim == kNone || best >= m_cfg.pages_per_block) break;  // nothing to gain
    ++m_gc_blocks;
    for (uint32_t i = 0; i < m_cfg.pages_per_block; ++i) {
      const uint32_t ppn = static_cast<uint32_t>(victim * m_cfg.pages_per_block + i);
      if (m_rev[ppn] == kNone) continue;
      // Copy-back within the plane: read to the page register and program, no channel transfer.
      map(m_rev[ppn], allocate(plane));
      ++m_gc_pages_moved;
      t += m_tr + m_tprog;
    }
    ++m_erases;
    t += m_tbers;
    pl.free.push_back(victim);
  }
  return t;
}

Fs SsdMedia::read_page(Fs t0, uint64_t lpn, uint64_t bytes) {
  const auto buf = m_buffered.find(lpn);
  if (buf != m_buffered.end()) {
    if (buf->second > t0) {
      ++m_buffer_read_hits;  // the newest copy is still in DRAM, not yet programmed
      return t0;
    }
    m_buffered.erase(buf);
  }
  const uint32_t ppn = m_fwd[lpn];
  if (ppn == kNone) {
    ++m_unmapped_reads;
    return t0;
  }
  ++m_page_reads;
  const unsigned die = die_of_plane(plane_of_block(block_of(ppn))), ch = channel_of_die(die);
  // tR on the die, then the channel carries the requested bytes out; the die's page register stays
  // occupied until the transfer ends.
  const Fs start = std::max(t0, m_die_free[die]);
  const Fs cs = std::max(start + m_tr, m_ch_free[ch]);
  const Fs ce = cs + xfer_fs(bytes);
  m_die_busy[die] += ce - start;
  m_die_free[die] = ce;
  m_ch_free[ch] = ce;
  return ce;
}

Fs SsdMedia::write_page(Fs t0, uint64_t lpn, uint64_t bytes) {
  // Dynamic allocation: program on the die that frees up first (round-robin among equals), so writes
  // spread over all dies.
  // A plane takes host writes while its active block has room or it has two free blocks: the last
  // free block is kept for GC's copies, and a plane whose blocks are all valid (nothing to reclaim)
  // simply stops receiving writes until it does.
  auto writable = [&](unsigned p) {
    const Plane& pl = m_planes[p];
    return (pl.active != kNone && pl.write_ptr < m_cfg.pages_per_block) || pl.free.size() >= 2;
  };
  const unsigned ppd = static_cast<unsigned>(m_cfg.planes_per_die);
  unsigned die = kNone, plane = kNone;
  for (unsigned i = 0; i < m_dies; ++i) {
    const unsigned d = (m_die_rr + i) % m_dies;
    if (die != kNone && m_die_free[d] >= m_die_free[die]) continue;
    for (unsigned k = 0; k < ppd; ++k) {
      const unsigned p = d * ppd + (m_plane_rr[d] + k) % ppd;
      if (writable(p)) {
        die = d;
        plane = p;
        break;
      }
    }
  }
  if (die == kNone) throw std::logic_error("SSD FTL: no plane can take a write (overprovisioning exhausted)");
  m_die_rr = (die + 1) % m_dies;
  m_plane_rr[die] = (plane - die * ppd + 1) % ppd;
  // A page is programmed whole. Less than a page of new data needs the rest of the old page: the FTL reads
  // it first (tR and its transfer on the old page's die and channel), unless the page was never written or
  // its newest copy is still in the write buffer, where the FTL merges it.
  Fs data_ready = t0;
  const auto buffered = m_buffered.find(lpn);
  const bool merged_in_buffer = buffered != m_buffered.end() && buffered->second > t0;
  if (bytes < m_cfg.page_bytes && m_fwd[lpn] != kNone && !merged_in_buffer) {
    ++m_rmw_reads;
    const uint32_t old = m_fwd[lpn];
    const unsigned od = die_of_plane(plane_of_block(block_of(old))), och = channel_of_die(od);
    const Fs rs = std::max(t0, m_die_free[od]);
    const Fs cs = std::max(rs + m_tr, m_ch_free[och]);
    const Fs ce = cs + xfer_fs(m_cfg.page_bytes - bytes);
    m_die_busy[od] += ce - rs;
    m_die_free[od] = ce;
    m_ch_free[och] = ce;
    data_ready = ce;
  }
  const uint64_t program_bytes = bytes < m_cfg.page_bytes && m_fwd[lpn] != kNone ? m_cfg.page_bytes : bytes;
  const unsigned ch = channel_of_die(die);
  map(lpn, allocate(plane));
  ++m_page_programs;
  const Fs start = std::max({data_ready, m_die_free[die], m_ch_free[ch]});
  const Fs ce = start + xfer_fs(program_bytes);
  const Fs done = ce + m_tprog;
  m_ch_free[ch] = ce;
  // GC runs on the die right after the program and delays whatever comes next on it, so sustained
  // random writes slow down once free blocks run low.
  const Fs gc = collect(plane);
  m_gc_time_us.set(m_gc_time_us.value() + static_cast<double>(gc) / kFsPerUs);
  m_die_free[die] = done + gc;
  m_die_busy[die] += done + gc - start;
  m_programs_done = std::max(m_programs_done, done);
  return done;
}

Fs SsdMedia::buffer_space(Fs t, uint64_t bytes) {
  // In arrival order: a write enters the buffer once enough earlier pages have been programmed.
  t = std::max(t, m_buf_cursor);
  while (!m_buf.empty() && (m_buf.top().release <= t || m_buf_used + bytes > m_buf_capacity)) {
    const Held h = m_buf.top();
    m_buf.pop();
    t = std::max(t, h.release);
    m_buf_used -= h.bytes;
    const auto it = m_buffered.find(h.lpn);
    if (it != m_buffered.end() && it->second == h.release) m_buffered.erase(it);
  }
  m_buf_cursor = t;
  return t;
}

bool SsdMedia::dispatch(Fs now, MediaResult& out) {
  if (m_queue.empty()) return false;
  // Die-parallel: every queued command starts at once; each page waits only for its own die and channel.
  const MediaOp op = m_queue.front();
  m_queue.pop_front();
  if (op.flush) {
    // FLUSH: done once every page written before it is programmed (the write buffer has drained).
    out = {op.slot, now, std::max(now, m_programs_done)};
    return true;
  }
  const uint64_t end = op.lba + op.sectors;
  if (op.write && m_buf_capacity) {
    // Early completion (NVMeVirt's WRITE_EARLY_COMPLETION): the write is done once its data is in the DRAM
    // buffer; its pages are programmed behind it and hold their buffer space until then.
    const uint64_t bytes = uint64_t{op.sectors} * 512;
    const Fs in_buffer = buffer_space(now, std::min(bytes, m_buf_capacity));
    const Fs t0 = in_buffer + fs_from_us(m_cfg.buffer_write_us) +
                  static_cast<Fs>(std::llround(static_cast<double>(fs_from_us(m_cfg.buffer_write_us_per_4k)) *
                                               static_cast<double>(bytes) / 4096.0));
    for (uint64_t s = op.lba; s < end;) {
      const uint64_t lpn = s / m_sectors_per_page;
      const uint64_t n = std::min(end, (lpn + 1) * m_sectors_per_page) - s;
      const Fs done = write_page(t0, lpn, n * 512);
      m_buf.push(Held{done, n * 512, lpn});
      m_buf_used += n * 512;
      m_buffered[lpn] = done;
      s += n;
    }
    ++m_buffered_writes;
    out = {op.slot, now, t0};
    return true;
  }
  const Fs t0 = now + m_overhead;
  Fs finish = t0;
  for (uint64_t s = op.lba; s < end;) {
    const uint64_t lpn = s / m_sectors_per_page;
    const uint64_t n = std::min(end, (lpn + 1) * m_sectors_per_page) - s;
    finish = std::max(finish, op.write ? write_page(t0, lpn, n * 512) : read_page(t0, lpn, n * 512));
    s += n;
  }
  out = {op.slot, now, finish};
  return true;
}

void SsdMedia::finish_stats(Fs now) {
  if (now == 0) return;
  double sum = 0, mx = 0;
  for (Fs b : m_die_busy) {
    const double u = std::min(1.0, static_cast<double>(b) / static_cast<double>(now));
    sum += u;
    mx = std::max(mx, u);
  }
  m_die_util_mean.set(sum / m_dies);
  m_die_util_max.set(mx);
}

}  // namespace pc::disk
