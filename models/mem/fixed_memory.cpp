// Fixed-latency memory target.
#include "models/mem/fixed_memory.h"

#include <cmath>

#include "platform/core/ordered_wake.h"

namespace pc::mem {

using sc_core::sc_time;

FixedMemory::FixedMemory(sc_core::sc_module_name name, const FixedMemConfig& cfg, BackingStore& store,
                         stats::Group& parent)
    : sc_module(name),
      tsock("tsock"),
      m_cfg(cfg),
      m_store(store),
      m_latency(sc_time::from_value(cfg.latency_ns * 1000000ull)),
      m_stats(&parent, "mem", "fixed-latency memory"),
      m_reads(m_stats, "reads", "requests", "read requests served"),
      m_writes(m_stats, "writes", "requests", "write requests served"),
      m_bytes_read(m_stats, "bytes_read", "bytes", "bytes read"),
      m_bytes_written(m_stats, "bytes_written", "bytes", "bytes written"),
      m_errors(m_stats, "errors", "requests", "requests answered with an error response"),
      m_atomics(m_stats, "atomics", "requests",
                "atomic read-modify-writes performed (also counted as writes)"),
      m_latency_hist(m_stats, "latency_ns", "ns", "request latency including bandwidth queueing") {
  tsock.register_b_transport(this, &FixedMemory::b_transport);
  tsock.register_transport_dbg(this, &FixedMemory::transport_dbg);
  tsock.register_get_direct_mem_ptr(this, &FixedMemory::get_direct_mem_ptr);
  // A released page may be handed out again: every pointer into it goes first.
  store.set_discard_listener(
      [this](uint64_t addr, uint64_t len) { tsock->invalidate_direct_mem_ptr(addr, addr + len - 1); });
  if (cfg.bandwidth_gbps > 0) m_fs_per_byte = 1e6 / cfg.bandwidth_gbps;  // 1 GB/s = 1 byte/ns = 1e6 fs/byte
}

bool FixedMemory::access(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_streaming_width() < len) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  if (!m_store.contains(addr, len)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (AtomicExt* a = atomic_of(gp)) {
    ++m_atomics;
    return perform_atomic(
        gp, *a, [&](uint8_t* b, unsigned n) { m_store.read(addr, b, n); },
        [&](const uint8_t* b, unsigned n) { m_store.write(addr, b, n); });
  }
  const auto* ext = gp.get_extension<AccessExt>();
  if (ext && ext->timing_only) {
    // A cache writeback: the bytes are in the store already; only the time is spent.
  } else if (gp.is_read()) {
    m_store.read(addr, gp.get_data_ptr(), len);
  } else if (gp.is_write()) {
    m_store.write(addr, gp.get_data_ptr(), len);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void FixedMemory::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  if (!access(gp)) {
    ++m_errors;
    return;
  }
  const uint64_t len = gp.get_data_length();
  if (gp.is_read()) {
    ++m_reads;
    m_bytes_read += len;
  } else {
    ++m_writes;
    m_bytes_written += len;
  }
  // Under a bandwidth limit the port is shared state: synchronize first, so that requests from cores
  // running ahead in their quanta reach it in simulated-time order, then wait for the port to free up.
  // Without a limit the memory is stateless and the access stays on the initiator's local time.
  if (m_fs_per_byte > 0 && delay != sc_core::SC_ZERO_TIME) {
    sim::OrderedWake::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  const sc_time arrival = sc_core::sc_time_stamp() + delay;
  sc_time start = arrival;
  if (m_fs_per_byte > 0) {
    start = std::max(start, m_busy_until);
    m_busy_until = start + sc_time::from_value(
                               static_cast<uint64_t>(std::llround(m_fs_per_byte * static_cast<double>(len))));
  }
  // A bus-locked read-modify-write holds the port for a read cycle and a write cycle (performed at one
  // instant: nothing comes between them).
  const sc_time done = start + (atomic_of(gp) ? 2 * m_latency : m_latency);
  m_latency_hist.sample((done - arrival).to_seconds() * 1e9);
  delay = done - sc_core::sc_time_stamp();
}

unsigned int FixedMemory::transport_dbg(tlm::tlm_generic_payload& gp) {
  return access(gp) ? gp.get_data_length() : 0;
}

bool FixedMemory::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const uint64_t addr = gp.get_address();
  const uint64_t page = addr & ~(BackingStore::kPageBytes - 1);
  dmi.set_start_address(page);
  dmi.set_end_address(page + BackingStore::kPageBytes - 1);
  uint8_t* p = m_store.contains(page, BackingStore::kPageBytes) ? m_store.page_ptr(page) : nullptr;
  if (!p) return false;
  dmi.set_dmi_ptr(p);
  dmi.allow_read_write();
  dmi.set_read_latency(m_latency);
  dmi.set_write_latency(m_latency);
  return true;
}

}  // namespace pc::mem
