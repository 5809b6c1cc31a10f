// Kernel bus: TLM initiators for the modeled kernel, one per CPU.
#include "kernel_model/hal/kernel_bus.h"

#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace pc::kernel {

KernelBus::KernelBus(sc_core::sc_module_name name, stats::Group& parent, const char* group)
    : sc_module(name),
      mem_isock("mem_isock"),
      m_stats(&parent, group, "kernel accesses to physical memory and MMIO"),
      m_reads(m_stats, "reads", "transactions", "kernel read transactions"),
      m_writes(m_stats, "writes", "transactions", "kernel write transactions"),
      m_bytes(m_stats, "bytes", "bytes", "bytes moved by the kernel"),
      m_atomics(m_stats, "atomics", "operations", "LOCK-prefixed read-modify-writes of page-table entries"),
      m_pages_zeroed(m_stats, "pages_zeroed", "pages", "4 KiB pages cleared"),
      m_pages_copied(m_stats, "pages_copied", "pages", "4 KiB pages copied") {
  m_ext.requester = Requester::Kernel;
  m_gp.set_extension(&m_ext);
}

KernelBus::~KernelBus() { m_gp.clear_extension(&m_ext); }

void KernelBus::transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, AtomicExt* atomic,
                         BusCtx& b) {
  // Several kernel threads share one bus (the disk driver's submit, interrupt and kblockd paths) and a
  // target may wait() inside b_transport: a transaction started while another is in flight gets a
  // payload of its own instead of overwriting the suspended one.
  if (m_in_flight) {
    tlm::tlm_generic_payload gp;
    AccessExt ext = m_ext;
    gp.set_extension(&ext);
    try {
      transact_on(gp, ext, cmd, pa, data, len, atomic, b);
    } catch (...) {
      gp.clear_extension(&ext);
      throw;
    }
    gp.clear_extension(&ext);
    return;
  }
  m_in_flight = true;
  try {
    transact_on(m_gp, m_ext, cmd, pa, data, len, atomic, b);
  } catch (...) {
    m_in_flight = false;
    throw;
  }
  m_in_flight = false;
}

void KernelBus::transact_on(tlm::tlm_generic_payload& gp, AccessExt& ext, tlm::tlm_command cmd, uint64_t pa,
                            uint8_t* data, unsigned len, AtomicExt* atomic, BusCtx& b) {
  prepare_payload(gp, cmd, pa, data, len);
  ext.core = static_cast<uint16_t>(b.cpu);
  ext.locked = atomic != nullptr;
  if (atomic) gp.set_extension(atomic);
  const unsigned port = b.cpu < mem_isock.size() ? b.cpu : 0;
  mem_isock[port]->b_transport(gp, b.delay);
  if (atomic) gp.clear_extension(atomic);
  if (gp.is_response_error())
    throw std::logic_error(fmt::format("kernel {} of {} bytes at physical 0x{:x}: {}",
                                       atomic ? "atomic" : cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, pa,
                                       gp.get_response_string()));
  ++(cmd == tlm::TLM_READ_COMMAND ? m_reads : m_writes);
  m_bytes += len;
}

void KernelBus::read(uint64_t pa, void* dst, unsigned len, BusCtx& b) {
  transact(tlm::TLM_READ_COMMAND, pa, static_cast<uint8_t*>(dst), len, nullptr, b);
}

void KernelBus::write(uint64_t pa, const void* src, unsigned len, BusCtx& b) {
  transact(tlm::TLM_WRITE_COMMAND, pa, static_cast<uint8_t*>(const_cast<void*>(src)), len, nullptr, b);
}

uint64_t KernelBus::read64(uint64_t pa, BusCtx& b) {
  uint64_t v = 0;
  read(pa, &v, 8, b);
  return v;
}

void KernelBus::write64(uint64_t pa, uint64_t v, BusCtx& b) { write(pa, &v, 8, b); }

uint32_t KernelBus::read32(uint64_t pa, BusCtx& b) {
  uint32_t v = 0;
  read(pa, &v, 4, b);
  return v;
}

void KernelBus::write32(uint64_t pa, uint32_t v, BusCtx& b) { write(pa, &v, 4, b); }

uint64_t KernelBus::atomic64(uint64_t pa, AtomicOp op, uint64_t operand, uint64_t expected, BusCtx& b) {
  ++m_atomics;
  AtomicExt a;
  a.op = op;
  a.operand = operand;
  a.expected = expected;
  if (m_split) {
    // The negative control: the read and the write are separate transactions.
    const uint64_t old = read64(pa, b);
    const uint64_t next = atomic_result(a, old);
    if (next != old) write64(pa, next, b);
    return old;
  }
  uint64_t old = 0;
  transact(tlm::TLM_WRITE_COMMAND, pa, reinterpret_cast<uint8_t*>(&old), 8, &a, b);
  if (!a.performed) throw std::logic_error(fmt::format("kernel atomic at physical 0x{:x}: not performed", pa));
  return a.old;
}

void KernelBus::zero_page(uint64_t pa, BusCtx& b) {
  static const uint8_t zero[4096] = {0};
  write(pa, zero, 4096, b);
  ++m_pages_zeroed;
}

void KernelBus::copy_page(uint64_t dst_pa, uint64_t src_pa, BusCtx& b) {
  uint8_t page[4096];
  read(src_pa, page, 4096, b);
  write(dst_pa, page, 4096, b);
  ++m_pages_copied;
}

}  // namespace pc::kernel
