// Bridges blocking (LT, b_transport) initiators to the controller's four-phase AT socket: callers
// synchronize, queue for the request channel (one BEGIN_REQ at a time, as the base protocol requires),
// and wait for their BEGIN_RESP.
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
  SC_HAS_PROCESS(LtAdapter);
  tlm_utils::simple_target_socket<LtAdapter> tsock;     // from the router (LT)
  tlm_utils::simple_initiator_socket<LtAdapter> isock;  // to the controller (AT)

  explicit LtAdapter(sc_core::sc_module_name name);

  // Tests only: grant the request channel in the order callers reach it instead of by arbitration (the
  // order in which SystemC runs the threads that wake at one instant, which comes from its event heap).
  void set_grant_in_arrival_order_for_test(bool on) { m_arrival_order = on; }
  // Tests only (negative control): `arrive`, or a caller with no local time left, grants the free
  // channel in its own call even when other processes are still due at this instant (another caller
  // reaching the channel then may be one of them).
  void set_inline_grant_unchecked_for_test(bool on) { m_inline_unchecked = on; }
  // Grants made in the call (`arrive`'s or a caller's) instead of through a delta cycle.
  uint64_t inline_grants() const { return m_inline_grants; }
  // Tests only: a caller's request always waits for its arrival (`arrive`), never sent ahead of it.
  void set_send_ahead_for_test(bool on) { m_send_ahead = on; }
  // Tests only (negative control): send a caller's request ahead of its arrival even when something else
  // is due before or at that time.
  void set_send_ahead_unchecked_for_test(bool on) { m_send_ahead_unchecked = on; }
  // Requests sent from the caller's b_transport ahead of their arrival (nothing else due until then).
  uint64_t sent_ahead() const { return m_sent_ahead; }

 private:
  struct Pending {
    tlm::tlm_generic_payload* gp = nullptr;
    sc_core::sc_time arrival;  // when the caller reaches the request channel (its local time spent)
    const char* caller = "";   // its process's name: the arbitration's tie-break
    sc_core::sc_event resp;
    bool arrived = false;  // `arrival` has come: the record takes part in the arbitration
    bool got_end_req = false, sent = false;
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
  void arbitrate();  // method: grants the free request channel to the first waiting caller
  void arrive();     // method: callers whose local time has run out reach the request channel
  void end_request(const sc_core::sc_time& delay);
  // Sends p's BEGIN_REQ annotated with `delay` (the request channel is free) and takes an END_REQ or a
  // response returned in the call.
  void send(Pending& p, const sc_core::sc_time& delay);
  // Whether a caller arriving at `arrival`, `delay` from now, may send its request now (see b_transport).
  bool may_send_ahead(const sc_core::sc_time& arrival, const sc_core::sc_time& delay);
  // Grants the free request channel to the arrived callers now or through `arbitrate` (see the .cpp).
  void grant(const sc_core::sc_time& now);

  bool m_req_busy = false;     // a BEGIN_REQ is out and its END_REQ has not come
  sc_core::sc_time m_free_at;  // the channel is free from this time (an END_REQ's annotated delay)
  sc_core::sc_event m_arb_ev;
  sc_core::sc_event m_arrive_ev;  // at the earliest arrival still to come
  bool m_arrival_order = false;
  bool m_inline_unchecked = false;
  uint64_t m_inline_grants = 0;
  bool m_send_ahead = true, m_send_ahead_unchecked = false;
  uint64_t m_sent_ahead = 0;
  uint32_t m_refusals = 0, m_skipped = 0;  // may_send_ahead: "not clear" answers in a row; asks skipped
  // The transactions in flight (one per waiting initiator thread: a handful), and spare records: a record
  // and its event outlive the call, so none is constructed per transaction.
  std::vector<std::unique_ptr<Pending>> m_pending, m_spare;
};

}  // namespace pc::dram
