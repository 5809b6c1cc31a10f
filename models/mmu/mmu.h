// A core's MMU: L1 ITLB/DTLB, unified STLB, PCID-tagged paging-structure caches and a page walker that
// reads real entries from simulated memory through the core's caches, setting A and D bits with locked
// read-modify-writes exactly as Intel SDM Vol. 3A §4.5, §4.7, §4.8 and §4.10 describe.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <systemc>
#include <tlm>

#include "models/mmu/mmu_config.h"
#include "models/mmu/mmu_stats.h"
#include "models/mmu/tlb.h"
#include "models/mmu/translator.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"
#include "platform/hwdefs/cpu_control.h"
#include "platform/hwdefs/paging.h"

namespace pc::mmu {

// How the walker reaches page-table entries. `delay` is the loosely-timed offset from sc_time_stamp()
// at which the access starts; the access adds its latency. `served` is the level that answered
// (AccessExt::served: 1 L1, 2 L2, 3 LLC, 4 memory; 0 when there are no caches).
class WalkMemory {
 public:
  virtual ~WalkMemory() = default;
  // Which walk and level the next accesses belong to (carried in AccessExt for attribution).
  virtual void tag(uint32_t walk_id, uint8_t level) {}
  virtual uint64_t read_pte(uint64_t pa, bool uncacheable, sc_core::sc_time& delay, uint8_t& served) = 0;
  // LOCK CMPXCHG: writes `desired` if the entry still holds `expected`; returns the value it held (the
  // update happened iff that equals `expected`). Performed by the memory at one instant.
  virtual uint64_t cmpxchg_pte(uint64_t pa, uint64_t expected, uint64_t desired, bool uncacheable,
                               sc_core::sc_time& delay, uint8_t& served) = 0;
};

// WalkMemory over a TLM initiator socket (the core's memory port, so walks go through its caches).
// Every transaction carries AccessExt{requester = PageWalk, locked for A/D updates}. A read answered
// with an error returns all ones (a master abort), which has reserved bits set and so faults with RSVD.
class TlmWalkMemory : public WalkMemory {
 public:
  TlmWalkMemory(tlm::tlm_initiator_socket<>& sock, uint16_t core);
  ~TlmWalkMemory() override;
  uint64_t read_pte(uint64_t pa, bool uncacheable, sc_core::sc_time& delay, uint8_t& served) override;
  uint64_t cmpxchg_pte(uint64_t pa, uint64_t expected, uint64_t desired, bool uncacheable,
                       sc_core::sc_time& delay, uint8_t& served) override;
  void tag(uint32_t walk_id, uint8_t level) override {
    m_ext.walk_id = walk_id;
    m_ext.level = level;
  }
  // Test only (the negative control of the atomicity tests): performs the compare-exchange as a read
  // and a separate write, so another agent can fall in between, as a non-atomic update would.
  void set_split_atomics(bool on) { m_split = on; }

 private:
  bool transact(tlm::tlm_command cmd, uint64_t pa, uint64_t& v, bool uc, bool locked, sc_core::sc_time& delay,
                uint8_t& served);
  tlm::tlm_initiator_socket<>& m_sock;
  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;
  AtomicExt m_atomic;
  bool m_split = false;
};

// One walk as it happened, for an observer (x86-mmu.md §1.5 per-walk trace).
struct WalkTrace {
  struct Ref {
    uint8_t level = 0;   // 1 PTE .. 5 PML5E
    uint8_t served = 0;  // AccessExt::served of the access
    bool rmw = false;    // an A/D update (compare-exchange) rather than a read
    uint64_t cycles = 0;
  };
  static constexpr unsigned kMaxRefs = 32;
  uint64_t va = 0;
  Access access = Access::Read;
  uint8_t psc_hit_level = 0;  // level of the PSC entry the walk started below (2 PDE .. 5 PML5E); 0 none
  uint64_t lookup_cycles = 0;
  Ref refs[kMaxRefs];  // 5 reads and 5 updates, more when the walk restarted (kept up to kMaxRefs)
  unsigned nrefs = 0;
  unsigned restarts = 0;  // compare-exchanges that found the entry changed (the walk re-read from there)
  uint64_t cycles = 0;    // the whole walk
  bool fault = false;
  uint32_t error_code = 0;
};

class Mmu : public Translator {
 public:
  Mmu(unsigned core, const MmuConfig& cfg, const ClockDomain& clk, WalkMemory& mem, stats::Group& core_stats);
  ~Mmu() override;

