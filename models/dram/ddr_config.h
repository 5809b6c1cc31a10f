// Configuration of the DDR4/DDR5 controller and devices: organisation, JEDEC timings in tCK cycles,
// controller policy and address mapping (JESD79-4 / JESD79-5 parameter names, DRAMSys-style grouping).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/core/config.h"

namespace pc::dram {

enum class Standard { Ddr4, Ddr5 };
enum class PagePolicy { Open, Closed, Adaptive };
enum class RefreshMode { AllBank, SameBank };
enum class MapField : uint8_t { Row, Rank, BankGroup, Bank, Column, Channel };

struct OrgConfig {
  uint64_t channels = 1;         // independent channels (a DDR5 DIMM has two 32-bit subchannels)
  uint64_t ranks = 1;            // ranks per channel
  uint64_t bank_groups = 4;      // bank groups per rank
  uint64_t banks_per_group = 4;  // banks per bank group
  uint64_t rows = 65536;         // rows per bank
  uint64_t columns = 1024;       // columns per row (device-width units)
  uint64_t bus_width = 64;       // data bus width of a channel, bits
  uint64_t burst_length = 8;     // beats per burst (BL)

  void describe(cfg::Visitor& v);
  uint64_t banks() const { return bank_groups * banks_per_group; }
  uint64_t burst_bytes() const { return bus_width / 8 * burst_length; }
  uint64_t bursts_per_row() const { return columns / burst_length; }
  uint64_t capacity_bytes() const {
    return channels * ranks * banks() * rows * columns * (bus_width / 8);
  }
};

// Every timing in cycles of the DRAM clock (tCK) except the clock itself.
struct TimingConfig {
  double clock_mhz = 1600;  // command clock (tCK = 1/f); DDR4-3200 runs at 1600 MHz
  uint64_t cl = 22, cwl = 16, trcd = 22, trp = 22, tras = 52, trc = 74;
  uint64_t trrd_s = 4, trrd_l = 8, tfaw = 34;
  uint64_t tccd_s = 4, tccd_l = 8;
  uint64_t twtr_s = 4, twtr_l = 12, trtp = 12, twr = 24;
  uint64_t trtrs = 2;        // rank-to-rank data-bus turnaround
  uint64_t trefi = 12480;    // average refresh interval (all-bank)
  uint64_t trfc = 560;       // all-bank refresh cycle time
  uint64_t trfcsb = 0;       // same-bank refresh cycle time (DDR5 REFsb)
  uint64_t trefsbrd = 0;     // REFsb to ACT of a bank outside the refreshed set (DDR5 tREFSBRD; 0 = none)
  uint64_t tccd_l_wr = 0;    // WR to WR, same bank group (DDR5 tCCD_L_WR/WR2; 0 = tCCD_L as in DDR4)
  uint64_t ca_cycles = 1;    // command-bus cycles of ACT, RD and WR (DDR5: 2; PRE and REF take one)
  uint64_t txp = 10;         // power-down exit to next valid command
  uint64_t tcke = 8;         // minimum power-down residency

  void describe(cfg::Visitor& v);
};

// IDD (VDD) and IPP (VPP) currents in mA per device, for the DRAMPower-style energy estimate. Defaults:
// Micron 8 Gb DDR4 x8 (MT40A1G8, die rev. B) at DDR4-3200 (see ddr_presets.cpp for every preset's source).
struct PowerConfig {
  double vdd = 1.2, vpp = 2.5;
  double idd0 = 57, idd2n = 37, idd3n = 52, idd4r = 168, idd4w = 150, idd5b = 250, idd2p = 25;
  // VPP (word-line boost): ACT, standby (the DDR4 data sheets give one IPP3N limit for every IDD2x/3x/4x
  // condition), burst read/write and refresh.
  double ipp0 = 3, ipp3n = 3, ipp4r = 3, ipp4w = 3, ipp5b = 28;
  uint64_t devices = 8;  // devices per rank (64-bit bus of x8 parts)

  void describe(cfg::Visitor& v);
};

struct CtrlConfig {
  uint64_t read_queue = 32;        // read queue entries per channel
  uint64_t write_queue = 32;       // write queue entries per channel
  uint64_t write_high = 24;        // start draining writes at this occupancy
  uint64_t write_low = 8;          // stop draining at this occupancy (if reads wait)
  uint64_t starvation_cap = 16;    // row hits served per activation before older misses take over
  std::string page_policy = "open";
  std::string mapping = "ro,ra,ba,co,bg,ch";  // fields from the most significant bit down
  bool xor_hash = true;            // XOR bank and bank-group bits with the low row bits
  uint64_t frontend_cycles = 5;    // request accepted -> schedulable (DRAMSys thinkDelayFw)
  uint64_t phy_cycles = 6;         // end of data burst -> response (PHY + return path)
  std::string refresh = "all_bank";
  bool powerdown = false;          // precharge power-down of idle ranks
  uint64_t powerdown_idle = 64;    // idle cycles before a rank enters power-down
  uint64_t refresh_postpone = 0;  // refreshes a busy rank may postpone (and an idle one pull in), JEDEC max 8
  bool checker = true;             // validate every command against every timing constraint
  std::string command_trace;       // write ACT/PRE/RD/WR/REF lines to this file (empty: off)

  void describe(cfg::Visitor& v);
};

struct DdrConfig {
  std::string standard = "ddr4";
  OrgConfig org;
  TimingConfig timing;
  CtrlConfig ctrl;
  PowerConfig power;

  void describe(cfg::Visitor& v);

  // Checks relations between fields (powers of two, watermarks, mapping syntax); throws
  // cfg::ConfigError naming the key path below `prefix` (e.g. "dram.ddr").
  void validate(const std::string& prefix) const;
  Standard std_kind() const { return standard == "ddr5" ? Standard::Ddr5 : Standard::Ddr4; }
  PagePolicy page_policy() const;
  RefreshMode refresh_mode() const { return ctrl.refresh == "same_bank" ? RefreshMode::SameBank : RefreshMode::AllBank; }
  // Refresh commands a rank needs per tREFI and the interval between them: all-bank one REF per tREFI;
  // same-bank (JESD79-5: REFsb only in fine-granularity mode) every bank set once per tREFI2 = tREFI/2,
  // so one REFsb every tREFI / (2 x banks per group).
  uint64_t refresh_interval() const;
  // The mapping fields from the most significant down; throws cfg::ConfigError on a bad string.
  std::vector<MapField> mapping_fields(const std::string& key) const;
  double peak_gbps() const;  // theoretical peak data bandwidth of all channels, GB/s
};

}  // namespace pc::dram
