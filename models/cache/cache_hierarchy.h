// Cache hierarchy: per-core L1I/L1D/L2 (CoreCaches, a TLM module between a core and the router) and a
// shared LLC. Set-associative, write-back, write-allocate, non-inclusive (a miss fills every level,
// evictions are independent). Caches hold tags and state only: the bytes always live in memory and every
// access moves them functionally (transport_dbg), so DMA, the kernel and other cores see real data.
// Coherence: a write invalidates the line in the other cores' private caches (a dirty copy is written
// back to the LLC first); DMA snoops every cache (CoherentDma). Atomics (AtomicExt) take the line
// exclusively and change the bytes in memory in the same step. Multi-line transactions (the kernel's
// page clears and copies) stream through the line fill buffers, several misses in flight at once.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/cache/cache_config.h"
#include "models/cache/tag_array.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"
#include "platform/hwdefs/address_map.h"

namespace pc::cache {

// One level: tags plus its counters.
struct CacheLevel {
  CacheLevel(stats::Group& parent, const char* name, const CacheLevelConfig& c, unsigned line_bytes,
             const ClockDomain& clk);
  TagArray tags;
  sc_core::sc_time latency;
  stats::Group stats;
  stats::Counter hits, misses, writebacks, coherence_invals, snoop_writebacks;
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
  // `core` installs `line` in one of its private levels: no other core holds it exclusively any more.
  void private_fill(unsigned core, uint64_t line);
  // A DMA access to `line` snoops every cache. A write drops every copy; a read leaves them clean.
  // Returns the number of dirty copies that must reach memory before the DMA access (a write covering
  // the whole line supersedes dirty data instead: nothing to write back).
  unsigned snoop_dma(uint64_t line, bool write, bool whole_line);  // 0 or 1
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
  // From the core (data, fetches, page walks) and from the kernel's data path on this core (its loads
  // and stores run on this CPU): any number of initiators bind here.
  tlm_utils::multi_passthrough_target_socket<CoreCaches> tsock;
  tlm_utils::simple_initiator_socket<CoreCaches> mem_isock;  // to the router

  CoreCaches(sc_core::sc_module_name name, unsigned core, const CachesConfig& cfg, const ClockDomain& clk,
             SharedLlc& llc, stats::Group& core_stats);
  ~CoreCaches() override;

  // Writes dirty private lines back into the LLC and empties L1I, L1D and L2 (WBINVD of the private levels).
  void flush_private();
  // Coherence: another core wrote `line`. A dirty copy goes to the LLC first (it is the newest data).
  void invalidate_remote(uint64_t line);
  // Another core installed `line`: a write here must invalidate it there again.
  void clear_exclusive(uint64_t line);
  // DMA snoop of the private levels: drops the line (write) or cleans it (read); true if it was dirty.
  // `writeback`: a dirty copy is written back (not superseded by a whole-line DMA write).
  bool snoop_private(uint64_t line, bool write, bool writeback);
  // Writes `line` back to memory from absolute time `at`: a timing-only transaction (the bytes are in
  // memory already). Queued in the writeback buffer, so the requester does not wait for memory unless
  // the buffer is full; returns the absolute time the requester may go on.
  sc_core::sc_time memory_writeback(uint64_t line, const sc_core::sc_time& at);
  unsigned core() const { return m_core; }

  // The L1-hit case of b_transport for a core's own plain (cacheable, no byte enables, no atomic) access
  // within one line, called directly by the core: the same counters, recency, coherence state and data
  // movement, and the L1 latency in `lat` (the access completes that long after it starts). No: not an
  // L1 hit, or a store that must invalidate other cores' copies (which may wait); nothing was changed,
  // the caller takes b_transport. Error: the data could not be moved (the payload holds the error). The
  // caller sets AccessExt::served (1) if it reads it.
  enum class L1Hit : uint8_t { No, Ok, Error };
  L1Hit l1_hit(tlm::tlm_generic_payload& gp, bool fetch, sc_core::sc_time& lat) {
    const uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    const uint64_t line = addr >> m_line_shift;
    if (!plain_line(addr, len)) return L1Hit::No;
    // A store to a line not held exclusively invalidates the other cores' copies, whose writebacks may
    // wait for a buffer entry: b_transport handles it. Otherwise what b_transport does for an L1 hit:
    // probe (recency, hit count), mark_written (dirty), then the bytes.
    CacheLevel& l1 = fetch ? m_l1i : m_l1d;
    if (!l1.tags.hit_exclusive(line, gp.is_write())) return L1Hit::No;
    ++l1.hits;
    lat = l1.latency;
    if (!move_bytes(gp)) return move_failed(gp);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return L1Hit::Ok;
  }
  // l1_hit() without a payload, for an access to a page the caches hold a DMI pointer to: true when it
  // was an L1 hit, with exactly l1_hit()'s effects (bytes moved through the pointer, from or to `data`);
  // false, with nothing changed, otherwise (the caller takes l1_hit() with a payload).
  __attribute__((always_inline)) bool l1_hit_dmi(uint64_t addr, unsigned len, bool write, bool fetch,
                                                 uint8_t* data, sc_core::sc_time& lat) {
    const uint64_t line = addr >> m_line_shift;
    const uint64_t off = addr & (m_line_bytes - 1);
    uint8_t* p;
    // The host bytes of the line dmi_ptr() gave last, while no DMI grant, denial or invalidation came
    // since (m_dmi_gen): dmi_ptr() of that line would give the same. Only the pointer is memoized; the
    // tags are asked every time (coherence, evictions and fills change them).
    if (line == m_dmi_memo.line && m_dmi_gen == m_dmi_memo.gen && len != 0 && off + len <= m_line_bytes) {
      p = m_dmi_memo.host + off;
    } else {
      if (!plain_line(addr, len)) return false;
      p = dmi_ptr(addr, len);
      if (!p) return false;
      if (m_line_bytes <= kDmiPageBytes) m_dmi_memo = DmiMemo{line, p - off, m_dmi_gen};
    }
    CacheLevel& l1 = fetch ? m_l1i : m_l1d;
    if (!l1.tags.hit_exclusive(line, write)) return false;
    ++l1.hits;
    lat = l1.latency;
    dmi_copy(write, data, p, len);
    return true;
  }
  // Test only (the negative control of the DMI-memo test): DMI grants and invalidations no longer move
  // the generation l1_hit_dmi's memo is checked against.
  void set_frozen_dmi_memo(bool on) { m_frozen_dmi_gen = on; }

