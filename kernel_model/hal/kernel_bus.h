// The modeled kernel's only way into simulated hardware: a TLM-2.0 initiator into the physical address
// space (memory and device MMIO). Accesses are loosely timed: each adds its latency to the caller's
// `delay`; a caller running on a core hands the total back as trap cycles, a kernel thread waits on it.
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"

namespace pc::kernel {

class KernelBus : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<KernelBus> mem_isock;

  // `group`: name of its stats group below `parent` (one per bus when the kernel has several).
  KernelBus(sc_core::sc_module_name name, stats::Group& parent, const char* group = "bus");
  ~KernelBus() override { m_gp.clear_extension(&m_ext); }

  // Any access answered with an error is a bug in the kernel model (it only touches memory it owns and
  // registers that exist): it throws std::logic_error naming the address.
  void read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay);
  void write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay);
  uint64_t read64(uint64_t pa, sc_core::sc_time& delay);
  void write64(uint64_t pa, uint64_t v, sc_core::sc_time& delay);
  uint32_t read32(uint64_t pa, sc_core::sc_time& delay);
  void write32(uint64_t pa, uint32_t v, sc_core::sc_time& delay);
  // Atomic read-modify-write of a 64-bit entry (LOCK AND/OR): returns the old value.
  uint64_t rmw64(uint64_t pa, uint64_t clear, uint64_t set, sc_core::sc_time& delay);
  // Page-sized transfers in 64-byte lines, as the kernel's clear_page/copy_page stream them.
  void zero_page(uint64_t pa, sc_core::sc_time& delay);
  void copy_page(uint64_t dst_pa, uint64_t src_pa, sc_core::sc_time& delay);

  // The core the next accesses are attributed to (the CPU the kernel path runs on).
  void set_cpu(unsigned cpu) { m_ext.core = static_cast<uint16_t>(cpu); }

 private:
  void transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, bool locked,
                sc_core::sc_time& delay);
  void transact_on(tlm::tlm_generic_payload& gp, AccessExt& ext, tlm::tlm_command cmd, uint64_t pa, uint8_t* data,
                   unsigned len, bool locked, sc_core::sc_time& delay);

  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;
  bool m_in_flight = false;  // m_gp is inside a b_transport (possibly suspended in a wait)
  stats::Group m_stats;
  stats::Counter m_reads, m_writes, m_bytes, m_rmws, m_pages_zeroed, m_pages_copied;
};

}  // namespace pc::kernel
