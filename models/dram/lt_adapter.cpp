// LT-to-AT adapter.
#include "models/dram/lt_adapter.h"

#include <cstring>

namespace pc::dram {

LtAdapter::LtAdapter(sc_core::sc_module_name name) : sc_module(name), tsock("tsock"), isock("isock") {
  tsock.register_b_transport(this, &LtAdapter::b_transport);
  tsock.register_transport_dbg(this, &LtAdapter::transport_dbg);
  tsock.register_get_direct_mem_ptr(this, &LtAdapter::get_direct_mem_ptr);
  isock.register_nb_transport_bw(this, &LtAdapter::nb_transport_bw);
  isock.register_invalidate_direct_mem_ptr(this, &LtAdapter::invalidate_direct_mem_ptr);
  SC_METHOD(arbitrate);
  sensitive << m_arb_ev;
  dont_initialize();
  SC_METHOD(arrive);
  sensitive << m_arrive_ev;
  dont_initialize();
}

void LtAdapter::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  // DRAM is shared, stateful and cycle-timed: the caller's local time offset is spent here first, so
  // requests from cores reach the controller in simulated-time order (ARCHITECTURE.md §3). The caller
  // does not wait it out itself: `arrive` (a method) takes its record into the arbitration when that time
  // comes, exactly where the caller's own timed wait would have, and the caller sleeps once, until its
  // response (one thread switch per access fewer).
  if (m_spare.empty()) m_spare.push_back(std::make_unique<Pending>());
  m_pending.push_back(std::move(m_spare.back()));
  m_spare.pop_back();
  Pending& p = *m_pending.back();
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  p.gp = &gp;
  p.arrival = now + delay;
  p.caller = sc_core::sc_get_current_process_handle().name();
  p.got_end_req = p.sent = false;
  p.arrived = delay == sc_core::SC_ZERO_TIME;
  if (!p.arrived && may_send_ahead(p.arrival, delay)) {
    // Nothing else is due up to and at its arrival: `arrive` would run alone there and grant it at once
    // (see arrive). Sent now with the time left as its annotation, the controller may take it as at that
    // time (DramController::set_accept_in_call); no event and no method run at the arrival.
    p.arrived = true;
    ++m_sent_ahead;
    send(p, delay);
  } else if (!p.arrived) {
    m_arrive_ev.notify(delay);  // (a notification pending earlier stays; `arrive` then renews it)
  } else if (!m_req_busy) {
    // The request channel is granted by a method one delta cycle on, once every caller that reached it
    // at this instant has queued: callers that arrive at the same instant are then served in a fixed
    // order (by process name), not in the order SystemC happened to run them (that order comes from the
    // shape of its timed-event heap, so any unrelated notification could change it). Unless nothing
    // else is due at this instant (see grant): this caller only waits after this.
    grant(now);
  }
  delay = sc_core::SC_ZERO_TIME;
  wait(p.resp);
  for (auto& q : m_pending)
    if (q.get() == &p) {
      std::swap(q, m_pending.back());
      m_spare.push_back(std::move(m_pending.back()));
      m_pending.pop_back();
      break;
    }
}

void LtAdapter::arrive() {
  // Runs in the first delta cycle of an arrival's instant, as the caller's timed wait would have woken it;
  // whether before or after the instant's other methods, the notification of m_arb_ev comes out the same:
  // an END_REQ in one of them notifies it for the arrived records too (end_request), with the same delay.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  bool any = false, later = false;
  sc_core::sc_time next;
  for (const auto& q : m_pending) {
    Pending& c = *q;
    if (c.arrived) continue;
    if (c.arrival <= now) {
      c.arrived = any = true;
    } else if (!later || c.arrival < next) {
      next = c.arrival, later = true;
    }
  }
  if (later) m_arrive_ev.notify(next - now);
  if (any && !m_req_busy) grant(now);
}

