// Cache hierarchy: per-core L1I/L1D/L2 (CoreCaches, a TLM module between a core and the router) and a
// shared LLC. Set-associative, write-back, write-allocate, non-inclusive (a miss fills every level,
// evictions are independent). Caches hold tags and state only: the bytes always live in memory and every
// access moves them functionally (transport_dbg), so DMA, the kernel and other cores see real data.
// A write invalidates the line in the other cores' private caches, so sharing costs misses.
#pragma once

#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/cache/cache_config.h"
#include "models/cache/tag_array.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"

namespace pc::cache {

// One level: tags plus its counters.
struct CacheLevel {
  CacheLevel(stats::Group& parent, const char* name, const CacheLevelConfig& c, unsigned line_bytes,
             const ClockDomain& clk);
  TagArray tags;
  sc_core::sc_time latency;
  stats::Group stats;
  stats::Counter hits, misses, writebacks, coherence_invals;
  stats::Formula hit_rate;
};

class CoreCaches;

// The LLC shared by all cores and the coherence point between their private caches.
class SharedLlc {
 public:
  SharedLlc(const CachesConfig& cfg, const ClockDomain& clk, stats::Group& root);
  CacheLevel& level() { return m_llc; }
  void attach(CoreCaches* c) { m_cores.push_back(c); }
  // A write by `core` to `line`: drop the line from every other core's private caches.
  void write_invalidate(unsigned core, uint64_t line);
  // Miss-status holding registers: a miss ready to go to memory at absolute time `ready` gets the time
  // it may start; mshr_release records when it completes.
  sc_core::sc_time mshr_acquire(const sc_core::sc_time& ready);
  void mshr_release(const sc_core::sc_time& done);

 private:
  CacheLevel m_llc;
  uint64_t m_mshrs;
  ClockDomain m_clk;
  std::vector<sc_core::sc_time> m_busy;  // completion times of the misses in flight
  stats::Counter m_mshr_wait;
  std::vector<CoreCaches*> m_cores;
};

class CoreCaches : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<CoreCaches> tsock;         // from the core (data, fetches, page walks)
  tlm_utils::simple_initiator_socket<CoreCaches> mem_isock;  // to the router

  CoreCaches(sc_core::sc_module_name name, unsigned core, const CachesConfig& cfg, const ClockDomain& clk,
             SharedLlc& llc, stats::Group& core_stats);
  ~CoreCaches() override { m_fill_gp.clear_extension(&m_fill_ext); }

  // Writes dirty private lines back into the LLC and empties L1I, L1D and L2 (WBINVD of the private levels).
  void flush_private();
  // Coherence: another core wrote `line`.
  void invalidate_remote(uint64_t line);
  unsigned core() const { return m_core; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // Timing of one line; returns the latency and the level that served it (1..4). False on a bus error.
  bool access_line(uint64_t line, bool write, bool fetch, const sc_core::sc_time& at, sc_core::sc_time& lat,
                   uint8_t& served);
  // Installs `line` into `lvl` and pushes a dirty victim down the hierarchy.
  void install(int lvl, uint64_t line, bool dirty, const sc_core::sc_time& at);
  void memory_writeback(uint64_t line, const sc_core::sc_time& at);
  bool memory_fill(uint64_t line, sc_core::sc_time& delay);

  unsigned m_core;
  unsigned m_line_bytes;
  unsigned m_line_shift;
  SharedLlc& m_shared;
  CacheLevel m_l1i, m_l1d, m_l2;
  tlm::tlm_generic_payload m_fill_gp;
  AccessExt m_fill_ext;
  std::vector<uint8_t> m_line_buf;
};

}  // namespace pc::cache
