// Independent DRAM protocol checker: validates every issued command against the bank state machine and
// every timing constraint between command pairs (JESD79-4 §13 / JESD79-5 timing tables), in the manner of
// DRAMSys' and Ramulator's protocol checkers. It keeps its own history and shares no state with the
// scheduler, so a scheduler bug shows up as a violation.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/dram/command.h"
#include "models/dram/ddr_config.h"

namespace pc::dram {

class TimingViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class TimingChecker {
 public:
  // JEDEC allows at most 8 refreshes to be postponed, so no bank may go longer than 9 refresh intervals
  // without a refresh (JESD79-4 §4.9; the DDR3 datasheets state the same 9 x tREFI bound).
  static constexpr uint64_t kMaxPostponed = 8;

  // `refresh` decides the refresh interval each bank must keep (all-bank: tREFI; same-bank: tREFI/2).
  TimingChecker(const OrgConfig& org, const TimingConfig& t, RefreshMode refresh = RefreshMode::AllBank);
  // Throws TimingViolation naming the command, its cycle and the constraint it breaks.
  void check(unsigned channel, const Command& c);
  // Throws TimingViolation if some bank of `channel` has gone without a refresh for more than
  // (kMaxPostponed + 1) refresh intervals by `cycle` (a scheduler that stops refreshing is caught at its
  // next command or here, at the end of the run).
  void check_refresh(unsigned channel, uint64_t cycle) const;
  uint64_t commands_checked() const { return m_checked; }
  // The channels and ranks point into the flat bank and group arrays.
  TimingChecker(const TimingChecker&) = delete;
  TimingChecker& operator=(const TimingChecker&) = delete;

