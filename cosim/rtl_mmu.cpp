// The Verilated translation unit behind mmu::Translator.
#include "cosim/rtl_mmu.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace pc::cosim {

using namespace hw::paging;
using sc_core::sc_time;

namespace {

constexpr uint64_t kVaMask = (1ull << 48) - 1;

// Checks that `cfg` asks for what the model was built with; names the first key that differs.
void check_geometry(const mmu::MmuConfig& cfg, const MmuModel& m) {
  const MmuGeometry& g = m.geometry();
  const auto fail = [&](const std::string& key, const std::string& built, const std::string& asked) {
    throw cfg::ConfigError(fmt::format(
        "key '{}': mmu.impl = rtl runs the RTL unit built as variant '{}', which has {} there; the "
        "configuration "
        "asks for {} (use a matching geometry such as --preset nehalem, or build a variant: README, RTL)",
        key, m.variant(), built, asked));
  };
  const char* sizes[3] = {"4k", "2m", "1g"};
  const auto arrays = [&](const char* tlb, const mmu::TlbConfig& c, const mmu::TlbArrayConfig* built) {
    const mmu::TlbArrayConfig* asked[3] = {&c.a4k, &c.a2m, &c.a1g};
    for (int s = 0; s < 3; ++s) {
      const auto desc = [](const mmu::TlbArrayConfig& a) {
        return a.entries ? fmt::format("{} entries x {} ways", a.entries, a.ways) : std::string("no array");
      };
      if (asked[s]->entries != built[s].entries || (built[s].entries && asked[s]->ways != built[s].ways))
        fail(fmt::format("mmu.{}.{}", tlb, sizes[s]), desc(built[s]), desc(*asked[s]));
    }
    if (c.replacement != (g.fifo ? "fifo" : "lru"))
      fail(fmt::format("mmu.{}.replacement", tlb), g.fifo ? "fifo" : "lru", c.replacement);
    if (c.latency_cycles > 255)
      fail(fmt::format("mmu.{}.latency_cycles", tlb), "at most 255", std::to_string(c.latency_cycles));
  };
  arrays("dtlb", cfg.dtlb, g.dtlb);
  arrays("itlb", cfg.itlb, g.itlb);
  arrays("stlb", cfg.stlb, g.stlb);
  if (cfg.dtlb.latency_cycles != cfg.itlb.latency_cycles)
    fail("mmu.itlb.latency_cycles", "one L1 lookup latency for both L1 TLBs",
         fmt::format("{} (dtlb: {})", cfg.itlb.latency_cycles, cfg.dtlb.latency_cycles));
  const std::pair<const char*, std::pair<const mmu::TlbArrayConfig*, uint64_t>> pscs[3] = {
      {"pml4", {&cfg.psc.pml4, g.psc_pml4}},
      {"pdpt", {&cfg.psc.pdpt, g.psc_pdpt}},
      {"pd", {&cfg.psc.pd, g.psc_pd}}};
  for (const auto& [name, p] : pscs) {
    const auto& [asked, built] = p;
    if (asked->entries != built || (built && asked->ways != built))
      fail(fmt::format("mmu.psc.{}", name), fmt::format("{} entries, fully associative", built),
           fmt::format("{} entries x {} ways", asked->entries, asked->ways));
  }
  if (cfg.psc.latency_cycles > 255)
    fail("mmu.psc.latency_cycles", "at most 255", std::to_string(cfg.psc.latency_cycles));
  if (cfg.la57) fail("mmu.la57", "4-level paging only", "5-level paging");
}

}  // namespace