void LtAdapter::grant(const sc_core::sc_time& now) {
  // Granting in this call when the channel is free and nothing else is due at this instant (no process
  // left to run in this delta cycle, no delta notification, no update) changes nothing: the notification
  // would start a delta cycle in which `arbitrate` ran alone, on the state the caller leaves (`arrive`
  // makes its only other notification, a timed one, first; b_transport's caller only waits after this).
  // One method run and one delta cycle fewer per access. (cancel: the delta notification would have
  // replaced a pending timed one too.)
  if (m_free_at <= now && (m_inline_unchecked || !sc_core::sc_pending_activity_at_current_time())) {
    m_arb_ev.cancel();
    ++m_inline_grants;
    arbitrate();
  } else {
    m_arb_ev.notify(m_free_at > now ? m_free_at - now : sc_core::SC_ZERO_TIME);
  }
}

bool LtAdapter::may_send_ahead(const sc_core::sc_time& arrival, const sc_core::sc_time& delay) {
  if (!m_send_ahead || m_req_busy || m_free_at > arrival) return false;
  for (const auto& q : m_pending)
    if (q->arrived && !q->sent) return false;  // (a grant is then due: it counts as pending activity too)
  if (m_send_ahead_unchecked) return true;
  // Asking the kernel costs about a third of what sending ahead saves. Where something else is nearly
  // always due (the modeled kernel's threads: 1% of the quarter mission's calls could go ahead), ask only
  // every 16th time after 8 refusals in a row. Which calls ask changes no result: either way the request
  // reaches the controller at its time.
  if (m_refusals >= 8 && (++m_skipped & 15) != 0) return false;
  // Strictly later: a caller reaching the channel at the same instant takes part in its arbitration.
  const bool clear = sc_core::sc_time_to_pending_activity(sc_core::sc_get_curr_simcontext()) > delay;
  m_refusals = clear ? 0 : m_refusals + 1;
  return clear;
}

void LtAdapter::arbitrate() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (m_req_busy || now < m_free_at) return;  // an END_REQ (or its annotated time) notifies again
  Pending* next = nullptr;
  for (const auto& q : m_pending) {
    Pending* c = q.get();
    if (c->sent || !c->arrived) continue;
    if (!next || c->arrival < next->arrival ||
        (c->arrival == next->arrival && !m_arrival_order && std::strcmp(c->caller, next->caller) < 0))
      next = c;
  }
  if (next) send(*next, sc_core::SC_ZERO_TIME);
}

void LtAdapter::send(Pending& p, const sc_core::sc_time& delay) {
  p.sent = true;
  m_req_busy = true;
  tlm::tlm_phase ph = tlm::BEGIN_REQ;
  sc_core::sc_time d = delay;
  const auto st = isock->nb_transport_fw(*p.gp, ph, d);
  if (st == tlm::TLM_COMPLETED || (st == tlm::TLM_UPDATED && ph == tlm::BEGIN_RESP)) {
    p.got_end_req = true;
    end_request(d);
    p.resp.notify(d);
  } else if (st == tlm::TLM_UPDATED) {
    p.got_end_req = true;
    end_request(d);
  }
}

void LtAdapter::end_request(const sc_core::sc_time& delay) {
  m_req_busy = false;
  m_free_at = sc_core::sc_time_stamp() + delay;
  for (const auto& q : m_pending)
    if (!q->sent && q->arrived) {
      m_arb_ev.notify(delay);
      break;
    }
}

tlm::tlm_sync_enum LtAdapter::nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                              sc_core::sc_time& delay) {
  Pending* found = nullptr;
  for (const auto& q : m_pending)
    if (q->gp == &gp && q->sent) {
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
    end_request(delay);
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    // A response may overtake END_REQ only implicitly: BEGIN_RESP also ends the request phase. (A target
    // answering early may do it from within the BEGIN_REQ call `send` is still in, a posted write's
    // acknowledgement: the END_REQ that call returns then ends the phase again, at its own earlier time,
    // and its notification of m_arb_ev replaces this later one.)
    if (!p.got_end_req) {
      p.got_end_req = true;
      end_request(delay);
    }
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
