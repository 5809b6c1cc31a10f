// LT-to-AT adapter.
#include "models/dram/lt_adapter.h"

namespace pc::dram {

LtAdapter::LtAdapter(sc_core::sc_module_name name) : sc_module(name), tsock("tsock"), isock("isock") {
  tsock.register_b_transport(this, &LtAdapter::b_transport);
  tsock.register_transport_dbg(this, &LtAdapter::transport_dbg);
  tsock.register_get_direct_mem_ptr(this, &LtAdapter::get_direct_mem_ptr);
  isock.register_nb_transport_bw(this, &LtAdapter::nb_transport_bw);
  isock.register_invalidate_direct_mem_ptr(this, &LtAdapter::invalidate_direct_mem_ptr);
}

void LtAdapter::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  // DRAM is shared, stateful and cycle-timed: the caller's local time offset is spent here first, so
  // requests from cores reach the controller in simulated-time order (ARCHITECTURE.md §3).
  if (delay != sc_core::SC_ZERO_TIME) wait(delay);
  delay = sc_core::SC_ZERO_TIME;
  while (m_req_busy) wait(m_req_free);
  m_req_busy = true;
  if (m_spare.empty()) m_spare.push_back(std::make_unique<Pending>());
  m_pending.push_back(std::move(m_spare.back()));
  m_spare.pop_back();
  Pending& p = *m_pending.back();
  p.gp = &gp;
  p.got_end_req = p.got_resp = false;
  tlm::tlm_phase ph = tlm::BEGIN_REQ;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  const auto st = isock->nb_transport_fw(gp, ph, d);
  if (st == tlm::TLM_COMPLETED) {
    p.got_end_req = p.got_resp = true;
    if (d != sc_core::SC_ZERO_TIME) wait(d);
  } else if (st == tlm::TLM_UPDATED) {
    p.got_end_req = true;
    if (ph == tlm::BEGIN_RESP) p.got_resp = true;
    if (d != sc_core::SC_ZERO_TIME) wait(d);
  }
  if (!p.got_end_req) wait(p.end_req);
  m_req_busy = false;
  m_req_free.notify(sc_core::SC_ZERO_TIME);
  if (!p.got_resp) wait(p.resp);
  // What destroying the events would do: a notification still pending (a response that came before this
  // thread waited for it) is dropped.
  p.end_req.cancel();
  p.resp.cancel();
  for (auto& q : m_pending)
    if (q.get() == &p) {
      std::swap(q, m_pending.back());
      m_spare.push_back(std::move(m_pending.back()));
      m_pending.pop_back();
      break;
    }
}

tlm::tlm_sync_enum LtAdapter::nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                              sc_core::sc_time& delay) {
  Pending* found = nullptr;
  for (const auto& q : m_pending)
    if (q->gp == &gp) {
      found = q.get();
      break;
    }
  if (!found) {
    SC_REPORT_ERROR(name(), "nb_transport_bw for a transaction this adapter did not send");
    return tlm::TLM_COMPLETED;
  }
  Pending& p = *found;
  if (phase == tlm::END_REQ) {
    p.got_end_req = true;
    p.end_req.notify(delay);
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    // A response may overtake END_REQ only implicitly: BEGIN_RESP also ends the request phase.
    if (!p.got_end_req) {
      p.got_end_req = true;
      p.end_req.notify(delay);
    }
    p.got_resp = true;
    p.resp.notify(delay);
    return tlm::TLM_COMPLETED;  // END_RESP at once: the caller is waiting
  }
  SC_REPORT_ERROR(name(), "nb_transport_bw: unexpected phase");
  return tlm::TLM_COMPLETED;
}

unsigned int LtAdapter::transport_dbg(tlm::tlm_generic_payload& gp) {
  return isock->transport_dbg(gp);
}

}  // namespace pc::dram
