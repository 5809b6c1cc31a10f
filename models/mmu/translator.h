// What a core needs from its address-translation unit: translate, and the privileged TLB-maintenance
// operations (Intel SDM Vol. 3A §4.10.4). The C++ Mmu implements it, and so does the co-simulated RTL
// unit (cosim/), so the core, CpuControl and the kernel never know which one runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>

#include "models/mmu/mmu_config.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/cpu_control.h"
#include "platform/hwdefs/paging.h"

namespace pc::mmu {

enum class Access : uint8_t { Read, Write, Fetch };

struct Translation {
  bool fault = false;
  uint32_t error_code = 0;  // #PF error code (SDM §4.7) when `fault`
  uint64_t pa = 0;
  sc_core::sc_time done;  // absolute time the translation (or the fault) is known
  // Answered by a TLB without touching memory (so without waiting): the caller's time stamp still holds.
  bool tlb_hit = false;
};

class Translator {
 public:
  virtual ~Translator() = default;
  // Translates an access that reaches the MMU at absolute time `at` (>= sc_time_stamp()): a user-mode
  // (CPL 3) access, or a supervisor-mode one (the kernel's copy to or from user memory: U/S does not
  // restrict it, CR0.WP = 1 makes read-only pages fault on writes, no SMAP; a fault's error code has U = 0).
  virtual Translation translate(uint64_t va, Access a, sc_core::sc_time at, bool supervisor = false) = 0;
  virtual void write_cr3(uint64_t v) = 0;
  virtual uint64_t cr3() const = 0;
  virtual void write_cr4(uint64_t v) = 0;
  virtual uint64_t cr4() const = 0;
  virtual void invlpg(uint64_t va) = 0;
  virtual void invpcid(hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) = 0;
  // The target side of a shootdown IPI.
  virtual void flush(const hw::FlushRequest& r) = 0;
  // Cycles the core owes for IPI handlers run on it since the last call.
  virtual uint64_t take_stall_cycles() = 0;
  virtual void add_stall_cycles(uint64_t c) = 0;
  virtual void count_shootdown_sent(hw::FlushCause c, unsigned targets) = 0;

 protected:
  // A shootdown request maps onto the INVLPG / INVPCID an IPI handler would execute.
  void apply_flush(const hw::FlushRequest& r) {
    switch (r.scope) {
      case hw::FlushRequest::Scope::Page:
        invlpg(r.va);
        break;
      case hw::FlushRequest::Scope::Pcid:
        invpcid(hw::paging::InvpcidType::SingleContext, r.pcid, 0);
        break;
      case hw::FlushRequest::Scope::AllNonGlobal:
        invpcid(hw::paging::InvpcidType::AllContexts, 0, 0);
        break;
      case hw::FlushRequest::Scope::All:
        invpcid(hw::paging::InvpcidType::AllContextsGlobal, 0, 0);
        break;
    }
  }
};

// Builds a core's translation unit; `mem` is the core's memory port (walks go through its caches).
using TranslatorFactory =
    std::function<std::unique_ptr<Translator>(unsigned core, const MmuConfig& cfg, const ClockDomain& clk,
                                              tlm::tlm_initiator_socket<>& mem, stats::Group& core_stats)>;

}  // namespace pc::mmu