RtlMmu::RtlMmu(unsigned core, const mmu::MmuConfig& cfg, const ClockDomain& clk,
               std::unique_ptr<MmuModel> model, tlm::tlm_initiator_socket<>& mem, stats::Group& core_stats)
    : m_core(core),
      m_cfg(cfg),
      m_clk(clk),
      m_model(std::move(model)),
      m_port(mem, static_cast<uint16_t>(core), Requester::PageWalk),
      m_st(core_stats, 4, 4, "compare-exchanges setting A and/or D"),
      m_grtl(&core_stats, "rtl", "co-simulated RTL translation unit"),
      m_rtl_cycles(m_grtl, "cycles", "cycles", "cycles the RTL unit was clocked (each one evaluated)"),
      m_rtl_skipped(m_grtl, "skipped_cycles", "cycles", "cycles advanced over while it only waited") {
  if (!m_model) throw std::logic_error("RtlMmu: no model");
  check_geometry(cfg, *m_model);
  m_psc_any = cfg.psc.pd.entries > 0 || cfg.psc.pdpt.entries > 0 || cfg.psc.pml4.entries > 0;
  m_in.cfg_dirty_rmw = cfg.dirty_assist == "rmw";
  m_in.cfg_l1_lat = static_cast<uint8_t>(cfg.dtlb.latency_cycles);
  m_in.cfg_stlb_lat = static_cast<uint8_t>(cfg.stlb.latency_cycles);
  m_in.cfg_psc_lat = static_cast<uint8_t>(cfg.psc.latency_cycles);
  // Reset for two cycles; the unit's cycle 0 is the first one after reset.
  m_in.rst_n = false;
  clock();
  clock();
  m_in.rst_n = true;
  m_cycle = 0;
  m_rtl_cycles.reset();
}

RtlMmu::~RtlMmu() = default;

std::string RtlMmu::wave_path_for_core(const std::string& path, unsigned core) {
  if (core == 0) return path;
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  const bool ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return ext ? fmt::format("{}.core{}{}", path.substr(0, dot), core, path.substr(dot))
             : fmt::format("{}.core{}", path, core);
}

void RtlMmu::open_wave(const std::string& path, sc_time from, sc_time to) {
  m_model->open_wave(path);
  m_wave = true;
  m_wave_from_ps = from.value() / 1000;
  m_wave_to_ps = to == sc_core::SC_ZERO_TIME ? ~0ull : to.value() / 1000;
}

void RtlMmu::half(bool clk) {
  m_model->eval(clk, m_in, m_out);
  ++m_evals;
  if (m_wave) {
    // Edges at cycle x period; the falling edge half a period later. Time stamps only go forward.
    uint64_t ps = (m_cycle * m_clk.period_fs() + (clk ? 0 : m_clk.period_fs() / 2)) / 1000;
    if (m_dumped && ps <= m_last_dump_ps) ps = m_last_dump_ps + 1;
    if (ps >= m_wave_from_ps && ps < m_wave_to_ps) {
      m_model->dump(ps);
      m_last_dump_ps = ps;
      m_dumped = true;
    }
  }
}

// Inputs for the cycle are set: evaluate them with the clock low, then the rising edge.
void RtlMmu::clock() {
  half(false);
  half(true);
  ++m_cycle;
  ++m_rtl_cycles;
}

void RtlMmu::catch_up(uint64_t cycle) {
  if (cycle <= m_cycle) return;
  if (m_cfg.rtl.skip_idle_cycles) {
    m_rtl_skipped += cycle - m_cycle;
    m_cycle = cycle;
  } else {
    while (m_cycle < cycle) clock();
  }
}

uint16_t RtlMmu::pcid() const {
  return (m_cr4 & kCr4PCIDE) ? cr3_pcid(m_cr3) : 0;
}

void RtlMmu::count_psc(uint8_t level) {
  if (!m_psc_any) return;
  m_st.lookup_cycles += m_cfg.psc.latency_cycles;
  if (level >= 2 && level <= 4)
    ++*m_st.psc_hits[level];
  else
    ++m_st.psc_misses;
}

