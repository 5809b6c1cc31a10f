// Bare-metal demand pager.
#include "testbench/pager.h"

#include <fmt/format.h>
#include <stdexcept>

namespace pc::tb {

using namespace hw::paging;

BareMetalPager::BareMetalPager(unsigned cores, uint64_t syscall_cycles, uint64_t fault_cycles, PageTableBuilder& builder,
                               hw::CpuControl& cpu, const ClockDomain& clk, stats::Group& parent)
    : BareMetalKernel(cores, syscall_cycles),
      m_fault_cycles(fault_cycles),
      m_pt(builder),
      m_cpu(cpu),
      m_clk(clk),
      m_stats(&parent, "pager", "bare-metal demand pager (testbench)"),
      m_faults(m_stats, "faults", "faults", "not-present faults handled"),
      m_pages_mapped(m_stats, "pages_mapped", "pages", "4 KiB pages mapped"),
      m_tables(m_stats, "tables", "tables", "page-table pages allocated") {}

hw::ExecContext* BareMetalPager::pick_next(unsigned core) {
  hw::ExecContext* ctx = BareMetalKernel::pick_next(core);
  if (!ctx) return nullptr;
  auto it = m_spaces.find(ctx->id());
  if (it == m_spaces.end()) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    it = m_spaces.emplace(ctx->id(), m_pt.new_table(d)).first;
    ++m_tables;
  }
  m_cpu.write_cr3(core, it->second);  // switch_mm
  return ctx;
}

hw::TrapResult BareMetalPager::page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t ec) {
  if (ec & kPfPresent)
    throw std::runtime_error(fmt::format("core {}: protection fault at 0x{:x} (error code 0x{:x}, context {}); the "
                                         "bare-metal pager maps pages read-write and cannot handle it",
                                         core, cr2, ec, ctx.id()));
  ++m_faults;
  // Table updates read, then write entries; with a memory that waits, two cores' faults must not
  // interleave inside one walk of the tables (the kernel's page_table_lock).
  m_lock.lock();
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  const uint64_t before = m_pt.tables_created();
  const uint64_t frame = m_pt.frames().alloc(4096);
  m_pt.map(m_spaces.at(ctx.id()), cr2, frame, PageSize::k4K, kRW | kUS, d);
  ++m_pages_mapped;
  m_tables += m_pt.tables_created() - before;
  m_lock.unlock();
  return {hw::TrapAction::Resume, m_fault_cycles + m_clk.to_cycles_ceil(d)};
}

}  // namespace pc::tb
