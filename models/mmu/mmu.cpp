// MMU: TLB lookups, the page walk with A/D updates, faults and invalidations.
#include "models/mmu/mmu.h"

#include <fmt/format.h>

#include <algorithm>

namespace pc::mmu {

using namespace hw::paging;
using sc_core::sc_time;

// ---------------------------------------------------------------------------------------------------
TlmWalkMemory::TlmWalkMemory(tlm::tlm_initiator_socket<>& sock, uint16_t core) : m_sock(sock) {
  m_ext.requester = Requester::PageWalk;
  m_ext.core = core;
  m_gp.set_extension(&m_ext);
  m_atomic.op = AtomicOp::CompareExchange;
}

TlmWalkMemory::~TlmWalkMemory() {
  m_gp.clear_extension(&m_ext);
}

bool TlmWalkMemory::transact(tlm::tlm_command cmd, uint64_t pa, uint64_t& v, bool uc, bool locked,
                             sc_time& delay, uint8_t& served) {
  prepare_payload(m_gp, cmd, pa, reinterpret_cast<uint8_t*>(&v), 8);
  m_ext.uncacheable = uc;
  m_ext.locked = locked;
  m_ext.served = 0;
  m_sock->b_transport(m_gp, delay);
  served = m_ext.served;
  return m_gp.is_response_ok();
}

uint64_t TlmWalkMemory::read_pte(uint64_t pa, bool uc, sc_time& delay, uint8_t& served) {
  uint64_t v = 0;
  if (!transact(tlm::TLM_READ_COMMAND, pa, v, uc, false, delay, served)) v = ~0ull;
  return v;
}

uint64_t TlmWalkMemory::cmpxchg_pte(uint64_t pa, uint64_t expected, uint64_t desired, bool uc, sc_time& delay,
                                    uint8_t& served) {
  if (m_split) {
    // The negative control: two transactions, so an agent that waits in between can slip its update in.
    uint64_t old = 0;
    if (!transact(tlm::TLM_READ_COMMAND, pa, old, uc, true, delay, served)) return ~0ull;
    if (old == expected) {
      uint64_t v = desired;
      uint8_t s2 = 0;
      transact(tlm::TLM_WRITE_COMMAND, pa, v, uc, true, delay, s2);
    }
    return old;
  }
  m_atomic.expected = expected;
  m_atomic.operand = desired;
  m_atomic.performed = false;
  m_gp.set_extension(&m_atomic);
  uint64_t v = desired;  // receives the old value
  const bool ok = transact(tlm::TLM_WRITE_COMMAND, pa, v, uc, true, delay, served);
  m_gp.clear_extension(&m_atomic);
  // An error answers all ones: never the expected value, so the walk re-reads (and faults on) the entry.
  return ok && m_atomic.performed ? m_atomic.old : ~0ull;
}

// ---------------------------------------------------------------------------------------------------
Mmu::Mmu(unsigned core, const MmuConfig& cfg, const ClockDomain& clk, WalkMemory& mem,
         stats::Group& core_stats)
    : m_core(core),
      m_cfg(cfg),
      m_clk(clk),
      m_mem(mem),
      m_dtlb(cfg.dtlb, "mmu.dtlb"),
      m_itlb(cfg.itlb, "mmu.itlb"),
      m_stlb(cfg.stlb, "mmu.stlb"),
      m_dtlb_lat(clk.cycles(cfg.dtlb.latency_cycles)),
      m_itlb_lat(clk.cycles(cfg.itlb.latency_cycles)),
      m_stlb_lat(clk.cycles(cfg.stlb.latency_cycles)),
      m_psc_lat(clk.cycles(cfg.psc.latency_cycles)),
      m_walker_free(cfg.walkers, sc_core::SC_ZERO_TIME),
      m_st(core_stats, 5, cfg.la57 ? 5 : 4, "locked read-modify-writes setting A and/or D") {
  if (cfg.walkers == 0) throw cfg::ConfigError("key 'mmu.walkers': expected at least 1");
  const TlbArrayConfig* pc[6] = {nullptr, nullptr, &cfg.psc.pd, &cfg.psc.pdpt, &cfg.psc.pml4, &cfg.psc.pml5};
  const char* names[6] = {"", "", "pd", "pdpt", "pml4", "pml5"};
  for (unsigned l = 2; l <= 5; ++l) {
    m_psc[l] = TagCache(*pc[l], false, fmt::format("mmu.psc.{}", names[l]));
    if (l == 5 && !cfg.la57) m_psc[l] = TagCache();
    m_psc_any = m_psc_any || m_psc[l].enabled();
  }
  m_cr4 = cfg.la57 ? kCr4LA57 : 0;
}

Mmu::~Mmu() = default;

void Mmu::invalidate_psc(bool all_pcids, uint16_t pcid) {
  // Every invalidation also passes through here: a flushed walk result is not reused, and a walk in
  // flight will not fill from what it read.
  m_inflight.clear();
  ++m_inval_gen;
  for (unsigned l = 2; l <= 5; ++l)
    m_psc[l].invalidate_if([&](const TlbEntry& e) { return all_pcids || e.pcid == pcid; });
}

void Mmu::invalidate_for_fault(uint64_t va, uint16_t id) {
  m_dtlb.invalidate_va(va, id, false);
  m_itlb.invalidate_va(va, id, false);
  m_stlb.invalidate_va(va, id, false);
  for (unsigned l = 2; l <= 5; ++l) {
    const uint64_t tag = va >> (12 + 9 * (l - 1));
    m_psc[l].invalidate_if([&](const TlbEntry& e) { return e.pcid == id && e.tag == tag; });
  }
  const uint64_t vpn = va >> 12;
  m_inflight.erase(std::remove_if(m_inflight.begin(), m_inflight.end(),
                                  [&](const InFlight& w) { return w.vpn == vpn && w.pcid == id; }),
                   m_inflight.end());
  ++m_inval_gen;
  ++m_st.inv_fault;
}

Translation Mmu::translate(uint64_t va, Access a, sc_time at, bool supervisor) {
  m_supervisor = supervisor;
  const uint16_t id = pcid();
  const bool write = a == Access::Write;
  Translation out;
  if (!is_canonical(va, m_cfg.la57))
    throw std::logic_error(
        fmt::format("core {}: non-canonical linear address 0x{:x} (a #GP, not a #PF)", m_core, va));
  // A miss to a page whose walk is still in flight joins it (the walker's miss queue coalesces).
  while (!m_inflight.empty() && m_inflight.front().end <= at) m_inflight.pop_front();
  for (const auto& w : m_inflight)
    if (w.vpn == va >> 12 && w.pcid == id && (!write || w.writable_dirty)) {
      ++(a == Access::Fetch ? m_st.itlb : m_st.dtlb).misses;
      ++m_st.coalesced;
      out.pa = w.page_pa | (va & 4095);
      out.done = w.end;
      return out;
    }

  Tlb& l1 = a == Access::Fetch ? m_itlb : m_dtlb;
  MmuStats::Tlb& s1 = a == Access::Fetch ? m_st.itlb : m_st.dtlb;
  sc_time t = at + (a == Access::Fetch ? m_itlb_lat : m_dtlb_lat);
  PageSize size = PageSize::k4K;
  TlbEntry* e = l1.lookup(va, id, size);
  if (e) {
    ++s1.hits;
  } else {
    ++s1.misses;
    t += m_stlb_lat;
    e = m_stlb.lookup(va, id, size);
    if (e) {
      ++m_st.stlb.hits;
      if (l1.holds(size)) {
        l1.fill(size, *e);
        e = l1.lookup(va, id, size);
      }
    } else {
      ++m_st.stlb.misses;
    }
  }
  bool need_walk = e == nullptr;
  if (e) {
    const Perms p{e->rw, e->us, e->nx};
    if (uint32_t ec = perm_fault(p, a)) {
      // A #PF invalidates what translates the faulting address (SDM §4.10.4.1); nothing is filled.
      invalidate_for_fault(va, id);
      m_st.count_fault(ec);
      out.fault = true;
      out.error_code = ec;
      out.done = t;
      return out;
    }
    const bool was_dirty = e->dirty;
    if (write && !was_dirty) {
      ++m_st.dirty_assists;
      if (m_cfg.dirty_assist == "rmw") {
        // LOCK CMPXCHG of D into the leaf, against the entry as memory holds it now: P, R/W and the frame
        // are checked again, and anything but a plain D update sends the access to a full walk.
        const uint64_t leaf_pa = e->leaf_pa, frame = e->frame;
        const unsigned leaf_level = static_cast<unsigned>(size) + 1;
        const uint64_t gen = m_inval_gen;
        sc_time d = mem_time(t);
        m_mem.tag(0, 1);  // not part of a walk
        bool done = false;
        for (;;) {
          uint8_t served = 0;
          const uint64_t v = m_mem.read_pte(leaf_pa, false, d, served);
          if (!(v & kP) || !(v & kRW) || leaf_frame(v, leaf_level) != frame) break;
          const uint64_t old = m_mem.cmpxchg_pte(leaf_pa, v, v | kD, false, d, served);
          ++m_st.rmws;
          if (old == v) {
            done = true;
            ++m_st.d_writes;
            break;
          }
          ++m_st.cas_restarts;
        }
        m_st.ref_cycles += cycles(sc_core::sc_time_stamp() + d - t);
        t = sc_core::sc_time_stamp() + d;
        if (done && m_inval_gen == gen) {
          PageSize s2;
          if (TlbEntry* o = m_stlb.lookup(va, id, s2)) o->dirty = true;
          if (TlbEntry* o = m_dtlb.lookup(va, id, s2)) o->dirty = true;
        } else {
          // The entry changed or was invalidated meanwhile: walk it again (which faults if it must).
          m_dtlb.invalidate_va(va, id, false);
          m_stlb.invalidate_va(va, id, false);
          need_walk = true;
        }
      } else {
        // Re-walk: drop the clean entry and walk again; the walk sets D on the leaf.
        m_dtlb.invalidate_va(va, id, false);
        m_stlb.invalidate_va(va, id, false);
        need_walk = true;
      }
    }
    if (!need_walk) {
      out.pa = e->frame | (va & (page_bytes(size) - 1));
      out.done = t;
      out.tlb_hit = !(write && !was_dirty);  // a dirty assist touched memory (and may have waited)
      return out;
    }
  }
  // Walk on the walker that frees first.
  size_t slot = 0;
  for (size_t i = 1; i < m_walker_free.size(); ++i)
    if (m_walker_free[i] < m_walker_free[slot]) slot = i;
  const sc_time start = std::max(t, m_walker_free[slot]);
  m_st.queue_cycles += cycles(start - t);
  const WalkResult r = walk(va, a, start);
  m_walker_free[slot] = r.end;
  out.done = r.end;
  if (r.fault) {
    out.fault = true;
    out.error_code = r.error_code;
    return out;
  }
  out.pa = r.pa;
  m_inflight.push_back({va >> 12, id, write, r.pa & ~4095ull, r.end});
  return out;
}

Mmu::WalkResult Mmu::walk(uint64_t va, Access a, sc_time start) {
  const uint16_t id = pcid();
  const bool write = a == Access::Write;
  const unsigned levels = m_cfg.la57 ? 5 : 4;
  ++m_st.walks;
  ++m_walk_seq;
  struct Ref {
    unsigned level;
    uint64_t table;  // the table holding the entry
    bool uc;         // that table is uncacheable
    Perms above;     // rights combined over the levels above
    uint64_t pa, val;
    Perms perms;  // combined through this level
  };
  Ref refs[5];
  unsigned n = 0;
  sc_time t = start;
  WalkTrace tr;
  const bool tracing = static_cast<bool>(m_observer);
  auto note = [&](unsigned lvl, uint8_t served, bool rmw, const sc_time& lat) {
    if (tracing && tr.nrefs < WalkTrace::kMaxRefs)
      tr.refs[tr.nrefs++] = {static_cast<uint8_t>(lvl), served, rmw, cycles(lat)};
  };
  // Reads the entries from `level` down into refs[n..]; returns the fault's error code, 0 at a leaf
  // whose rights allow the access.
  auto descend = [&](unsigned level, uint64_t table, bool uc, Perms perms) -> uint32_t {
    for (; level >= 1; --level) {
      const uint64_t pa = table + index_of(va, level) * 8;
      // Latency on absolute time: a memory that synchronizes (the DDR adapter) waits inside the call
      // and hands back a delay relative to the new time stamp.
      sc_time d = mem_time(t);
      uint8_t served = 0;
      m_mem.tag(m_walk_seq, static_cast<uint8_t>(level));
      const uint64_t v = m_mem.read_pte(pa, uc, d, served);
      const sc_time lat = sc_core::sc_time_stamp() + d - t;
      t += lat;
      ++m_st.refs;
      m_st.ref_cycles += cycles(lat);
      MmuStats::Level& ls = *m_st.level[level];
      ++ls.refs;
      ++(served == 1   ? ls.l1
         : served == 2 ? ls.l2
         : served == 3 ? ls.llc
         : served == 4 ? ls.dram
                       : ls.nocache);
      note(level, served, false, lat);
      if (!(v & kP)) return access_bits(a);
      if (v & reserved_mask(v, level)) return kPfPresent | kPfRsvd | access_bits(a);
      const Perms above = perms;
      perms.rw = perms.rw && (v & kRW);
      perms.us = perms.us && (v & kUS);
      perms.nx = perms.nx || (v & kNX);
      refs[n++] = Ref{level, table, uc, above, pa, v, perms};
      if (is_leaf(v, level)) return perm_fault(perms, a);
      table = frame_of(v);
      uc = v & kPCD;
    }
    throw std::logic_error("page walk: a level-1 entry is always a leaf");
  };
  constexpr unsigned kMaxRestarts = 1u << 20;  // a livelock is a model bug, not a slow walk
  for (unsigned attempt = 0;; ++attempt) {
    if (attempt == kMaxRestarts)
      throw std::logic_error(fmt::format("core {}: page walk of 0x{:x} never settled", m_core, va));
    const uint64_t gen = m_inval_gen;
    n = 0;
    uint64_t table = cr3_table(m_cr3);
    // With CR4.PCIDE=1, CR3 bits 3 and 4 are PCID bits, not PWT/PCD (SDM §4.5).
    bool uc = !(m_cr4 & kCr4PCIDE) && (m_cr3 & kPCD);
    unsigned level = levels;
    Perms perms;
    if (m_psc_any) {
      t += m_psc_lat;
      m_st.lookup_cycles += cycles(m_psc_lat);
      // Longest match first: a PDE-cache hit skips the most levels (SDM §4.10.3.2).
      bool hit = false;
      for (unsigned l = 2; l <= levels && !hit; ++l)
        if (TlbEntry* p = m_psc[l].lookup(va >> (12 + 9 * (l - 1)), id)) {
          hit = true;
          level = l - 1;
          table = p->frame;
          uc = p->pcd;
          perms = Perms{p->rw, p->us, p->nx};
          ++*m_st.psc_hits[l];
          tr.psc_hit_level = static_cast<uint8_t>(l);
        }
      if (!hit) ++m_st.psc_misses;
    }
    uint32_t ec = descend(level, table, uc, perms);
    // SDM §4.8: A in every entry used that has A=0; D in the leaf on a write. Each is one LOCK CMPXCHG
    // against the value the walk read: an entry that changed meanwhile (cleared, remapped, rights
    // changed) is not written; the walk re-reads it and the levels below and checks P and the rights
    // again, so nothing is ever written into a non-present entry.
    for (unsigned i = 0; !ec && i < n; ++i) {
      uint64_t set = (refs[i].val & kA) ? 0 : kA;
      if (i + 1 == n && write && !(refs[i].val & kD)) set |= kD;
      if (!set) continue;
      sc_time d = mem_time(t);
      uint8_t served = 0;
      m_mem.tag(m_walk_seq, static_cast<uint8_t>(refs[i].level));
      const uint64_t old =
          m_mem.cmpxchg_pte(refs[i].pa, refs[i].val, refs[i].val | set, refs[i].uc, d, served);
      const sc_time lat = sc_core::sc_time_stamp() + d - t;  // absolute, as above
      t += lat;
      note(refs[i].level, served, true, lat);
      m_st.ref_cycles += cycles(lat);
      ++m_st.rmws;
      if (old != refs[i].val) {
        ++m_st.cas_restarts;
        ++tr.restarts;
        const Ref from = refs[i];
        n = i;
        ec = descend(from.level, from.table, from.uc, from.above);
        --i;  // this entry again (unsigned wrap is defined; the loop's ++i brings it back)
        continue;
      }
      if (set & kA) ++m_st.a_writes;
      if (set & kD) ++m_st.d_writes;
      refs[i].val |= set;
    }
    WalkResult r;
    if (ec) {
      // No fill on a faulting access; the fault drops what translated this address.
      invalidate_for_fault(va, id);
      m_st.count_fault(ec);
      r.fault = true;
      r.error_code = ec;
      r.end = t;
      m_st.latency.sample(static_cast<double>(cycles(t - start)));
      if (tracing) {
        tr.va = va;
        tr.access = a;
        tr.lookup_cycles = m_psc_any ? cycles(m_psc_lat) : 0;
        tr.cycles = cycles(t - start);
        tr.fault = true;
        tr.error_code = ec;
        m_observer(tr);
      }
      return r;
    }
    if (m_inval_gen != gen) {
      ++m_st.inval_restarts;
      continue;
    }
    // Fill the PSCs with the non-leaf entries read (P=1, reserved bits 0, A=1 by now), PCID-tagged.
    for (unsigned i = 0; i + 1 < n; ++i) {
      const unsigned l = refs[i].level;
      TlbEntry pe;
      pe.tag = va >> (12 + 9 * (l - 1));
      pe.frame = frame_of(refs[i].val);
      pe.pcid = id;
      pe.rw = refs[i].perms.rw;
      pe.us = refs[i].perms.us;
      pe.nx = refs[i].perms.nx;
      pe.pcd = refs[i].val & kPCD;
      m_psc[l].fill(pe);
    }
    const Ref& lf = refs[n - 1];
    const PageSize size = static_cast<PageSize>(lf.level - 1);
    TlbEntry te;
    te.tag = va >> Tlb::shift_of(size);
    te.frame = leaf_frame(lf.val, lf.level);
    te.leaf_pa = lf.pa;
    te.pcid = id;
    te.global = (lf.val & kG) && (m_cr4 & kCr4PGE);
    te.rw = lf.perms.rw;
    te.us = lf.perms.us;
    te.nx = lf.perms.nx;
    te.dirty = lf.val & kD;
    Tlb& l1 = a == Access::Fetch ? m_itlb : m_dtlb;
    if (l1.holds(size)) l1.fill(size, te);
    if (m_stlb.holds(size)) m_stlb.fill(size, te);
    r.pa = te.frame | (va & (page_bytes(size) - 1));
    r.end = t;
    m_st.latency.sample(static_cast<double>(cycles(t - start)));
    if (tracing) {
      tr.va = va;
      tr.access = a;
      tr.lookup_cycles = m_psc_any ? cycles(m_psc_lat) : 0;
      tr.cycles = cycles(t - start);
      m_observer(tr);
    }
    return r;
  }
}

void Mmu::write_cr3(uint64_t v) {
  const bool noflush = (m_cr4 & kCr4PCIDE) && (v & kCr3NoFlush);
  m_cr3 = v & ~kCr3NoFlush;
  m_ctl_gen += !m_frozen_ctl;  // the PCID may have changed without a flush
  if (noflush) {
    ++m_st.inv_cr3_noflush;
    return;
  }
  ++m_st.inv_cr3_flush;
  // Without PCIDs a CR3 write flushes every non-global entry; with them, those of the new PCID.
  if (m_cr4 & kCr4PCIDE) {
    m_dtlb.invalidate_pcid(pcid(), true);
    m_itlb.invalidate_pcid(pcid(), true);
    m_stlb.invalidate_pcid(pcid(), true);
    invalidate_psc(false, pcid());
  } else {
    m_dtlb.invalidate_all(true);
    m_itlb.invalidate_all(true);
    m_stlb.invalidate_all(true);
    invalidate_psc(true, 0);
  }
}

void Mmu::write_cr4(uint64_t v) {
  const uint64_t changed = m_cr4 ^ v;
  if ((changed & kCr4LA57) && !!(v & kCr4LA57) != m_cfg.la57)
    throw std::logic_error(
        fmt::format("core {}: CR4.LA57 cannot change while paging is on (set mmu.la57)", m_core));
  m_cr4 = v;
  m_ctl_gen += !m_frozen_ctl;  // PCIDE decides pcid(), PGE which entries are global
  if ((changed & kCr4PGE) || ((changed & kCr4PCIDE) && !(v & kCr4PCIDE))) {
    ++m_st.inv_cr4;
    m_dtlb.invalidate_all(false);
    m_itlb.invalidate_all(false);
    m_stlb.invalidate_all(false);
    invalidate_psc(true, 0);
  }
}

void Mmu::invlpg(uint64_t va) {
  ++m_st.inv_invlpg;
  const uint16_t id = pcid();
  m_dtlb.invalidate_va(va, id, false);
  m_itlb.invalidate_va(va, id, false);
  m_stlb.invalidate_va(va, id, false);
  // SDM §4.10.4.1: INVLPG invalidates every PSC entry of the current PCID, whatever its address.
  invalidate_psc(false, id);
}

void Mmu::invpcid(InvpcidType type, uint16_t id, uint64_t va) {
  ++*m_st.inv_invpcid[static_cast<unsigned>(type) & 3];
  switch (type) {
    case InvpcidType::IndividualAddress:
      m_dtlb.invalidate_va(va, id, true);
      m_itlb.invalidate_va(va, id, true);
      m_stlb.invalidate_va(va, id, true);
      invalidate_psc(false, id);
      break;
    case InvpcidType::SingleContext:
      m_dtlb.invalidate_pcid(id, true);
      m_itlb.invalidate_pcid(id, true);
      m_stlb.invalidate_pcid(id, true);
      invalidate_psc(false, id);
      break;
    case InvpcidType::AllContextsGlobal:
    case InvpcidType::AllContexts: {
      const bool keep = type == InvpcidType::AllContexts;
      m_dtlb.invalidate_all(keep);
      m_itlb.invalidate_all(keep);
      m_stlb.invalidate_all(keep);
      invalidate_psc(true, 0);
      break;
    }
  }
}

void Mmu::flush(const hw::FlushRequest& r) {
  ++m_st.received;
  apply_flush(r);
}

void Mmu::count_shootdown_sent(hw::FlushCause c, unsigned targets) {
  m_st.shootdown_sent(c, targets);
}

}  // namespace pc::mmu
