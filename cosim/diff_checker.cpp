// Differential checker: RTL translation unit vs the C++ Mmu.
#include "cosim/diff_checker.h"

#include <fmt/format.h>

#include <stdexcept>

#include "platform/core/log.h"

namespace pc::cosim {

using sc_core::sc_time;

uint64_t ReplayWalkMemory::answer(MemOp& op) {
  const size_t index = m_ops.size();
  bool matched = false;
  if (!m_mismatch && m_next < m_n) {
    const MemOp& d = m_dut[m_next];
    matched = d.kind == op.kind && d.addr == op.addr &&
              (op.kind == MemKind::Read || (d.expected == op.expected && d.wdata == op.wdata));
    if (matched) {
      ++m_next;
      op.ok = d.ok;
      op.rdata = d.rdata;
    }
  }
  if (!matched) {
    // The sequences parted: the comparison will report it; answer from memory so the reference finishes.
    m_mismatch = true;
    op.ok = true;
    op.rdata = m_fallback(op.addr);
  }
  // Invalidations that reached the RTL during this operation reach the reference now, as they would
  // from another process while its walker waits in the memory.
  if (m_during)
    for (auto& [at, fn] : *m_during)
      if (at == index && fn) {
        auto f = std::move(fn);
        fn = nullptr;
        f();
      }
  return op.rdata;
}

uint64_t ReplayWalkMemory::read_pte(uint64_t pa, bool, sc_time&, uint8_t& served) {
  served = 0;
  MemOp op;
  op.addr = pa;
  op.level = m_level;
  const uint64_t v = answer(op);
  m_ops.push_back(op);
  return v;
}

uint64_t ReplayWalkMemory::cmpxchg_pte(uint64_t pa, uint64_t expected, uint64_t desired, bool, sc_time&,
                                       uint8_t& served) {
  served = 0;
  MemOp op;
  op.kind = MemKind::CompareExchange;
  op.addr = pa;
  op.level = m_level;
  op.expected = expected;
  op.wdata = desired;
  const uint64_t v = answer(op);
  m_ops.push_back(op);
  return op.ok ? v : ~0ull;
}

namespace {

const char* access_name(mmu::Access a) {
  return a == mmu::Access::Write ? "write" : a == mmu::Access::Fetch ? "fetch" : "read";
}

std::string ops_text(const std::vector<MemOp>& ops) {
  if (ops.empty()) return "      (no memory operation)\n";
  std::string s;
  for (const auto& o : ops) {
    if (o.kind == MemKind::Read)
      s += fmt::format("      read    L{} 0x{:012x} -> 0x{:016x}{}\n", o.level, o.addr, o.rdata,
                       o.ok ? "" : " (error)");
    else
      s += fmt::format(
          "      cmpxchg L{} 0x{:012x} expect 0x{:016x} new 0x{:016x} (sets{}{}) found 0x{:016x}: {}\n",
          o.level, o.addr, o.expected, o.wdata, ((o.wdata ^ o.expected) & hw::paging::kA) ? " A" : "",
          ((o.wdata ^ o.expected) & hw::paging::kD) ? " D" : "", o.rdata,
          o.succeeded() ? "written" : "failed");
  }
  return s;
}

std::string side_text(const char* who, const Divergence::Side& s) {
  const char* how = s.l1_hit ? "L1 TLB hit" : s.stlb_hit ? "STLB hit" : s.walk ? "walk" : "no walk";
  std::string head =
      s.fault ? fmt::format("#PF error code 0x{:02x}", s.error_code) : fmt::format("pa 0x{:x}", s.pa);
  return fmt::format("  {}: {} ({}{})\n{}", who, head, how, s.dirty_assist ? ", dirty assist" : "",
                     ops_text(s.ops));
}

}  // namespace

std::string Divergence::report() const {
  return fmt::format(
      "RTL/C++ divergence on core {} at RTL cycle {} (request {}): {} of 0x{:x} with CR3 0x{:x}; "
      "first difference: {}\n{}{}",
      core, cycle, request, access_name(access), va, cr3, field, side_text("rtl", rtl),
      side_text("cpp", cpp));
}

DiffChecker::DiffChecker(unsigned core, const mmu::MmuConfig& cfg, const ClockDomain& clk,
                         std::unique_ptr<RtlMmu> dut, DebugRead read, stats::Group& core_stats)
    : m_core(core),
      m_dut(std::move(dut)),
      m_ref_mem(std::move(read)),
      m_ref_root(nullptr, "cosim_reference"),
      m_stats(&core_stats, "cosim", "differential check of the RTL unit against the C++ model"),
      m_checked(m_stats, "checked", "requests", "translations compared"),
      m_divergences(m_stats, "divergences", "requests", "translations on which RTL and C++ model differ") {
  mmu::MmuConfig rc = cfg;
  rc.impl = mmu::MmuImpl::Cpp;
  m_ref = std::make_unique<mmu::Mmu>(core, rc, clk, m_ref_mem, m_ref_root);
  const auto counter = [&](const char* path) {
    return dynamic_cast<const stats::Counter*>(m_ref_root.find(path));
  };
  m_ref_l1d_hits = counter("dtlb.hits");
  m_ref_l1i_hits = counter("itlb.hits");
  m_ref_stlb_hits = counter("stlb.hits");
  m_ref_walks = counter("walker.walks");
  m_ref_assists = counter("walker.dirty_assists");
  m_dut->set_mem_log(&m_log);
}

DiffChecker::~DiffChecker() {
  m_dut->set_mem_log(nullptr);
}

mmu::Translation DiffChecker::translate(uint64_t va, mmu::Access a, sc_time at, bool supervisor) {
  m_log.clear();
  m_during.clear();
  m_in_request = true;
  mmu::Translation r;
  try {
    r = m_dut->translate(va, a, at, supervisor);
  } catch (...) {
    m_in_request = false;
    throw;
  }
  m_in_request = false;
  const RtlMmu::Answer& ans = m_dut->last_answer();
  m_ref_mem.load(m_log.data(), m_log.size(), &m_during);
  const uint64_t l1_before = ref_count(a == mmu::Access::Fetch ? m_ref_l1i_hits : m_ref_l1d_hits),
                 stlb_before = ref_count(m_ref_stlb_hits), walks_before = ref_count(m_ref_walks),
                 assists_before = ref_count(m_ref_assists);
  // The reference runs on its own time line: later than anything it did before (its in-flight walks
  // are over, as they are for the blocking core), never earlier than now.
  m_ref_time = std::max({m_ref_time, at, sc_core::sc_time_stamp()});
  const mmu::Translation q = m_ref->translate(va, a, m_ref_time, supervisor);
  for (auto& [at_op, fn] : m_during)  // the reference did fewer operations: apply the rest now
    if (fn) fn();
  m_during.clear();
  m_ref_time = std::max(m_ref_time, q.done) + sc_core::sc_time::from_value(1);
  ++m_checked;

  Divergence d;
  d.rtl = {r.fault, r.error_code, r.pa, ans.l1_hit, ans.stlb_hit, ans.walk, ans.dirty_assist, m_log};
  d.cpp = {q.fault,
           q.error_code,
           q.pa,
           ref_count(a == mmu::Access::Fetch ? m_ref_l1i_hits : m_ref_l1d_hits) > l1_before,
           ref_count(m_ref_stlb_hits) > stlb_before,
           ref_count(m_ref_walks) > walks_before,
           ref_count(m_ref_assists) > assists_before,
           m_ref_mem.ops()};
  const auto& x = d.rtl;
  const auto& y = d.cpp;
  if (x.fault != y.fault)
    d.field = "fault";
  else if (x.fault && x.error_code != y.error_code)
    d.field = "error code";
  else if (!x.fault && x.pa != y.pa)
    d.field = "physical address";
  else if (x.l1_hit != y.l1_hit)
    d.field = "L1 TLB hit";
  else if (!x.l1_hit && x.stlb_hit != y.stlb_hit)
    d.field = "STLB hit";
  else if (x.walk != y.walk)
    d.field = "walk";
  else if (x.dirty_assist != y.dirty_assist)
    d.field = "dirty assist";
  else if (x.ops.size() != y.ops.size())
    d.field = "number of memory operations";
  else
    for (size_t i = 0; i < x.ops.size() && d.field.empty(); ++i) {
      const MemOp &o = x.ops[i], &p = y.ops[i];
      if (o.kind != p.kind || o.addr != p.addr)
        d.field = fmt::format("memory operation {} (address or kind)", i + 1);
      else if (o.kind == MemKind::CompareExchange && (o.expected != p.expected || o.wdata != p.wdata))
        d.field = fmt::format("memory operation {} (A/D bits written)", i + 1);
    }
  if (d.field.empty()) return r;
  ++m_divergences;
  if (!m_first) {
    d.core = m_core;
    d.request = m_checked.value();
    d.cycle = ans.cycle;
    d.va = va;
    d.access = a;
    d.cr3 = m_dut->cr3();
    m_first = d;
    log::warn("{}", d.report());
    if (m_stop) throw std::runtime_error("mmu.rtl.stop_on_divergence: " + d.report());
  }
  return r;
}

void DiffChecker::both(const std::function<void(mmu::Translator&)>& f) {
  f(*m_dut);
  if (m_in_request)  // during the RTL's memory operation m_log.size() (it is logged when it completes)
    m_during.emplace_back(m_log.size(), [this, f] { f(*m_ref); });
  else
    f(*m_ref);
}

void DiffChecker::write_cr3(uint64_t v) {
  both([v](mmu::Translator& t) { t.write_cr3(v); });
}

void DiffChecker::write_cr4(uint64_t v) {
  both([v](mmu::Translator& t) { t.write_cr4(v); });
}

void DiffChecker::invlpg(uint64_t va) {
  both([va](mmu::Translator& t) { t.invlpg(va); });
}

void DiffChecker::invpcid(hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) {
  both([=](mmu::Translator& t) { t.invpcid(type, pcid, va); });
}

void DiffChecker::flush(const hw::FlushRequest& r) {
  both([r](mmu::Translator& t) { t.flush(r); });
}

}  // namespace pc::cosim
