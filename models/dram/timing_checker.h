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

 private:
  static constexpr int64_t kNever = INT64_MIN / 4;
  struct Bank {
    int64_t act = kNever, pre = kNever, rd = kNever, wr = kNever;
    int64_t ref_done = kNever;  // end of the last refresh covering this bank
    bool open = false;
    uint32_t row = 0;
  };
  struct Rank {
    std::vector<Bank> banks;
    int64_t acts[4] = {kNever, kNever, kNever, kNever};  // the last four ACTs (ring; acts[act_head] oldest)
    unsigned act_head = 0;
    int64_t pde = kNever, pdx = kNever;
    bool powered_down = false;
    std::vector<int64_t> refsb;      // per bank index: last REFsb (for tREFSBRD)
    std::vector<int64_t> refreshed;  // per bank index: last refresh (REF or REFsb) that covered it
    int64_t ref_deadline = 0;        // the latest cycle by which the next refresh is due
    // Per bank group: the latest ACT to any of its banks, and the earliest RD and WR that the column
    // commands to it so far allow (col_*_ok, same-group offsets); rd_all / wr_all: what every column
    // command (any group, any rank) allows in all groups of this rank, with the other-group or other-rank
    // offsets. A command that keeps these (the max of both parts: never earlier than the exact bound, and
    // later only where an other-group offset exceeds a same-group one) keeps its distance to every bank,
    // so the per-bank loops run only when this quick test fails (and then decide, with the exact message).
    std::vector<int64_t> grp_act, col_rd_ok, col_wr_ok;
    int64_t rd_all = kNever, wr_all = kNever;
    int64_t last_act = kNever;  // the latest ACT to any bank (the quick tRRD_S test for every group at once)
  };
  struct Channel {
    std::vector<Rank> ranks;
    int64_t last_cmd = kNever;
    int64_t bus_free = kNever;  // first cycle after a multi-cycle command's occupancy of the command bus
    int64_t ref_deadline = 0;   // the earliest of its ranks' ref_deadline
  };
  [[noreturn]] void fail(unsigned ch, const Command& c, const std::string& what) const;
  void refreshed(Rank& rk, unsigned bank_index, int64_t at);  // bank_index == bpg: every bank (REF)
  // Inline: nearly every command passes every rule, so only the comparison belongs in check().
  void require(unsigned ch, const Command& c, int64_t earliest, const char* rule) const {
    if (static_cast<int64_t>(c.cycle) < earliest) violated(ch, c, earliest, rule);
  }
  [[noreturn]] void violated(unsigned ch, const Command& c, int64_t earliest, const char* rule) const;
  // Implicit precharge of an auto-precharge command: max(end of tRTP / write recovery, ACT + tRAS).
  void close_bank(Bank& b, int64_t at);

  OrgConfig m_org;
  TimingConfig m_t;
  int64_t m_refresh_window;  // (kMaxPostponed + 1) x the interval each bank must be refreshed in
  // What a RD (index 0) or WR (1) requires of the next RD (col_rd) and WR (col_wr), in cycles after it, by
  // where their bank is: [0] this rank, another bank group; [1] this bank group; [2] another rank.
  int64_t m_col_rd[2][3], m_col_wr[2][3];
  std::vector<Channel> m_ch;
  uint64_t m_checked = 0;
};

}  // namespace pc::dram
