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
  TimingChecker(const OrgConfig& org, const TimingConfig& t);
  // Throws TimingViolation naming the command, its cycle and the constraint it breaks.
  void check(unsigned channel, const Command& c);
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
    std::vector<int64_t> acts;  // every ACT in the last tFAW window
    int64_t pde = kNever, pdx = kNever;
    bool powered_down = false;
  };
  struct Channel {
    std::vector<Rank> ranks;
    int64_t last_cmd = kNever;
  };
  [[noreturn]] void fail(unsigned ch, const Command& c, const std::string& what) const;
  void require(unsigned ch, const Command& c, int64_t earliest, const char* rule) const;
  // Implicit precharge of an auto-precharge command: max(end of tRTP / write recovery, ACT + tRAS).
  void close_bank(Bank& b, int64_t at);

  OrgConfig m_org;
  TimingConfig m_t;
  std::vector<Channel> m_ch;
  uint64_t m_checked = 0;
};

}  // namespace pc::dram
