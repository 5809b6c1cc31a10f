// DDR memory controller: TLM-2.0 AT front end, per-channel schedulers, stats and energy.
#include "models/dram/dram_controller.h"

#include <fmt/format.h>

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
      m_atomics(m_stats, "atomics", "requests", "atomic read-modify-writes (each also counted as a read and a write)"),
      m_row_hits(m_stats, "row_hits", "bursts", "column accesses to an already open row"),
      m_row_misses(m_stats, "row_misses", "bursts", "column accesses that needed an ACT to a precharged bank"),
      m_row_conflicts(m_stats, "row_conflicts", "bursts", "column accesses that needed a PRE of another row and an ACT"),
      m_activates(m_stats, "activates", "commands", "ACT commands"),
      m_precharges(m_stats, "precharges", "commands", "precharges (PRE, PREA, auto-precharge of RDA/WRA)"),
      m_refreshes(m_stats, "refreshes", "commands", "refresh commands (REF, REFsb)"),
      m_powerdowns(m_stats, "powerdowns", "entries", "power-down entries"),
      m_backpressure(m_stats, "backpressure", "requests", "requests whose END_REQ waited for queue space"),
      m_read_latency(m_stats, "read_latency", "tCK", "read latency, request accepted to data returned"),
      m_read_latency_ns(m_stats, "read_latency_ns", "ns", "read latency, request accepted to data returned"),
      m_rq_occupancy(m_stats, "read_queue_occupancy", "entries", "read-queue occupancy seen by each arriving burst"),
      m_wq_occupancy(m_stats, "write_queue_occupancy", "entries", "write-queue occupancy seen by each arriving burst"),
      m_window(m_stats, "active_cycles", "tCK", "first accepted request to the end of the last data burst"),
      m_row_hit_rate(m_stats, "row_hit_rate", "", "row hits / column accesses",
                     [this] {
                       const double n = double(m_row_hits.value() + m_row_misses.value() + m_row_conflicts.value());
                       return n ? double(m_row_hits.value()) / n : 0.0;
                     }),
      m_bandwidth(m_stats, "bandwidth_gbps", "GB/s", "data moved / time from first request to last data",
                  [this] {
                    if (!m_window.cycles()) return 0.0;
                    const double bytes = double((m_read_bursts.value() + m_write_bursts.value()) * m_cfg.org.burst_bytes());
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
  if (cfg.org.capacity_bytes() < store.size())
    throw cfg::ConfigError(fmt::format("dram: the DDR organisation holds {} MiB but dram.size_mib is {}",
                                       cfg.org.capacity_bytes() >> 20, store.size() >> 20));
  if (cfg.ctrl.checker) m_checker = std::make_unique<TimingChecker>(cfg.org, checker_timing ? *checker_timing : cfg.timing);
  for (unsigned c = 0; c < cfg.org.channels; ++c)
    m_channels.push_back(std::make_unique<Channel>(c, cfg, m_checker.get(), *this));
  m_next.assign(cfg.org.channels, 0);
  m_last_tick.assign(cfg.org.channels, UINT64_MAX);
  for (unsigned c = 0; c < cfg.org.channels; ++c)
    for (unsigned r = 0; r < cfg.org.ranks; ++r)
      for (unsigned g = 0; g < cfg.org.bank_groups; ++g)
        for (unsigned b = 0; b < cfg.org.banks_per_group; ++b)
          m_bank_acts.push_back(std::make_unique<stats::Counter>(m_bank_stats, fmt::format("ch{}_r{}_bg{}_b{}", c, r, g, b),
                                                                 "commands", "ACT commands to this bank"));
  if (!cfg.ctrl.command_trace.empty()) {
    m_cmd_trace.open(cfg.ctrl.command_trace);
    if (!m_cmd_trace)
      throw cfg::ConfigError(fmt::format("key 'dram.ddr.ctrl.command_trace': cannot open '{}' for writing", cfg.ctrl.command_trace));
    m_cmd_trace << "# cycle command channel rank bankgroup bank row column (tCK = " << m_clk.period_fs() << " fs)\n";
  }
  SC_METHOD(scheduler);
  sensitive << m_wake;
  dont_initialize();
  SC_METHOD(responder);
  sensitive << m_resp_event;
  dont_initialize();
}

DramController::~DramController() = default;

uint64_t DramController::now_cycle() const { return m_clk.to_cycles_ceil(sc_core::sc_time_stamp()); }

void DramController::wake_at(uint64_t cycle) {
  const uint64_t at = cycle * m_clk.period_fs();
  const uint64_t now = sc_core::sc_time_stamp().value();
  m_wake.notify(sc_time::from_value(at > now ? at - now : 0));
}

tlm::tlm_sync_enum DramController::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_time& delay) {
  if (phase == tlm::BEGIN_REQ || phase == tlm::END_RESP) {
    if (phase == tlm::BEGIN_REQ && gp.has_mm()) gp.acquire();
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
    m_resp_event.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  // BEGIN_REQ: the base protocol allows one request in its request phase at a time.
  if (m_blocked) SC_REPORT_ERROR(name(), "BEGIN_REQ while the previous request still waits for END_REQ");
  if (!try_accept(gp)) {
    m_blocked = &gp;
    ++m_backpressure;
  }
}

bool DramController::try_accept(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  const bool write = gp.is_write();
  const uint64_t now = now_cycle();
  auto reply_now = [&](tlm::tlm_response_status st) {
    gp.set_response_status(st);
    ++m_errors;
    tlm::tlm_phase ph = tlm::END_REQ;
    sc_time d = sc_core::SC_ZERO_TIME;
    tsock->nb_transport_bw(gp, ph, d);
    push_response(gp, sc_core::sc_time_stamp().value());
    return true;
  };
  if (gp.get_byte_enable_ptr()) return reply_now(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  if (gp.get_streaming_width() < len) return reply_now(tlm::TLM_BURST_ERROR_RESPONSE);
  if (len == 0 || !m_store.contains(addr, len) || (!write && !gp.is_read()))
    return reply_now(len == 0 || m_store.contains(addr, len) ? tlm::TLM_COMMAND_ERROR_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
  AtomicExt* atomic = atomic_of(gp);
  if (atomic && (len != 8 || (addr & 7))) return reply_now(tlm::TLM_COMMAND_ERROR_RESPONSE);

  // Split into bursts; all of them must fit in their channels' queues. An atomic (a bus-locked
  // read-modify-write) is one read burst and one write burst to the same address.
  const unsigned ob = m_mapper.offset_bits();
  const uint64_t first = addr >> ob, last = (addr + len - 1) >> ob;
  std::vector<uint64_t> need(m_channels.size(), 0);
  for (uint64_t b = first; b <= last; ++b) ++need[m_mapper.decode(b << ob).channel];
  for (size_t c = 0; c < m_channels.size(); ++c)
    if (need[c] && (!m_channels[c]->can_accept(write && !atomic, need[c]) ||
                    (atomic && !m_channels[c]->can_accept(true, need[c]))))
      return false;
  for (size_t c = 0; c < m_channels.size(); ++c)
    if (need[c] && !catch_up(c, now)) return false;

  // The bytes move now: the controller serves requests to one address in acceptance order, so what a
  // read returns is fixed by the requests accepted before it. An atomic reads and writes at this one
  // instant, so nothing accepted after it can fall between its read and its write.
  const auto* ext = gp.get_extension<AccessExt>();
  if (ext && ext->timing_only) {
    // A cache writeback: the bytes are in the store already; it only occupies the controller.
  } else if (atomic) {
    perform_atomic(gp, *atomic, [&](uint8_t* b, unsigned n) { m_store.read(addr, b, n); },
                   [&](const uint8_t* b, unsigned n) { m_store.write(addr, b, n); });
    ++m_atomics;
  } else if (write) {
    m_store.write(addr, gp.get_data_ptr(), len);
  } else {
    m_store.read(addr, gp.get_data_ptr(), len);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);

  uint32_t tag = UINT32_MAX;
  if (!write || atomic) {
    if (m_free_txns.empty()) {
      m_free_txns.push_back(static_cast<uint32_t>(m_txns.size()));
      m_txns.emplace_back();
    }
    tag = m_free_txns.back();
    m_free_txns.pop_back();
    m_txns[tag] = Txn{&gp, static_cast<uint32_t>(last - first + 1), now, 0};
    ++m_reads;
    m_bytes_read += len;
  } else {
    ++m_writes;
    m_bytes_written += len;
  }
  ++m_outstanding;
  m_window.request(now);
  const uint64_t ready = now + m_cfg.ctrl.frontend_cycles;
  auto enqueue = [&](uint64_t b, bool w, uint32_t t) {
    Request r;
    r.id = m_req_id++;
    r.write = w;
    r.addr = m_mapper.decode(b << ob);
    r.arrival = now;
    r.ready = ready;
    r.tag = t;
    Channel& ch = *m_channels[r.addr.channel];
    (w ? m_wq_occupancy : m_rq_occupancy).sample(double(w ? ch.write_queue_size() : ch.read_queue_size()));
    ch.enqueue(r);
    m_next[r.addr.channel] = std::min(m_next[r.addr.channel], ready);
    wake_at(m_next[r.addr.channel]);
  };
  for (uint64_t b = first; b <= last; ++b) {
    enqueue(b, write && !atomic, tag);
    if (atomic) enqueue(b, true, UINT32_MAX);
  }
  if (atomic) {
    ++m_writes;
    m_bytes_written += len;
  }
  tlm::tlm_phase ph = tlm::END_REQ;
  sc_time d = sc_core::SC_ZERO_TIME;
  tsock->nb_transport_bw(gp, ph, d);
  // Writes are posted: acknowledged once through the front end, served later from the write queue.
  // An atomic answers with its read data (the old value).
  if (write && !atomic) {
    push_response(gp, ready * m_clk.period_fs());
    --m_outstanding;
  }
  return true;
}

void DramController::push_response(tlm::tlm_generic_payload& gp, uint64_t fs) {
  m_resps.push(Resp{fs, m_seq++, &gp});
  const uint64_t now = sc_core::sc_time_stamp().value();
  m_resp_event.notify(sc_time::from_value(fs > now ? fs - now : 0));
}

void DramController::responder() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  while (!m_resp_busy && !m_resps.empty() && m_resps.top().fs <= now) {
    tlm::tlm_generic_payload* gp = m_resps.top().gp;
    m_resps.pop();
    tlm::tlm_phase ph = tlm::BEGIN_RESP;
    sc_time d = sc_core::SC_ZERO_TIME;
    const auto st = tsock->nb_transport_bw(*gp, ph, d);
    if (st == tlm::TLM_ACCEPTED || (st == tlm::TLM_UPDATED && ph == tlm::BEGIN_RESP))
      m_resp_busy = true;  // END_RESP arrives through nb_transport_fw (and releases the payload)
    else if (gp->has_mm())
      gp->release();
  }
  if (!m_resp_busy && !m_resps.empty()) m_resp_event.notify(sc_time::from_value(m_resps.top().fs - now));
}

bool DramController::tick_channel(size_t c, uint64_t cycle) {
  m_last_tick[c] = cycle;
  try {
    m_next[c] = m_channels[c]->tick(cycle);
  } catch (const TimingViolation& e) {
    // Fail loudly but cleanly: stop the simulation here and let the owner report it.
    m_violation = e.what();
    sc_core::sc_stop();
    return false;
  }
  return true;
}

bool DramController::catch_up(size_t c, uint64_t now) {
  // An idle channel schedules no events (so an idle memory lets the kernel see a stalled platform); the
  // refresh and power-down steps it skipped are replayed here at their own cycles, before anything new.
  while (m_next[c] < now)
    if (!tick_channel(c, m_next[c])) return false;
  return true;
}

void DramController::sync_to_now() {
  const uint64_t now = m_clk.to_cycles(sc_core::sc_time_stamp());
  for (size_t c = 0; c < m_channels.size() && m_violation.empty(); ++c) catch_up(c, now + 1);
}

void DramController::scheduler() {
  if (!m_violation.empty()) return;
  const uint64_t now = now_cycle();
  for (size_t c = 0; c < m_channels.size(); ++c) {
    if (m_next[c] > now) continue;
    // At most one scheduling step per channel and cycle, even if a request arrives in a later delta cycle.
    if (m_last_tick[c] == now) {
      m_next[c] = now + 1;
      continue;
    }
    if (!tick_channel(c, now)) return;
  }
  // A served burst may have freed the queue slot a blocked request waits for.
  if (m_blocked && try_accept(*m_blocked)) m_blocked = nullptr;
  uint64_t next = Channel::kNever;
  for (size_t c = 0; c < m_channels.size(); ++c)
    if (!m_channels[c]->idle()) next = std::min(next, m_next[c]);
  if (next != Channel::kNever) wake_at(next);
}

void DramController::on_command(unsigned channel, const Command& c) {
  if (m_hook) m_hook(channel, c);
  switch (c.cmd) {
    case Cmd::ACT:
      ++m_activates;
      ++*m_bank_acts[((channel * m_cfg.org.ranks + c.addr.rank) * m_cfg.org.bank_groups + c.addr.bank_group) *
                         m_cfg.org.banks_per_group + c.addr.bank];
      break;
    case Cmd::PRE:
    case Cmd::RDA:
    case Cmd::WRA: ++m_precharges; break;
    case Cmd::PREA: ++m_precharges; break;
    case Cmd::REF:
    case Cmd::REFSB: ++m_refreshes; break;
    case Cmd::PDE: ++m_powerdowns; break;
    default: break;
  }
  if (m_cmd_trace.is_open())
    m_cmd_trace << c.cycle << ' ' << cmd_name(c.cmd) << ' ' << channel << ' ' << c.addr.rank << ' ' << c.addr.bank_group
                << ' ' << c.addr.bank << ' ' << c.addr.row << ' ' << c.addr.column << '\n';
}

void DramController::on_served(unsigned channel, const Request& r, uint64_t data_end) {
  if (r.needed_pre)
    ++m_row_conflicts;
  else if (r.needed_act)
    ++m_row_misses;
  else
    ++m_row_hits;
  m_window.data(data_end);
  if (r.write) {
    ++m_write_bursts;
    return;
  }
  ++m_read_bursts;
  Txn& x = m_txns[r.tag];
  x.data_end = std::max(x.data_end, data_end);
  if (--x.bursts_left) return;
  const uint64_t done = x.data_end + m_cfg.ctrl.phy_cycles;
  const uint64_t lat = done - x.accept_cycle;
  m_read_latency.sample(double(lat));
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
  if (gp.is_read())
    m_store.read(addr, gp.get_data_ptr(), len);
  else if (gp.is_write())
    m_store.write(addr, gp.get_data_ptr(), len);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned>(len);
}

double DramController::energy_pj() const {
  // DRAMPower's command-based model: each command's current above the standby background, plus the
  // background (active standby while any bank is open, power-down, precharge standby otherwise).
  const auto& p = m_cfg.power;
  const auto& t = m_cfg.timing;
  const double tck_ns = double(m_clk.period_fs()) * 1e-6;
  const double k = p.vdd * tck_ns * double(p.devices);  // mA x cycles -> pJ
  const double bl2 = double(m_cfg.org.burst_length / 2);
  const double e_act = (p.idd0 * double(t.trc) - p.idd3n * double(t.tras) - p.idd2n * double(t.trc - t.tras)) * k;
  const double e_rd = (p.idd4r - p.idd3n) * bl2 * k, e_wr = (p.idd4w - p.idd3n) * bl2 * k;
  const double e_ref = (p.idd5b - p.idd3n) * double(t.trfc) * k;
  double e = e_act * double(m_activates.value()) + e_rd * double(m_read_bursts.value()) +
             e_wr * double(m_write_bursts.value()) + e_ref * double(m_refreshes.value());
  const uint64_t now = m_clk.to_cycles(sc_core::sc_time_stamp());
  for (size_t c = 0; c < m_channels.size(); ++c)
    for (unsigned r = 0; r < m_cfg.org.ranks; ++r) {
      const double act = double(m_channels[c]->active_cycles(r, now));
      const double pd = double(m_channels[c]->powerdown_cycles(r, now));
      e += (p.idd3n * act + p.idd2p * pd + p.idd2n * std::max(0.0, double(now) - act - pd)) * k;
    }
  return e;
}

}  // namespace pc::dram
