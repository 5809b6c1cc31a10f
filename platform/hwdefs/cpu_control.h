// Privileged CPU operations the kernel performs on a core (MOV to CR3/CR4, INVLPG, INVPCID) and the
// TLB shootdown IPI between cores (Intel SDM Vol. 3A §4.10.4, §4.10.5; Linux flush_tlb_* semantics).
#pragma once

#include <cstdint>
#include <vector>

#include "platform/hwdefs/paging.h"

namespace pc::hw {

// Why a shootdown was sent; every cause has its own counter (stats.cpu.coreN.shootdown.*).
enum class FlushCause : uint8_t { Unmap = 0, Protect = 1, Reclaim = 2, Cow = 3, Other = 4 };
constexpr unsigned kFlushCauses = 5;
constexpr const char* flush_cause_name(FlushCause c) {
  switch (c) {
    case FlushCause::Unmap: return "unmap";
    case FlushCause::Protect: return "protect";
    case FlushCause::Reclaim: return "reclaim";
    case FlushCause::Cow: return "cow";
    default: return "other";
  }
}

// What a shootdown asks every target to invalidate.
struct FlushRequest {
  enum class Scope : uint8_t {
    Page,     // INVLPG `va` on each target (flush_tlb_page): the target's current PCID
    Pcid,     // INVPCID single-context of `pcid` (flush_tlb_mm with PCID)
    AllNonGlobal,  // every non-global entry (flush_tlb_mm without PCID: a CR3 reload)
    All,      // everything, globals included (flush_tlb_all)
  };
  Scope scope = Scope::Page;
  uint64_t va = 0;
  uint16_t pcid = 0;
};

// Implemented by the cores' MMUs and handed to the kernel by the SoC. Every call runs synchronously in
// the caller's thread (on the calling core) and returns the CPU cycles it costs that core; the kernel
// adds them to its TrapResult::cycles (or waits them out in a kernel thread).
//
// Address spaces: the kernel schedules a context on a core by write_cr3(core, table | pcid) — there is
// no per-operation CR3. With CR4.PCIDE=0 the PCID bits must be 0 and every CR3 write flushes the
// non-global TLB entries and all paging-structure caches; with PCIDE=1 bit 63 (kCr3NoFlush) keeps the
// new PCID's entries.
class CpuControl {
 public:
  virtual ~CpuControl() = default;
  virtual unsigned num_cores() const = 0;
  virtual uint64_t write_cr3(unsigned core, uint64_t value) = 0;
  virtual uint64_t read_cr3(unsigned core) const = 0;
  // Toggling CR4.PGE flushes every TLB entry (globals included) and the paging-structure caches.
  virtual uint64_t write_cr4(unsigned core, uint64_t value) = 0;
  virtual uint64_t read_cr4(unsigned core) const = 0;
  // INVLPG: the entries for `va` in the current PCID (globals too) and every PSC entry of that PCID.
  virtual uint64_t invlpg(unsigned core, uint64_t va) = 0;
  virtual uint64_t invpcid(unsigned core, paging::InvpcidType type, uint16_t pcid, uint64_t va) = 0;
  // Sends an invalidation IPI from `from` to each core in `targets` (not `from` itself: the caller
  // flushes locally with invlpg/invpcid) and waits for every acknowledgement. Costs `from` the IPI
  // latency + the targets' handler + the acknowledgement; each target also loses its handler cycles.
  virtual uint64_t shootdown(unsigned from, const std::vector<unsigned>& targets, const FlushRequest& what,
                             FlushCause cause) = 0;
};

}  // namespace pc::hw