  Translation translate(uint64_t va, Access a, sc_core::sc_time at, bool supervisor = false) override;
  // translate() of a user-mode access in its commonest case, inline: no walk in flight, and an L1 TLB
  // hit whose rights allow the access (a store's with D set). It then has exactly translate()'s effects
  // (the entry's recency, the hit count), gives the physical address in `pa` and the lookup latency in
  // `lat` (translate()'s done - at) and returns true; otherwise it changes nothing and returns false.
  __attribute__((always_inline)) bool translate_hit(uint64_t va, Access a, uint64_t& pa,
                                                    sc_core::sc_time& lat) {
    if (!m_inflight.empty()) return false;
    const bool fetch = a == Access::Fetch;
    Tlb& l1 = fetch ? m_itlb : m_dtlb;
    // The entry the last hit in this TLB found, while neither the TLB (its generation) nor CR3/CR4 (the
    // PCID, PGE) changed: the in-order search of the same page would find that very entry again (see
    // Tlb::generation), so only the search is skipped; its rights and D bit are read from it below.
    HitMemo& m = m_memo[fetch];
    const uint64_t vpn = va >> 12;
    if (vpn != m.vpn || l1.generation() != m.tlb_gen || m_ctl_gen != m.ctl_gen) {
      // A canonical check of the page is one of the address: the memo only holds canonical pages.
      if (!hw::paging::is_canonical(va, m_cfg.la57)) return false;
      hw::paging::PageSize size = hw::paging::PageSize::k4K;
      TlbEntry* e = l1.peek(va, pcid(), size);
      if (!e) return false;
      m = HitMemo{vpn, e, hw::paging::page_bytes(size) - 1, size, l1.generation(), m_ctl_gen};
    }
    // Read out before the stores below (the entry's stamp, the hit count), which the compiler cannot
    // tell apart from the memo's fields.
    TlbEntry* const e = m.e;
    const uint64_t offset_mask = m.offset_mask;
    const hw::paging::PageSize size = m.size;
    if (a == Access::Write && !e->dirty) return false;
    m_supervisor = false;
    if (perm_fault(Perms{e->rw, e->us, e->nx}, a)) return false;
    pa = e->frame | (va & offset_mask);
    l1.touch(size, e);
    ++(fetch ? m_st.itlb : m_st.dtlb).hits;
    lat = fetch ? m_itlb_lat : m_dtlb_lat;
    return true;
  }
  // Test only (the negative control of the hit-memo tests): TLB fills and invalidations and CR3/CR4
  // writes no longer move the generations translate_hit's memo is checked against.
  void set_frozen_memo(bool on) {
    m_dtlb.set_frozen_generation(on);
    m_itlb.set_frozen_generation(on);
    m_frozen_ctl = on;
  }
  void write_cr3(uint64_t v) override;
  uint64_t cr3() const override { return m_cr3; }
  void write_cr4(uint64_t v) override;
  uint64_t cr4() const override { return m_cr4; }
  uint16_t pcid() const { return (m_cr4 & hw::paging::kCr4PCIDE) ? hw::paging::cr3_pcid(m_cr3) : 0; }
  void invlpg(uint64_t va) override;
  void invpcid(hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) override;
  void flush(const hw::FlushRequest& r) override;
  uint64_t take_stall_cycles() override {
    const uint64_t c = m_stall;
    m_stall = 0;
    return c;
  }
  void add_stall_cycles(uint64_t c) override { m_stall += c; }
  void count_shootdown_sent(hw::FlushCause c, unsigned targets) override;
  const MmuConfig& config() const { return m_cfg; }
  // Called after every walk (tests, trace writers); empty by default, so walks pay nothing for it.
  void set_walk_observer(std::function<void(const WalkTrace&)> f) { m_observer = std::move(f); }