// The RTL has no CPL input: a supervisor access (the kernel's copy to or from user memory) is checked as a
// user one. The kernel model maps every user page with U = 1, and CR0.WP = 1 makes a supervisor write to a
// read-only page fault as a user write does, so only the error code's U bit differs; it is cleared here.
mmu::Translation RtlMmu::translate(uint64_t va, mmu::Access a, sc_time at, bool supervisor) {
  if (!is_canonical(va, false))
    throw std::logic_error(
        fmt::format("core {}: non-canonical linear address 0x{:x} (a #GP, not a #PF)", m_core, va));
  catch_up(m_clk.to_cycles_ceil(at));
  m_answer = Answer{};
  m_answer.cycle = m_cycle;
  m_in.req_valid = true;
  m_in.req_va = va & kVaMask;
  m_in.req_acc = a == mmu::Access::Write   ? RtlAcc::Write
                 : a == mmu::Access::Fetch ? RtlAcc::Fetch
                                           : RtlAcc::Read;
  bool pending = false, walk_counted = false;
  uint64_t due = 0, walk_cycles = 0;
  MemOp op;
  mmu::Translation out;
  for (;;) {
    half(false);
    const bool accepted = m_in.req_valid && m_out.req_ready;
    const bool answered = m_out.rsp_valid;
    if (m_out.walk_active) ++walk_cycles;
    if (m_out.walk_restart) {  // the attempt that ends here looked up the PSCs too
      ++m_st.inval_restarts;
      count_psc(m_out.walk_psc_level);
    }
    if (answered) {
      out.fault = m_out.rsp_fault;
      out.error_code = m_out.rsp_ec;
      out.pa = m_out.rsp_pa;
      out.done = time_of(m_cycle);
      m_answer.l1_hit = m_out.rsp_l1_hit;
      m_answer.stlb_hit = m_out.rsp_stlb_hit;
      m_answer.walk = m_out.rsp_walk;
      m_answer.dirty_assist = m_out.rsp_dirty_assist;
      m_answer.psc_level = m_out.rsp_psc_level;
    }
    if (m_out.mreq_valid && !pending && !answered) {
      op = MemOp{};
      op.kind = m_out.mreq_op == RtlMemOp::Read ? MemKind::Read : MemKind::CompareExchange;
      op.addr = m_out.mreq_addr;
      op.wdata = m_out.mreq_wdata;
      op.expected = m_out.mreq_cmp;
      op.level = m_out.mreq_level;
      if (!walk_counted) {
        walk_counted = true;
        ++m_walk_seq;
      }
      const uint64_t issued = m_cycle;
      uint8_t served = 0;
      // The target may wait inside; an invalidation from another process may then clock this unit.
      const sc_time back =
          m_port.perform(op, time_of(issued), op.level ? m_walk_seq : 0, m_out.mreq_uc, served);
      const uint64_t back_cycle = m_clk.to_cycles_ceil(back);
      const uint64_t lat = back_cycle > issued ? back_cycle - issued : 1;
      due =
          std::max(issued + lat, m_cycle + 1);  // m_cycle moved if an invalidation clocked the unit meanwhile
      m_st.ref_cycles += lat;
      // Level 0: the dirty assist's accesses, which are not walk references.
      const unsigned lvl = std::min<unsigned>(op.level, 4);
      if (op.kind == MemKind::Read) {
        if (lvl >= 1) {
          ++m_st.refs;
          mmu::MmuStats::Level& ls = *m_st.level[lvl];
          ++ls.refs;
          ++(served == 1   ? ls.l1
             : served == 2 ? ls.l2
             : served == 3 ? ls.llc
             : served == 4 ? ls.dram
                           : ls.nocache);
        }
      } else {
        ++m_st.rmws;
        if (op.succeeded()) {
          if ((op.wdata ^ op.expected) & kA) ++m_st.a_writes;
          if ((op.wdata ^ op.expected) & kD) ++m_st.d_writes;
        } else {
          ++m_st.cas_restarts;
        }
      }
      pending = true;
      m_in.mreq_ready = true;
      // If another process clocked the unit while the target waited, the clock is high now: bring it
      // low again so that the next evaluation is a rising edge.
      if (m_cycle != issued) half(false);
    }
    half(true);
    ++m_cycle;
    ++m_rtl_cycles;
    if (accepted) m_in.req_valid = false;
    m_in.mreq_ready = false;
    m_in.mrsp_valid = false;
    if (answered) break;
    if (pending) {
      if (m_cycle < due && m_cfg.rtl.skip_idle_cycles) {
        walk_cycles += due - m_cycle;  // the walker is busy throughout
        m_rtl_skipped += due - m_cycle;
        m_cycle = due;
      }
      if (m_cycle >= due) {
        m_in.mrsp_valid = true;
        m_in.mrsp_rdata = op.rdata;
        pending = false;
      }
    }
  }
  // Counters as the C++ model keeps them.
  mmu::MmuStats::Tlb& l1 = a == mmu::Access::Fetch ? m_st.itlb : m_st.dtlb;
  if (m_answer.l1_hit) {
    ++l1.hits;
  } else {
    ++l1.misses;
    ++(m_answer.stlb_hit ? m_st.stlb.hits : m_st.stlb.misses);
  }
  if (m_answer.dirty_assist) ++m_st.dirty_assists;
  if (m_answer.walk) {
    ++m_st.walks;
    count_psc(m_answer.psc_level);
    m_st.latency.sample(static_cast<double>(walk_cycles));
  }
  if (out.fault) {
    if (supervisor) out.error_code &= ~uint32_t{4};
    ++m_st.inv_fault;  // every #PF drops what translated the address
    m_st.count_fault(out.error_code);
  }
  return out;
}

