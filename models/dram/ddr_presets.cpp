// DDR presets. Timings are the JEDEC nanosecond values rounded up to whole clocks at the bin's tCK.
#include "models/dram/ddr_presets.h"

namespace pc::dram {
namespace {

DdrConfig ddr4_3200(unsigned ranks) {
  // tCK 0.625 ns. tRAS 32 ns -> 52; tRC 45.75 ns -> 74 (= tRAS + tRP); tRRD_S 2.5 ns -> 4; tRRD_L 4.9 ns ->
  // 8; tFAW (1 KB page) 21 ns -> 34; tCCD_L 5 ns -> 8; tWTR_S 2.5 ns -> 4; tWTR_L 7.5 ns -> 12; tRTP 7.5 ns
  // -> 12; tWR 15 ns -> 24; tREFI 7.8 us -> 12480; tRFC (8 Gb) 350 ns -> 560; tXP 6 ns -> 10; tCKE 5 ns -> 8.
  // Power: Micron 8 Gb DDR4 x8 (MT40A1G8, die rev. B) DDR4-3200 limits per device, as DRAMsim3's
  // DDR4_8Gb_x8_3200.ini carries them: IDD0 57, IDD2N 37, IDD3N 52, IDD4R 168, IDD4W 150, IDD5B 250,
  // IDD2P 25, IPP0 3 mA; IPP3N 3 and IPP5B 28 mA are speed-independent (the DDR4-2400 column below).
  // VDD 1.2 V, VPP 2.5 V. These are the struct defaults.
  DdrConfig c;
  c.org.ranks = ranks;
  return c;  // the struct defaults are DDR4-3200AA
}

DdrConfig ddr4_2400(unsigned ranks) {
  // tCK 0.8333 ns. tRAS 32 ns -> 39; tRC = 56; tRRD_S 3.3 ns -> 4; tRRD_L 4.9 ns -> 6; tFAW 21 ns -> 26;
  // tCCD_L 5 ns -> 6; tWTR_S 2.5 ns -> 3; tWTR_L 7.5 ns -> 9; tRTP -> 9; tWR -> 18; tREFI -> 9360;
  // tRFC 350 ns -> 420; tXP 6 ns -> 8; tCKE 5 ns -> 6.
  DdrConfig c;
  c.org.ranks = ranks;
  auto& t = c.timing;
  t.clock_mhz = 1200;
  t.cl = 17, t.cwl = 12, t.trcd = 17, t.trp = 17, t.tras = 39, t.trc = 56;
  t.trrd_s = 4, t.trrd_l = 6, t.tfaw = 26, t.tccd_s = 4, t.tccd_l = 6;
  t.twtr_s = 3, t.twtr_l = 9, t.trtp = 9, t.twr = 18, t.trtrs = 2;
  t.trefi = 9360, t.trfc = 420, t.trfcsb = 0, t.txp = 8, t.tcke = 6;
  // Power: Micron MT40A1G8 (8 Gb x8, die rev. B) at DDR4-2400, derived from the module data sheet
  // MTA18ASF2G72HZ (asf18c2gx72hz.pdf rev. F, table 15: 2 ranks x 9 devices, the idle rank in IDD2P):
  // IDD0 (657 - 9 x 25) / 9 = 48, IDD2N 612/18 = 34, IDD2P 450/18 = 25, IDD3N 774/18 = 43, IDD4R
  // (1440 - 225) / 9 = 135, IDD4W 123, IDD5B 250, IPP0 (54 - 9 x 3) / 9 = 3, IPP3N 54/18 = 3, IPP5B 28 mA;
  // the same set as DRAMsim3's DDR4_8Gb_x8_2400.ini for MT40A1G8PM-083E.
  auto& p = c.power;
  p.idd0 = 48, p.idd2n = 34, p.idd3n = 43, p.idd4r = 135, p.idd4w = 123, p.idd5b = 250, p.idd2p = 25;
  p.ipp0 = 3, p.ipp3n = 3, p.ipp4r = 3, p.ipp4w = 3, p.ipp5b = 28;
  return c;
}

DdrConfig ddr5_4800() {
  // tCK 0.4167 ns; 16 Gb x8: 8 bank groups x 4 banks, 64 K rows, 1 KB page; BL16 on a 32-bit subchannel
  // (64 bytes per burst). tRAS 32 ns -> 77; tRC = 116; tRRD_S 8 nCK; tRRD_L 5 ns -> 12; tFAW 32 nCK;
  // tCCD_S 8 nCK; tCCD_L 5 ns -> 12; tWTR_S 2.5 ns -> 6; tWTR_L 10 ns -> 24; tRTP 7.5 ns -> 18; tWR 30 ns ->
  // 72; tREFI1 3.9 us -> 9360 (same-bank refresh runs in fine-granularity mode: each bank set every tREFI2
  // = 1.95 us, one REFsb every 1170 cycles); tRFC1 295 ns -> 708; tRFCsb 130 ns -> 312; tREFSBRD 30 ns -> 72
  // (REFsb to ACT of another bank); tCCD_L_WR: the x8 part writes whole ECC codewords (BL16 x 8 = 128 bits),
  // so tCCD_L_WR2 = max(16 nCK, 10 ns) -> 24 applies (tCCD_L_WR = max(32 nCK, 20 ns) is for writes that need
  // an internal read-modify-write, e.g. x4); ACT, RD and WR are two-cycle commands; tXP 7.5 ns -> 18. Left
  // out: refresh management (RFM, RAA counters): the preset assumes a part that does not require it (MR58
  // OP[0] = 0), so no RFM command is ever owed; tCCD_M is not modelled.
  DdrConfig c;
  c.standard = "ddr5";
  auto& o = c.org;
  o.channels = 2, o.ranks = 1, o.bank_groups = 8, o.banks_per_group = 4, o.rows = 65536, o.columns = 1024;
  o.bus_width = 32, o.burst_length = 16;
  auto& t = c.timing;
  t.clock_mhz = 2400;
  t.cl = 40, t.cwl = 38, t.trcd = 39, t.trp = 39, t.tras = 77, t.trc = 116;
  t.trrd_s = 8, t.trrd_l = 12, t.tfaw = 32, t.tccd_s = 8, t.tccd_l = 12;
  t.twtr_s = 6, t.twtr_l = 24, t.trtp = 18, t.twr = 72, t.trtrs = 2;
  t.trefi = 9360, t.trfc = 708, t.trfcsb = 312, t.txp = 18, t.tcke = 12;
  t.trefsbrd = 72, t.tccd_l_wr = 24, t.ca_cycles = 2;
  c.ctrl.refresh = "same_bank";
  // Power: DDR5-4800 x8 inputs of Micron's DDR5 system-power calculator as a public script carries them
  // (ramulator2-latency-supported, illustration_script/chip_pow_config.py): IDD0 103, IDD2N 92, IDD2P 88,
  // IDD3N 142, IDD4R 318, IDD4W 345, IDD5B 277, IPP0 8, IPP3N 7, IPP4R 9, IPP4W 36, IPP5B 28 mA; VDD 1.1 V,
  // VPP 1.8 V. No MT60B2G8 data sheet table was reachable to confirm them.
  auto& p = c.power;
  p.vdd = 1.1, p.vpp = 1.8;
  p.idd0 = 103, p.idd2n = 92, p.idd3n = 142, p.idd4r = 318, p.idd4w = 345, p.idd5b = 277, p.idd2p = 88;
  p.ipp0 = 8, p.ipp3n = 7, p.ipp4r = 9, p.ipp4w = 36, p.ipp5b = 28;
  p.devices = 4;
  return c;
}

}  // namespace

const std::vector<DdrPreset>& ddr_presets() {
  static const std::vector<DdrPreset> p = {
      {"ddr4-2400", "DDR4-2400R 17-17-17, 8 Gb x8, one 64-bit channel, 1 rank (8 GiB)", ddr4_2400(1)},
      {"ddr4-2400-2r", "DDR4-2400R 17-17-17, 8 Gb x8, one 64-bit channel, 2 ranks (16 GiB)", ddr4_2400(2)},
      {"ddr4-3200", "DDR4-3200AA 22-22-22, 8 Gb x8, one 64-bit channel, 1 rank (8 GiB): the default memory", ddr4_3200(1)},
      {"ddr4-3200-2r", "DDR4-3200AA 22-22-22, 8 Gb x8, one 64-bit channel, 2 ranks (16 GiB)", ddr4_3200(2)},
      {"ddr5-4800", "DDR5-4800B 40-39-39, 16 Gb x8, two 32-bit subchannels, 1 rank (16 GiB), same-bank refresh", ddr5_4800()},
  };
  return p;
}

cfg::Json ddr_preset_overlay(const DdrPreset& p) {
  auto c = p.cfg;
  cfg::Json j;
  j["standard"] = c.standard;
  j["org"] = cfg::encode([&](cfg::Visitor& v) { c.org.describe(v); });
  j["timing"] = cfg::encode([&](cfg::Visitor& v) { c.timing.describe(v); });
  j["power"] = cfg::encode([&](cfg::Visitor& v) { c.power.describe(v); });
  j["ctrl"]["refresh"] = c.ctrl.refresh;
  return j;
}

}  // namespace pc::dram
