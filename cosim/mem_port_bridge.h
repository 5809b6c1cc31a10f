// Pins -> TLM-2.0: the memory port of a Verilated block (valid/ready request with address, operation,
// write data and compare value; response with read data) performed as loosely-timed transactions on an
// initiator socket. Compare-exchange travels as an 8-byte TLM_WRITE_COMMAND carrying pc::AtomicExt,
// performed by the target at one instant; reads carry AccessExt (requester, level, walk id) so the
// caches, the DRAM controller and the stats attribute the traffic like the C++ walker's.
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "platform/core/tlm_ext.h"

namespace pc::cosim {

enum class MemKind : uint8_t { Read, CompareExchange };

// One memory-port operation as the block issued it and as it completed.
struct MemOp {
  MemKind kind = MemKind::Read;
  uint64_t addr = 0;
  uint64_t wdata = 0;     // compare-exchange: the new value
  uint64_t expected = 0;  // compare-exchange: the value it must find
  uint64_t rdata = 0;     // read: the value; compare-exchange: the old value
  uint8_t level = 0;      // paging-structure level (attribution only)
  bool ok = true;         // false: the target answered with an error
  bool succeeded() const { return kind == MemKind::Read ? ok : ok && rdata == expected; }
};

class MemPortBridge {
 public:
  MemPortBridge(tlm::tlm_initiator_socket<>& sock, uint16_t core, Requester who);
  ~MemPortBridge();

  // Performs `op` starting at absolute time `at` (>= sc_time_stamp()); fills rdata/ok and returns the
  // absolute time its answer is back. A target that synchronizes waits inside (another SystemC process
  // may run meanwhile). A read answered with an error returns all ones (a master abort, which has
  // reserved bits set); a failed compare-exchange returns all ones and writes nothing.
  sc_core::sc_time perform(MemOp& op, const sc_core::sc_time& at, uint32_t walk_id, bool uncacheable,
                           uint8_t& served);
  // Every performed operation is appended here while set (the differential checker reads it).
  void set_log(std::vector<MemOp>* log) { m_log = log; }

 private:
  tlm::tlm_initiator_socket<>& m_sock;
  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;
  AtomicExt m_atomic;
  std::vector<MemOp>* m_log = nullptr;
};

}  // namespace pc::cosim
