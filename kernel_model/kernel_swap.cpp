// The kernel's side of swap: the I/O path from the swap code to the disks, init's `swapon -a` (each
// area's header read from its disk through the block layer and checked by sys_swapon), the swapon and
// swapoff system calls, and the swap statistics.
#include "kernel_model/kernel_swap.h"

#include <fmt/format.h>

#include "kernel_model/kernel.h"
#include "platform/core/log.h"

namespace pc::kernel {

namespace {
constexpr uint64_t kSectorsPerPage = kPageSize / 512;
}

Kernel::SwapIoImpl::SwapIoImpl(Kernel& kernel, stats::Group& parent) : m_kernel(kernel), m_parent(parent) {}

stats::Histogram& Kernel::SwapIoImpl::latency(unsigned disk, bool write) {
  const size_t i = size_t{disk} * 2 + (write ? 1 : 0);
  if (m_lat.size() <= i) m_lat.resize(i + 1);
  if (m_groups.size() <= disk) m_groups.resize(disk + 1);
  if (!m_groups[disk])
    m_groups[disk] = std::make_unique<stats::Group>(&m_parent, fmt::format("io_disk{}", disk),
                                                    fmt::format("swap I/O on disk {}", disk));
  if (!m_lat[i])
    m_lat[i] = std::make_unique<stats::Histogram>(
        *m_groups[disk], write ? "write_latency" : "read_latency", "us",
        write ? "swap-out bios from submit_bio to completion" : "swap-in bios from submit_bio to completion");
  return *m_lat[i];
}

void Kernel::SwapIoImpl::submit(unsigned disk, uint64_t block, bool write, uint64_t pa, KCtx& k, Done done) {
  if (m_inflight_done * 2 >= m_inflight.size() && m_inflight_done) {
    m_inflight.remove_if([](const std::unique_ptr<InFlight>& f) { return f->done; });
    m_inflight_done = 0;
  }
  m_inflight.push_back(std::make_unique<InFlight>());
  InFlight* f = m_inflight.back().get();
  Bio& bio = f->bio;
  bio.sector = block * kSectorsPerPage;
  bio.write = write;
  bio.sync = false;  // the queue stays plugged so readahead reads and clustered writes merge
  bio.vecs.push_back({pa, static_cast<uint32_t>(kPageSize)});
  stats::Histogram& lat = latency(disk, write);
  bio.end_io = [this, f, &lat, done = std::move(done)](Bio& b, int err) {
    f->done = true;
    ++m_inflight_done;
    lat.sample(static_cast<double>(b.completed - b.submitted) / 1e9);
    done(err, b.completed);
  };
  bio.bdev = m_kernel.disk_for(disk);
  if (!bio.bdev) throw std::logic_error(fmt::format("swap I/O to disk {}, which does not exist", disk));
  m_kernel.block_layer()->submit_bio(&bio, k);
}

void Kernel::SwapIoImpl::unplug(unsigned disk, KCtx& k) {
  if (AhciDisk* d = m_kernel.disk_for(disk)) d->unplug(k);
}

int64_t Kernel::swapon_area(size_t i, KCtx& k) {
  if (i >= m_swap_setup.size()) return -22;
  const SwapAreaSetup& a = m_swap_setup[i];
  if (m_area_type.size() < m_swap_setup.size()) m_area_type.resize(m_swap_setup.size(), -1);
  if (m_area_type[i] >= 0) return -16;  // EBUSY
  AhciDisk* d = disk_for(a.disk);
  if (!d || a.extents.empty())
    throw cfg::ConfigError(fmt::format("{}: disk {} does not exist", a.name, a.disk));
  // Read page 0 of the area (bread of the first block) into a kernel page and wait for it.
  Page* page = m_alloc->alloc_pages(GFP_KERNEL, 0, k);
  if (!page) return -12;
  const uint64_t pa = m_alloc->mem_map().page_to_phys(page);
  WaitQueue wq;
  bool done = false;
  int error = 0;
  m_swap_io->submit(a.disk, a.extents.front().start_block, false, pa, k, [&](int err, uint64_t at) {
    error = err;
    done = true;
    wq.wake_up(sc_core::sc_time::from_value(at));
  });
  while (!done) {
    m_swap_io->unplug(a.disk, k);
    if (!done) wq.sleep(k, hw::Charge::IoWait);  // the kick may wait: the read may be done now
  }
  std::vector<uint8_t> header(kPageSize);
  for (uint64_t off = 0; off < kPageSize; off += 64) m_mm->bus().read(pa + off, &header[off], 64, k);
  m_lru->put_page(page, k);
  if (error) {
    log::warn("{}: unable to read the swap header (I/O error)", a.name);
    return -5;
  }
  SwapOnRequest rq;
  rq.name = a.name;
  rq.disk = a.disk;
  rq.is_file = a.is_file;
  rq.prio = a.prio;
  rq.area_pages = a.pages;
  rq.extents = a.extents;
  rq.header = header.data();
  std::string why;
  const int r = m_mm->sys_swapon(rq, why, k);
  if (r < 0) {
    log::warn("swapon {}: {} (errno {})", a.name, why, -r);
    return r;
  }
  m_area_type[i] = r;
  m_area_last_type.resize(m_swap_setup.size(), -1);
  m_area_last_type[i] = r;
  const SwapInfo& si = m_swap_areas.info(static_cast<unsigned>(r));
  log::info("Adding {}k swap on {}.  Priority:{} extents:{}", si.pages * 4, a.name, si.prio,
            si.extents.size());
  return 0;
}

int64_t Kernel::swapoff_area(size_t i, KCtx& k) {
  if (i >= m_area_type.size() || m_area_type[i] < 0) return -22;
  std::string why;
  const int64_t r = m_mm->sys_swapoff(static_cast<unsigned>(m_area_type[i]), why, k);
  if (r < 0) {
    log::warn("swapoff {}: {} (errno {})", m_swap_setup[i].name, why, -r);
    return r;
  }
  m_area_type[i] = -1;
  return 0;
}

void Kernel::swap_boot(KCtx& k) {
  // init's `swapon -a`: every active area, in order; one that cannot be brought in stops the run, named.
  for (size_t i = 0; i < m_swap_setup.size(); ++i) {
    if (!m_swap_setup[i].active) continue;
    const int64_t r = swapon_area(i, k);
    if (r < 0)
      throw cfg::ConfigError(fmt::format("{}: swapon refused the area (errno {}; see the message above)",
                                         m_swap_setup[i].name, -r));
  }
}

void Kernel::register_swap_stats() {
  m_swap_io = std::make_unique<SwapIoImpl>(*this, m_swap_g);
  const auto& sw = m_cfg.swap;
  const double hz = static_cast<double>(m_cfg.hz);
  m_mm->set_swap(&m_swap_areas, m_swap_io.get(), static_cast<unsigned>(sw.page_cluster),
                 sw.swap_token ? static_cast<uint64_t>(static_cast<double>(sw.swap_token_timeout_s) * hz) : 0,
                 m_sched->jiffy());
  m_mm->set_end_writeback([this](Page* p, const sc_core::sc_time& at) {
    m_vmscan->end_page_writeback(p, at);
  });  // wakes sleepers
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  auto formula = [&](std::string n, const char* unit, std::string desc, std::function<double()> f) {
    m_stat_objs.push_back(std::make_unique<stats::Formula>(m_swap_g, std::move(n), unit, desc, std::move(f)));
  };
  const SwapAreas& sa = m_swap_areas;
  const SwapStats& ss = m_mm->swap_stats();
  formula("nr_swap_pages", "pages", "free swap slots over all writable areas",
          [&sa] { return static_cast<double>(sa.nr_swap_pages()); });
  formula("total_swap_pages", "pages", "usable swap slots over all active areas",
          [&sa] { return static_cast<double>(sa.total_swap_pages()); });
  formula("swapcache_pages", "pages", "pages in the swap cache (total_swapcache_pages)",
          [this] { return static_cast<double>(m_mm->total_swapcache_pages()); });
  formula("add_total", "pages", "pages added to the swap cache", [&ss, u] { return u(ss.add_total); });
  formula("del_total", "pages", "pages deleted from the swap cache", [&ss, u] { return u(ss.del_total); });
  formula("find_success", "lookups", "swap-cache lookups that found the page",
          [&ss, u] { return u(ss.find_success); });
  formula("find_total", "lookups", "swap-cache lookups", [&ss, u] { return u(ss.find_total); });
  formula("exist_race", "calls", "swap-cache insertions that found the entry there (-EEXIST)",
          [&ss, u] { return u(ss.exist_race); });
  formula("readahead_pages", "pages", "pages swapin_readahead read besides the faulting one",
          [&ss, u] { return u(ss.ra_pages); });
  formula("readahead_used", "pages", "readahead pages a later fault found in the swap cache",
          [&ss, u] { return u(ss.ra_used); });
  formula("readahead_wasted", "pages", "readahead pages that left the swap cache without being used",
          [&ss, u] { return u(ss.ra_wasted); });
  formula("major_faults", "faults", "faults that read their page from swap (do_swap_page, shmem_getpage)",
          [&ss, u] { return u(ss.major_faults); });
  formula("read_errors", "bios", "swap-in reads that failed (the task got SIGBUS)",
          [&ss, u] { return u(ss.read_errors); });
  formula("write_errors", "bios", "swap-out writes that failed (the page stays, PG_error)",
          [&ss, u] { return u(ss.write_errors); });
  formula("sigbus", "faults", "swap faults answered with SIGBUS (read error)",
          [&ss, u] { return u(ss.sigbus); });
  formula("shmem_swapout", "pages", "shmem pages shmem_writepage moved to the swap cache",
          [&ss, u] { return u(ss.shmem_swapout); });
  formula("shmem_swapin", "pages", "shmem pages brought back from swap",
          [&ss, u] { return u(ss.shmem_swapin); });
  formula("unuse_pages", "pages", "pages try_to_unuse brought back (swapoff)",
          [&ss, u] { return u(ss.unuse_pages); });
  formula("unuse_mm_scans", "calls", "unuse_mm searches of an address space (swapoff)",
          [&ss, u] { return u(ss.unuse_mm_scans); });
  formula("token_grabs", "calls", "times the swap token changed hands",
          [&ss, u] { return u(ss.token_grabs); });
  formula("token_referenced", "pages", "page_referenced hits the swap token caused",
          [&ss, u] { return u(ss.token_referenced); });
  formula("bad_frees", "calls", "swap_free of a free or invalid entry (0 unless the model has a bug)",
          [&sa, u] { return u(sa.bad_free_attempts()); });
  m_lat_swap_major = std::make_unique<stats::Histogram>(
      m_fault_lat, "swap_major", "cycles", "major swap faults (do_swap_page read the page): entry to return");
}

void Kernel::register_swap_area_stats() {
  for (size_t i = 0; i < m_swap_setup.size(); ++i) {
    m_swap_io->latency(m_swap_setup[i].disk, false);
    m_swap_io->latency(m_swap_setup[i].disk, true);
    auto g = std::make_unique<stats::Group>(&m_swap_g, fmt::format("area{}", i), m_swap_setup[i].name);
    stats::Group& gr = *g;
    m_task_groups.push_back(std::move(g));
    // The type the area had when it was last on: its counters stay readable after swapoff.
    auto info = [this, i]() -> const SwapInfo* {
      const int t = i < m_area_last_type.size() ? m_area_last_type[i] : -1;
      return t >= 0 ? &m_swap_areas.info(static_cast<unsigned>(t)) : nullptr;
    };
    auto f = [&](const char* n, const char* unit, const char* d, std::function<double(const SwapInfo&)> fn) {
      m_stat_objs.push_back(std::make_unique<stats::Formula>(gr, n, unit, d, [info, fn] {
        const SwapInfo* si = info();
        return si ? fn(*si) : 0.0;
      }));
    };
    f("pages", "pages", "usable slots", [](const SwapInfo& s) { return static_cast<double>(s.pages); });
    f("inuse_pages", "pages", "slots in use",
      [](const SwapInfo& s) { return static_cast<double>(s.inuse_pages); });
    f("max_inuse", "pages", "most slots in use at once",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.max_inuse); });
    f("priority", "", "swapon priority", [](const SwapInfo& s) { return static_cast<double>(s.prio); });
    f("allocations", "slots", "slots scan_swap_map handed out",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.allocations); });
    f("cluster_hits", "slots", "allocations that continued the current 256-slot cluster",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.cluster_hits); });
    f("new_clusters", "searches", "searches that found a free 256-slot run",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.new_clusters); });
    f("cluster_misses", "searches", "searches that found no free 256-slot run (first-free allocation)",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.cluster_misses); });
    f("slots_examined", "slots", "swap_map entries looked at while allocating",
      [](const SwapInfo& s) { return static_cast<double>(s.stats.slots_examined); });
    f("slots_examined_per_alloc", "slots", "swap_map entries looked at per allocation",
      [](const SwapInfo& s) {
        return s.stats.allocations
                   ? static_cast<double>(s.stats.slots_examined) / static_cast<double>(s.stats.allocations)
                   : 0.0;
      });
  }
}

}  // namespace pc::kernel
