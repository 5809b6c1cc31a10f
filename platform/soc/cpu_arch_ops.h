// The kernel's architecture operations (switch_mm, flush_tlb_page, flush_tlb_mm) carried out on the
// cores' MMUs through hw::CpuControl: a local INVLPG or CR3 reload plus shootdown IPIs to the other CPUs
// of the mm, as 2.6.18 x86-64 does (arch/x86_64/kernel/smp.c flush_tlb_*; no PCIDs in 2.6).
#pragma once

#include <vector>

#include "kernel_model/mm/arch.h"
#include "platform/core/clock.h"
#include "platform/hwdefs/cpu_control.h"

namespace pc::soc {

class CpuArchOps : public kernel::ArchOps {
 public:
  CpuArchOps(hw::CpuControl& cpu, const ClockDomain& clk) : m_cpu(cpu), m_clk(clk) {}

  void switch_mm(unsigned cpu, uint64_t cr3, sc_core::sc_time& delay) override {
    delay += m_clk.cycles(m_cpu.write_cr3(cpu, cr3));
  }

  void flush_tlb_page(unsigned cpu, uint64_t mask, uint64_t, uint64_t va, kernel::FlushCause why,
                      sc_core::sc_time& delay) override {
    uint64_t cycles = 0;
    if (mask & (1ull << cpu)) cycles += m_cpu.invlpg(cpu, va);
    const auto others = targets(cpu, mask);
    if (!others.empty()) {
      hw::FlushRequest req;
      req.scope = hw::FlushRequest::Scope::Page;
      req.va = va;
      cycles += m_cpu.shootdown(cpu, others, req, cause(why));
    }
    delay += m_clk.cycles(cycles);
  }

  void flush_tlb_mm(unsigned cpu, uint64_t mask, uint64_t, kernel::FlushCause why, sc_core::sc_time& delay) override {
    uint64_t cycles = 0;
    // local_flush_tlb: reload CR3 with its own value (drops every non-global entry).
    if (mask & (1ull << cpu)) cycles += m_cpu.write_cr3(cpu, m_cpu.read_cr3(cpu));
    const auto others = targets(cpu, mask);
    if (!others.empty()) {
      hw::FlushRequest req;
      req.scope = hw::FlushRequest::Scope::AllNonGlobal;
      cycles += m_cpu.shootdown(cpu, others, req, cause(why));
    }
    delay += m_clk.cycles(cycles);
  }

 private:
  static std::vector<unsigned> targets(unsigned self, uint64_t mask) {
    std::vector<unsigned> t;
    for (unsigned c = 0; c < 64; ++c)
      if (c != self && (mask & (1ull << c))) t.push_back(c);
    return t;
  }
  static hw::FlushCause cause(kernel::FlushCause c) {
    switch (c) {
      case kernel::FlushCause::Cow: return hw::FlushCause::Cow;
      case kernel::FlushCause::Unmap: return hw::FlushCause::Unmap;
      case kernel::FlushCause::Mprotect:
      case kernel::FlushCause::Fork: return hw::FlushCause::Protect;
      case kernel::FlushCause::PageReferenced:
      case kernel::FlushCause::TryToUnmap: return hw::FlushCause::Reclaim;
      default: return hw::FlushCause::Other;
    }
  }

  hw::CpuControl& m_cpu;
  ClockDomain m_clk;
};

}  // namespace pc::soc
