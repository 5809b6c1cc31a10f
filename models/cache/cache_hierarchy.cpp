// Cache hierarchy timing with functional data in memory.
#include "models/cache/cache_hierarchy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "platform/hwdefs/address_map.h"

namespace pc::cache {

using sc_core::sc_time;

CacheLevel::CacheLevel(stats::Group& parent, const char* name, const CacheLevelConfig& c, unsigned line_bytes,
                       const ClockDomain& clk)
    : tags(c.size_kib * 1024, static_cast<unsigned>(c.ways), line_bytes, fmt::format("caches.{}", name)),
      latency(clk.cycles(c.latency_cycles)),
      stats(&parent, name, fmt::format("{} cache", name)),
      hits(stats, "hits", "accesses", "accesses that hit"),
      misses(stats, "misses", "accesses", "accesses that missed"),
      writebacks(stats, "writebacks", "lines", "dirty lines evicted to the next level"),
      coherence_invals(stats, "coherence_invals", "lines",
                       "lines dropped because another core or DMA wrote them"),
      snoop_writebacks(stats, "snoop_writebacks", "lines",
                       "dirty lines written back because another core or a DMA access needed them"),
      hit_rate(stats, "hit_rate", "ratio", "hits / (hits + misses)", [this] {
        const double n = static_cast<double>(hits.value() + misses.value());
        return n ? static_cast<double>(hits.value()) / n : 0.0;
      }) {}

// ---------------------------------------------------------------------------------------------------
SharedLlc::SharedLlc(const CachesConfig& cfg, const ClockDomain& clk, stats::Group& root)
    : m_llc(root, "llc", cfg.llc, static_cast<unsigned>(cfg.line_bytes), clk),
      m_mshrs(cfg.llc_mshrs),
      m_clk(clk),
      m_mshr_wait(m_llc.stats, "mshr_wait_cycles", "cycles", "cycles misses waited for a free LLC MSHR") {}

sc_time SharedLlc::mshr_acquire(const sc_time& ready) {
  if (m_mshrs == 0) return ready;
  m_busy.erase(std::remove_if(m_busy.begin(), m_busy.end(), [&](const sc_time& t) { return t <= ready; }),
               m_busy.end());
  if (m_busy.size() < m_mshrs) return ready;
  const auto first = std::min_element(m_busy.begin(), m_busy.end());
  const sc_time start = *first;
  m_busy.erase(first);
  m_mshr_wait += m_clk.to_cycles(start - ready);
  return start;
}

void SharedLlc::mshr_release(const sc_time& done) {
  if (m_mshrs) m_busy.push_back(done);
}

void SharedLlc::write_invalidate(unsigned core, uint64_t line) {
  for (CoreCaches* c : m_cores)
    if (c->core() != core) c->invalidate_remote(line);
}

void SharedLlc::private_fill(unsigned core, uint64_t line) {
  for (CoreCaches* c : m_cores)
    if (c->core() != core) c->clear_exclusive(line);
}

unsigned SharedLlc::snoop_dma(uint64_t line, bool write, bool whole_line) {
  // A DMA write covering the whole line supersedes dirty data: nothing is written back for it.
  const bool wb = !(write && whole_line);
  bool dirty = false;
  for (CoreCaches* c : m_cores) dirty |= c->snoop_private(line, write, wb);
  bool llc_dirty = false;
  if (write) {
    if (m_llc.tags.invalidate(line, &llc_dirty)) ++m_llc.coherence_invals;
  } else if (m_llc.tags.contains(line)) {
    llc_dirty = m_llc.tags.clear_dirty(line);
  }
  if (llc_dirty && wb) ++m_llc.snoop_writebacks;
  dirty |= llc_dirty;
  // One line write brings memory up to date whatever the number of dirty copies (the newest is the
  // private one; the bytes are in memory already, the writeback is the time it takes).
  return dirty && wb ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------
CoreCaches::CoreCaches(sc_core::sc_module_name name, unsigned core, const CachesConfig& cfg,
                       const ClockDomain& clk, SharedLlc& llc, stats::Group& core_stats)
    : sc_module(name),
      tsock("tsock"),
      mem_isock("mem_isock"),
      m_core(core),
      m_line_bytes(static_cast<unsigned>(cfg.line_bytes)),
      m_line_shift(0),
      m_shared(llc),
      m_l1i(core_stats, "l1i", cfg.l1i, m_line_bytes, clk),
      m_l1d(core_stats, "l1d", cfg.l1d, m_line_bytes, clk),
      m_l2(core_stats, "l2", cfg.l2, m_line_bytes, clk),
      m_cycle(clk.period()),
      m_locked_rmw(clk.cycles(cfg.locked_rmw_cycles)),
      m_wb_slots(cfg.writeback_buffers),
      m_kernel_lines(m_l1d.stats, "kernel_lines", "lines",
                     "lines the kernel accessed through this core's caches"),
      m_atomics(m_l1d.stats, "atomics", "operations", "locked read-modify-writes (page-table A/D updates)"),
      m_wb_stalls(m_l1d.stats, "writeback_stalls", "accesses",
                  "accesses that waited for a free writeback buffer entry") {
  if (m_line_bytes & (m_line_bytes - 1))
    throw cfg::ConfigError(
        fmt::format("key 'caches.line_bytes': expected a power of two, got {}", m_line_bytes));
  while ((1u << m_line_shift) < m_line_bytes) ++m_line_shift;
  tsock.register_b_transport(this, &CoreCaches::b_transport);
  tsock.register_transport_dbg(this, &CoreCaches::transport_dbg);
  mem_isock.register_invalidate_direct_mem_ptr(this, &CoreCaches::invalidate_dmi);
  m_fill = make_payload();
  m_wb_payload = make_payload();
  m_wb_payload->ext.timing_only = true;
  for (uint64_t i = 0; i < cfg.line_fill_buffers; ++i) {
    m_fill_buffers.push_back(std::make_unique<FillBuffer>());
    m_fill_buffers.back()->p = make_payload();
  }
  llc.attach(this);
  SC_THREAD(writeback_drain);
}

CoreCaches::~CoreCaches() = default;

std::unique_ptr<CoreCaches::Payload> CoreCaches::make_payload() const {
  auto p = std::make_unique<Payload>();
  p->ext.requester = Requester::Core;
  p->ext.core = static_cast<uint16_t>(m_core);
  p->buf.resize(m_line_bytes);
  p->gp.set_extension(&p->ext);
  return p;
}

bool CoreCaches::memory_fill(uint64_t line, const sc_time& issue, sc_time& end, Payload& p) {
  prepare_payload(p.gp, tlm::TLM_READ_COMMAND, line << m_line_shift, p.buf.data(), m_line_bytes);
  sc_time d = delay_until(issue, "caches: line fill");
  const uint64_t deltas = sc_core::sc_delta_count();
  mem_isock->b_transport(p.gp, d);
  if (sc_core::sc_delta_count() != deltas) m_memory_waits = true;
  end = sc_core::sc_time_stamp() + d;
  return p.gp.is_response_ok();
}

sc_time CoreCaches::memory_writeback(uint64_t line, const sc_time& at) {
  if (!m_memory_waits) {
    // A memory that only annotates delay costs the requester nothing to write to: time it inline.
    Payload& p = *m_wb_payload;
    prepare_payload(p.gp, tlm::TLM_WRITE_COMMAND, line << m_line_shift, p.buf.data(), m_line_bytes);
    sc_time d = delay_until(at, "caches: writeback");
    mem_isock->b_transport(p.gp, d);
    return at;
  }
  // The writeback buffer drains in the background; a requester finding it full waits for an entry
  // (that wait is charged to its access: the documented rule for a writeback that cannot overlap).
  sc_time resume = at;
  if (m_wb_queue.size() >= m_wb_slots) {
    ++m_wb_stalls;
    while (m_wb_queue.size() >= m_wb_slots) wait(m_wb_freed);
    resume = std::max(at, sc_core::sc_time_stamp());
  }
  m_wb_queue.push_back({line, at});
  m_wb_kick.notify(sc_core::SC_ZERO_TIME);
  return resume;
}

void CoreCaches::writeback_drain() {
  for (;;) {
    while (m_wb_queue.empty()) wait(m_wb_kick);
    const Writeback w = m_wb_queue.front();
    if (w.at > sc_core::sc_time_stamp()) wait(w.at - sc_core::sc_time_stamp());
    Payload& p = *m_wb_payload;
    prepare_payload(p.gp, tlm::TLM_WRITE_COMMAND, w.line << m_line_shift, p.buf.data(), m_line_bytes);
    sc_time d = sc_core::SC_ZERO_TIME;
    mem_isock->b_transport(p.gp, d);
    if (d != sc_core::SC_ZERO_TIME) wait(d);
    m_wb_queue.pop_front();
    m_wb_freed.notify(sc_core::SC_ZERO_TIME);
  }
}

sc_time CoreCaches::install(int lvl, uint64_t line, bool dirty, const sc_time& at) {
  // Levels: 0 = L1I, 1 = L1D, 2 = L2, 3 = LLC. A dirty victim moves one level down.
  CacheLevel* L = lvl == 0 ? &m_l1i : lvl == 1 ? &m_l1d : lvl == 2 ? &m_l2 : &m_shared.level();
  if (lvl <= 2) m_shared.private_fill(m_core, line);
  const auto v = L->tags.fill(line, dirty);
  if (!v.dirty) return at;
  ++L->writebacks;
  if (lvl <= 1) return install(2, v.line, true, at);
  if (lvl == 2) return install(3, v.line, true, at);
  return memory_writeback(v.line, at);
}

int CoreCaches::probe(uint64_t line, bool fetch, sc_time& lat) {
  CacheLevel& l1 = fetch ? m_l1i : m_l1d;
  CacheLevel& llc = m_shared.level();
  if (l1.tags.lookup(line)) {
    ++l1.hits;
    lat = l1.latency;
    return 1;
  }
  ++l1.misses;
  if (m_l2.tags.lookup(line)) {
    ++m_l2.hits;
    lat = m_l2.latency;
    return 2;
  }
  ++m_l2.misses;
  if (llc.tags.lookup(line)) {
    ++llc.hits;
    lat = llc.latency;
    return 3;
  }
  ++llc.misses;
  lat = llc.latency;  // the lookup that missed; memory comes on top
  return 4;
}

sc_time CoreCaches::fill_levels(uint64_t line, bool fetch, int served, const sc_time& at) {
  sc_time t = at;
  if (served >= 4) t = std::max(t, install(3, line, false, at));
  if (served >= 3) t = std::max(t, install(2, line, false, at));
  if (served >= 2) t = std::max(t, install(fetch ? 0 : 1, line, false, at));
  return t;
}

void CoreCaches::mark_written(uint64_t line) {
  m_l1d.tags.set_dirty(line);
  // No other core has installed the line since this core last invalidated it everywhere: invalidating
  // again would find nothing (the common case of a store hitting a line the core already wrote).
  if (m_l1d.tags.exclusive(line)) return;
  m_shared.write_invalidate(m_core, line);
  m_l1d.tags.set_exclusive(line);
}

void CoreCaches::clear_exclusive(uint64_t line) {
  m_l1d.tags.clear_exclusive(line);
}

bool CoreCaches::access_line(uint64_t line, bool write, bool fetch, sc_time& t, uint8_t& served) {
  sc_time lat;
  const int lvl = probe(line, fetch, lat);
  served = static_cast<uint8_t>(lvl);
  sc_time end = t + lat;
  if (lvl == 4) {
    // The request reaches memory once the LLC lookup has missed and an MSHR is free.
    const sc_time issue = m_shared.mshr_acquire(t + lat);
    // Another thread (a kernel path sharing this core's caches) may be inside a fill: use a payload of
    // our own then.
    std::unique_ptr<Payload> own;
    Payload* p = m_fill.get();
    if (m_fill_busy) {
      own = make_payload();
      p = own.get();
    }
    const bool mine = p == m_fill.get();
    if (mine) m_fill_busy = true;
    const bool ok = memory_fill(line, issue, end, *p);
    if (mine) m_fill_busy = false;
    m_shared.mshr_release(end);
    if (!ok) {
      t = end;
      return false;
    }
  }
  end = std::max(end, fill_levels(line, fetch, lvl, end));
  if (write) mark_written(line);
  t = end;
  return true;
}

void CoreCaches::fill_worker(FillBuffer* fb) {
  for (;;) {
    wait(fb->start);
    sc_time end;
    if (!memory_fill(fb->line, fb->issue, end, *fb->p)) m_stream_ok = false;
    m_shared.mshr_release(end);
    fb->free_at = end;
    fb->busy = false;
    fb->done.notify(sc_core::SC_ZERO_TIME);
  }
}

bool CoreCaches::stream_lines(uint64_t first, uint64_t last, bool write, bool fetch, sc_time& t,
                              uint8_t& worst) {
  // Lines issue one per store-bandwidth slot (16 bytes a cycle); each L1 miss holds a line fill buffer
  // until its data arrives, and a miss that finds its buffer busy waits for it (the fill-buffer limit
  // is what makes a page clear bandwidth-bound rather than 64 serialized round trips). Buffers are
  // taken in turn; with equal latencies that is the first to free.
  while (m_streaming) wait(m_stream_free);  // another kernel path on this core holds the buffers
  m_streaming = true;
  m_stream_ok = true;
  const sc_time gap = m_cycle * static_cast<double>(std::max<unsigned>(1, m_line_bytes / 16));
  sc_time issue = t, end = t;
  for (auto& fb : m_fill_buffers) fb->free_at = t;
  size_t next = 0;
  for (uint64_t line = first; line <= last; ++line, issue += gap) {
    sc_time lat;
    const int lvl = probe(line, fetch, lat);
    worst = std::max<uint8_t>(worst, static_cast<uint8_t>(lvl));
    if (lvl == 1) {
      end = std::max(end, issue + lat);
    } else {
      FillBuffer& fb = *m_fill_buffers[next];
      next = (next + 1) % m_fill_buffers.size();
      while (fb.busy) wait(fb.done);  // its fill completed: free_at is when
      // In order, never before the buffer frees, and never in the past (this thread may have waited).
      issue = std::max({issue, fb.free_at, sc_core::sc_time_stamp()});
      if (lvl < 4) {
        fb.free_at = issue + lat;
      } else if (!m_memory_waits) {
        sc_time done;
        if (!memory_fill(line, m_shared.mshr_acquire(issue + lat), done, *fb.p)) m_stream_ok = false;
        m_shared.mshr_release(done);
        fb.free_at = done;
      } else {
        start_fill_workers();
        fb.line = line;
        fb.issue = m_shared.mshr_acquire(issue + lat);
        fb.busy = true;
        fb.start.notify(sc_core::SC_ZERO_TIME);
      }
      if (!fb.busy) end = std::max(end, fb.free_at);
    }
    // Tags change at issue (the line is allocated when its fill starts); victims leave then too.
    end = std::max(end, fill_levels(line, fetch, lvl, issue));
    if (write) mark_written(line);
  }
  for (auto& fb : m_fill_buffers) {
    while (fb->busy) wait(fb->done);
    end = std::max(end, fb->free_at);
  }
  m_streaming = false;
  m_stream_free.notify(sc_core::SC_ZERO_TIME);
  t = end;
  return m_stream_ok;
}

void CoreCaches::start_fill_workers() {
  if (m_workers_started) return;
  m_workers_started = true;
  for (auto& w : m_fill_buffers) {
    sc_core::sc_spawn_options o;
    o.set_stack_size(64 * 1024);
    FillBuffer* fb = w.get();
    sc_core::sc_spawn([this, fb] { fill_worker(fb); }, sc_core::sc_gen_unique_name("fill_buffer"), &o);
  }
}

void CoreCaches::b_transport(int, tlm::tlm_generic_payload& gp, sc_time& delay) {
  auto* ext = gp.get_extension<AccessExt>();
  AtomicExt* atomic = atomic_of(gp);
  const uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  if ((ext && ext->uncacheable) || len == 0 || addr >= hw::kMmioBase || gp.get_byte_enable_ptr()) {
    mem_isock->b_transport(gp, delay);  // uncacheable: straight to the target (which performs an atomic)
    if (ext) ext->served = 4;
    return;
  }
  const bool write = gp.is_write();
  const bool fetch = ext && ext->requester == Requester::Fetch;
  const uint64_t first = addr >> m_line_shift, last = (addr + len - 1) >> m_line_shift;
  if (ext && ext->requester == Requester::Kernel) m_kernel_lines += last - first + 1;
  // Absolute time: a line fill may wait in between, and the delay is recomputed from it at the end.
  sc_time t = sc_core::sc_time_stamp() + delay;
  uint8_t worst = 0;
  bool ok = true;
  if (atomic) {
    if (len != 8 || (addr & 7)) {  // an atomic is 8 aligned bytes (it never splits across lines)
      gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    // A locked operation owns the line exclusively (a write: other copies are invalidated), then reads
    // and writes the bytes in one step.
    ok = access_line(first, true, false, t, worst);
    t += m_locked_rmw;
    ++m_atomics;
  } else if (first == last || m_fill_buffers.size() <= 1) {
    for (uint64_t line = first; line <= last && ok; ++line) {
      uint8_t served = 0;
      ok = access_line(line, write, fetch, t, served);
      worst = std::max(worst, served);
    }
  } else {
    ok = stream_lines(first, last, write, fetch, t, worst);
  }
  delay = delay_until(t, "caches: access");
  if (!ok) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (atomic) {
    // The read and the write happen now, with no wait between them: atomic against every other agent.
    tlm::tlm_generic_payload dbg;
    auto rw = [&](tlm::tlm_command cmd, uint8_t* b, unsigned n) {
      prepare_payload(dbg, cmd, addr, b, n);
      return mem_isock->transport_dbg(dbg) == n;
    };
    bool dbg_ok = true;
    perform_atomic(
        gp, *atomic, [&](uint8_t* b, unsigned n) { dbg_ok = rw(tlm::TLM_READ_COMMAND, b, n) && dbg_ok; },
        [&](const uint8_t* b, unsigned n) {
          dbg_ok = rw(tlm::TLM_WRITE_COMMAND, const_cast<uint8_t*>(b), n) && dbg_ok;
        });
    if (!dbg_ok) {
      atomic->performed = false;
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
  } else if (mem_isock->transport_dbg(gp) != len) {
    if (gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (ext) ext->served = worst;
}

CoreCaches::L1Hit CoreCaches::move_failed(tlm::tlm_generic_payload& gp) {
  if (gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return L1Hit::Error;
}

bool CoreCaches::move_bytes_dmi(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  const uint64_t page = addr / kDmiPageBytes;
  if ((addr % kDmiPageBytes) + len > kDmiPageBytes) return mem_isock->transport_dbg(gp) == len;
  DmiPage& d = m_dmi[page % kDmiPages];
  if (d.page != page && !(addr >= m_no_dmi_lo && addr <= m_no_dmi_hi)) {
    dmi_changed();
    tlm::tlm_dmi dmi;
    prepare_payload(m_dmi_gp, gp.get_command(), addr, nullptr, 0);
    const bool ok = mem_isock->get_direct_mem_ptr(m_dmi_gp, dmi);
    const uint64_t lo = page * kDmiPageBytes, hi = lo + kDmiPageBytes - 1;
    if (ok && dmi.is_read_write_allowed() && dmi.get_start_address() <= lo && dmi.get_end_address() >= hi) {
      d = {page, dmi.get_dmi_ptr() + (lo - dmi.get_start_address())};
    } else if (!ok && dmi.get_start_address() <= lo && dmi.get_end_address() >= hi &&
               dmi.get_end_address() - dmi.get_start_address() >= kDmiPageBytes) {
      m_no_dmi_lo = dmi.get_start_address();
      m_no_dmi_hi = dmi.get_end_address();
    } else {
      d = {page, nullptr};
    }
  }
  if (d.page == page && d.ptr) {
    dmi_copy(gp, d.ptr + addr % kDmiPageBytes);
    return true;
  }
  const bool moved = mem_isock->transport_dbg(gp) == len;
  if (d.page == page && gp.is_write()) {  // the page exists now: ask again next time
    d = DmiPage{};
    dmi_changed();
  }
  return moved;
}

void CoreCaches::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  dmi_changed();
  for (DmiPage& d : m_dmi)
    if (d.page != ~0ull && d.page * kDmiPageBytes <= end &&
        d.page * kDmiPageBytes + kDmiPageBytes - 1 >= start)
      d = DmiPage{};
  m_no_dmi_lo = 1;
  m_no_dmi_hi = 0;
}

void CoreCaches::flush_private() {
  const sc_time at = sc_core::sc_time_stamp();
  for (auto* L : {&m_l1i, &m_l1d, &m_l2})
    for (const auto& v : L->tags.drain())
      if (v.dirty) {
        ++L->writebacks;
        install(3, v.line, true, at);
      }
}

void CoreCaches::invalidate_remote(uint64_t line) {
  bool dirty = false;
  for (auto* L : {&m_l1i, &m_l1d, &m_l2}) {
    bool d = false;
    if (L->tags.invalidate(line, &d)) {
      ++L->coherence_invals;
      if (d) ++L->snoop_writebacks;
      dirty |= d;
    }
  }
  // The modified copy is the newest: it goes to the LLC (where the writer finds it) instead of being
  // dropped, and reaches memory when the LLC evicts it.
  if (dirty) install(3, line, true, sc_core::sc_time_stamp());
}

bool CoreCaches::snoop_private(uint64_t line, bool write, bool writeback) {
  bool dirty = false;
  for (auto* L : {&m_l1i, &m_l1d, &m_l2}) {
    bool d = false;
    if (write) {
      if (L->tags.invalidate(line, &d)) ++L->coherence_invals;
    } else if (L->tags.contains(line)) {
      d = L->tags.clear_dirty(line);
    }
    if (d && writeback) ++L->snoop_writebacks;
    dirty |= d;
  }
  return dirty;
}

// ---------------------------------------------------------------------------------------------------
CoherentDma::CoherentDma(sc_core::sc_module_name name, SharedLlc& llc, unsigned line_bytes,
                         stats::Group& root)
    : sc_module(name),
      tsock("tsock"),
      isock("isock"),
      m_llc(llc),
      m_line_bytes(line_bytes),
      m_stats(&root, basename(), "cache snoops by DMA (x86 DMA is coherent)"),
      m_snoops(m_stats, "snoops", "lines", "lines of DMA accesses snooped in every cache"),
      m_writebacks(m_stats, "writebacks", "lines", "dirty lines written back before a DMA access") {
  tsock.register_b_transport(this, &CoherentDma::b_transport);
  tsock.register_transport_dbg(this, &CoherentDma::transport_dbg);
  m_wb_ext.requester = Requester::Dma;
  m_wb_ext.timing_only = true;
  m_wb.set_extension(&m_wb_ext);
}

void CoherentDma::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  const uint64_t addr = gp.get_address(), len = gp.get_data_length();
  const bool write = gp.is_write();
  if (len) {
    std::vector<uint8_t> buf(m_line_bytes);
    for (uint64_t line = addr / m_line_bytes; line <= (addr + len - 1) / m_line_bytes; ++line) {
      ++m_snoops;
      const uint64_t lo = line * m_line_bytes;
      const bool whole = addr <= lo && addr + len >= lo + m_line_bytes;
      if (!m_llc.snoop_dma(line, write, whole)) continue;
      // The dirty line reaches memory before the DMA access uses it.
      ++m_writebacks;
      prepare_payload(m_wb, tlm::TLM_WRITE_COMMAND, lo, buf.data(), m_line_bytes);
      isock->b_transport(m_wb, delay);
    }
  }
  isock->b_transport(gp, delay);
}

}  // namespace pc::cache
