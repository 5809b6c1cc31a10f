// Pins -> TLM-2.0 memory-port bridge.
#include "cosim/mem_port_bridge.h"

namespace pc::cosim {

MemPortBridge::MemPortBridge(tlm::tlm_initiator_socket<>& sock, uint16_t core, Requester who) : m_sock(sock) {
  m_ext.requester = who;
  m_ext.core = core;
  m_gp.set_extension(&m_ext);
}

MemPortBridge::~MemPortBridge() {
  m_gp.clear_extension(&m_ext);
  if (m_gp.get_extension<AtomicExt>()) m_gp.clear_extension(&m_atomic);
}

sc_core::sc_time MemPortBridge::perform(MemOp& op, const sc_core::sc_time& at, uint32_t walk_id, bool uc,
                                        uint8_t& served) {
  uint64_t buf = op.kind == MemKind::Read ? 0 : op.wdata;
  const bool atomic = op.kind == MemKind::CompareExchange;
  prepare_payload(m_gp, atomic ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, op.addr,
                  reinterpret_cast<uint8_t*>(&buf), 8);
  m_ext.level = op.level ? op.level : 1;  // the dirty assist's accesses are tagged as the C++ model's
  m_ext.walk_id = walk_id;
  m_ext.uncacheable = uc;
  m_ext.locked = atomic;
  m_ext.served = 0;
  if (atomic) {
    m_atomic = AtomicExt{};
    m_atomic.op = AtomicOp::CompareExchange;
    m_atomic.operand = op.wdata;
    m_atomic.expected = op.expected;
    m_gp.set_extension(&m_atomic);
  }
  // Latency on absolute time: a target that waits inside returns a delay relative to the new time stamp.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = at > now ? at - now : sc_core::SC_ZERO_TIME;
  m_sock->b_transport(m_gp, delay);
  if (atomic) m_gp.clear_extension(&m_atomic);
  op.ok = m_gp.is_response_ok() && (!atomic || m_atomic.performed);
  op.rdata = !op.ok ? ~0ull : atomic ? m_atomic.old : buf;
  served = m_ext.served;
  if (m_log) m_log->push_back(op);
  return sc_core::sc_time_stamp() + delay;
}

}  // namespace pc::cosim
