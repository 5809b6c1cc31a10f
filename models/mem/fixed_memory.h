// Fixed-latency physical memory (dram.model = "fixed"): a TLM-2.0 LT target over the backing store
// with a constant access latency and an optional bandwidth limit, in the manner of gem5's SimpleMemory.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <systemc>
#include <tlm>

#include "models/mem/backing_store.h"
#include "platform/core/config.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"

namespace pc::mem {

struct FixedMemConfig {
  uint64_t latency_ns = 50;   // ns from request to data
  double bandwidth_gbps = 0;  // GB/s the data port sustains; 0 = unlimited

  void describe(cfg::Visitor& v) {
    v.u64("latency_ns", latency_ns, "ns", "access latency of the fixed-latency memory", 0, 1000000);
    v.f64("bandwidth_gbps", bandwidth_gbps, "GB/s",
          "data-port bandwidth limit (0 = unlimited; a limit makes every access synchronize)", 0, 10000);
  }
};

class FixedMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<FixedMemory> tsock;

  FixedMemory(sc_core::sc_module_name name, const FixedMemConfig& cfg, BackingStore& store,
              stats::Group& parent);

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // DMI to one written page of the store at a time (reads and writes move the bytes as transport_dbg
  // does); untouched pages (which read as zero, and which a write must first allocate) are denied.
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  // Moves the bytes; returns false (and sets the response status) on a malformed request.
  bool access(tlm::tlm_generic_payload& gp);

  FixedMemConfig m_cfg;
  BackingStore& m_store;
  sc_core::sc_time m_latency;
  double m_fs_per_byte = 0;       // transfer time per byte under the bandwidth limit
  sc_core::sc_time m_busy_until;  // the data port is occupied until then

  stats::Group m_stats;
  stats::Counter m_reads, m_writes, m_bytes_read, m_bytes_written, m_errors, m_atomics;
  stats::Histogram m_latency_hist;
};

}  // namespace pc::mem
