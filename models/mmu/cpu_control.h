// hw::CpuControl over the cores' MMUs: CR3/CR4 writes, INVLPG, INVPCID and shootdown IPIs with latency
// and acknowledgement (Intel SDM Vol. 3A §4.10.4-5; Linux arch/x86/kernel/smp.c flush_tlb_others).
#pragma once

#include <vector>

#include "models/mmu/translator.h"
#include "platform/hwdefs/cpu_control.h"

namespace pc::mmu {

class MmuControl : public hw::CpuControl {
 public:
  explicit MmuControl(const MmuConfig& cfg) : m_cfg(cfg) {}
  void add(Translator* m) { m_mmus.push_back(m); }

  unsigned num_cores() const override { return static_cast<unsigned>(m_mmus.size()); }
  uint64_t write_cr3(unsigned core, uint64_t value) override;
  uint64_t read_cr3(unsigned core) const override { return at(core).cr3(); }
  uint64_t write_cr4(unsigned core, uint64_t value) override;
  uint64_t read_cr4(unsigned core) const override { return at(core).cr4(); }
  uint64_t invlpg(unsigned core, uint64_t va) override;
  uint64_t invpcid(unsigned core, hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) override;
  uint64_t shootdown(unsigned from, const std::vector<unsigned>& targets, const hw::FlushRequest& what,
                     hw::FlushCause cause) override;

 private:
  Translator& at(unsigned core) const;
  MmuConfig m_cfg;
  std::vector<Translator*> m_mmus;
};

}  // namespace pc::mmu
