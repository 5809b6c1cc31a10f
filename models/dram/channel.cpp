// DDR channel scheduler.
#include "models/dram/channel.h"

#include <algorithm>
#include <iterator>

namespace pc::dram {

Channel::Channel(unsigned index, const DdrConfig& cfg, TimingChecker* checker, ChannelObserver& obs)
    : m_index(index),
      m_cfg(cfg),
      m_t(cfg.timing),
      m_bpg(static_cast<unsigned>(cfg.org.banks_per_group)),
      m_nbanks(static_cast<unsigned>(cfg.org.banks())),
      m_bl2(cfg.org.burst_length / 2),
      m_policy(cfg.page_policy()),
      m_same_bank_refresh(cfg.refresh_mode() == RefreshMode::SameBank),
      m_ref_interval(cfg.refresh_interval()),
      // Postponing N refreshes: the rank is refreshed as soon as it is idle, and forced once N are owed,
      // so the gap between two refreshes stays below (N + 1) intervals plus the time to close the banks.
      m_ref_force_at(std::max<int64_t>(1, static_cast<int64_t>(cfg.ctrl.refresh_postpone))),
      m_ref_pull_in(static_cast<int64_t>(cfg.ctrl.refresh_postpone)),
      m_checker(checker),
      m_obs(obs) {
  m_ranks.resize(cfg.org.ranks);
  m_group_rrd = m_t.trrd_l <= m_t.trc;
  m_groups_per_rank = static_cast<unsigned>(cfg.org.bank_groups);
  for (unsigned k = 0; k < std::size(m_bus_cycles); ++k) {
    const Cmd c = static_cast<Cmd>(k);
    m_bus_cycles[k] = c == Cmd::ACT || is_read(c) || is_write(c) ? m_t.ca_cycles : 1;
  }
  {
    // A bound `now + d` that may be negative (rank-to-rank WR->RD) is never earlier than the next cycle:
    // now + max(d, 1).
    const auto at_least_1 = [](int64_t d) { return static_cast<uint64_t>(std::max<int64_t>(d, 1)); };
    const int64_t CL = static_cast<int64_t>(m_t.cl), CWL = static_cast<int64_t>(m_t.cwl),
                  BL2 = static_cast<int64_t>(m_bl2), RTRS = static_cast<int64_t>(m_t.trtrs);
    ColumnBounds& r = m_col_bounds[0];  // after a RD
    r.other_rd = at_least_1(BL2 + RTRS), r.other_wr = at_least_1(CL + BL2 + RTRS - CWL);
    r.grp_rd[0] = m_t.tccd_s, r.grp_rd[1] = m_t.tccd_l;
    r.grp_wr[0] = r.grp_wr[1] = at_least_1(CL + BL2 + 2 - CWL);
    r.pre_ok = m_t.trtp;
    ColumnBounds& w = m_col_bounds[1];  // after a WR
    w.other_wr = at_least_1(BL2 + RTRS), w.other_rd = at_least_1(CWL + BL2 + RTRS - CL);
    w.grp_wr[0] = m_t.tccd_s, w.grp_wr[1] = m_t.tccd_l_wr ? m_t.tccd_l_wr : m_t.tccd_l;
    w.grp_rd[0] = at_least_1(CWL + BL2 + static_cast<int64_t>(m_t.twtr_s));
    w.grp_rd[1] = at_least_1(CWL + BL2 + static_cast<int64_t>(m_t.twtr_l));
    w.pre_ok = static_cast<uint64_t>(CWL + BL2) + m_t.twr;  // write recovery
  }
  for (size_t r = 0; r < m_ranks.size(); ++r) {
    m_ranks[r].banks.resize(m_nbanks);
    m_ranks[r].groups.resize(cfg.org.bank_groups);
    for (unsigned i = 0; i < m_nbanks; ++i) m_ranks[r].banks[i].grp = &m_ranks[r].groups[i / m_bpg];
    // Ranks refresh staggered across the interval so that they are never all blocked at once.
    m_ranks[r].ref_due = m_ref_interval * (r + 1) / m_ranks.size();
  }
  for (size_t r = 0; r < m_ranks.size(); ++r)
    for (auto& b : m_ranks[r].banks) {
      b.flat = static_cast<uint32_t>(m_flat.size());
      b.rank = static_cast<uint32_t>(r);
      m_flat.push_back(&b);
    }
  m_closing.assign(m_flat.size(), 0);
  m_queued[0].assign(m_flat.size(), 0);
  m_queued[1].assign(m_flat.size(), 0);
  m_rows[0].resize(m_flat.size());
  m_rows[1].resize(m_flat.size());
  m_floor[0].assign(m_flat.size(), 0);
  m_floor[1].assign(m_flat.size(), 0);
  m_bank_masks = m_flat.size() <= 64;
  m_rq.reserve(cfg.ctrl.read_queue);
  m_wq.reserve(cfg.ctrl.write_queue);
}

bool Channel::can_accept(bool write, uint64_t n) const {
  const auto& q = write ? m_wq : m_rq;
  const uint64_t cap = write ? m_cfg.ctrl.write_queue : m_cfg.ctrl.read_queue;
  // A transaction wider than the whole queue is still taken when the queue is empty, never refused forever.
  return q.size() + n <= cap || q.empty();
}

void Channel::enqueue(const Request& in) {
  // Copied once, straight into the queue (the controller's request carries no bank_flat yet).
  RequestQueue& q = in.write ? m_wq : m_rq;
  q.push_back(in);
  Request& r = q[q.size() - 1];
  r.bank_flat = (r.addr.rank * m_nbanks) + r.addr.bank_group * m_bpg + r.addr.bank;
  ++m_queued[r.write][r.bank_flat];
  m_rows[r.write][r.bank_flat].push_back(r.addr.row);
  if (m_bank_masks) m_queued_mask[r.write] |= uint64_t(1) << r.bank_flat;
  Rank& rk = m_ranks[r.addr.rank];
  ++rk.queued;
  rk.last_activity = std::max(rk.last_activity, r.arrival);
  Bank& b = bank_of(r.addr);
  if (b.open && b.row == r.addr.row) {
    // The queue's first request for the row may lower the bank's floor to its next RD / WR.
    if (++(r.write ? b.pending_wr : b.pending_rd) == 1) refloor(b);
    note_pending(b);
  }
}

inline void Channel::note_pending(const Bank& b) {
  if (!m_bank_masks) return;
  const uint64_t bit = uint64_t(1) << b.flat;
  m_pending_mask[0] = b.pending_rd ? m_pending_mask[0] | bit : m_pending_mask[0] & ~bit;
  m_pending_mask[1] = b.pending_wr ? m_pending_mask[1] | bit : m_pending_mask[1] & ~bit;
}

inline void Channel::refloor(const Bank& b) {
  uint64_t &f0 = m_floor[0][b.flat], &f1 = m_floor[1][b.flat];
  if (!b.open) {
    f0 = f1 = b.next_act;
  } else {
    // min(next RD / WR if the queue has hits, else never, next PRE), as values (std::min of a kNever
    // reference took kNever's address).
    f0 = b.pending_rd ? std::min(b.next_rd, b.next_pre) : b.next_pre;
    f1 = b.pending_wr ? std::min(b.next_wr, b.next_pre) : b.next_pre;
  }
}

inline void Channel::recount(Bank& b) {
  auto count = [&](const std::vector<uint32_t>& rows) {
    uint32_t n = 0;
    for (uint32_t row : rows) n += row == b.row;
    return n;
  };
  b.pending_rd = count(m_rows[0][b.flat]);
  b.pending_wr = count(m_rows[1][b.flat]);
  note_pending(b);
  refloor(b);
}

void Channel::settle_due(Rank& r, uint64_t now) {
  size_t n = 0;
  for (; n < r.closes.size() && r.closes[n] <= now; ++n)
    if (--r.rows_held == 0) r.active_total += r.closes[n] - r.held_since;
  r.closes.erase(r.closes.begin(), r.closes.begin() + static_cast<std::ptrdiff_t>(n));
}

void Channel::hold_rows(Rank& r, uint64_t now, uint64_t until) {
  settle(r, now);
  if (r.rows_held++ == 0) r.held_since = now;
  if (until != kNever) r.closes.insert(std::upper_bound(r.closes.begin(), r.closes.end(), until), until);
}

void Channel::open_bank(Rank& r, Bank& b, uint64_t now) {
  ++r.open_banks;
  hold_rows(r, now, kNever);
  b.open = true;
}

inline void Channel::close_bank(Rank& r, Bank& b, uint64_t now, uint64_t precharged_at) {
  if (!b.open) return;
  b.open = false;
  if (b.hits >= m_cfg.ctrl.starvation_cap) --m_capped_open;
  b.pending_rd = b.pending_wr = 0;
  note_pending(b);
  --r.open_banks;
  if (precharged_at == now) {
    // An explicit precharge: the row closes now, after the implicit ones due by now (as inserting it into
    // `closes` and settling would, without the insert and erase).
    settle(r, now);
    if (--r.rows_held == 0) r.active_total += precharged_at - r.held_since;
    return;
  }
  r.closes.insert(std::upper_bound(r.closes.begin(), r.closes.end(), precharged_at), precharged_at);
  settle(r, now);
}

uint64_t Channel::active_cycles(unsigned rank, uint64_t now) const {
  const Rank& r = m_ranks[rank];
  uint64_t total = r.active_total, held = r.rows_held;
  for (uint64_t c : r.closes) {
    if (c > now) break;
    if (--held == 0) total += c - r.held_since;
  }
  return total + (held ? now - r.held_since : 0);
}

uint64_t Channel::powerdown_cycles(unsigned rank, uint64_t now) const {
  const Rank& r = m_ranks[rank];
  return r.pd_total + (r.powered_down ? now - r.pde_at : 0);
}

void Channel::issue(uint64_t now, Cmd c, const DramAddr& a) {
  const Command cmd{c, now, a};
  m_cache[0].valid = m_cache[1].valid = false;  // every command moves some bound
  if (m_checker) m_checker->check(m_index, cmd);
  m_obs.on_command(m_index, cmd);
  // DDR5 ACT, RD and WR are two-cycle commands: the command bus is busy in the next cycle too.
  m_bus_free = now + m_bus_cycles[static_cast<unsigned>(c)];
  Rank& rk = m_ranks[a.rank];
  const auto& t = m_t;
  auto raise = [](uint64_t& v, uint64_t x) { v = std::max(v, x); };
  Group* const groups = rk.groups.data();
  const unsigned ng = m_groups_per_rank;

  switch (c) {
    case Cmd::ACT: {
      Bank& b = bank_of(a);
      open_bank(rk, b, now);
      b.row = a.row;
      b.act_at = now;
      b.hits = 0;
      // (The bounds in locals, before the stores: those could alias m_t for all the compiler knows.)
      const uint64_t ras = now + t.tras, rcd = now + t.trcd, rc = now + t.trc, rrd_s = now + t.trrd_s,
                     rrd_l = now + t.trrd_l;
      raise(b.next_pre, ras);
      raise(b.next_rd, rcd);
      raise(b.next_wr, rcd);
      raise(b.next_act, rc);
      if (m_group_rrd) {
        // tRRD_S on every group, then tRRD_L on the own one: its bound taken first, as tRRD_S may be the
        // longer.
        const uint64_t own = std::max(groups[a.bank_group].next_act, rrd_l);
        for (unsigned g = 0; g < ng; ++g) raise(groups[g].next_act, rrd_s);
        groups[a.bank_group].next_act = own;
      } else {
        for (unsigned g = 0; g < ng; ++g)
          if (g != a.bank_group) raise(groups[g].next_act, rrd_s);
        for (unsigned i = a.bank_group * m_bpg, j = 0; j < m_bpg; ++j, ++i)
          if (&rk.banks[i] != &b) raise(rk.banks[i].next_act, rrd_l);
      }
      rk.faw[rk.faw_head] = now;
      rk.faw_head = (rk.faw_head + 1) % 4;
      ++rk.acts_seen;
      rk.faw_ok = rk.acts_seen < 4 ? 0 : rk.faw[rk.faw_head] + t.tfaw;  // the oldest of the last four ACTs
      recount(b);
      return;
    }
    case Cmd::PRE: {
      Bank& b = bank_of(a);
      close_bank(rk, b, now, now);
      raise(b.next_act, now + t.trp);
      refloor(b);
      return;
    }
    case Cmd::RD:
    case Cmd::RDA:
    case Cmd::WR:
    case Cmd::WRA: {
      const bool rd = is_read(c);
      // The bounds this column command sets on the next RD and WR of every bank, by where the bank is:
      // this bank group, this rank in another bank group, or another rank. The own group's bounds are taken
      // first, then every group of the rank gets the other-group ones, then the own group its own.
      const ColumnBounds& d = m_col_bounds[rd ? 0 : 1];
      Group& own = groups[a.bank_group];
      const uint64_t own_rd = std::max(own.next_rd, now + d.grp_rd[1]);
      const uint64_t own_wr = std::max(own.next_wr, now + d.grp_wr[1]);
      // (The bounds in locals: the stores could alias m_col_bounds for all the compiler knows.)
      const uint64_t rd0 = now + d.grp_rd[0], wr0 = now + d.grp_wr[0];
      for (unsigned g = 0; g < ng; ++g) raise(groups[g].next_rd, rd0), raise(groups[g].next_wr, wr0);
      own.next_rd = own_rd;
      own.next_wr = own_wr;
      const uint64_t other_rd = now + d.other_rd, other_wr = now + d.other_wr;
      if (m_ranks.size() > 1)
        for (size_t ri = 0; ri < m_ranks.size(); ++ri) {
          if (ri == a.rank) continue;
          for (Group& o : m_ranks[ri].groups) raise(o.next_rd, other_rd), raise(o.next_wr, other_wr);
        }
      Bank& b = bank_of(a);
      const uint64_t pre_ok = now + d.pre_ok;
      raise(b.next_pre, pre_ok);
      if (is_auto_pre(c)) {
        const uint64_t pre_at = std::max(pre_ok, b.act_at + t.tras);
        close_bank(rk, b, now, pre_at);
        raise(b.next_act, pre_at + t.trp);
      }
      refloor(b);
      return;
    }
    default:
      issue_rare(now, c, a);
      return;
  }
}

void Channel::issue_rare(uint64_t now, Cmd c, const DramAddr& a) {
  Rank& rk = m_ranks[a.rank];
  const auto& t = m_t;
  auto raise = [](uint64_t& v, uint64_t x) { v = std::max(v, x); };
  switch (c) {
    case Cmd::PREA:
      for (auto& b : rk.banks) {
        if (!b.open) continue;
        close_bank(rk, b, now, now);
        raise(b.next_act, now + t.trp);
        refloor(b);
      }
      return;
    case Cmd::REF:
      for (auto& b : rk.banks) {
        raise(b.next_act, now + t.trfc);
        refloor(b);
      }
      hold_rows(rk, now, now + t.trfc);
      return;
    case Cmd::REFSB:
      for (unsigned i = 0; i < m_nbanks; ++i) {
        raise(rk.banks[i].next_act, now + (i % m_bpg == a.bank ? t.trfcsb : t.trefsbrd));
        refloor(rk.banks[i]);
      }
      hold_rows(rk, now, now + t.trfcsb);
      return;
    case Cmd::PDE:
      m_ref_quiet = false;
      rk.powered_down = true;
      rk.pde_at = now;
      note_special();
      return;
    case Cmd::PDX:
      m_ref_quiet = false;
      rk.powered_down = false;
      rk.pd_total += now - rk.pde_at;
      rk.cmd_ok = now + t.txp;
      note_special();
      return;
    default:
      return;
  }
}

void Channel::note_special() {
  m_special = false;
  for (const Rank& rk : m_ranks) m_special = m_special || rk.ref_pending || rk.powered_down;
}

bool Channel::refresh_step(uint64_t now, uint64_t& wake) {
  const bool issued = refresh_pass(now, wake);
  note_special();  // the pass sets and clears ref_pending
  return issued;
}

bool Channel::refresh_pass(uint64_t now, uint64_t& wake) {
  m_ref_quiet = true;
  m_ref_quiet_until = kNever;
  for (unsigned ri = 0; ri < m_ranks.size(); ++ri) {
    Rank& rk = m_ranks[ri];
    // One refresh is owed per interval. With postponement a rank that has requests queued keeps them
    // going until the limit, and an idle rank pays back (and pulls in up to the limit) while idle.
    while (now >= rk.ref_due) {
      ++rk.ref_credit;
      rk.ref_due += m_ref_interval;
    }
    rk.ref_pending = rk.ref_credit >= m_ref_force_at;
    const bool idle_refresh = !rk.ref_pending && m_ref_pull_in > 0 && rk.queued == 0 && !rk.powered_down &&
                              rk.ref_credit > -m_ref_pull_in;
    if (!rk.ref_pending && !idle_refresh) {
      wake = std::min(wake, rk.ref_due);
      m_ref_quiet_until = std::min(m_ref_quiet_until, rk.ref_due);
      continue;
    }
    m_ref_quiet = false;
    DramAddr a;
    a.channel = m_index;
    a.rank = ri;
    if (rk.powered_down) {
      const uint64_t t = rk.pde_at + m_t.tcke;
      if (t <= now) {
        issue(now, Cmd::PDX, a);
        return true;
      }
      wake = std::min(wake, t);
      continue;
    }
    uint64_t t = rk.cmd_ok;
    if (m_same_bank_refresh) {
      // Close the open banks of the set one by one, then refresh the set (bank index sb_index in every
      // group).
      bool any_open = false;
      for (unsigned i = rk.sb_index; i < m_nbanks; i += m_bpg) {
        Bank& b = rk.banks[i];
        if (b.open) {
          any_open = true;
          const uint64_t tp = std::max(b.next_pre, rk.cmd_ok);
          if (tp <= now) {
            a.bank_group = i / m_bpg;
            a.bank = i % m_bpg;
            a.row = b.row;
            issue(now, Cmd::PRE, a);
            return true;
          }
          wake = std::min(wake, tp);
        }
        t = std::max(t, act_bound(b));
      }
      if (any_open) continue;
      if (t <= now) {
        a.bank = rk.sb_index;
        issue(now, Cmd::REFSB, a);
        --rk.ref_credit;
        rk.ref_pending = false;
        rk.sb_index = (rk.sb_index + 1) % m_bpg;
        return true;
      }
      wake = std::min(wake, t);
      continue;
    }
    if (rk.open_banks) {
      for (const auto& b : rk.banks)
        if (b.open) t = std::max(t, b.next_pre);
      if (t <= now) {
        issue(now, Cmd::PREA, a);
        return true;
      }
    } else {
      for (const auto& b : rk.banks) t = std::max(t, act_bound(b));
      if (t <= now) {
        issue(now, Cmd::REF, a);
        --rk.ref_credit;
        rk.ref_pending = false;
        return true;
      }
    }
    wake = std::min(wake, t);
  }
  return false;
}

bool Channel::powerdown_step(uint64_t now, uint64_t& wake) {
  for (unsigned ri = 0; ri < m_ranks.size(); ++ri) {
    Rank& rk = m_ranks[ri];
    // A rank with refreshes to pay back or pull in refreshes first (refresh_step), then powers down.
    if (rk.powered_down || rk.ref_pending || rk.queued ||
        (m_ref_pull_in > 0 && rk.ref_credit > -m_ref_pull_in))
      continue;
    const uint64_t idle_at = rk.last_activity + m_cfg.ctrl.powerdown_idle;
    if (now < idle_at) {
      wake = std::min(wake, idle_at);
      continue;
    }
    DramAddr a;
    a.channel = m_index;
    a.rank = ri;
    uint64_t t = rk.cmd_ok;
    for (const auto& b : rk.banks) t = std::max(t, b.open ? b.next_pre : act_bound(b));
    if (t > now) {
      wake = std::min(wake, t);
      continue;
    }
    issue(now, rk.open_banks ? Cmd::PREA : Cmd::PDE, a);
    return true;
  }
  return false;
}

inline void Channel::serve(uint64_t now, RequestQueue& q, size_t i, bool write) {
  Request r = q[i];
  q.erase(i);
  if (--m_queued[write][r.bank_flat] == 0 && m_bank_masks)
    m_queued_mask[write] &= ~(uint64_t(1) << r.bank_flat);
  std::vector<uint32_t>& rows = m_rows[write][r.bank_flat];
  size_t k = 0;  // (a plain loop: std::find's unrolled one doubles serve's code for lists of a few rows)
  while (rows[k] != r.addr.row) ++k;
  rows[k] = rows.back();
  rows.pop_back();
  Rank& rk = m_ranks[r.addr.rank];
  if (--rk.queued == 0) m_ref_quiet = false;
  rk.last_activity = now;
  Bank& b = bank_of(r.addr);
  uint32_t& pend = write ? b.pending_wr : b.pending_rd;
  if (pend) --pend;
  note_pending(b);
  bool auto_pre = false;
  if (m_policy == PagePolicy::Closed) auto_pre = true;
  // Closed-adaptive: keep the row open only while a queued request still wants it.
  if (m_policy == PagePolicy::Adaptive) auto_pre = b.pending_rd + b.pending_wr == 0;
  if (++b.hits == m_cfg.ctrl.starvation_cap) ++m_capped_open;
  issue(now, write ? (auto_pre ? Cmd::WRA : Cmd::WR) : (auto_pre ? Cmd::RDA : Cmd::RD), r.addr);
  const uint64_t data_end = now + (write ? m_t.cwl : m_t.cl) + m_bl2;
  m_obs.on_served(m_index, r, data_end);
}

inline bool Channel::nothing_now(const RequestQueue& q, bool w, uint64_t now, uint64_t& wake, bool& blocked,
                                 uint64_t& may, size_t& ready) {
  // The scan in select stops at the first request not yet through the front end: the requests behind it
  // (all later arrivals, with the same front-end delay) are left out of the counts here.
  const uint32_t cap = static_cast<uint32_t>(m_cfg.ctrl.starvation_cap);
  // One walk from the back over the requests still in the front end (the youngest): count them per bank.
  uint8_t late[64], late_hits[64];
  uint64_t late_mask = 0, first_late = kNever;
  size_t n = q.size();
  for (; n > 0; --n) {
    const Request& r = q[n - 1];
    if (r.ready <= now) break;
    first_late = r.ready;
    const uint64_t bit = uint64_t(1) << r.bank_flat;
    if (!(late_mask & bit)) late[r.bank_flat] = late_hits[r.bank_flat] = 0, late_mask |= bit;
    ++late[r.bank_flat];
    const Bank& b = *m_flat[r.bank_flat];
    late_hits[r.bank_flat] += b.open && b.row == r.addr.row;
  }
  ready = n;
  uint64_t act_ok[64], cmd_ok[64];
  for (size_t r = 0; r < m_ranks.size(); ++r)
    cmd_ok[r] = m_ranks[r].cmd_ok, act_ok[r] = std::max(faw_ready(m_ranks[r]), m_ranks[r].cmd_ok);
  bool any_blocked = false;
  // Every request of a bank has the same earliest cycle for its next command, by kind: a row hit (RD/WR),
  // an ACT to the closed bank, or a PRE for a conflict (left out while the open row still has its share
  // of hits and requests waiting for it). If none of them is now, the scan would find nothing.
  const std::vector<uint32_t>& queued = m_queued[w];
  uint64_t bank_min = kNever, min_mask = 0;  // the earliest bank and the banks that have it
  m_cache[w].valid = false;
  const uint64_t* const floor = m_floor[w].data();
  for (uint64_t m = m_queued_mask[w]; m; m &= m - 1) {
    const unsigned i = static_cast<unsigned>(__builtin_ctzll(m));
    // A bank's bound is never below its floor: past the earliest bank so far, it can be neither now nor
    // the earliest.
    if (floor[i] > bank_min) continue;
    const Bank& b = *m_flat[i];
    uint64_t t;
    if (!b.open) {
      // Every request to a closed bank waits for its ACT (none does while all are in the front end).
      t = ((late_mask >> i) & 1) && late[i] == queued[i] ? kNever : std::max(act_bound(b), act_ok[b.rank]);
    } else {
      uint32_t cnt = queued[i], hits = w ? b.pending_wr : b.pending_rd;
      if ((late_mask >> i) & 1) cnt -= late[i], hits -= late_hits[i];
      const uint64_t ok = cmd_ok[b.rank];
      t = hits ? std::max(col_bound(b, w), ok) : kNever;
      if (cnt > hits) {
        if (!(b.hits < cap && (b.pending_rd + b.pending_wr) > 0)) t = std::min(t, std::max(b.next_pre, ok));
      }
    }
    if (t <= now) {
      may = ~((uint64_t(1) << i) - 1);  // the banks before i (in bit order) were found unable to issue
      return false;
    }
    // (A bank whose requests are all in the front end or that waits on the other queue counts as kNever:
    // it joins min_mask only while bank_min is kNever, and then the mask is not used.)
    // With selects, not branches (whether a bank is the earliest so far is a coin flip on random traffic):
    // a new earliest bank starts the mask, a tie joins it.
    const uint64_t bit = uint64_t(1) << i;
    min_mask = ((t <= bank_min ? ~uint64_t(0) : 0) & bit) | ((t >= bank_min ? ~uint64_t(0) : 0) & min_mask);
    bank_min = std::min(bank_min, t);
  }
  // Nothing can issue: the banks waiting only on rows held open for the other queue's requests make
  // `blocked` (their bound is kNever): open, with requests of the other queue for the row and none of
  // this queue, not capped, and with a request through the front end. (Only this answer reads it.)
  for (uint64_t m = m_queued_mask[w] & m_pending_mask[!w] & ~m_pending_mask[w]; m && !any_blocked;
       m &= m - 1) {
    const unsigned i = static_cast<unsigned>(__builtin_ctzll(m));
    any_blocked = m_flat[i]->hits < cap && (!((late_mask >> i) & 1) || late[i] < queued[i]);
  }
  wake = std::min({wake, first_late, bank_min});
  blocked = blocked || any_blocked;
  m_cache[w].valid = true;
  m_cache[w].mask = bank_min == kNever ? 0 : min_mask;
  m_cache[w].until = bank_min;
  m_cache[w].boundary = n;
  return true;
}

inline bool Channel::hit_may_issue(bool w, uint64_t now, uint64_t banks) const {
  if (!m_bank_masks) return true;
  const uint32_t cap = static_cast<uint32_t>(m_cfg.ctrl.starvation_cap);
  for (uint64_t m = m_pending_mask[w] & banks; m; m &= m - 1) {
    const Bank& b = *m_flat[static_cast<unsigned>(__builtin_ctzll(m))];
    if (b.open && b.hits < cap && std::max(col_bound(b, w), m_ranks[b.rank].cmd_ok) <= now) return true;
  }
  return false;
}

inline Channel::Choice Channel::select(RequestQueue& q, bool w, uint64_t now, uint64_t& wake) {
  // A partial scan passes over the ready requests before `boundary` to banks outside `only`; its wake
  // does not count (see below). Nothing found: the full scan follows.
  bool partial = false;
  uint64_t only = ~uint64_t(0);
  size_t boundary = 0;
  if (m_bank_masks) {
    const bool special = m_special;
    // The bank-level pass pays off where the scan would mostly find nothing: in the first cycle after a
    // command (later ticks happen at a wake time, where something can nearly always issue).
    if (!special && now == m_bus_free) {
      bool blocked = false;
      uint64_t may = 0;
      size_t ready = 0;
      if (nothing_now(q, w, now, wake, blocked, may, ready)) {
        Choice none;
        none.blocked = blocked;
        return none;
      }
      // Some bank in `may` can issue now, so the scan finds a choice (wake and blocked no longer count),
      // and the ready requests to the banks outside `may` cannot issue: passing over them changes no
      // choice (as for the ScanCache below: with no capped row open, the closing marks are not read).
      if (m_capped_open == 0) partial = true, only = may, boundary = ready;
    } else if (!special && m_cache[w].valid && now <= m_cache[w].until && m_capped_open == 0) {
      // No command since that pass: the requests it saw that can issue now are to its earliest banks.
      // Passing over the others changes no choice: they cannot issue, and they could only matter through
      // the closing marks, which only capped rows read (none is open). Nothing found: scan it all again.
      partial = true, only = m_cache[w].mask, boundary = m_cache[w].boundary;
    }
  }
  for (;;) {  // (one scan call site: scan is inlined)
    uint64_t ignored = kNever;
    const Choice c = scan(q, w, now, partial ? ignored : wake, only, boundary);
    if (!partial || c.index != SIZE_MAX) return c;
    partial = false, only = ~uint64_t(0), boundary = 0;
  }
}

inline Channel::Choice Channel::scan(RequestQueue& q, bool w, uint64_t now, uint64_t& wake, uint64_t only,
                                     size_t boundary) {
  const uint32_t cap = static_cast<uint32_t>(m_cfg.ctrl.starvation_cap);
  // FR-FCFS: the oldest row hit that may issue now (while its row is under the hit cap); otherwise the
  // oldest request whose next command (ACT, PRE, a capped hit, power-down exit) may issue now.
  Choice other;
  // Banks whose row has used up its hit cap and that an older request wants closed (at most 8, marked
  // with this call's stamp): younger hits to them must not keep pushing the precharge back (each RD
  // moves tRTP).
  const uint32_t stamp = ++m_select_stamp;
  if (stamp == 0) std::fill(m_closing.begin(), m_closing.end(), 0u), m_select_stamp = 1;
  const uint32_t mark = m_select_stamp;
  unsigned n_closing = 0;
  const bool special = m_special;  // (else no rank refreshes or is powered down: two tests fewer a request)
  size_t i = 0;
  for (; i < q.size(); ++i) {
    // The bank-level pass saw the requests before `boundary` through the front end, and no command (so no
    // serve) since: those to banks outside `only` are passed over.
    if (i < boundary) i = q.find_bank(i, boundary, only);
    if (i >= boundary) {
      if (i == q.size()) break;
      if (q[i].ready > now) {
        // Requests are queued in arrival order, all with the same front-end delay: none behind is ready.
        wake = std::min(wake, q[i].ready);
        break;
      }
    }
    Request& r = q[i];
    Rank& rk = m_ranks[r.addr.rank];
    if (special && rk.ref_pending && (!m_same_bank_refresh || r.addr.bank == rk.sb_index))
      continue;  // refresh wakes us
    if (special && rk.powered_down) {
      const uint64_t t = rk.pde_at + m_t.tcke;
      if (t <= now) {
        if (other.index == SIZE_MAX) other.index = i, other.cmd = Cmd::PDX;
      } else {
        wake = std::min(wake, t);
      }
      if (other.index != SIZE_MAX) break;
      continue;
    }
    Bank& b = *m_flat[r.bank_flat];
    if (b.open && b.row == r.addr.row) {
      const uint64_t t = std::max(col_bound(b, w), rk.cmd_ok);
      if (t > now) {
        wake = std::min(wake, t);
      } else if (b.hits < cap) {
        Choice c;
        c.index = i, c.cmd = w ? Cmd::WR : Cmd::RD;
        return c;
      } else if (other.index == SIZE_MAX && m_closing[r.bank_flat] != mark) {
        other.index = i, other.cmd = w ? Cmd::WR : Cmd::RD;
      }
    } else if (!b.open) {
      const uint64_t t = std::max({act_bound(b), faw_ready(rk), rk.cmd_ok});
      if (t > now)
        wake = std::min(wake, t);
      else if (other.index == SIZE_MAX)
        other.index = i, other.cmd = Cmd::ACT;
    } else {
      // Conflict: the open row stays while requests of either queue wait for it, unless it has had its
      // share of hits. (Counting only this queue's requests let a write drain close rows just opened
      // for reads, and the reverse: 5.7% of all ACTs were wasted on 2:1 random traffic.)
      if (b.hits < cap && (b.pending_rd + b.pending_wr) > 0) {
        if ((w ? b.pending_wr : b.pending_rd) == 0) other.blocked = true;
        continue;
      }
      if (n_closing < 8 && m_closing[r.bank_flat] != mark) m_closing[r.bank_flat] = mark, ++n_closing;
      const uint64_t t = std::max(b.next_pre, rk.cmd_ok);
      if (t > now)
        wake = std::min(wake, t);
      else if (other.index == SIZE_MAX)
        other.index = i, other.cmd = Cmd::PRE;
    }
    if (other.index != SIZE_MAX) break;
  }
  if (other.index == SIZE_MAX) return other;
  // The ready requests before `boundary` to banks outside `only` cannot issue now: a hit that may is to a
  // bank in `only` or among the requests from `boundary` on.
  uint64_t hit_banks = only;
  if (only != ~uint64_t(0))  // (a boundary of 0 with no bank in `only` counts every ready request)
    for (size_t j = boundary; j < q.size() && q[j].ready <= now; ++j)
      hit_banks |= uint64_t(1) << q[j].bank_flat;
  if (!hit_may_issue(w, now, hit_banks)) return other;
  // Something older may issue: only a younger row hit under the cap that may issue now takes precedence
  // (the wake time, the closing banks and `blocked` no longer matter).
  for (++i; i < q.size(); ++i) {
    const Request& r = q[i];
    if (i < boundary) {
      if (!((only >> r.bank_flat) & 1)) continue;
    } else if (r.ready > now) {
      break;
    }
    const Rank& rk = m_ranks[r.addr.rank];
    if (special &&
        ((rk.ref_pending && (!m_same_bank_refresh || r.addr.bank == rk.sb_index)) || rk.powered_down))
      continue;
    const Bank& b = *m_flat[r.bank_flat];
    if (b.open && b.row == r.addr.row && b.hits < cap && std::max(col_bound(b, w), rk.cmd_ok) <= now) {
      Choice c;
      c.index = i, c.cmd = w ? Cmd::WR : Cmd::RD;
      return c;
    }
  }
  return other;
}

inline void Channel::perform(RequestQueue& q, bool w, const Choice& c, uint64_t now) {
  Request& r = q[c.index];
  switch (c.cmd) {
    case Cmd::RD:
    case Cmd::WR:
      serve(now, q, c.index, w);
      break;
    case Cmd::ACT:
      r.needed_act = true;
      issue(now, Cmd::ACT, r.addr);
      break;
    case Cmd::PRE: {
      r.needed_pre = true;
      DramAddr a = r.addr;
      a.row = bank_of(r.addr).row;
      issue(now, Cmd::PRE, a);
      break;
    }
    default: {
      DramAddr a;
      a.channel = m_index;
      a.rank = r.addr.rank;
      issue(now, Cmd::PDX, a);
      break;
    }
  }
}

uint64_t Channel::tick(uint64_t now) {
  if (now < m_bus_free) return m_bus_free;  // the second cycle of a two-cycle command
  uint64_t wake = kNever;
  // refresh_step's quiet shortcut, inline: most ticks find every rank waiting for its next refresh slot.
  if (m_ref_quiet && now < m_ref_quiet_until) {
    wake = m_ref_quiet_until;
  } else if (refresh_step(now, wake)) {
    return now + 1;
  }

  // Write draining: writes wait in their queue until it reaches the high watermark (or no read waits),
  // then drain until the low watermark while reads wait, so the bus turns around rarely.
  // The write queue is in arrival order, so its front holds the oldest write.
  if (!m_wq.empty() && m_wq.front().id < m_drain_before) {
    m_draining = true;
  } else if (!m_draining) {
    if (m_wq.size() >= m_cfg.ctrl.write_high || (m_rq.empty() && !m_wq.empty())) m_draining = true;
  } else if (m_wq.empty() || (!m_rq.empty() && m_wq.size() <= m_cfg.ctrl.write_low)) {
    m_draining = false;
  }
  bool w = m_draining;
  Choice c;
  for (bool first = true;; first = false) {  // (one select call site: select is inlined)
    c = select(w ? m_wq : m_rq, w, now, wake);
    if (c.index != SIZE_MAX || !c.blocked || !first) break;
    // Everything this mode could do waits on rows held open for the other queue's requests: serve those
    // (otherwise a drain whose writes all conflict with rows opened for reads would never end).
    w = !w;
  }
  if (c.index != SIZE_MAX) {
    perform(w ? m_wq : m_rq, w, c, now);  // (one call site: perform is inlined)
    return now + 1;
  }
  if (m_cfg.ctrl.powerdown && powerdown_step(now, wake)) return now + 1;
  return std::max(wake, now + 1);
}

}  // namespace pc::dram