 private:
  struct Perms {
    bool rw = true, us = true, nx = false;
  };
  struct WalkResult {
    bool fault = false;
    uint32_t error_code = 0;
    uint64_t pa = 0;
    sc_core::sc_time end;
  };
  WalkResult walk(uint64_t va, Access a, sc_core::sc_time start);
  uint32_t perm_fault(const Perms& p, Access a) const {
    // CPL 0 may touch user pages (no SMAP); CR0.WP = 1 still faults its writes to read-only ones.
    if ((!p.us && !m_supervisor) || (a == Access::Write && !p.rw) || (a == Access::Fetch && p.nx))
      return hw::paging::kPfPresent | access_bits(a);
    return 0;
  }
  uint32_t access_bits(Access a) const {
    // The workload runs at CPL 3, the kernel's user copies at CPL 0; EFER.NXE=1, so fetches set I/D.
    return (m_supervisor ? 0 : hw::paging::kPfUser) | (a == Access::Write ? hw::paging::kPfWrite : 0) |
           (a == Access::Fetch ? hw::paging::kPfFetch : 0);
  }
  void invalidate_psc(bool all_pcids, uint16_t pcid);
  // The TLB and paging-structure-cache entries that translate `va` in PCID `pcid` (SDM §4.10.4.1: what
  // a #PF invalidates).
  void invalidate_for_fault(uint64_t va, uint16_t pcid);
  sc_core::sc_time mem_time(const sc_core::sc_time& t) const { return t - sc_core::sc_time_stamp(); }
  uint64_t cycles(const sc_core::sc_time& t) const { return m_clk.to_cycles(t); }

  unsigned m_core;
  MmuConfig m_cfg;
  ClockDomain m_clk;
  WalkMemory& m_mem;
  Tlb m_dtlb, m_itlb, m_stlb;
  std::array<TagCache, 6> m_psc;  // indexed by level 2..5 (PDE .. PML5E caches)
  sc_core::sc_time m_dtlb_lat, m_itlb_lat, m_stlb_lat, m_psc_lat;
  bool m_psc_any = false;
  uint64_t m_cr3 = 0, m_cr4 = 0;
  uint64_t m_stall = 0;
  bool m_supervisor = false;  // the access being translated runs at CPL 0
  uint32_t m_walk_seq = 0;
  // Bumped by every invalidation (INVLPG, INVPCID, CR3/CR4 flush, shootdown): a walk that sees it
  // change while it was in flight does not fill anything from what it read (it starts again), so no
  // translation survives an invalidation that completed during the walk.
  uint64_t m_inval_gen = 0;
  std::vector<sc_core::sc_time> m_walker_free;
  struct InFlight {
    uint64_t vpn;
    uint16_t pcid;
    bool writable_dirty;
    uint64_t page_pa;
    sc_core::sc_time end;
  };
  std::deque<InFlight> m_inflight;
  std::function<void(const WalkTrace&)> m_observer;
  // translate_hit's memo, [0] DTLB, [1] ITLB: the page of the last lookup that found an entry, the
  // entry, and the generations it was found at (m_ctl_gen moves with every CR3 and CR4 write).
  struct HitMemo {
    uint64_t vpn = ~0ull;  // never a page number (va >> 12 < 2^52)
    TlbEntry* e = nullptr;
    uint64_t offset_mask = 0;  // page_bytes(size) - 1
    hw::paging::PageSize size = hw::paging::PageSize::k4K;
    uint64_t tlb_gen = 0, ctl_gen = 0;
  };
  HitMemo m_memo[2];
  uint64_t m_ctl_gen = 0;
  bool m_frozen_ctl = false;

  MmuStats m_st;
};

}  // namespace pc::mmu
