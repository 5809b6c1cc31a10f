// DRAM commands and decoded addresses shared by the scheduler, the timing checker and the command trace
// (JESD79-4 §4.1 command truth table, reduced to the commands the controller issues).
#pragma once

#include <cstdint>

namespace pc::dram {

// RDA/WRA carry auto-precharge; PREA closes every bank of a rank; REFSB refreshes one bank in every
// bank group (DDR5 same-bank refresh); PDE/PDX enter and exit precharge power-down.
enum class Cmd : uint8_t { ACT, PRE, PREA, RD, RDA, WR, WRA, REF, REFSB, PDE, PDX };
constexpr unsigned kCmdKinds = static_cast<unsigned>(Cmd::PDX) + 1;  // tables indexed by Cmd

inline const char* cmd_name(Cmd c) {
  switch (c) {
    case Cmd::ACT: return "ACT";
    case Cmd::PRE: return "PRE";
    case Cmd::PREA: return "PREA";
    case Cmd::RD: return "RD";
    case Cmd::RDA: return "RDA";
    case Cmd::WR: return "WR";
    case Cmd::WRA: return "WRA";
    case Cmd::REF: return "REF";
    case Cmd::REFSB: return "REFSB";
    case Cmd::PDE: return "PDE";
    case Cmd::PDX: return "PDX";
  }
  return "?";
}
inline bool is_read(Cmd c) { return c == Cmd::RD || c == Cmd::RDA; }
inline bool is_write(Cmd c) { return c == Cmd::WR || c == Cmd::WRA; }
inline bool is_auto_pre(Cmd c) { return c == Cmd::RDA || c == Cmd::WRA; }

struct DramAddr {
  uint32_t channel = 0, rank = 0, bank_group = 0, bank = 0;  // bank: index within its group
  uint32_t row = 0, column = 0;                              // column: burst index within the row
};

struct Command {
  Cmd cmd;
  uint64_t cycle;
  DramAddr addr;  // rank always; bank group/bank for bank commands (REFSB: bank index only); row/column where meaningful
};

}  // namespace pc::dram
