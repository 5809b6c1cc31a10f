// Kernel bus: TLM initiator for the modeled kernel.
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
      m_rmws(m_stats, "rmws", "operations", "locked read-modify-writes of page-table entries"),
      m_pages_zeroed(m_stats, "pages_zeroed", "pages", "4 KiB pages cleared"),
      m_pages_copied(m_stats, "pages_copied", "pages", "4 KiB pages copied") {
  m_ext.requester = Requester::Kernel;
  m_gp.set_extension(&m_ext);
}

void KernelBus::transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, bool locked,
                         sc_core::sc_time& delay) {
  // Several kernel threads share one bus (the disk driver's submit, interrupt and kblockd paths) and a
  // target may wait() inside b_transport: a transaction started while another is in flight gets a
  // payload of its own instead of overwriting the suspended one.
  if (m_in_flight) {
    tlm::tlm_generic_payload gp;
    AccessExt ext = m_ext;
    gp.set_extension(&ext);
    try {
      transact_on(gp, ext, cmd, pa, data, len, locked, delay);
    } catch (...) {
      gp.clear_extension(&ext);
      throw;
    }
    gp.clear_extension(&ext);
    return;
  }
  m_in_flight = true;
  try {
    transact_on(m_gp, m_ext, cmd, pa, data, len, locked, delay);
  } catch (...) {
    m_in_flight = false;
    throw;
  }
  m_in_flight = false;
}

void KernelBus::transact_on(tlm::tlm_generic_payload& gp, AccessExt& ext, tlm::tlm_command cmd, uint64_t pa,
                            uint8_t* data, unsigned len, bool locked, sc_core::sc_time& delay) {
  prepare_payload(gp, cmd, pa, data, len);
  ext.locked = locked;
  mem_isock->b_transport(gp, delay);
  if (gp.is_response_error())
    throw std::logic_error(fmt::format("kernel {} of {} bytes at physical 0x{:x}: {}",
                                       cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, pa,
                                       gp.get_response_string()));
  ++(cmd == tlm::TLM_READ_COMMAND ? m_reads : m_writes);
  m_bytes += len;
}

void KernelBus::read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay) {
  transact(tlm::TLM_READ_COMMAND, pa, static_cast<uint8_t*>(dst), len, false, delay);
}

void KernelBus::write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay) {
  transact(tlm::TLM_WRITE_COMMAND, pa, static_cast<uint8_t*>(const_cast<void*>(src)), len, false, delay);
}

uint64_t KernelBus::read64(uint64_t pa, sc_core::sc_time& delay) {
  uint64_t v = 0;
  read(pa, &v, 8, delay);
  return v;
}

void KernelBus::write64(uint64_t pa, uint64_t v, sc_core::sc_time& delay) { write(pa, &v, 8, delay); }

uint32_t KernelBus::read32(uint64_t pa, sc_core::sc_time& delay) {
  uint32_t v = 0;
  read(pa, &v, 4, delay);
  return v;
}

void KernelBus::write32(uint64_t pa, uint32_t v, sc_core::sc_time& delay) { write(pa, &v, 4, delay); }

uint64_t KernelBus::rmw64(uint64_t pa, uint64_t clear, uint64_t set, sc_core::sc_time& delay) {
  // A locked RMW is a read and a write with the bus held in between; nothing else runs in between
  // here because the kernel path does not yield between the two transactions.
  uint64_t v = 0;
  transact(tlm::TLM_READ_COMMAND, pa, reinterpret_cast<uint8_t*>(&v), 8, true, delay);
  const uint64_t old = v;
  v = (v & ~clear) | set;
  transact(tlm::TLM_WRITE_COMMAND, pa, reinterpret_cast<uint8_t*>(&v), 8, true, delay);
  ++m_rmws;
  return old;
}

void KernelBus::zero_page(uint64_t pa, sc_core::sc_time& delay) {
  uint8_t zero[64] = {0};
  for (unsigned off = 0; off < 4096; off += 64) write(pa + off, zero, 64, delay);
  ++m_pages_zeroed;
}

void KernelBus::copy_page(uint64_t dst_pa, uint64_t src_pa, sc_core::sc_time& delay) {
  uint8_t line[64];
  for (unsigned off = 0; off < 4096; off += 64) {
    read(src_pa + off, line, 64, delay);
    write(dst_pa + off, line, 64, delay);
  }
  ++m_pages_copied;
}

}  // namespace pc::kernel
