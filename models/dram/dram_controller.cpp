// DDR memory controller: TLM-2.0 AT front end, per-channel schedulers, stats and energy.
#include "models/dram/dram_controller.h"

#include <fmt/format.h>

#include <cstring>

namespace pc::dram {

using sc_core::sc_time;

DramController::DramController(sc_core::sc_module_name name, const DdrConfig& cfg, mem::BackingStore& store,
                               stats::Group& parent, const TimingConfig* checker_timing)
    : sc_module(name),
      tsock("tsock"),
      m_cfg((cfg.validate("dram.ddr"), cfg)),
      m_clk("dram", cfg.timing.clock_mhz),
      m_mapper(cfg),
      m_store(store),
      m_peq(this, &DramController::peq_cb),
      m_stats(&parent, "dram", "DDR memory controller and devices"),
      m_reads(m_stats, "reads", "requests", "read requests accepted"),
      m_writes(m_stats, "writes", "requests", "write requests accepted"),
      m_bytes_read(m_stats, "bytes_read", "bytes", "bytes read by requests"),
      m_bytes_written(m_stats, "bytes_written", "bytes", "bytes written by requests"),
      m_read_bursts(m_stats, "read_bursts", "bursts", "read bursts on the data bus"),
      m_write_bursts(m_stats, "write_bursts", "bursts", "write bursts on the data bus"),
      m_errors(m_stats, "errors", "requests", "requests answered with an error response"),
      m_atomics(m_stats, "atomics", "requests",
                "atomic read-modify-writes (each also counted as a read and a write)"),
      m_row_hits(m_stats, "row_hits", "bursts", "column accesses to an already open row"),
      m_row_misses(m_stats, "row_misses", "bursts",
                   "column accesses that needed an ACT to a precharged bank"),
      m_row_conflicts(m_stats, "row_conflicts", "bursts",
                      "column accesses that needed a PRE of another row and an ACT"),
      m_activates(m_stats, "activates", "commands", "ACT commands"),
      m_precharges(m_stats, "precharges", "commands", "precharges (PRE, PREA, auto-precharge of RDA/WRA)"),
      m_refreshes(m_stats, "refreshes", "commands", "refresh commands (REF, REFsb)"),
      m_powerdowns(m_stats, "powerdowns", "entries", "power-down entries"),
      m_backpressure(m_stats, "backpressure", "requests", "requests whose END_REQ waited for queue space"),
      m_forwards(m_stats, "write_forwards", "bursts",
                 "read bursts answered from a queued write to the same address"),
      m_merges(m_stats, "write_merges", "bursts",
               "write bursts merged into a queued write to the same address"),
      m_hazard_waits(
          m_stats, "hazard_waits", "requests",
          "requests whose END_REQ waited for a queued request to the same address to reach the DRAM"),
      m_read_latency(m_stats, "read_latency", "tCK", "read latency, request accepted to data returned"),
      m_read_latency_ns(m_stats, "read_latency_ns", "ns", "read latency, request accepted to data returned"),
      m_rq_occupancy(m_stats, "read_queue_occupancy", "entries",
                     "read-queue occupancy seen by each arriving burst"),
      m_wq_occupancy(m_stats, "write_queue_occupancy", "entries",
                     "write-queue occupancy seen by each arriving burst"),
      m_window(m_stats, "active_cycles", "tCK", "first accepted request to the end of the last data burst"),
      m_row_hit_rate(m_stats, "row_hit_rate", "", "row hits / column accesses",
                     [this] {
                       const double n =
                           double(m_row_hits.value() + m_row_misses.value() + m_row_conflicts.value());
                       return n ? double(m_row_hits.value()) / n : 0.0;
                     }),
      m_bandwidth(m_stats, "bandwidth_gbps", "GB/s", "data moved / time from first request to last data",
                  [this] {
                    if (!m_window.cycles()) return 0.0;
                    const double bytes =
                        double((m_read_bursts.value() + m_write_bursts.value()) * m_cfg.org.burst_bytes());
                    return bytes / (double(m_window.cycles()) * double(m_clk.period_fs()) * 1e-6);
                  }),
      m_util(m_stats, "bandwidth_util", "", "bandwidth_gbps / theoretical peak",
             [this] { return m_bandwidth.value() / m_cfg.peak_gbps(); }),
      m_energy(m_stats, "energy_nj", "nJ", "DRAMPower-style energy estimate from IDD currents",
               [this] { return energy_pj() / 1000.0; }),
      m_checked(m_stats, "commands_checked", "commands", "commands validated by the timing checker",
                [this] { return double(commands_checked()); }),
      m_bank_stats(&m_stats, "bank_activates", "ACT commands per bank (chN_rR_bgG_bB)") {
  tsock.register_nb_transport_fw(this, &DramController::nb_transport_fw);
  tsock.register_transport_dbg(this, &DramController::transport_dbg);
  tsock.register_get_direct_mem_ptr(this, &DramController::get_direct_mem_ptr);
  // A released page may be handed out again: every pointer into it goes first.
  store.set_discard_listener([this](uint64_t addr, uint64_t len) {
    if (len && m_dmi_invalidate)
      revoke_dmi(addr / mem::BackingStore::kPageBytes, (addr + len - 1) / mem::BackingStore::kPageBytes);
  });
  if (cfg.org.capacity_bytes() < store.size())
    throw cfg::ConfigError(fmt::format("dram: the DDR organisation holds {} MiB but dram.size_mib is {}",
                                       cfg.org.capacity_bytes() >> 20, store.size() >> 20));
  if (cfg.ctrl.checker)
    m_checker = std::make_unique<TimingChecker>(cfg.org, checker_timing ? *checker_timing : cfg.timing,
                                                cfg.refresh_mode());
  for (unsigned c = 0; c < cfg.org.channels; ++c)
    m_channels.push_back(std::make_unique<Channel>(c, cfg, m_checker.get(), *this));
  m_next.assign(cfg.org.channels, 0);
  m_need.assign(cfg.org.channels, 0);
  m_last_tick.assign(cfg.org.channels, UINT64_MAX);
  for (unsigned c = 0; c < cfg.org.channels; ++c)
    for (unsigned r = 0; r < cfg.org.ranks; ++r)
      for (unsigned g = 0; g < cfg.org.bank_groups; ++g)
        for (unsigned b = 0; b < cfg.org.banks_per_group; ++b)
          m_bank_acts.push_back(std::make_unique<stats::Counter>(m_bank_stats,
                                                                 fmt::format("ch{}_r{}_bg{}_b{}", c, r, g, b),
                                                                 "commands", "ACT commands to this bank"));
  if (!cfg.ctrl.command_trace.empty()) {
    m_cmd_trace.open(cfg.ctrl.command_trace);
    if (!m_cmd_trace)
      throw cfg::ConfigError(fmt::format("key 'dram.ddr.ctrl.command_trace': cannot open '{}' for writing",
                                         cfg.ctrl.command_trace));
    m_cmd_tracing = true;
    m_cmd_trace << "# cycle command channel rank bankgroup bank row column (tCK = " << m_clk.period_fs()
                << " fs)\n";
  }
  SC_METHOD(scheduler);
  sensitive << m_wake;
  dont_initialize();
  SC_METHOD(responder);
  sensitive << m_resp_event;
  dont_initialize();
  SC_METHOD(relay);
  sensitive << m_relay_event;
  dont_initialize();
}

DramController::~DramController() = default;

uint64_t DramController::now_cycle() const {
  return m_clk.to_cycles_ceil(kernel_time());
}

inline void DramController::wake_at(uint64_t cycle) {
  const DeltaStamp stamp = delta_stamp();
  // A notification SystemC would ignore leaves the kernel as it was: the pending-activity answer holds.
  if (m_wake_mirror.notify(m_wake, cycle * m_clk.period_fs(), stamp.time, stamp, m_delays))
    m_pending_valid = false;
  m_wake_delta = stamp;
}

inline bool DramController::may_run_ahead(uint64_t cycle) const {
  // m_wake may still hold a notification made in this delta (the scheduler then runs again, as it must);
  // otherwise it holds none, and running the cycle's ticks now replaces notifying it and waking there.
  if (!m_run_ahead || m_hook || m_wake_delta == delta_stamp()) return false;
  const uint64_t at = cycle * m_clk.period_fs(), now = kernel_time().value();
  if (at >= m_horizon_fs) return false;  // the owner's sc_start may stop before `cycle`
  // Strictly later: nothing (no process, event or delta cycle) is due before or at `cycle`, so the
  // kernel would next run only this scheduler at `cycle`.
  // The answer is kept until something may have notified an event (see m_pending_valid): asked again
  // with nothing notified in between, the kernel would give the same answer and change nothing (the
  // first call already dropped the cancelled notifications from the top of its timed-event queue, and
  // only a notify can put one back there), so skipping the call leaves the kernel exactly as it was.
  if (!m_pending_valid) {
    m_pending = sc_core::sc_time_to_pending_activity(simcontext()).value();
    m_pending_valid = true;
  }
  return m_pending > at - now;
}

tlm::tlm_sync_enum DramController::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                   sc_time& delay) {
  if (phase == tlm::BEGIN_REQ || phase == tlm::END_RESP) {
    if (phase == tlm::BEGIN_REQ && gp.has_mm()) gp.acquire();
    if (phase == tlm::BEGIN_REQ && m_in_end_req) {
      if (m_accept_fs != UINT64_MAX && !m_arrived && kernel_time().value() + delay.value() == m_accept_fs) {
        m_arrived = &gp;  // taken right after the request being accepted (see set_run_ahead)
        ++m_arrivals_inline;
        return tlm::TLM_ACCEPTED;
      }
      if (m_run_ahead && delay == sc_core::SC_ZERO_TIME && !m_relayed) {
        // Not inline (the scheduler is due in the next delta cycle, or the front end takes no time): a
        // thread woken by the END_REQ would send this request in the next delta cycle (after the
        // scheduler, which runs first as a method) and the peq would take it in the one after: relay it
        // to the peq from there, for the same order.
        m_relayed = &gp;
        ++m_arrivals_relayed;
        m_relay_event.notify(sc_core::SC_ZERO_TIME);
        return tlm::TLM_ACCEPTED;
      }
    }
    if (phase == tlm::BEGIN_REQ && m_accept_in_call &&
        (delay == sc_core::SC_ZERO_TIME || may_accept_ahead(delay))) {
      // (What peq_cb would do a delta cycle later, at the same time, or at the annotated time with
      // nothing else done in between; see set_accept_in_call.)
      m_in_fw = true;
      m_fw_ended = false;
      const bool ahead = delay != sc_core::SC_ZERO_TIME;
      if (!ahead) {
        begin_request(gp, now_cycle(), false);
      } else {
        const uint64_t at_fs = kernel_time().value() + delay.value();
        const uint64_t at = (at_fs + m_clk.period_fs() - 1) / m_clk.period_fs();
        begin_request(gp, at, true, at_fs);
        ++m_accepted_ahead;
        // A timing violation found replaying an idle channel's refreshes: the scheduler stops the run
        // there (see catch_up_idle).
        if (!m_violation.empty()) wake_at(at);
      }
      m_in_fw = false;
      if (!m_fw_ended) return tlm::TLM_ACCEPTED;  // refused for now: END_REQ comes back when taken
      ++m_accepted_in_call;
      phase = tlm::END_REQ;
      delay = m_fw_end_delay;
      return tlm::TLM_UPDATED;
    }
    m_peq.notify(gp, phase, delay);
    return tlm::TLM_ACCEPTED;
  }
  SC_REPORT_ERROR(name(), "nb_transport_fw: unexpected phase (base protocol: BEGIN_REQ or END_RESP)");
  return tlm::TLM_COMPLETED;
}

