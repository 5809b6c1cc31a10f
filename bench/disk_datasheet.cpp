// Datasheet-style write figures of the disk presets, measured at the drive interface as a host bus
// analyser would: 4 KiB random writes over a 2 GiB swap-like span and 128 KiB sequential writes, at queue
// depth 1 and 32, with the drive's write cache (HDD) or DRAM write buffer (SSD) on and off. The SATA link
// is serialised in front of the medium (write data crosses it before the command reaches the drive); the
// host issues the next command the instant one completes. Figures are over the second half of the run, so
// that a cache that fills up shows its sustained rate; "first32" is the mean latency of the first 32 writes
// (what the cache absorbs). SSDs run fresh (datasheet FOB) and full (preconditioned: GC in steady state).
// Usage: build/bench/pc_disk_datasheet [scale]
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <queue>
#include <systemc>
#include <vector>

#include "models/disk/hdd_media.h"
#include "models/disk/ssd_media.h"
#include "platform/soc/platform_config.h"

using namespace pc;
using namespace pc::disk;

namespace {

struct Figures {
  double iops = 0, mbps = 0, mean_us = 0, p99_us = 0, first_us = 0;  // first_us: mean of the first 32 writes
};

Figures measure(const DiskConfig& dc, bool sequential, uint32_t sectors, unsigned qd, uint64_t n,
                bool whole = false) {
  stats::Group root(nullptr, "stats");
  std::unique_ptr<Media> m;
  if (dc.media == "ssd")
    m = std::make_unique<SsdMedia>(dc.ssd, root);
  else
    m = std::make_unique<HddMedia>(dc.hdd, root);
  const uint64_t span =
      whole ? m->capacity_sectors() : std::min<uint64_t>(m->capacity_sectors(), 2ull << 21);  // 2 GiB
  uint64_t x = 12345, next_lba = 0;
  auto lba_of = [&] {
    if (sequential) {
      const uint64_t l = next_lba;
      next_lba = (next_lba + sectors) % (m->capacity_sectors() - sectors);
      return l;
    }
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return ((x >> 20) % (span / 8)) * 8;
  };
  const Fs link = dc.controller.link_mbps > 0
                      ? static_cast<Fs>(static_cast<double>(sectors) * 512 * 1e9 / dc.controller.link_mbps)
                      : 0;
  std::vector<Fs> issued(32, 0);
  std::vector<double> lat;
  std::priority_queue<std::pair<Fs, unsigned>, std::vector<std::pair<Fs, unsigned>>, std::greater<>> done;
  std::vector<unsigned> free_slots;
  for (unsigned s = 0; s < qd; ++s) free_slots.push_back(s);
  Fs now = 0, link_free = 0, half_start = 0, last = 0;
  uint64_t sent = 0, completed = 0;
  double first = 0;
  while (completed < n) {
    while (sent < n && !free_slots.empty()) {
      const unsigned slot = free_slots.back();
      free_slots.pop_back();
      issued[slot] = now;
      // The data crosses the link (one transfer at a time) before the drive has the command.
      link_free = std::max(link_free, now) + link;
      m->enqueue({slot, true, lba_of(), sectors, link_free});
      ++sent;
    }
    MediaResult r;
    Fs t = std::max(now, link_free);
    while (m->dispatch(t, r)) done.emplace(r.finish, r.slot);
    Fs next = std::min(done.empty() ? ~Fs{0} : done.top().first, m->next_event(t));
    if (next == ~Fs{0}) next = t;
    now = std::max(next, t);
    while (!done.empty() && done.top().first <= now) {
      const auto [fin, slot] = done.top();
      done.pop();
      if (completed < 32) first += static_cast<double>(fin - issued[slot]) / kFsPerUs / 32;
      if (++completed == n / 2) half_start = fin;
      if (completed > n / 2) lat.push_back(static_cast<double>(fin - issued[slot]) / kFsPerUs);
      last = fin;
      free_slots.push_back(slot);
    }
  }
  Figures f;
  const double secs = static_cast<double>(last - half_start) / 1e15;
  f.iops = static_cast<double>(lat.size()) / secs;
  f.mbps = f.iops * sectors * 512 / 1e6;
  for (double l : lat) f.mean_us += l / static_cast<double>(lat.size());
  std::sort(lat.begin(), lat.end());
  f.p99_us = lat[lat.size() * 99 / 100];
  f.first_us = first;
  return f;
}

}  // namespace

int sc_main(int argc, char** argv) {
  const uint64_t scale = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
  fmt::print("{:<13} {:<6} {:<5} {:<20} {:>3} {:>9} {:>8} {:>10} {:>10} {:>10}\n", "preset", "cache", "fill",
             "pattern", "QD", "IOPS", "MB/s", "mean us", "p99 us", "first32 us");
  struct Case {
    const char* preset;
    bool cache, full;  // full: SSD preconditioned (every logical page mapped, GC in steady state)
  };
  const Case cases[] = {{"hdd-7200", true, true},      {"hdd-7200", false, true},
                        {"ssd-mqsim", true, false},    {"ssd-mqsim", false, false},
                        {"ssd-mqsim", true, true},     {"ssd-mqsim", false, true},
                        {"ssd-nvmevirt", true, false}, {"ssd-nvmevirt", false, false},
                        {"ssd-nvmevirt", true, true},  {"ssd-nvmevirt", false, true}};
  for (const Case& c : cases) {
    const std::string preset = c.preset;
    const bool hdd = preset == "hdd-7200";
    soc::ConfigResolver r;
    r.apply_preset(preset);
    if (hdd) r.apply_set(fmt::format("disk.hdd.write_cache={}", c.cache));
    if (!hdd) r.apply_set(fmt::format("disk.ssd.preconditioned={}", c.full));
    if (!hdd && !c.cache) r.apply_set("disk.ssd.write_buffer_kib=0");
    const DiskConfig dc = r.finish().disk;
    // Enough writes to fill the cache or buffer several times over (256 MiB for ssd-mqsim).
    const uint64_t rnd = scale * (hdd ? 3000 : preset == "ssd-mqsim" ? 200000 : 40000);
    const uint64_t seq = scale * (hdd ? 400 : preset == "ssd-mqsim" ? 8000 : 2000);
    for (unsigned qd : {1u, 32u}) {
      for (int pattern = 0; pattern < (hdd ? 3 : 2); ++pattern) {
        const bool sequential = pattern == 1, whole = pattern == 2;  // HDD: random over the whole disk too
        const Figures f = measure(dc, sequential, sequential ? 256 : 8, qd, sequential ? seq : rnd, whole);
        fmt::print("{:<13} {:<6} {:<5} {:<20} {:>3} {:>9.0f} {:>8.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n",
                   preset, c.cache ? "on" : "off",
                   hdd      ? "-"
                   : c.full ? "full"
                            : "fresh",
                   sequential ? "sequential 128 KiB"
                   : whole    ? "random 4 KiB disk"
                              : "random 4 KiB 2 GiB",
                   qd, f.iops, f.mbps, f.mean_us, f.p99_us, f.first_us);
      }
    }
  }
  return 0;
}
