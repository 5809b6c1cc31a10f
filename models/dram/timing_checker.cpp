// Protocol and timing checker.
#include "models/dram/timing_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "platform/core/sanitizer.h"

namespace pc::dram {

TimingChecker::TimingChecker(const OrgConfig& org, const TimingConfig& t, RefreshMode refresh)
    : m_org(org),
      m_t(t),
      m_channels(static_cast<unsigned>(org.channels)),
      m_ranks_per_ch(static_cast<unsigned>(org.ranks)),
      m_groups_per_rank(static_cast<unsigned>(org.bank_groups)),
      m_bpg(static_cast<unsigned>(org.banks_per_group)),
      m_banks_per_rank(static_cast<unsigned>(org.banks())) {
  // Same-bank refresh is a fine-granularity-mode command: every bank set once per tREFI2 = tREFI / 2.
  const uint64_t per_bank = refresh == RefreshMode::SameBank ? t.trefi / 2 : t.trefi;
  m_refresh_window = static_cast<int64_t>((kMaxPostponed + 1) * per_bank);
  const int64_t bl2 = static_cast<int64_t>(org.burst_length / 2), CL = t.cl, CWL = t.cwl;
  const int64_t trtrs = static_cast<int64_t>(t.trtrs);
  for (int same_bg = 0; same_bg < 2; ++same_bg) {
    const int64_t tccd = static_cast<int64_t>(same_bg ? t.tccd_l : t.tccd_s);
    m_col_rd[0][same_bg] = tccd;
    m_col_wr[0][same_bg] = CL + bl2 + 2 - CWL;
    m_col_rd[1][same_bg] = CWL + bl2 + static_cast<int64_t>(same_bg ? t.twtr_l : t.twtr_s);
    m_col_wr[1][same_bg] = same_bg && t.tccd_l_wr ? static_cast<int64_t>(t.tccd_l_wr) : tccd;
  }
  m_col_rd[0][2] = bl2 + trtrs, m_col_wr[0][2] = CL + bl2 + trtrs - CWL;
  m_col_rd[1][2] = CWL + bl2 + trtrs - CL, m_col_wr[1][2] = bl2 + trtrs;
  m_wr_to_pre = CWL + bl2 + static_cast<int64_t>(t.twr);
  // DDR5 ACT, RD and WR are two-cycle commands (JESD79-5 §4.1), the others take one. (At least one: a
  // command always holds the bus in its own cycle, which the "already used" rule tests first.)
  for (unsigned k = 0; k < std::size(m_bus); ++k) {
    const Cmd cmd = static_cast<Cmd>(k);
    const bool two_cycle = cmd == Cmd::ACT || is_read(cmd) || is_write(cmd);
    m_bus[k] = std::max<int64_t>(1, static_cast<int64_t>(two_cycle ? t.ca_cycles : 1));
  }
  const size_t ranks = size_t(m_channels) * m_ranks_per_ch;
  m_banks.resize(ranks * m_banks_per_rank);
  m_groups.resize(ranks * m_groups_per_rank);
  m_ranks.resize(ranks);
  m_ch.resize(m_channels);
  for (size_t r = 0; r < ranks; ++r) {
    Rank& rk = m_ranks[r];
    rk.banks = &m_banks[r * m_banks_per_rank];
    rk.groups = &m_groups[r * m_groups_per_rank];
    rk.refsb.assign(org.banks_per_group, kNever);
    rk.refreshed.assign(org.banks_per_group, 0);  // power-up counts as refreshed at cycle 0
    rk.ref_deadline = m_refresh_window;
    rk.cmd_ok = kNever + static_cast<int64_t>(t.txp);  // (as if exited at kNever: never binding)
  }
  for (unsigned c = 0; c < m_channels; ++c) {
    m_ch[c].ranks = &m_ranks[size_t(c) * m_ranks_per_ch];
    m_ch[c].ref_deadline = m_refresh_window;
  }
}

void TimingChecker::refreshed(Rank& rk, unsigned bank_index, int64_t at) {
  int64_t oldest = INT64_MAX;
  for (unsigned i = 0; i < rk.refreshed.size(); ++i) {
    if (bank_index >= rk.refreshed.size() || i == bank_index) rk.refreshed[i] = at;
    oldest = std::min(oldest, rk.refreshed[i]);
  }
  rk.ref_deadline = oldest + m_refresh_window;
}

void TimingChecker::check_refresh(unsigned chi, uint64_t cycle) const {
  const Channel& ch = m_ch.at(chi);
  for (unsigned r = 0; r < m_ranks_per_ch; ++r) {
    const Rank& rk = ch.ranks[r];
    if (static_cast<int64_t>(cycle) <= rk.ref_deadline) continue;
    unsigned worst = 0;
    for (unsigned i = 1; i < rk.refreshed.size(); ++i)
      if (rk.refreshed[i] < rk.refreshed[worst]) worst = i;
    prepare_throw_after_simulation();
    throw TimingViolation(fmt::format(
        "DRAM timing violation: refresh overdue at cycle {} (channel {} rank {}): bank index {} was last "
        "refreshed at "
        "cycle {}, more than {} refresh intervals (at most {} postponed) = {} cycles ago",
        cycle, chi, r, worst, rk.refreshed[worst], kMaxPostponed + 1, kMaxPostponed, m_refresh_window));
  }
}

void TimingChecker::fail(unsigned ch, const Command& c, const std::string& what) const {
  prepare_throw_after_simulation();  // the scheduler calls the checker from a SystemC process
  throw TimingViolation(fmt::format(
      "DRAM timing violation: {} at cycle {} (channel {} rank {} bank group {} bank {} row {}): {}",
      cmd_name(c.cmd), c.cycle, ch, c.addr.rank, c.addr.bank_group, c.addr.bank, c.addr.row, what));
}

void TimingChecker::failf(unsigned ch, const Command& c, const char* what, uint64_t a, uint64_t b) const {
  fail(ch, c, fmt::format(fmt::runtime(what), a, b));
}

void TimingChecker::violated(unsigned ch, const Command& c, int64_t earliest, const char* rule) const {
  fail(ch, c, fmt::format("{} requires cycle >= {}", rule, earliest));
}

void TimingChecker::bus_violated(unsigned chi, const Command& c) const {
  const Channel& ch = m_ch[chi];
  if (static_cast<int64_t>(c.cycle) <= ch.last_cmd)
    fail(chi, c, fmt::format("command bus already used at cycle {}", ch.last_cmd));
  fail(chi, c,
       fmt::format("two-cycle command at cycle {} occupies the command bus until cycle {}", ch.last_cmd,
                   ch.bus_free));
}

void TimingChecker::refresh_overdue(unsigned chi, uint64_t cycle) const {
  // The channel's deadline is the earliest of its ranks': check_refresh names the overdue rank and throws.
  check_refresh(chi, cycle);
  throw std::logic_error("TimingChecker: channel refresh deadline passed but no rank is overdue");
}

void TimingChecker::rank_violated(unsigned chi, const Command& c, const Rank& rk) const {
  if (rk.powered_down) fail(chi, c, "rank is in power-down");
  violated(chi, c, rk.cmd_ok, "tXP (PDX to command)");
}

void TimingChecker::check(unsigned chi, const Command& c) {
  ++m_checked;
  if (chi >= m_channels || c.addr.rank >= m_ranks_per_ch) failf(chi, c, "no such channel or rank");
  Channel& ch = m_ch[chi];
  const int64_t now = static_cast<int64_t>(c.cycle);
  const Cmd cmd = c.cmd;
  // One command per cycle on the command bus; DDR5 ACT, RD and WR take two (JESD79-5 §4.1: two-cycle
  // commands), so nothing may follow them in the next cycle. (bus_free > last_cmd: one test for both.)
  if (now < ch.bus_free) bus_violated(chi, c);
  ch.bus_free = now + m_bus[static_cast<unsigned>(cmd)];
  if (now > ch.ref_deadline) refresh_overdue(chi, c.cycle);  // (the full check names the rank and bank)
  ch.last_cmd = now;  // (apart from the store above: GCC joins the two into a slower vector store)
  Rank& rk = ch.ranks[c.addr.rank];
  constexpr unsigned kRare = 1u << unsigned(Cmd::PREA) | 1u << unsigned(Cmd::REF) |
                             1u << unsigned(Cmd::REFSB) | 1u << unsigned(Cmd::PDE) | 1u << unsigned(Cmd::PDX);
  if ((kRare >> static_cast<unsigned>(cmd)) & 1) return check_rare(chi, c, rk);
  if (now < rk.cmd_ok) rank_violated(chi, c, rk);  // powered down, or within tXP of its exit

  // ACT, PRE, RD, RDA, WR, WRA.
  if (c.addr.bank_group >= m_groups_per_rank || c.addr.bank >= m_bpg) failf(chi, c, "no such bank");
  Bank& b = rk.banks[c.addr.bank_group * m_bpg + c.addr.bank];
  Group& g = rk.groups[c.addr.bank_group];
  if (cmd == Cmd::ACT) return check_act(chi, c, rk, b, g);
  if (cmd == Cmd::PRE) {
    if (!b.open) failf(chi, c, "bank is already precharged");
    require(chi, c, b.act + static_cast<int64_t>(m_t.tras), "tRAS (ACT to PRE)");
    require(chi, c, b.rd + static_cast<int64_t>(m_t.trtp), "tRTP (RD to PRE)");
    require(chi, c, b.wr + m_wr_to_pre, "tWR (write recovery to PRE)");
    b.open = false;
    b.pre = now;
    return;
  }
  return check_column(chi, c, rk, b, g);  // RD, RDA, WR, WRA
}

void TimingChecker::check_act(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  if (b.open) failf(chi, c, "bank already has row {} open", b.row);
  require(chi, c, b.act + static_cast<int64_t>(m_t.trc), "tRC (ACT to ACT, same bank)");
  require(chi, c, b.pre + static_cast<int64_t>(m_t.trp), "tRP (PRE to ACT)");
  require(chi, c, b.ref_done, "tRFC (refresh to ACT)");
  // DDR5 same-bank refresh: banks outside the refreshed set may be activated tREFSBRD after it.
  if (m_t.trefsbrd) return check_act_refsb(chi, c, rk, b, g);
  return check_act_rrd(chi, c, rk, b, g);
}

void TimingChecker::check_act_refsb(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  for (unsigned j = 0; j < rk.refsb.size(); ++j)
    if (j != c.addr.bank)
      require(chi, c, rk.refsb[j] + static_cast<int64_t>(m_t.trefsbrd),
              "tREFSBRD (REFsb to ACT, other bank)");
  check_act_rrd(chi, c, rk, b, g);
}

inline void TimingChecker::check_act_rrd(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  const int64_t now = static_cast<int64_t>(c.cycle);
  // tRRD_S after the latest ACT of any group covers the other groups (the own group's latest ACT is
  // then only tested a little early where tRRD_S > tRRD_L, and the per-bank loop decides).
  if (now < rk.last_act + static_cast<int64_t>(m_t.trrd_s) || now < g.act + static_cast<int64_t>(m_t.trrd_l))
    return check_act_slow(chi, c, rk, b, g);
  return finish_act(chi, c, rk, b, g);
}

void TimingChecker::check_column(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  const int64_t now = static_cast<int64_t>(c.cycle);
  const Cmd cmd = c.cmd;
  const bool rd = is_read(cmd);
  if (!b.open) failf(chi, c, "column command to a precharged bank");
  if (b.row != c.addr.row) failf(chi, c, "column command to row {} but row {} is open", c.addr.row, b.row);
  require(chi, c, b.act + static_cast<int64_t>(m_t.trcd), "tRCD (ACT to RD/WR)");
  if (now < std::max(rd ? rk.rd_all : rk.wr_all, rd ? g.col_rd_ok : g.col_wr_ok))
    return check_column_slow(chi, c, rk, b, g);
  return finish_column(chi, c, rk, b, g);
}

inline void TimingChecker::finish_act(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  const int64_t now = static_cast<int64_t>(c.cycle);
  // Four-activate window: the fourth-last ACT must be at least tFAW ago.
  require(chi, c, rk.acts[rk.act_head] + static_cast<int64_t>(m_t.tfaw), "tFAW (five ACTs in the window)");
  rk.acts[rk.act_head] = now;
  rk.act_head = (rk.act_head + 1) % 4;
  b.act = now;
  g.act = now;
  rk.last_act = now;
  b.open = true;
  b.row = c.addr.row;
}

void TimingChecker::check_act_slow(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  for (unsigned i = 0; i < m_banks_per_rank; ++i) {
    if (&rk.banks[i] == &b) continue;
    const bool same_bg = i / m_bpg == c.addr.bank_group;
    require(chi, c, rk.banks[i].act + static_cast<int64_t>(same_bg ? m_t.trrd_l : m_t.trrd_s),
            same_bg ? "tRRD_L (ACT to ACT, same bank group)" : "tRRD_S (ACT to ACT, different bank group)");
  }
  finish_act(chi, c, rk, b, g);
}

inline void TimingChecker::finish_column(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  const int64_t now = static_cast<int64_t>(c.cycle);
  const bool rd = is_read(c.cmd);
  (rd ? b.rd : b.wr) = now;
  // What this command requires of every later RD and WR, by where their bank is (the same pairs as the
  // per-bank requirements in check_column_slow, from the other side).
  const int64_t* const d_rd = m_col_rd[rd ? 0 : 1];
  const int64_t* const d_wr = m_col_wr[rd ? 0 : 1];
  rk.rd_all = std::max(rk.rd_all, now + d_rd[0]);
  rk.wr_all = std::max(rk.wr_all, now + d_wr[0]);
  g.col_rd_ok = std::max(g.col_rd_ok, now + d_rd[1]);
  g.col_wr_ok = std::max(g.col_wr_ok, now + d_wr[1]);
  if (is_auto_pre(c.cmd)) {
    // The device precharges by itself once tRAS and tRTP / write recovery allow: max(end of tRTP / write
    // recovery, ACT + tRAS).
    b.open = false;
    b.pre = std::max(now + (rd ? static_cast<int64_t>(m_t.trtp) : m_wr_to_pre),
                     b.act + static_cast<int64_t>(m_t.tras));
  }
  // The other ranks last, a tail call: their loop cost the one-rank fast path its registers.
  if (m_ranks_per_ch > 1) column_other_ranks(chi, c, rd);
}

void TimingChecker::column_other_ranks(unsigned chi, const Command& c, bool rd) {
  const int64_t now = static_cast<int64_t>(c.cycle);
  const int64_t d_rd = m_col_rd[rd ? 0 : 1][2], d_wr = m_col_wr[rd ? 0 : 1][2];
  Rank* const ranks = m_ch[chi].ranks;
  for (unsigned ri = 0; ri < m_ranks_per_ch; ++ri) {
    if (ri == c.addr.rank) continue;
    ranks[ri].rd_all = std::max(ranks[ri].rd_all, now + d_rd);
    ranks[ri].wr_all = std::max(ranks[ri].wr_all, now + d_wr);
  }
}

void TimingChecker::check_column_slow(unsigned chi, const Command& c, Rank& rk, Bank& b, Group& g) {
  const auto& t = m_t;
  const bool rd = is_read(c.cmd);
  const int64_t bl2 = static_cast<int64_t>(m_org.burst_length / 2);
  const int64_t CL = t.cl, CWL = t.cwl;
  const int64_t trtrs = static_cast<int64_t>(t.trtrs);
  const Channel& ch = m_ch[chi];
  for (unsigned ri = 0; ri < m_ranks_per_ch; ++ri) {
    const Rank& other = ch.ranks[ri];
    for (unsigned i = 0; i < m_banks_per_rank; ++i) {
      const Bank& o = other.banks[i];
      if (ri != c.addr.rank) {
        // Different rank: only the shared data bus constrains, plus the rank-to-rank turnaround.
        if (rd) {
          require(chi, c, o.rd + bl2 + trtrs, "rank-to-rank turnaround (RD to RD)");
          require(chi, c, o.wr + CWL + bl2 + trtrs - CL, "rank-to-rank turnaround (WR to RD)");
        } else {
          require(chi, c, o.wr + bl2 + trtrs, "rank-to-rank turnaround (WR to WR)");
          require(chi, c, o.rd + CL + bl2 + trtrs - CWL, "rank-to-rank turnaround (RD to WR)");
        }
        continue;
      }
      const bool same_bg = i / m_bpg == c.addr.bank_group;
      const int64_t tccd = static_cast<int64_t>(same_bg ? t.tccd_l : t.tccd_s);
      if (rd) {
        require(chi, c, o.rd + tccd, same_bg ? "tCCD_L (RD to RD)" : "tCCD_S (RD to RD)");
        require(chi, c, o.wr + CWL + bl2 + static_cast<int64_t>(same_bg ? t.twtr_l : t.twtr_s),
                same_bg ? "tWTR_L (WR to RD, same bank group)" : "tWTR_S (WR to RD, different bank group)");
      } else if (same_bg && m_t.tccd_l_wr) {
        require(chi, c, o.wr + static_cast<int64_t>(m_t.tccd_l_wr), "tCCD_L_WR (WR to WR, same bank group)");
        require(chi, c, o.rd + CL + bl2 + 2 - CWL, "read-to-write turnaround (RL + BL/2 + 2 - WL)");
      } else {
        require(chi, c, o.wr + tccd, same_bg ? "tCCD_L (WR to WR)" : "tCCD_S (WR to WR)");
        // Read-to-write turnaround: RL + BL/2 + 2 - WL (JESD79-4 §4.26, one preamble clock each way).
        require(chi, c, o.rd + CL + bl2 + 2 - CWL, "read-to-write turnaround (RL + BL/2 + 2 - WL)");
      }
    }
  }
  finish_column(chi, c, rk, b, g);
}

void TimingChecker::check_rare(unsigned chi, const Command& c, Rank& rk) {
  Channel& ch = m_ch[chi];
  const int64_t now = static_cast<int64_t>(c.cycle);
  const auto& t = m_t;
  const unsigned nb = m_banks_per_rank;
  if (c.cmd != Cmd::PDX && now < rk.cmd_ok) rank_violated(chi, c, rk);
  switch (c.cmd) {
    case Cmd::PDX:
      if (!rk.powered_down) fail(chi, c, "rank is not in power-down");
      require(chi, c, rk.pde + static_cast<int64_t>(t.tcke), "tCKE (PDE to PDX)");
      rk.powered_down = false;
      rk.cmd_ok = now + static_cast<int64_t>(t.txp);
      return;
    case Cmd::PREA:
      for (unsigned i = 0; i < nb; ++i) {
        Bank& b = rk.banks[i];
        if (!b.open) continue;
        require(chi, c, b.act + static_cast<int64_t>(t.tras), "tRAS (ACT to PRE)");
        require(chi, c, b.rd + static_cast<int64_t>(t.trtp), "tRTP (RD to PRE)");
        require(chi, c, b.wr + m_wr_to_pre, "tWR (write recovery to PRE)");
        b.open = false;
        b.pre = now;
      }
      return;
    case Cmd::REF:
    case Cmd::REFSB: {
      const bool sb = c.cmd == Cmd::REFSB;
      if (sb && c.addr.bank >= m_bpg) fail(chi, c, "no such bank");
      for (unsigned i = 0; i < nb; ++i) {
        if (sb && i % m_bpg != c.addr.bank) continue;
        Bank& b = rk.banks[i];
        if (b.open)
          fail(chi, c, fmt::format("refresh while bank group {} bank {} is open", i / m_bpg, i % m_bpg));
        require(chi, c, b.pre + static_cast<int64_t>(t.trp), "tRP (PRE to REF)");
        require(chi, c, b.ref_done, "tRFC (refresh to refresh)");
        require(chi, c, b.act + static_cast<int64_t>(t.trc), "tRC (ACT to REF)");
      }
      const int64_t done = now + static_cast<int64_t>(sb ? t.trfcsb : t.trfc);
      for (unsigned i = 0; i < nb; ++i)
        if (!sb || i % m_bpg == c.addr.bank) rk.banks[i].ref_done = done;
      if (sb) rk.refsb[c.addr.bank] = now;
      refreshed(rk, sb ? c.addr.bank : m_bpg, now);
      ch.ref_deadline = rk.ref_deadline;
      for (unsigned r = 0; r < m_ranks_per_ch; ++r)
        ch.ref_deadline = std::min(ch.ref_deadline, ch.ranks[r].ref_deadline);
      return;
    }
    case Cmd::PDE:
      for (unsigned i = 0; i < nb; ++i) {
        if (rk.banks[i].open) fail(chi, c, "precharge power-down entry with a bank open");
        require(chi, c, rk.banks[i].ref_done, "tRFC (refresh to power-down)");
        require(chi, c, rk.banks[i].pre + static_cast<int64_t>(t.trp), "tRP (PRE to power-down)");
      }
      rk.powered_down = true;
      rk.pde = now;
      rk.cmd_ok = INT64_MAX;  // until PDX
      return;
    default:
      return;  // (the bank commands are checked in check())
  }
}

}  // namespace pc::dram