 private:
  static constexpr int64_t kNever = INT64_MIN / 4;
  struct Bank {
    int64_t act = kNever, pre = kNever, rd = kNever, wr = kNever;
    int64_t ref_done = kNever;  // end of the last refresh covering this bank
    bool open = false;
    uint32_t row = 0;
  };
  // Per bank group: the latest ACT to any of its banks, and the earliest RD and WR that the column
  // commands to it so far allow (col_*_ok, same-group offsets); with the rank's rd_all / wr_all (what every
  // column command, any group, any rank, allows in all groups of the rank, with the other-group or
  // other-rank offsets). A command that keeps these (the max of both parts: never earlier than the exact
  // bound, and later only where an other-group offset exceeds a same-group one) keeps its distance to every
  // bank, so the per-bank loops run only when this quick test fails (and then decide, with the exact
  // message).
  struct Group {
    int64_t act = kNever, col_rd_ok = kNever, col_wr_ok = kNever;
  };
  struct Rank {
    Bank* banks = nullptr;    // its banks in m_banks (bank group x banks per group + bank)
    Group* groups = nullptr;  // its bank groups in m_groups
    int64_t acts[4] = {kNever, kNever, kNever, kNever};  // the last four ACTs (ring; acts[act_head] oldest)
    unsigned act_head = 0;
    bool powered_down = false;
    int64_t pde = kNever;
    // The earliest cycle of a command other than PDX: the last PDX + tXP, or INT64_MAX while powered down
    // (one test for both rules; rank_violated tells which).
    int64_t cmd_ok = kNever;
    int64_t rd_all = kNever, wr_all = kNever;
    int64_t last_act = kNever;   // the latest ACT to any bank (the quick tRRD_S test for every group at once)
    int64_t ref_deadline = 0;    // the latest cycle by which the next refresh is due
    std::vector<int64_t> refsb;  // per bank index: last REFsb (for tREFSBRD)
    std::vector<int64_t> refreshed;  // per bank index: last refresh (REF or REFsb) that covered it
  };
  struct Channel {
    Rank* ranks = nullptr;  // its ranks in m_ranks
    int64_t last_cmd = kNever;
    int64_t bus_free = kNever;  // first cycle after the last command's occupancy of the command bus
    int64_t ref_deadline = 0;   // the earliest of its ranks' ref_deadline
  };
  [[noreturn]] __attribute__((cold)) void fail(unsigned ch, const Command& c, const std::string& what) const;
  // fail with `what`'s {} filled in by a and b: out of line, so that check() makes no call that returns.
  [[noreturn]] __attribute__((cold, noinline)) void failf(unsigned ch, const Command& c, const char* what,
                                                          uint64_t a = 0, uint64_t b = 0) const;
  void refreshed(Rank& rk, unsigned bank_index, int64_t at);  // bank_index == bpg: every bank (REF)
  // Inline: nearly every command passes every rule, so only the comparison belongs in check().
  void require(unsigned ch, const Command& c, int64_t earliest, const char* rule) const {
    if (static_cast<int64_t>(c.cycle) < earliest) violated(ch, c, earliest, rule);
  }
  [[noreturn]] __attribute__((cold)) void violated(unsigned ch, const Command& c, int64_t earliest,
                                                   const char* rule) const;
  // check() keeps to tail calls and calls that do not return, so that it saves no registers: the rules it
  // tests in one comparison go on where that fails (they decide, with the exact message), and the rare
  // commands (PREA, refresh, power-down) are checked out of line.
  [[noreturn]] __attribute__((cold, noinline)) void bus_violated(unsigned ch, const Command& c) const;
  [[noreturn]] __attribute__((cold, noinline)) void refresh_overdue(unsigned ch, uint64_t cycle) const;
  [[noreturn]] __attribute__((cold, noinline)) void rank_violated(unsigned ch, const Command& c,
                                                                  const Rank& rk) const;
  __attribute__((noinline)) void check_act(unsigned ch, const Command& c, Rank& rk, Bank& b, Group& g);
  __attribute__((noinline)) void check_column(unsigned ch, const Command& c, Rank& rk, Bank& b, Group& g);
  __attribute__((noinline)) void check_act_slow(unsigned ch, const Command& c, Rank& rk, Bank& b, Group& g);
  __attribute__((noinline)) void check_column_slow(unsigned ch, const Command& c, Rank& rk, Bank& b,
                                                   Group& g);
  __attribute__((noinline)) void check_rare(unsigned ch, const Command& c, Rank& rk);
  // (The tREFSBRD rule, DDR5 only, out of line: its loop cost check_act's fast path registers.)
  __attribute__((noinline)) void check_act_refsb(unsigned ch, const Command& c, Rank& rk, Bank& b, Group& g);
  __attribute__((always_inline)) void check_act_rrd(unsigned ch, const Command& c, Rank& rk, Bank& b,
                                                    Group& g);
  // What a column command requires of the other ranks' RD and WR (more than one rank).
  __attribute__((noinline)) void column_other_ranks(unsigned ch, const Command& c, bool rd);
  // The end of an ACT's or a column command's check past the rules above, and its state updates.
  __attribute__((always_inline)) void finish_act(unsigned ch, const Command& c, Rank& rk, Bank& b, Group& g);
  __attribute__((always_inline)) void finish_column(unsigned ch, const Command& c, Rank& rk, Bank& b,
                                                    Group& g);

  OrgConfig m_org;
  TimingConfig m_t;
  unsigned m_channels, m_ranks_per_ch, m_groups_per_rank, m_bpg, m_banks_per_rank;
  int64_t m_refresh_window;  // (kMaxPostponed + 1) x the interval each bank must be refreshed in
  int64_t m_bus[kCmdKinds];  // by command: the command-bus cycles it occupies (>= 1)
  int64_t m_wr_to_pre;       // CWL + BL/2 + tWR (write recovery)
  // What a RD (index 0) or WR (1) requires of the next RD (col_rd) and WR (col_wr), in cycles after it, by
  // where their bank is: [0] this rank, another bank group; [1] this bank group; [2] another rank.
  int64_t m_col_rd[2][3], m_col_wr[2][3];
  std::vector<Bank> m_banks;  // every bank: (channel x ranks + rank) x banks per rank + bank index
  std::vector<Group> m_groups;
  std::vector<Rank> m_ranks;
  std::vector<Channel> m_ch;
  uint64_t m_checked = 0;
};

}  // namespace pc::dram
