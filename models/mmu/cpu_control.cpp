// CPU control operations and TLB shootdowns.
#include "models/mmu/cpu_control.h"

#include <fmt/format.h>

#include <stdexcept>

namespace pc::mmu {

Translator& MmuControl::at(unsigned core) const {
  if (core >= m_mmus.size() || !m_mmus[core])
    throw std::logic_error(fmt::format("CpuControl: core {} has no MMU (paging off or no such core)", core));
  return *m_mmus[core];
}

uint64_t MmuControl::write_cr3(unsigned core, uint64_t value) {
  at(core).write_cr3(value);
  return m_cfg.cr3_write_cycles;
}

uint64_t MmuControl::write_cr4(unsigned core, uint64_t value) {
  at(core).write_cr4(value);
  return m_cfg.cr3_write_cycles;
}

uint64_t MmuControl::invlpg(unsigned core, uint64_t va) {
  at(core).invlpg(va);
  return m_cfg.invlpg_cycles;
}

uint64_t MmuControl::invpcid(unsigned core, hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) {
  at(core).invpcid(type, pcid, va);
  return m_cfg.invlpg_cycles;
}

uint64_t MmuControl::shootdown(unsigned from, const std::vector<unsigned>& targets,
                               const hw::FlushRequest& what, hw::FlushCause cause) {
  Translator& src = at(from);
  unsigned n = 0;
  for (unsigned t : targets) {
    if (t == from) continue;  // the initiator flushes itself with invlpg/invpcid
    Translator& dst = at(t);
    // Loosely timed: the target's entries go at once; the handler's cycles are charged to the target
    // at its next operation, and the sender waits for the slowest acknowledgement.
    dst.flush(what);
    dst.add_stall_cycles(m_cfg.shootdown.handler_cycles);
    ++n;
  }
  src.count_shootdown_sent(cause, n);
  if (n == 0) return 0;
  // Targets handle the IPI in parallel: delivery, handler, acknowledgement.
  return m_cfg.shootdown.ipi_cycles + m_cfg.shootdown.handler_cycles + m_cfg.shootdown.ack_cycles;
}

}  // namespace pc::mmu
