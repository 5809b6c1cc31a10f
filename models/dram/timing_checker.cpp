// Protocol and timing checker.
#include "models/dram/timing_checker.h"

#include <fmt/format.h>

#include <algorithm>

#include "platform/core/sanitizer.h"

namespace pc::dram {

TimingChecker::TimingChecker(const OrgConfig& org, const TimingConfig& t, RefreshMode refresh)
    : m_org(org), m_t(t) {
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
  m_ch.resize(org.channels);
  for (auto& ch : m_ch) {
    ch.ref_deadline = m_refresh_window;
    ch.ranks.resize(org.ranks);
    for (auto& r : ch.ranks) {
      r.banks.resize(org.banks());
      r.refsb.assign(org.banks_per_group, kNever);
      r.refreshed.assign(org.banks_per_group, 0);  // power-up counts as refreshed at cycle 0
      r.ref_deadline = m_refresh_window;
      r.grp_act.assign(org.bank_groups, kNever);
      r.col_rd_ok.assign(org.bank_groups, kNever);
      r.col_wr_ok.assign(org.bank_groups, kNever);
    }
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
  for (unsigned r = 0; r < ch.ranks.size(); ++r) {
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

void TimingChecker::violated(unsigned ch, const Command& c, int64_t earliest, const char* rule) const {
  fail(ch, c, fmt::format("{} requires cycle >= {}", rule, earliest));
}

void TimingChecker::close_bank(Bank& b, int64_t at) {
  b.open = false;
  b.pre = at;
}

void TimingChecker::check(unsigned chi, const Command& c) {
  ++m_checked;
  if (chi >= m_ch.size() || c.addr.rank >= m_org.ranks) fail(chi, c, "no such channel or rank");
  Channel& ch = m_ch[chi];
  Rank& rk = ch.ranks[c.addr.rank];
  const int64_t now = static_cast<int64_t>(c.cycle);
  const auto& t = m_t;
  const int64_t bl2 = static_cast<int64_t>(m_org.burst_length / 2);
  const int64_t CL = t.cl, CWL = t.cwl;
  // One command per cycle on the command bus; DDR5 ACT, RD and WR take two (JESD79-5 §4.1: two-cycle
  // commands), so nothing may follow them in the next cycle.
  if (now <= ch.last_cmd) fail(chi, c, fmt::format("command bus already used at cycle {}", ch.last_cmd));
  if (now < ch.bus_free)
    fail(chi, c,
         fmt::format("two-cycle command at cycle {} occupies the command bus until cycle {}", ch.last_cmd,
                     ch.bus_free));
  ch.last_cmd = now;
  const bool two_cycle = c.cmd == Cmd::ACT || is_read(c.cmd) || is_write(c.cmd);
  ch.bus_free = now + static_cast<int64_t>(two_cycle ? m_t.ca_cycles : 1);
  if (now > ch.ref_deadline) check_refresh(chi, c.cycle);  // (the full check names the rank and bank)

  if (c.cmd == Cmd::PDX) {
    if (!rk.powered_down) fail(chi, c, "rank is not in power-down");
    require(chi, c, rk.pde + static_cast<int64_t>(t.tcke), "tCKE (PDE to PDX)");
    rk.powered_down = false;
    rk.pdx = now;
    return;
  }
  if (rk.powered_down) fail(chi, c, "rank is in power-down");
  require(chi, c, rk.pdx + static_cast<int64_t>(t.txp), "tXP (PDX to command)");

  const unsigned nb = static_cast<unsigned>(m_org.banks());
  const unsigned bi = c.addr.bank_group * static_cast<unsigned>(m_org.banks_per_group) + c.addr.bank;
  auto bank_ok = [&] {
    if (c.addr.bank_group >= m_org.bank_groups || c.addr.bank >= m_org.banks_per_group)
      fail(chi, c, "no such bank");
  };

  switch (c.cmd) {
    case Cmd::ACT: {
      bank_ok();
      Bank& b = rk.banks[bi];
      if (b.open) fail(chi, c, fmt::format("bank already has row {} open", b.row));
      require(chi, c, b.act + static_cast<int64_t>(t.trc), "tRC (ACT to ACT, same bank)");
      require(chi, c, b.pre + static_cast<int64_t>(t.trp), "tRP (PRE to ACT)");
      require(chi, c, b.ref_done, "tRFC (refresh to ACT)");
      // DDR5 same-bank refresh: banks outside the refreshed set may be activated tREFSBRD after it.
      if (m_t.trefsbrd)
        for (unsigned j = 0; j < rk.refsb.size(); ++j)
          if (j != c.addr.bank)
            require(chi, c, rk.refsb[j] + static_cast<int64_t>(m_t.trefsbrd),
                    "tREFSBRD (REFsb to ACT, other bank)");
      // tRRD_S after the latest ACT of any group covers the other groups (the own group's latest ACT is
      // then only tested a little early where tRRD_S > tRRD_L, and the per-bank loop decides).
      const bool quick = now >= rk.last_act + static_cast<int64_t>(t.trrd_s) &&
                         now >= rk.grp_act[c.addr.bank_group] + static_cast<int64_t>(t.trrd_l);
      for (unsigned i = 0; i < nb && !quick; ++i) {
        if (i == bi) continue;
        const bool same_bg = i / m_org.banks_per_group == c.addr.bank_group;
        require(
            chi, c, rk.banks[i].act + static_cast<int64_t>(same_bg ? t.trrd_l : t.trrd_s),
            same_bg ? "tRRD_L (ACT to ACT, same bank group)" : "tRRD_S (ACT to ACT, different bank group)");
      }
      // Four-activate window: the fourth-last ACT must be at least tFAW ago.
      require(chi, c, rk.acts[rk.act_head] + static_cast<int64_t>(t.tfaw), "tFAW (five ACTs in the window)");
      rk.acts[rk.act_head] = now;
      rk.act_head = (rk.act_head + 1) % 4;
      b.act = now;
      rk.grp_act[c.addr.bank_group] = now;
      rk.last_act = now;
      b.open = true;
      b.row = c.addr.row;
      return;
    }
    case Cmd::PRE:
    case Cmd::PREA: {
      const unsigned lo = c.cmd == Cmd::PRE ? bi : 0, hi = c.cmd == Cmd::PRE ? bi + 1 : nb;
      if (c.cmd == Cmd::PRE) bank_ok();
      for (unsigned i = lo; i < hi; ++i) {
        Bank& b = rk.banks[i];
        if (!b.open) {
          if (c.cmd == Cmd::PRE) fail(chi, c, "bank is already precharged");
          continue;
        }
        require(chi, c, b.act + static_cast<int64_t>(t.tras), "tRAS (ACT to PRE)");
        require(chi, c, b.rd + static_cast<int64_t>(t.trtp), "tRTP (RD to PRE)");
        require(chi, c, b.wr + CWL + bl2 + static_cast<int64_t>(t.twr), "tWR (write recovery to PRE)");
        close_bank(b, now);
      }
      return;
    }
    case Cmd::RD:
    case Cmd::RDA:
    case Cmd::WR:
    case Cmd::WRA: {
      bank_ok();
      Bank& b = rk.banks[bi];
      const bool rd = is_read(c.cmd);
      if (!b.open) fail(chi, c, "column command to a precharged bank");
      if (b.row != c.addr.row)
        fail(chi, c, fmt::format("column command to row {} but row {} is open", c.addr.row, b.row));
      require(chi, c, b.act + static_cast<int64_t>(t.trcd), "tRCD (ACT to RD/WR)");
      const int64_t trtrs = static_cast<int64_t>(t.trtrs);
      const bool quick =
          now >= std::max(rd ? rk.rd_all : rk.wr_all, (rd ? rk.col_rd_ok : rk.col_wr_ok)[c.addr.bank_group]);
      for (unsigned ri = 0; ri < ch.ranks.size() && !quick; ++ri) {
        const Rank& other = ch.ranks[ri];
        for (unsigned i = 0; i < nb; ++i) {
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
          const bool same_bg = i / m_org.banks_per_group == c.addr.bank_group;
          const int64_t tccd = static_cast<int64_t>(same_bg ? t.tccd_l : t.tccd_s);
          if (rd) {
            require(chi, c, o.rd + tccd, same_bg ? "tCCD_L (RD to RD)" : "tCCD_S (RD to RD)");
            require(
                chi, c, o.wr + CWL + bl2 + static_cast<int64_t>(same_bg ? t.twtr_l : t.twtr_s),
                same_bg ? "tWTR_L (WR to RD, same bank group)" : "tWTR_S (WR to RD, different bank group)");
          } else if (same_bg && m_t.tccd_l_wr) {
            require(chi, c, o.wr + static_cast<int64_t>(m_t.tccd_l_wr),
                    "tCCD_L_WR (WR to WR, same bank group)");
            require(chi, c, o.rd + CL + bl2 + 2 - CWL, "read-to-write turnaround (RL + BL/2 + 2 - WL)");
          } else {
            require(chi, c, o.wr + tccd, same_bg ? "tCCD_L (WR to WR)" : "tCCD_S (WR to WR)");
            // Read-to-write turnaround: RL + BL/2 + 2 - WL (JESD79-4 §4.26, one preamble clock each way).
            require(chi, c, o.rd + CL + bl2 + 2 - CWL, "read-to-write turnaround (RL + BL/2 + 2 - WL)");
          }
        }
      }
      (rd ? b.rd : b.wr) = now;
      // What this command requires of every later RD and WR, by where their bank is (the same pairs as
      // the per-bank requirements above, from the other side).
      const int64_t* const d_rd = m_col_rd[rd ? 0 : 1];
      const int64_t* const d_wr = m_col_wr[rd ? 0 : 1];
      for (unsigned ri = 0; ri < ch.ranks.size(); ++ri) {
        Rank& o = ch.ranks[ri];
        const int where = ri != c.addr.rank ? 2 : 0;
        o.rd_all = std::max(o.rd_all, now + d_rd[where]);
        o.wr_all = std::max(o.wr_all, now + d_wr[where]);
      }
      int64_t& grp_rd = rk.col_rd_ok[c.addr.bank_group];
      int64_t& grp_wr = rk.col_wr_ok[c.addr.bank_group];
      grp_rd = std::max(grp_rd, now + d_rd[1]);
      grp_wr = std::max(grp_wr, now + d_wr[1]);
      if (is_auto_pre(c.cmd)) {
        // The device precharges by itself once tRAS and tRTP / write recovery allow.
        const int64_t pre =
            rd ? std::max(now + static_cast<int64_t>(t.trtp), b.act + static_cast<int64_t>(t.tras))
               : std::max(now + CWL + bl2 + static_cast<int64_t>(t.twr),
                          b.act + static_cast<int64_t>(t.tras));
        close_bank(b, pre);
      }
      return;
    }
    case Cmd::REF:
    case Cmd::REFSB: {
      const bool sb = c.cmd == Cmd::REFSB;
      if (sb && c.addr.bank >= m_org.banks_per_group) fail(chi, c, "no such bank");
      for (unsigned i = 0; i < nb; ++i) {
        if (sb && i % m_org.banks_per_group != c.addr.bank) continue;
        Bank& b = rk.banks[i];
        if (b.open)
          fail(chi, c,
               fmt::format("refresh while bank group {} bank {} is open", i / m_org.banks_per_group,
                           i % m_org.banks_per_group));
        require(chi, c, b.pre + static_cast<int64_t>(t.trp), "tRP (PRE to REF)");
        require(chi, c, b.ref_done, "tRFC (refresh to refresh)");
        require(chi, c, b.act + static_cast<int64_t>(t.trc), "tRC (ACT to REF)");
      }
      const int64_t done = now + static_cast<int64_t>(sb ? t.trfcsb : t.trfc);
      for (unsigned i = 0; i < nb; ++i)
        if (!sb || i % m_org.banks_per_group == c.addr.bank) rk.banks[i].ref_done = done;
      if (sb) rk.refsb[c.addr.bank] = now;
      refreshed(rk, sb ? c.addr.bank : static_cast<unsigned>(m_org.banks_per_group), now);
      ch.ref_deadline = rk.ref_deadline;
      for (const Rank& r : ch.ranks) ch.ref_deadline = std::min(ch.ref_deadline, r.ref_deadline);
      return;
    }
    case Cmd::PDE: {
      for (unsigned i = 0; i < nb; ++i) {
        if (rk.banks[i].open) fail(chi, c, "precharge power-down entry with a bank open");
        require(chi, c, rk.banks[i].ref_done, "tRFC (refresh to power-down)");
        require(chi, c, rk.banks[i].pre + static_cast<int64_t>(t.trp), "tRP (PRE to power-down)");
      }
      rk.powered_down = true;
      rk.pde = now;
      return;
    }
    case Cmd::PDX:
      return;  // handled above
  }
}

}  // namespace pc::dram
