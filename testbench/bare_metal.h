// A bare-metal "kernel" for paging-off runs: each core runs the contexts assigned to it, in order, and
// system calls cost a fixed number of cycles. The modeled Linux kernel replaces it when paging is on.
#pragma once

#include <deque>
#include <vector>

#include "platform/hwdefs/trap.h"

namespace pc::tb {

class BareMetalKernel : public hw::KernelInterface {
 public:
  BareMetalKernel(unsigned cores, uint64_t syscall_cycles) : m_queues(cores), m_syscall_cycles(syscall_cycles) {}
  void assign(unsigned core, hw::ExecContext* ctx) { m_queues.at(core).push_back(ctx); }

  hw::ExecContext* pick_next(unsigned core) override;
  hw::TrapResult syscall(unsigned core, hw::ExecContext& ctx, const hw::Op& op) override;
  hw::TrapResult page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t error_code) override;
  void context_ended(unsigned core, hw::ExecContext& ctx) override {}

 private:
  std::vector<std::deque<hw::ExecContext*>> m_queues;
  uint64_t m_syscall_cycles;
};

}  // namespace pc::tb
