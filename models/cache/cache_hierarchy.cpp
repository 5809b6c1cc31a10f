// Cache hierarchy timing with functional data in memory.
#include "models/cache/cache_hierarchy.h"

#include <algorithm>
#include <fmt/format.h>

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
      coherence_invals(stats, "coherence_invals", "lines", "lines dropped because another core wrote them"),
      hit_rate(stats, "hit_rate", "ratio", "hits / (hits + misses)", [this] {
        const double n = static_cast<double>(hits.value() + misses.value());
        return n ? static_cast<double>(hits.value()) / n : 0.0;
      }) {}

SharedLlc::SharedLlc(const CachesConfig& cfg, const ClockDomain& clk, stats::Group& root)
    : m_llc(root, "llc", cfg.llc, static_cast<unsigned>(cfg.line_bytes), clk),
      m_mshrs(cfg.llc_mshrs),
      m_clk(clk),
      m_mshr_wait(m_llc.stats, "mshr_wait_cycles", "cycles", "cycles misses waited for a free LLC MSHR") {}

sc_time SharedLlc::mshr_acquire(const sc_time& ready) {
  if (m_mshrs == 0) return ready;
  m_busy.erase(std::remove_if(m_busy.begin(), m_busy.end(), [&](const sc_time& t) { return t <= ready; }), m_busy.end());
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

CoreCaches::CoreCaches(sc_core::sc_module_name name, unsigned core, const CachesConfig& cfg, const ClockDomain& clk,
                       SharedLlc& llc, stats::Group& core_stats)
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
      m_line_buf(m_line_bytes) {
  if (m_line_bytes & (m_line_bytes - 1))
    throw cfg::ConfigError(fmt::format("key 'caches.line_bytes': expected a power of two, got {}", m_line_bytes));
  while ((1u << m_line_shift) < m_line_bytes) ++m_line_shift;
  tsock.register_b_transport(this, &CoreCaches::b_transport);
  tsock.register_transport_dbg(this, &CoreCaches::transport_dbg);
  m_fill_ext.requester = Requester::Core;
  m_fill_ext.core = static_cast<uint16_t>(core);
  m_fill_gp.set_extension(&m_fill_ext);
  llc.attach(this);
}

bool CoreCaches::memory_fill(uint64_t line, sc_time& delay) {
  m_fill_gp.set_command(tlm::TLM_READ_COMMAND);
  m_fill_gp.set_address(line << m_line_shift);
  m_fill_gp.set_data_ptr(m_line_buf.data());
  m_fill_gp.set_data_length(m_line_bytes);
  m_fill_gp.set_streaming_width(m_line_bytes);
  m_fill_gp.set_byte_enable_ptr(nullptr);
  m_fill_gp.set_dmi_allowed(false);
  m_fill_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  mem_isock->b_transport(m_fill_gp, delay);
  return m_fill_gp.is_response_ok();
}

void CoreCaches::memory_writeback(uint64_t line, const sc_time& at) {
  // The bytes are already in memory; the writeback re-writes them so that memory sees the traffic.
  m_fill_gp.set_command(tlm::TLM_READ_COMMAND);
  m_fill_gp.set_address(line << m_line_shift);
  m_fill_gp.set_data_ptr(m_line_buf.data());
  m_fill_gp.set_data_length(m_line_bytes);
  m_fill_gp.set_streaming_width(m_line_bytes);
  m_fill_gp.set_byte_enable_ptr(nullptr);
  if (mem_isock->transport_dbg(m_fill_gp) != m_line_bytes) return;
  m_fill_gp.set_command(tlm::TLM_WRITE_COMMAND);
  m_fill_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time d = at;  // off the critical path: the core does not wait for it
  mem_isock->b_transport(m_fill_gp, d);
}

void CoreCaches::install(int lvl, uint64_t line, bool dirty, const sc_time& at) {
  // Levels: 0 = L1I, 1 = L1D, 2 = L2, 3 = LLC. A dirty victim moves one level down.
  CacheLevel* L = lvl == 0 ? &m_l1i : lvl == 1 ? &m_l1d : lvl == 2 ? &m_l2 : &m_shared.level();
  const auto v = L->tags.fill(line, dirty);
  if (!v.dirty) return;
  ++L->writebacks;
  if (lvl <= 1)
    install(2, v.line, true, at);
  else if (lvl == 2)
    install(3, v.line, true, at);
  else
    memory_writeback(v.line, at);
}

bool CoreCaches::access_line(uint64_t line, bool write, bool fetch, const sc_time& at, sc_time& lat, uint8_t& served) {
  CacheLevel& l1 = fetch ? m_l1i : m_l1d;
  CacheLevel& llc = m_shared.level();
  const int l1_id = fetch ? 0 : 1;
  if (l1.tags.lookup(line)) {
    ++l1.hits;
    lat = l1.latency;
    served = 1;
  } else {
    ++l1.misses;
    if (m_l2.tags.lookup(line)) {
      ++m_l2.hits;
      lat = m_l2.latency;
      served = 2;
    } else {
      ++m_l2.misses;
      if (llc.tags.lookup(line)) {
        ++llc.hits;
        lat = llc.latency;
        served = 3;
      } else {
        ++llc.misses;
        // The request reaches memory once the LLC lookup has missed and an MSHR is free.
        const sc_time now = sc_core::sc_time_stamp();
        sc_time d = m_shared.mshr_acquire(now + at + llc.latency) - now;
        const bool ok = memory_fill(line, d);
        m_shared.mshr_release(sc_core::sc_time_stamp() + d);
        if (!ok) return false;
        // Absolute time: a memory that synchronizes waits inside the call and returns a delay relative to
        // the new time stamp.
        lat = sc_core::sc_time_stamp() + d - (now + at);
        served = 4;
        install(3, line, false, at);
      }
      install(2, line, false, at);
    }
    install(l1_id, line, false, at);
  }
  if (write) {
    l1.tags.set_dirty(line);
    m_shared.write_invalidate(m_core, line);
  }
  return true;
}

void CoreCaches::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  auto* ext = gp.get_extension<AccessExt>();
  const uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  if ((ext && ext->uncacheable) || len == 0 || addr >= hw::kMmioBase || gp.get_byte_enable_ptr()) {
    mem_isock->b_transport(gp, delay);  // uncacheable: straight to the target
    if (ext) ext->served = 4;
    return;
  }
  const bool write = gp.is_write();
  const bool fetch = ext && ext->requester == Requester::Fetch;
  sc_time total = sc_core::SC_ZERO_TIME;
  uint8_t worst = 0;
  const sc_time start = sc_core::sc_time_stamp() + delay;  // absolute: a line fill may wait in between
  for (uint64_t line = addr >> m_line_shift; line <= (addr + len - 1) >> m_line_shift; ++line) {
    sc_time lat;
    uint8_t served = 0;
    if (!access_line(line, write, fetch, start + total - sc_core::sc_time_stamp(), lat, served)) {
      delay = start + total - sc_core::sc_time_stamp();
      gp.set_response_status(m_fill_gp.get_response_status());
      return;
    }
    total += lat;
    worst = std::max(worst, served);
  }
  if (mem_isock->transport_dbg(gp) != len) {
    if (gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE) gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (ext) ext->served = worst;
  delay = start + total - sc_core::sc_time_stamp();
}

unsigned int CoreCaches::transport_dbg(tlm::tlm_generic_payload& gp) { return mem_isock->transport_dbg(gp); }

void CoreCaches::flush_private() {
  const sc_time at = sc_core::SC_ZERO_TIME;
  for (auto* L : {&m_l1i, &m_l1d, &m_l2})
    for (const auto& v : L->tags.drain())
      if (v.dirty) {
        ++L->writebacks;
        install(3, v.line, true, at);
      }
}

void CoreCaches::invalidate_remote(uint64_t line) {
  for (auto* L : {&m_l1i, &m_l1d, &m_l2})
    if (L->tags.invalidate(line)) ++L->coherence_invals;  // the bytes are already in memory
}

}  // namespace pc::cache