void DramController::peq_cb(tlm::tlm_generic_payload& gp, const tlm::tlm_phase& phase) {
  if (phase == tlm::END_RESP) {
    m_resp_busy = false;
    if (gp.has_mm()) gp.release();
    const DeltaStamp stamp = delta_stamp();
    m_resp_mirror.notify(m_resp_event, stamp.time, stamp.time, stamp, m_delays);
    return;
  }
  const uint64_t now = now_cycle();
  begin_request(gp, now, false);
  take_arrivals(now, false);
}

bool DramController::may_accept_ahead(const sc_core::sc_time& delay) const {
  if (!m_run_ahead || m_in_end_req) return false;
  if (kernel_time().value() + delay.value() >= m_horizon_fs) return false;  // sc_start may stop first
  // Strictly later: at the annotated time too, nothing but this request would act.
  return sc_core::sc_time_to_pending_activity(simcontext()) > delay;
}

void DramController::begin_request(tlm::tlm_generic_payload& gp, uint64_t now, bool ahead, uint64_t at_fs) {
  // The base protocol allows one request in its request phase at a time.
  if (m_blocked) SC_REPORT_ERROR(name(), "BEGIN_REQ while the previous request still waits for END_REQ");
  if (!try_accept(gp, now, ahead, at_fs)) {
    m_blocked = &gp;
    m_blocked_gen = m_served_gen;
    ++(m_refusal == Refusal::Hazard ? m_hazard_waits : m_backpressure);
  }
}

