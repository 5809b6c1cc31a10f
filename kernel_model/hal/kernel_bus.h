// The modeled kernel's only way into simulated hardware: TLM-2.0 initiators into the physical address
// space (memory and device MMIO), one per CPU. Linux runs its code on a CPU, so a kernel path's loads and
// stores go through the caches of the CPU it runs on (port `cpu`, bound to that core's caches; without
// caches every port leads to the interconnect). Accesses are loosely timed: each adds its latency to the
// path's `delay`; a path running on a core hands the total back as trap cycles, a kernel thread waits on it.
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>

#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"

namespace pc::kernel {

// Where a kernel access runs and what the path has cost so far: the CPU whose caches carry it and the
// time not yet spent (added to the caller's time).
struct BusCtx {
  unsigned cpu = 0;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
};

class KernelBus : public sc_core::sc_module {
 public:
  // Port i carries the accesses of CPU i (bind them in CPU order). A bus bound once serves every CPU
  // through that one port.
  tlm_utils::multi_passthrough_initiator_socket<KernelBus> mem_isock;

  // `group`: name of its stats group below `parent` (one per bus when the kernel has several).
  KernelBus(sc_core::sc_module_name name, stats::Group& parent, const char* group = "bus");
  ~KernelBus() override;

  // Any access answered with an error is a bug in the kernel model (it only touches memory it owns and
  // registers that exist): it throws std::logic_error naming the address.
  void read(uint64_t pa, void* dst, unsigned len, BusCtx& b);
  void write(uint64_t pa, const void* src, unsigned len, BusCtx& b);
  uint64_t read64(uint64_t pa, BusCtx& b);
  void write64(uint64_t pa, uint64_t v, BusCtx& b);
  uint32_t read32(uint64_t pa, BusCtx& b);
  void write32(uint64_t pa, uint32_t v, BusCtx& b);
  // LOCK-prefixed operations on an 8-byte entry, performed by memory at one instant (AtomicExt); each
  // returns the value the entry held before.
  uint64_t fetch_or64(uint64_t pa, uint64_t bits, BusCtx& b) { return atomic64(pa, AtomicOp::FetchOr, bits, 0, b); }
  uint64_t fetch_and_not64(uint64_t pa, uint64_t bits, BusCtx& b) {
    return atomic64(pa, AtomicOp::FetchAndNot, bits, 0, b);
  }
  uint64_t xchg64(uint64_t pa, uint64_t v, BusCtx& b) { return atomic64(pa, AtomicOp::Exchange, v, 0, b); }
  uint64_t cmpxchg64(uint64_t pa, uint64_t expected, uint64_t desired, BusCtx& b) {
    return atomic64(pa, AtomicOp::CompareExchange, desired, expected, b);
  }
  // clear_page / copy_page: one 4 KiB transaction each way, which the CPU's caches stream through
  // their line fill buffers.
  void zero_page(uint64_t pa, BusCtx& b);
  void copy_page(uint64_t dst_pa, uint64_t src_pa, BusCtx& b);

  // Test only (the negative control of the atomicity tests): performs each atomic as a read and a
  // separate write, so another agent can slip in between as it could without the LOCK prefix.
  void set_split_atomics(bool on) { m_split = on; }

 private:
  uint64_t atomic64(uint64_t pa, AtomicOp op, uint64_t operand, uint64_t expected, BusCtx& b);
  void transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, AtomicExt* atomic, BusCtx& b);
  void transact_on(tlm::tlm_generic_payload& gp, AccessExt& ext, tlm::tlm_command cmd, uint64_t pa, uint8_t* data,
                   unsigned len, AtomicExt* atomic, BusCtx& b);

  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;
  bool m_in_flight = false;  // m_gp is inside a b_transport (possibly suspended in a wait)
  bool m_split = false;
  stats::Group m_stats;
  stats::Counter m_reads, m_writes, m_bytes, m_atomics, m_pages_zeroed, m_pages_copied;
};

}  // namespace pc::kernel
