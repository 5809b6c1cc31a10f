// Bridges blocking (LT, b_transport) initiators to the controller's four-phase AT socket: a caller
// synchronizes, sends BEGIN_REQ (one at a time, as the base protocol requires), and waits for BEGIN_RESP.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

namespace pc::dram {

class LtAdapter : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<LtAdapter> tsock;     // from the router (LT)
  tlm_utils::simple_initiator_socket<LtAdapter> isock;  // to the controller (AT)

  explicit LtAdapter(sc_core::sc_module_name name);

 private:
  struct Pending {
    tlm::tlm_generic_payload* gp = nullptr;
    sc_core::sc_event end_req, resp;
    bool got_end_req = false, got_resp = false;
  };
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // DMI requests pass to the controller, its invalidations back to the router.
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
    return isock->get_direct_mem_ptr(gp, dmi);
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    tsock->invalidate_direct_mem_ptr(start, end);
  }
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);

  bool m_req_busy = false;
  sc_core::sc_event m_req_free;
  // The transactions in flight (one per waiting initiator thread: a handful), and spare records: a record
  // and its events outlive the call, so none is constructed per transaction.
  std::vector<std::unique_ptr<Pending>> m_pending, m_spare;
};

}  // namespace pc::dram