void DramController::take_arrivals(uint64_t now, bool ahead) {
  while (m_arrived && m_violation.empty()) {
    tlm::tlm_generic_payload* gp = m_arrived;
    m_arrived = nullptr;
    begin_request(*gp, now, ahead);
  }
}

bool DramController::try_accept(tlm::tlm_generic_payload& gp, uint64_t now, bool ahead, uint64_t at_fs) {
  // Its END_REQ (and an error's response) at `now`: the kernel's time, or a cycle ahead of it.
  const uint64_t now_fs = at_fs != UINT64_MAX ? at_fs
                          : ahead             ? now * m_clk.period_fs()
                                              : kernel_time().value();
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  const bool write = gp.is_write();
  auto reply_now = [&](tlm::tlm_response_status st) {
    gp.set_response_status(st);
    ++m_errors;
    end_request(gp, now_fs);
    push_response(gp, now_fs);
    return true;
  };
  if (gp.get_byte_enable_ptr()) return reply_now(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  if (gp.get_streaming_width() < len) return reply_now(tlm::TLM_BURST_ERROR_RESPONSE);
  if (len == 0 || !m_store.contains(addr, len) || (!write && !gp.is_read()))
    return reply_now(len == 0 || m_store.contains(addr, len) ? tlm::TLM_COMMAND_ERROR_RESPONSE
                                                             : tlm::TLM_ADDRESS_ERROR_RESPONSE);
  AtomicExt* atomic = atomic_of(gp);
  if (atomic && (len != 8 || (addr & 7))) return reply_now(tlm::TLM_COMMAND_ERROR_RESPONSE);

  m_refusal = Refusal::Full;
  m_full.valid = false;
  // Split into bursts; all of them must fit in their channels' queues. An atomic (a bus-locked
  // read-modify-write) is one read burst and one write burst to the same address.
  const unsigned ob = m_mapper.offset_bits();
  const uint64_t first = addr >> ob, last = (addr + len - 1) >> ob;
  std::vector<uint64_t>& need = m_need;
  if (m_channels.size() == 1) {
    need[0] = last - first + 1;
  } else {
    std::fill(need.begin(), need.end(), 0);
    for (uint64_t b = first; b <= last; ++b) ++need[m_mapper.decode(b << ob).channel];
  }
  for (size_t c = 0; c < m_channels.size(); ++c)
    if (need[c] && (!m_channels[c]->can_accept(write && !atomic, need[c]) ||
                    (atomic && !m_channels[c]->can_accept(true, need[c])))) {
      m_full = Full{c, need[c], write && !atomic, atomic != nullptr, true};
      return false;
    }
  for (size_t c = 0; c < m_channels.size(); ++c)
    if (need[c] && m_next[c] < now && !catch_up(c, now, ahead)) return false;

  const auto* ext = gp.get_extension<AccessExt>();
  const bool timing_only =
      ext && ext->timing_only;  // a cache writeback: its bytes reached the store by debug access
  const bool data_write = write && !atomic && !timing_only;
  if (!m_unsafe_ordering) {
    // Address hazards: a read must not be served beside a queued write it only partly sees, a write not
    // overtake a queued read (the scheduler reorders), an atomic must see and precede everything queued.
    for (uint64_t b = first; b <= last; ++b) {
      const Line* found = m_lines.find(b);
      if (!found) continue;
      const Line& l = *found;
      bool wait = false;
      if (atomic)
        wait = l.reads || l.wbuf != UINT32_MAX;
      else if (data_write)
        wait = l.reads > 0;
      else if (!write)
        wait = l.atomic || (l.wbuf != UINT32_MAX && !covers(m_wbufs[l.wbuf], b, addr, len));
      if (wait) {
        if (l.wbuf != UINT32_MAX) m_channels[m_mapper.decode(b << ob).channel]->request_drain(m_req_id);
        m_refusal = Refusal::Hazard;
        return false;
      }
    }
  }
  m_refusal = Refusal::None;
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  // Its bursts reach the store when served, a queue's wait later, and the store misses the host's caches
  // on random traffic: its page-table entry is prefetched now, and its bytes at the next acceptance, when
  // that entry is in the cache (loading it now would wait for it). Changes nothing but host time.
  if (const void* e = m_store.entry_addr(addr)) __builtin_prefetch(e);
  if (m_prefetch_next != UINT64_MAX)
    if (const uint8_t* page = m_store.page_ptr(m_prefetch_next))
      __builtin_prefetch(page + m_prefetch_next % mem::BackingStore::kPageBytes, 1);
  m_prefetch_next = addr;

  uint32_t tag = UINT32_MAX;
  if (!write || atomic) {
    if (m_free_txns.empty()) {
      m_free_txns.push_back(static_cast<uint32_t>(m_txns.size()));
      m_txns.emplace_back();
    }
    tag = m_free_txns.back();
    m_free_txns.pop_back();
    m_txns[tag] = Txn{&gp, 0, now, 0, atomic};
    ++m_reads;
    m_bytes_read += len;
  } else {
    ++m_writes;
    m_bytes_written += len;
  }
  ++m_outstanding;
  m_window.request(now);
  const uint64_t ready = now + m_cfg.ctrl.frontend_cycles;
  auto enqueue = [&](uint64_t b, bool w, uint32_t t, uint32_t wbuf) {
    Request r;
    r.id = m_req_id++;
    r.write = w;
    r.addr = m_mapper.decode(b << ob);
    r.arrival = now;
    r.ready = ready;
    r.tag = t;
    r.line = b;
    r.wbuf = wbuf;
    Channel& ch = *m_channels[r.addr.channel];
    (w ? m_wq_occupancy : m_rq_occupancy).sample(double(w ? ch.write_queue_size() : ch.read_queue_size()));
    ch.enqueue(r);
    m_next[r.addr.channel] = std::min(m_next[r.addr.channel], ready);
    // (With inline arrivals the scheduler, when it is the caller, works out its next wake itself unless
    // it is due again in this cycle, which it cannot be after its ticks: kept as a safeguard.)
    if (!m_in_scheduler || m_next[r.addr.channel] <= now) wake_at(m_next[r.addr.channel]);
  };
  for (uint64_t b = first; b <= last; ++b) {
    uint64_t lo, hi;
    line_span(b, addr, len, lo, hi);
    const uint64_t base = b << ob;
    if (data_write) {
      // The bytes wait in a write buffer for the WR command; a later write to a queued line merges.
      Line& l = m_lines[b];
      const bool merge = l.wbuf != UINT32_MAX && !m_unsafe_ordering;
      // From here until its WR the page's newest bytes are in the buffer: no pointer may bypass it. (A
      // merge finds the page revoked already.)
      if (!merge && m_dmi_invalidate && dmi_granted(base / mem::BackingStore::kPageBytes))
        revoke_dmi(base / mem::BackingStore::kPageBytes, base / mem::BackingStore::kPageBytes);
      const uint32_t w = merge ? l.wbuf : alloc_wbuf();
      WriteBuf& wb = m_wbufs[w];
      std::memcpy(wb.data.data() + (lo - base), gp.get_data_ptr() + (lo - addr), hi - lo);
      wb.mask.set(lo - base, hi - base);
      l.wbuf = w;
      if (merge)
        ++m_merges;
      else
        enqueue(b, true, UINT32_MAX, w);
    } else if (write) {
      if (atomic) {
        Line& l = m_lines[b];
        ++l.reads;
        l.atomic = true;
        ++m_txns[tag].bursts_left;
        enqueue(b, false, tag, UINT32_MAX);
      }
      enqueue(b, true, UINT32_MAX, UINT32_MAX);  // timing only: an atomic's write half or a writeback
    } else {
      Line* found = m_lines.find(b);
      if (!m_unsafe_ordering && found && found->wbuf != UINT32_MAX) {
        // Forwarded from the write buffer (the hazard check made sure it holds every byte asked for).
        std::memcpy(gp.get_data_ptr() + (lo - addr), m_wbufs[found->wbuf].data.data() + (lo - base), hi - lo);
        ++m_forwards;
        continue;
      }
      ++(found ? *found : m_lines.insert(b)).reads;
      ++m_txns[tag].bursts_left;
      enqueue(b, false, tag, UINT32_MAX);
    }
  }
  if (atomic) {
    ++m_writes;
    m_bytes_written += len;
    ++m_atomics;
  }
  end_request(gp, now_fs);
  // Writes are posted: acknowledged once through the front end, served later from the write queue. A
  // read forwarded whole from the write buffer is answered after the front end too.
  if ((write && !atomic) || (!write && m_txns[tag].bursts_left == 0)) {
    if (!write) {
      m_read_latency.sample(ready - now);
      m_read_latency_ns.sample(double((ready - now) * m_clk.period_fs()) * 1e-6);
      m_free_txns.push_back(tag);
    }
    push_response(gp, ready * m_clk.period_fs());
    --m_outstanding;
  }
  return true;
}

void DramController::end_request(tlm::tlm_generic_payload& gp, uint64_t now_fs) {
  m_pending_valid = false;  // it calls the initiator, which may notify anything
  const uint64_t kernel_fs = kernel_time().value();
  const sc_time delay = now_fs > kernel_fs ? m_delays.get(now_fs - kernel_fs) : sc_core::SC_ZERO_TIME;
  if (m_in_fw) {  // returned by nb_transport_fw (set_accept_in_call)
    m_fw_ended = true;
    m_fw_end_delay = delay;
    return;
  }
  // An initiator may send its next BEGIN_REQ from this call. In the kernel it would reach the peq a delta
  // cycle or two later at this time; taken inline instead only if the scheduler is not due in between (a
  // delta notification of m_wake pending: an enqueue found its channel due now).
  if (m_inline_arrivals && (!m_wake_mirror.delta_pending(delta_stamp()) || m_inline_when_due))
    m_accept_fs = now_fs;
  m_in_end_req = true;
  tlm::tlm_phase ph = tlm::END_REQ;
  sc_time d = delay;
  tsock->nb_transport_bw(gp, ph, d);
  m_in_end_req = false;
  m_accept_fs = UINT64_MAX;
}

void DramController::relay() {
  tlm::tlm_generic_payload* gp = m_relayed;
  m_relayed = nullptr;
  m_peq.notify(*gp, tlm::BEGIN_REQ, sc_core::SC_ZERO_TIME);
}

bool DramController::covers(const WriteBuf& w, uint64_t line, uint64_t addr, uint64_t len) const {
  uint64_t lo, hi;
  line_span(line, addr, len, lo, hi);
  const uint64_t base = line << m_mapper.offset_bits();
  return w.mask.all(lo - base, hi - base);
}

uint32_t DramController::alloc_wbuf() {
  if (m_free_wbufs.empty()) {
    m_free_wbufs.push_back(static_cast<uint32_t>(m_wbufs.size()));
    const size_t n = m_cfg.org.burst_bytes();
    m_wbufs.push_back(WriteBuf{std::vector<uint8_t>(n), ByteMask(n)});
  }
  const uint32_t w = m_free_wbufs.back();
  m_free_wbufs.pop_back();
  m_wbufs[w].mask.clear();
  return w;
}

inline void DramController::release_line(uint64_t line, const Line& l) {
  if (!l.reads && !l.atomic && l.wbuf == UINT32_MAX) m_lines.erase(line);
}

inline void DramController::push_response(tlm::tlm_generic_payload& gp, uint64_t fs) {
  if (m_early_resps && !m_resp_busy && m_resps.empty()) {
    // Sent now with its time as the delay (the queue is empty and no response phase is open, so nothing
    // sent earlier is still held back). A later one may then be due earlier: TLM allows that.
    m_pending_valid = false;  // the initiator may notify anything
    ++m_responses_early;
    const uint64_t now = kernel_time().value();
    tlm::tlm_phase ph = tlm::BEGIN_RESP;
    sc_time d = fs > now ? m_delays.get(fs - now) : sc_core::SC_ZERO_TIME;
    const auto st = tsock->nb_transport_bw(gp, ph, d);
    if (st == tlm::TLM_ACCEPTED || (st == tlm::TLM_UPDATED && ph == tlm::BEGIN_RESP))
      m_resp_busy = true;  // its END_RESP comes through nb_transport_fw; later responses queue meanwhile
    else if (gp.has_mm())
      gp.release();
    return;
  }
  // After every response due no later than it (those due at the same time go in the order pushed).
  auto at = m_resps.end();
  while (at != m_resps.begin() && std::prev(at)->fs > fs) --at;
  m_resps.insert(at, Resp{fs, &gp});
  const DeltaStamp stamp = delta_stamp();
  if (m_resp_mirror.notify(m_resp_event, fs, stamp.time, stamp, m_delays)) m_pending_valid = false;
}

void DramController::responder() {
  const uint64_t now = kernel_time().value();
  while (!m_resp_busy && !m_resps.empty() && m_resps.front().fs <= now) {
    tlm::tlm_generic_payload* gp = m_resps.front().gp;
    m_resps.pop_front();
    tlm::tlm_phase ph = tlm::BEGIN_RESP;
    sc_time d = sc_core::SC_ZERO_TIME;
    const auto st = tsock->nb_transport_bw(*gp, ph, d);
    if (st == tlm::TLM_ACCEPTED || (st == tlm::TLM_UPDATED && ph == tlm::BEGIN_RESP))
      m_resp_busy = true;  // END_RESP arrives through nb_transport_fw (and releases the payload)
    else if (gp->has_mm())
      gp->release();
  }
  if (!m_resp_busy && !m_resps.empty())
    m_resp_mirror.notify(m_resp_event, m_resps.front().fs, now, delta_stamp(), m_delays);
}

inline bool DramController::tick_channel(size_t c, uint64_t cycle, bool ahead) {
  m_last_tick[c] = cycle;
  try {
    m_next[c] = m_channels[c]->tick(cycle);
  } catch (const TimingViolation& e) {
    // Fail loudly but cleanly: stop the simulation here and let the owner report it (from a cycle run
    // ahead, once the kernel reaches that cycle).
    m_violation = e.what();
    if (ahead)
      m_stop_pending = true;
    else
      sc_core::sc_stop();
    return false;
  }
  return true;
}

bool DramController::catch_up(size_t c, uint64_t now, bool ahead) {
  // An idle channel schedules no events (so an idle memory lets the kernel see a stalled platform); the
  // refresh and power-down steps it skipped are replayed here at their own cycles, before anything new.
  while (m_next[c] < now)
    if (!tick_channel(c, m_next[c], ahead)) return false;
  return true;
}

bool DramController::catch_up_idle(size_t c, uint64_t now, bool ahead) {
  if (catch_up(c, now, ahead)) return true;
  if (ahead) wake_at(now);  // the run stops there
  return false;
}

void DramController::sync_to_now() {
  m_resp_mirror.forget();  // it may serve a read here, outside the processes
  const uint64_t now = m_clk.to_cycles(kernel_time());
  for (size_t c = 0; c < m_channels.size() && m_violation.empty(); ++c) {
    catch_up(c, now + 1);
    // A scheduler that stopped refreshing issues no command the checker could object to: ask it directly.
    if (m_checker && m_violation.empty()) {
      try {
        m_checker->check_refresh(static_cast<unsigned>(c), now);
      } catch (const TimingViolation& e) {
        m_violation = e.what();
      }
    }
  }
}

void DramController::scheduler() {
  if (!m_violation.empty()) {
    if (m_stop_pending) m_stop_pending = false, sc_core::sc_stop();
    return;
  }
  m_pending_valid = false;  // the kernel ran other processes since the last scheduler call
  const uint64_t kernel_now = now_cycle();
  uint64_t now = kernel_now;
  bool ticked = m_ahead_cycle == now;  // this cycle's ticks already ran ahead
  m_ahead_cycle = UINT64_MAX;
  for (;;) {
    const bool ahead = now != kernel_now;
    for (size_t c = 0; c < m_channels.size() && !ticked; ++c) {
      if (__builtin_expect(m_next[c] != now, 0)) {  // (due now: one test in the common case)
        if (m_next[c] > now) continue;
        // An idle channel wakes nobody (its due cycles do not count below): the refresh and power-down
        // steps it skipped meanwhile are replayed at their own cycles before it is ticked now, as for an
        // arrival.
        if (m_channels[c]->idle()) {
          if (!catch_up_idle(c, now, ahead)) return;
          if (m_next[c] > now) continue;
        }
      }
      // At most one scheduling step per channel and cycle, even if a request arrives in a later delta cycle.
      if (m_last_tick[c] == now) {
        m_next[c] = now + 1;
        continue;
      }
      if (!tick_channel(c, now, ahead)) {
        if (ahead) wake_at(now);  // the run stops there
        return;
      }
    }
    ticked = false;
    // A served burst may have freed the queue slot a blocked request waits for.
    // Only a served burst changes what try_accept decides for a refused request (queue space, the lines'
    // reads and write buffers): a retry with no burst served since would fail the same way, so skip it.
    if (m_blocked && m_blocked_gen != m_served_gen) {
      if (ahead && !m_inline_arrivals) {  // the retry happens at its own time in the kernel
        m_ahead_cycle = now;
        wake_at(now);
        return;
      }
      // With inline arrivals the retry happens here, ahead or not: its initiator sends the next request
      // from the END_REQ call, and nothing else in the simulation acts before that request is taken.
      m_in_scheduler = m_inline_arrivals;
      if (m_refusal == Refusal::Full && m_full.valid && still_full()) {
        m_blocked_gen = m_served_gen;  // try_accept would refuse it again, with no effect
      } else if (try_accept(*m_blocked, now, ahead)) {
        m_blocked = nullptr;
        take_arrivals(now, ahead);
      } else {
        m_blocked_gen = m_served_gen;
      }
      m_in_scheduler = false;
      if (ahead && !m_violation.empty()) {  // found in a catch-up: the run stops at this cycle
        wake_at(now);
        return;
      }
    }
    uint64_t next = Channel::kNever;
    for (size_t c = 0; c < m_channels.size(); ++c)
      if (!m_channels[c]->idle()) next = std::min(next, m_next[c]);
    if (next == Channel::kNever) return;
    if (!may_run_ahead(next)) {
      wake_at(next);
      return;
    }
    now = next;
    ++m_cycles_ahead;
  }
}

void DramController::on_command(unsigned channel, const Command& c) {
  if (m_hook) m_hook(channel, c);
  switch (c.cmd) {
    case Cmd::ACT:
      ++m_activates;
      ++*m_bank_acts[((channel * m_cfg.org.ranks + c.addr.rank) * m_cfg.org.bank_groups + c.addr.bank_group) *
                         m_cfg.org.banks_per_group +
                     c.addr.bank];
      break;
    case Cmd::PRE:
    case Cmd::RDA:
    case Cmd::WRA:
      ++m_precharges;
      break;
    case Cmd::PREA:
      ++m_precharges;
      break;
    case Cmd::REF:
    case Cmd::REFSB:
      ++m_refreshes;
      break;
    case Cmd::PDE:
      ++m_powerdowns;
      break;
    default:
      break;
  }
  if (m_cmd_tracing)
    m_cmd_trace << c.cycle << ' ' << cmd_name(c.cmd) << ' ' << channel << ' ' << c.addr.rank << ' '
                << c.addr.bank_group << ' ' << c.addr.bank << ' ' << c.addr.row << ' ' << c.addr.column
                << '\n';
}

void DramController::on_served(unsigned channel, const Request& r, uint64_t data_end) {
  ++m_served_gen;
  if (r.needed_pre)
    ++m_row_conflicts;
  else if (r.needed_act)
    ++m_row_misses;
  else
    ++m_row_hits;
  m_window.data(data_end);
  const uint64_t base = r.line << m_mapper.offset_bits();
  if (r.write) {
    ++m_write_bursts;
    if (r.wbuf == UINT32_MAX) return;
    // The WR command: the buffered bytes reach the DRAM.
    WriteBuf& wb = m_wbufs[r.wbuf];
    // Only the bytes written: a run of them at a time (one write when the whole burst was written).
    wb.mask.each_run([&](size_t i, size_t n) { m_store.write(base + i, wb.data.data() + i, n); });
    m_free_wbufs.push_back(r.wbuf);
    Line* l = m_lines.find(r.line);
    if (l && l->wbuf == r.wbuf) {
      l->wbuf = UINT32_MAX;
      release_line(r.line, *l);
    }
    return;
  }
  ++m_read_bursts;
  Txn& x = m_txns[r.tag];
  // The RD command: the bytes leave the DRAM now (an atomic reads and writes them in this one step).
  const uint64_t addr = x.gp->get_address(), len = x.gp->get_data_length();
  if (x.atomic) {
    perform_atomic(
        *x.gp, *x.atomic, [&](uint8_t* b, unsigned n) { m_store.read(addr, b, n); },
        [&](const uint8_t* b, unsigned n) { m_store.write(addr, b, n); });
  } else {
    uint64_t lo, hi;
    line_span(r.line, addr, len, lo, hi);
    m_store.read(lo, x.gp->get_data_ptr() + (lo - addr), hi - lo);
  }
  if (Line* l = m_lines.find(r.line)) {
    if (l->reads) --l->reads;
    if (x.atomic) l->atomic = false;
    release_line(r.line, *l);
  }
  x.data_end = std::max(x.data_end, data_end);
  if (--x.bursts_left) return;
  const uint64_t done = x.data_end + m_cfg.ctrl.phy_cycles;
  const uint64_t lat = done - x.accept_cycle;
  m_read_latency.sample(lat);
  m_read_latency_ns.sample(double(lat * m_clk.period_fs()) * 1e-6);
  push_response(*x.gp, done * m_clk.period_fs());
  --m_outstanding;
  m_free_txns.push_back(r.tag);
}

bool DramController::idle() const {
  if (m_blocked || !m_resps.empty() || m_resp_busy) return false;
  for (const auto& c : m_channels)
    if (!c->idle()) return false;
  return true;
}

unsigned int DramController::transport_dbg(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address(), len = gp.get_data_length();
  if (!m_store.contains(addr, len)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  // Debug access sees every accepted write: a read takes the store and the bytes still waiting in write
  // buffers; a write goes to the store and into those buffers, so an older queued write cannot undo it.
  const bool rd = gp.is_read();
  if (rd)
    m_store.read(addr, gp.get_data_ptr(), len);
  else if (gp.is_write())
    m_store.write(addr, gp.get_data_ptr(), len);
  const unsigned ob = m_mapper.offset_bits();
  if (!m_lines.empty() && len > 0 && (rd || gp.is_write())) {
    for (uint64_t b = addr >> ob; b <= (addr + len - 1) >> ob; ++b) {
      const Line* l = m_lines.find(b);
      if (!l || l->wbuf == UINT32_MAX) continue;
      WriteBuf& wb = m_wbufs[l->wbuf];
      uint64_t lo, hi;
      line_span(b, addr, len, lo, hi);
      for (uint64_t a = lo; a < hi; ++a) {
        if (!wb.mask.test(a - (b << ob))) continue;
        uint8_t& buffered = wb.data[a - (b << ob)];
        uint8_t& mine = gp.get_data_ptr()[a - addr];
        if (rd)
          mine = buffered;
        else
          buffered = mine;
      }
    }
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned>(len);
}

bool DramController::page_has_buffered_write(uint64_t page) const {
  if (m_lines.empty()) return false;
  const unsigned ob = m_mapper.offset_bits();
  const uint64_t first = page * mem::BackingStore::kPageBytes >> ob;
  const uint64_t n = std::max<uint64_t>(1, mem::BackingStore::kPageBytes >> ob);
  for (uint64_t b = first; b < first + n; ++b)
    if (const Line* l = m_lines.find(b); l && l->wbuf != UINT32_MAX) return true;
  return false;
}

bool DramController::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  constexpr uint64_t kPage = mem::BackingStore::kPageBytes;
  const uint64_t page = gp.get_address() / kPage;
  dmi.set_start_address(page * kPage);
  dmi.set_end_address(page * kPage + kPage - 1);
  // Unsafe ordering (tests) keeps several buffers per line, which the line table does not all show.
  if (m_unsafe_ordering || !m_store.contains(page * kPage, kPage) || page_has_buffered_write(page))
    return false;
  uint8_t* p = m_store.page_ptr(page * kPage);
  if (!p) return false;
  if (m_dmi_pages.size() <= page / 64) m_dmi_pages.resize(page / 64 + 1, 0);
  m_dmi_pages[page / 64] |= 1ull << (page % 64);
  ++m_dmi_grants;
  dmi.set_dmi_ptr(p);
  dmi.allow_read_write();
  // The pointer moves bytes only: the caches in front of the memory account the time of their hits.
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

void DramController::revoke_dmi(uint64_t first, uint64_t last) {
  bool any = false;
  for (uint64_t page = first; page <= last && page / 64 < m_dmi_pages.size(); ++page)
    if (dmi_granted(page)) {
      m_dmi_pages[page / 64] &= ~(1ull << (page % 64));
      any = true;
    }
  if (!any) return;
  ++m_dmi_invalidations;
  tsock->invalidate_direct_mem_ptr(first * mem::BackingStore::kPageBytes,
                                   last * mem::BackingStore::kPageBytes + mem::BackingStore::kPageBytes - 1);
}

double DramController::energy_pj() const {
  // DRAMPower's command-based model, which equals Micron's power equations (TN-40-07) for a periodic
  // pattern: each command's charge above the standby background, plus the background (active standby
  // while any bank of the rank holds a row, power-down, precharge standby otherwise), on both rails.
  const auto& p = m_cfg.power;
  const auto& t = m_cfg.timing;
  const double tck_ns = double(m_clk.period_fs()) * 1e-6;
  const double bl2 = double(m_cfg.org.burst_length / 2);
  const double trc = double(t.trc), tras = double(t.tras);
  // REFsb (fine-granularity mode) refreshes one bank per group with half a REF's rows per bank: the
  // charge of an all-bank refresh divided by 2 x banks per group, so refresh power per tREFI is the same.
  const double ref_share =
      m_cfg.refresh_mode() == RefreshMode::SameBank ? 2.0 * double(m_cfg.org.banks_per_group) : 1.0;
  const uint64_t now = m_clk.to_cycles(kernel_time());
  double act = 0, pd = 0, all = 0;
  for (size_t c = 0; c < m_channels.size(); ++c)
    for (unsigned r = 0; r < m_cfg.org.ranks; ++r) {
      act += double(m_channels[c]->active_cycles(r, now));
      pd += double(m_channels[c]->powerdown_cycles(r, now));
      all += double(now);
    }
  const double acts = double(m_activates.value()), rds = double(m_read_bursts.value()),
               wrs = double(m_write_bursts.value());
  const double refs = double(m_refreshes.value());
  // One rail: mA x cycles x V x tCK(ns) x devices = pJ.
  auto rail = [&](double v, double i0, double i2n, double i3n, double i4r, double i4w, double i5b,
                  double i2p) {
    const double q = acts * (i0 * trc - i3n * tras - i2n * (trc - tras)) + rds * (i4r - i3n) * bl2 +
                     wrs * (i4w - i3n) * bl2 + refs * (i5b - i3n) * double(t.trfc) / ref_share + i3n * act +
                     i2p * pd + i2n * std::max(0.0, all - act - pd);
    return q * v * tck_ns * double(p.devices);
  };
  return rail(p.vdd, p.idd0, p.idd2n, p.idd3n, p.idd4r, p.idd4w, p.idd5b, p.idd2p) +
         rail(p.vpp, p.ipp0, p.ipp3n, p.ipp3n, p.ipp4r, p.ipp4w, p.ipp5b, p.ipp3n);
}

}  // namespace pc::dram