void RtlMmu::invalidate(RtlInvScope tlb, bool keep_global, RtlInvScope psc, uint64_t va, uint16_t pcid) {
  // Applied at the caller's time, or at the unit's own cycle if it is ahead (busy into the future).
  catch_up(m_clk.to_cycles_ceil(sc_core::sc_time_stamp()));
  m_in.inv_valid = true;
  m_in.inv_scope = tlb;
  m_in.inv_keep_global = keep_global;
  m_in.inv_psc_scope = psc;
  m_in.inv_vpn = (va & kVaMask) >> 12;
  m_in.inv_pcid = pcid;
  clock();
  m_in.inv_valid = false;
}

void RtlMmu::write_cr3(uint64_t v) {
  const bool noflush = (m_cr4 & kCr4PCIDE) && (v & kCr3NoFlush);
  m_cr3 = v & ~kCr3NoFlush;
  m_in.cr3 = m_cr3;
  if (noflush) {
    ++m_st.inv_cr3_noflush;
    return;
  }
  ++m_st.inv_cr3_flush;
  // Without PCIDs a CR3 write flushes every non-global entry; with them, those of the new PCID.
  if (m_cr4 & kCr4PCIDE)
    invalidate(RtlInvScope::Pcid, true, RtlInvScope::Pcid, 0, pcid());
  else
    invalidate(RtlInvScope::All, true, RtlInvScope::All, 0, 0);
}

void RtlMmu::write_cr4(uint64_t v) {
  const uint64_t changed = m_cr4 ^ v;
  if (changed & kCr4LA57)
    throw std::logic_error(fmt::format("core {}: CR4.LA57: the RTL unit does 4-level paging only", m_core));
  m_cr4 = v;
  m_in.cr4_pge = v & kCr4PGE;
  m_in.cr4_pcide = v & kCr4PCIDE;
  if ((changed & kCr4PGE) || ((changed & kCr4PCIDE) && !(v & kCr4PCIDE))) {
    ++m_st.inv_cr4;
    invalidate(RtlInvScope::All, false, RtlInvScope::All, 0, 0);
  }
}

void RtlMmu::invlpg(uint64_t va) {
  ++m_st.inv_invlpg;
  // SDM §4.10.4.1: INVLPG drops the address's TLB entries (globals too) and every PSC entry of the PCID.
  invalidate(RtlInvScope::Addr, false, RtlInvScope::Pcid, va, pcid());
}

void RtlMmu::invpcid(InvpcidType type, uint16_t id, uint64_t va) {
  ++*m_st.inv_invpcid[static_cast<unsigned>(type) & 3];
  switch (type) {
    case InvpcidType::IndividualAddress:
      invalidate(RtlInvScope::Addr, true, RtlInvScope::Pcid, va, id);
      break;
    case InvpcidType::SingleContext:
      invalidate(RtlInvScope::Pcid, true, RtlInvScope::Pcid, 0, id);
      break;
    case InvpcidType::AllContextsGlobal:
      invalidate(RtlInvScope::All, false, RtlInvScope::All, 0, 0);
      break;
    case InvpcidType::AllContexts:
      invalidate(RtlInvScope::All, true, RtlInvScope::All, 0, 0);
      break;
  }
}

void RtlMmu::flush(const hw::FlushRequest& r) {
  ++m_st.received;
  apply_flush(r);
}

void RtlMmu::count_shootdown_sent(hw::FlushCause c, unsigned targets) {
  m_st.shootdown_sent(c, targets);
}

}  // namespace pc::cosim
