// A minimal bare-metal pager for paging-on runs until the kernel model lands: each context gets its own
// address space (a PML4 and, with PCIDs off, a full flush on every switch); a not-present fault maps the
// 4 KiB page with a fresh frame from a bump allocator, writing the entries through TLM.
#pragma once

#include <map>

#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/cpu_control.h"
#include "testbench/bare_metal.h"
#include "testbench/page_tables.h"

namespace pc::tb {

class BareMetalPager : public BareMetalKernel {
 public:
  // `fault_cycles`: the handler's own CPU cost, on top of the page-table memory traffic it makes.
  BareMetalPager(unsigned cores, uint64_t syscall_cycles, uint64_t fault_cycles, PageTableBuilder& builder,
                 hw::CpuControl& cpu, const ClockDomain& clk, stats::Group& parent);

  hw::ExecContext* pick_next(unsigned core) override;
  hw::TrapResult page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t error_code) override;
  uint64_t cr3_of(uint32_t ctx_id) const { return m_spaces.at(ctx_id); }

 private:
  uint64_t m_fault_cycles;
  PageTableBuilder& m_pt;
  hw::CpuControl& m_cpu;
  ClockDomain m_clk;
  std::map<uint32_t, uint64_t> m_spaces;  // context id -> CR3
  sc_core::sc_mutex m_lock;
  stats::Group m_stats;
  stats::Counter m_faults, m_pages_mapped, m_tables;
};

}  // namespace pc::tb