 private:
  SC_HAS_PROCESS(CoreCaches);
  struct Payload {  // a transaction of our own (several threads may be inside this module at once)
    tlm::tlm_generic_payload gp;
    AccessExt ext;
    std::vector<uint8_t> buf;
    ~Payload() { gp.clear_extension(&ext); }
  };
  struct FillBuffer {  // a line fill buffer and its worker (streams on a memory that waits)
    sc_core::sc_event start, done;
    uint64_t line = 0;
    sc_core::sc_time issue, free_at;  // the worker's fill starts at `issue`; the buffer frees at `free_at`
    bool busy = false;
    std::unique_ptr<Payload> p;
  };
  struct Writeback {
    uint64_t line;
    sc_core::sc_time at;
  };

  void b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  // Moves the bytes of an L1 hit: through a DMI pointer to the memory's page when the memory grants one,
  // else transport_dbg. False when they could not be moved (the payload holds the error).
  bool move_bytes(tlm::tlm_generic_payload& gp) {
    const uint64_t addr = gp.get_address();
    if (addr >= m_no_dmi_lo && addr <= m_no_dmi_hi)
      return mem_isock->transport_dbg(gp) == gp.get_data_length();
    // The page's pointer is held: move the bytes here (move_bytes_dmi asks for it, or falls back).
    if (uint8_t* p = dmi_ptr(addr, gp.get_data_length())) {
      dmi_copy(gp, p);
      return true;
    }
    return move_bytes_dmi(gp);
  }
  // Whether [addr, addr + len) is a non-empty cacheable range within one line (what l1_hit serves).
  bool plain_line(uint64_t addr, unsigned len) const {
    return len != 0 && addr < hw::kMmioBase && ((addr + len - 1) >> m_line_shift) == (addr >> m_line_shift);
  }
  // The host address of [addr, addr + len) through a DMI pointer held for its page (the bytes the move
  // reaches there), or nullptr: none held, the range is in a memory without DMI, or it crosses the page.
  uint8_t* dmi_ptr(uint64_t addr, unsigned len) const {
    if (addr >= m_no_dmi_lo && addr <= m_no_dmi_hi) return nullptr;
    const uint64_t page = addr / kDmiPageBytes;
    const DmiPage& d = m_dmi[page % kDmiPages];
    if (d.page != page || !d.ptr || (addr % kDmiPageBytes) + len > kDmiPageBytes) return nullptr;
    return d.ptr + addr % kDmiPageBytes;
  }
  static void dmi_copy(bool write, uint8_t* data, uint8_t* p, unsigned len) {
    if (len == 8) {  // the commonest size, as one word (a variable-length memcpy is a call or a loop)
      uint64_t v;
      std::memcpy(&v, write ? data : p, 8);
      std::memcpy(write ? p : data, &v, 8);
    } else if (write)
      std::memcpy(p, data, len);
    else
      std::memcpy(data, p, len);
  }
  static void dmi_copy(tlm::tlm_generic_payload& gp, uint8_t* p) {
    dmi_copy(!gp.is_read(), gp.get_data_ptr(), p, gp.get_data_length());
  }
  bool move_bytes_dmi(tlm::tlm_generic_payload& gp);
  L1Hit move_failed(tlm::tlm_generic_payload& gp);
  void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  unsigned int transport_dbg(int, tlm::tlm_generic_payload& gp) { return mem_isock->transport_dbg(gp); }
  // Tag lookups for one line: counts hits and misses, returns the level that serves it (1..3, 4 =
  // memory) and the latency of the lookup when it hits.
  int probe(uint64_t line, bool fetch, sc_core::sc_time& lat);
  // Installs a line served by `served` into the levels above it; victims' writebacks leave at `at`.
  // Returns the absolute time the access may complete (later than `at` when the writeback buffer was full).
  sc_core::sc_time fill_levels(uint64_t line, bool fetch, int served, const sc_core::sc_time& at);
  void mark_written(uint64_t line);
  // One line, start to finish, in the caller's thread; false on a bus error.
  bool access_line(uint64_t line, bool write, bool fetch, sc_core::sc_time& t, uint8_t& served);
  // Several lines with up to line_fill_buffers misses in flight; `t` advances to the last completion.
  bool stream_lines(uint64_t first, uint64_t last, bool write, bool fetch, sc_core::sc_time& t,
                    uint8_t& worst);
  // Installs `line` into `lvl` and pushes a dirty victim down; returns when the access may go on.
  sc_core::sc_time install(int lvl, uint64_t line, bool dirty, const sc_core::sc_time& at);
  // Reads `line` from memory starting at absolute time `issue`; returns the completion time in `end`.
  bool memory_fill(uint64_t line, const sc_core::sc_time& issue, sc_core::sc_time& end, Payload& p);
  void fill_worker(FillBuffer* fb);
  void start_fill_workers();
  void writeback_drain();
  std::unique_ptr<Payload> make_payload() const;

