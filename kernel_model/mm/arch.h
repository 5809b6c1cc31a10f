// What the memory manager asks of the CPU architecture: loading CR3 on a context switch and TLB
// maintenance (flush_tlb_page, flush_tlb_mm with IPI shootdowns to the other CPUs that run the mm).
// The SoC implements it on the cores' MMUs; tests use a recording implementation.
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>

namespace pc::kernel {

enum class FlushCause : uint8_t { Cow, Unmap, Mprotect, PageReferenced, TryToUnmap, Fork, Other };

class ArchOps {
 public:
  virtual ~ArchOps() = default;
  // switch_mm: loads CR3 (PML4 base | PCID) on `cpu`.
  virtual void switch_mm(unsigned cpu, uint64_t cr3, sc_core::sc_time& delay) = 0;
  // Invalidates `va` of address space `cr3` on every CPU in `cpu_mask`: `cpu` (the initiator) does an
  // INVLPG if its own bit is set; each other CPU gets a shootdown IPI and the initiator waits for every
  // acknowledgement (the cost lands in `delay`).
  virtual void flush_tlb_page(unsigned cpu, uint64_t cpu_mask, uint64_t cr3, uint64_t va, FlushCause cause,
                              sc_core::sc_time& delay) = 0;
  // Flushes every non-global translation of the address space `cr3` on the CPUs in `cpu_mask` (local
  // flush for the initiator's own bit, IPIs for the others).
  virtual void flush_tlb_mm(unsigned cpu, uint64_t cpu_mask, uint64_t cr3, FlushCause cause,
                            sc_core::sc_time& delay) = 0;
};

// Counts requests and costs nothing: for runs without an MMU (paging off) and for unit tests.
class NullArch : public ArchOps {
 public:
  void switch_mm(unsigned, uint64_t cr3, sc_core::sc_time&) override {
    ++switches;
    last_cr3 = cr3;
  }
  void flush_tlb_page(unsigned cpu, uint64_t mask, uint64_t, uint64_t, FlushCause,
                      sc_core::sc_time&) override {
    ++page_flushes;
    remote_ipis += static_cast<uint64_t>(__builtin_popcountll(mask & ~(1ull << cpu)));
  }
  void flush_tlb_mm(unsigned cpu, uint64_t mask, uint64_t, FlushCause, sc_core::sc_time&) override {
    ++mm_flushes;
    remote_ipis += static_cast<uint64_t>(__builtin_popcountll(mask & ~(1ull << cpu)));
    if (on_flush_mm) on_flush_mm();
  }
  std::function<void()> on_flush_mm;  // tests: observe the state at the flush
  uint64_t switches = 0, page_flushes = 0, mm_flushes = 0, remote_ipis = 0, last_cr3 = 0;
};

}  // namespace pc::kernel
