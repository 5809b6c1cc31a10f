// Bare-metal kernel for paging-off runs.
#include "testbench/bare_metal.h"

#include <fmt/format.h>
#include <stdexcept>

namespace pc::tb {

hw::ExecContext* BareMetalKernel::pick_next(unsigned core) {
  auto& q = m_queues.at(core);
  if (q.empty()) return nullptr;
  hw::ExecContext* c = q.front();
  q.pop_front();
  return c;
}

hw::TrapResult BareMetalKernel::syscall(unsigned, hw::ExecContext& ctx, const hw::Op& op) {
  // Without an OS every call is a no-op except exit, which ends the context.
  const bool exit = op.nr == hw::Syscall::Exit;
  ctx.retire(nullptr, hw::AccessStatus::Ok);
  return {exit ? hw::TrapAction::Reschedule : hw::TrapAction::Resume, m_syscall_cycles};
}

hw::TrapResult BareMetalKernel::page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t) {
  throw std::logic_error(fmt::format("core {}: page fault at 0x{:x} with paging off (context {})", core, cr2, ctx.id()));
}

}  // namespace pc::tb