  unsigned m_core;
  unsigned m_line_bytes;
  unsigned m_line_shift;
  SharedLlc& m_shared;
  CacheLevel m_l1i, m_l1d, m_l2;
  sc_core::sc_time m_cycle, m_locked_rmw;
  std::unique_ptr<Payload> m_fill;  // the caller-thread fills (one thread at a time: see m_fill_busy)
  bool m_fill_busy = false;
  // Learned at the first fill: memory that synchronizes (the DDR adapter) needs worker threads for
  // fills to overlap; memory that only annotates delay (fixed latency) is timed inline.
  bool m_memory_waits = false;
  std::vector<std::unique_ptr<FillBuffer>> m_fill_buffers;
  bool m_workers_started = false;
  bool m_streaming = false, m_stream_ok = true;
  sc_core::sc_event m_stream_free;
  uint64_t m_wb_slots;
  std::deque<Writeback> m_wb_queue;
  sc_core::sc_event m_wb_kick, m_wb_freed;
  std::unique_ptr<Payload> m_wb_payload;
  stats::Counter m_kernel_lines, m_atomics, m_wb_stalls;
  // DMI pointers, one 4 KiB page per entry (by page number). A page denied alone is asked again after a
  // write of ours reached it (which allocates an untouched page); a larger denied region (a memory
  // without DMI) is not asked again. An invalidation from memory drops both.
  static constexpr uint64_t kDmiPageBytes = 4096;
  static constexpr unsigned kDmiPages = 64;
  struct DmiPage {
    uint64_t page = ~0ull;   // address / kDmiPageBytes; ~0: empty
    uint8_t* ptr = nullptr;  // the page's host bytes; nullptr: denied
  };
  DmiPage m_dmi[kDmiPages];
  uint64_t m_no_dmi_lo = 1, m_no_dmi_hi = 0;  // empty while lo > hi
  // Moves with every change of m_dmi or the no-DMI range (see l1_hit_dmi's memo).
  void dmi_changed() { m_dmi_gen += !m_frozen_dmi_gen; }
  uint64_t m_dmi_gen = 0;
  bool m_frozen_dmi_gen = false;
  struct DmiMemo {
    uint64_t line = ~0ull;    // ~0: none (no cacheable line is that high)
    uint8_t* host = nullptr;  // the line's first byte
    uint64_t gen = 0;
  };
  DmiMemo m_dmi_memo;
  tlm::tlm_generic_payload m_dmi_gp;  // the DMI requests
};

// Between a DMA master and the interconnect: every DMA access snoops the caches first (x86 DMA is
// cache-coherent). Dirty lines the access needs are written back before it proceeds (a timing cost of
// the DMA); a DMA write invalidates every cached copy.
class CoherentDma : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<CoherentDma> tsock;     // from the DMA master
  tlm_utils::simple_initiator_socket<CoherentDma> isock;  // to the interconnect

  CoherentDma(sc_core::sc_module_name name, SharedLlc& llc, unsigned line_bytes, stats::Group& root);
  ~CoherentDma() override { m_wb.clear_extension(&m_wb_ext); }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp) { return isock->transport_dbg(gp); }

  SharedLlc& m_llc;
  unsigned m_line_bytes;
  AccessExt m_wb_ext;  // before m_wb: the payload must not outlive the extension it carries
  tlm::tlm_generic_payload m_wb;
  stats::Group m_stats;
  stats::Counter m_snoops, m_writebacks;
};

}  // namespace pc::cache
