// DDR controller pieces without simulation: the timing checker's rules, address mapping, configuration
// checks and the DRAM trace readers.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "models/dram/address_mapper.h"
#include "models/dram/byte_mask.h"
#include "models/dram/ddr_presets.h"
#include "models/dram/timing_checker.h"
#include "platform/soc/platform_config.h"
#include "testbench/dram_trace/trace_reader.h"

using namespace pc;
using dram::Cmd;
using dram::Command;
using dram::DramAddr;

namespace {
DramAddr at(unsigned bg, unsigned bank, unsigned row = 0, unsigned rank = 0) {
  DramAddr a;
  a.rank = rank, a.bank_group = bg, a.bank = bank, a.row = row;
  return a;
}
// Runs `cmds` through a fresh checker for `c`; returns the violation message or "" if all pass.
std::string check_with(const dram::DdrConfig& c, const std::vector<Command>& cmds, uint64_t end = 0) {
  dram::TimingChecker k(c.org, c.timing, c.refresh_mode());
  try {
    for (const auto& cmd : cmds) k.check(0, cmd);
    if (end) k.check_refresh(0, end);
  } catch (const dram::TimingViolation& e) {
    return e.what();
  }
  return "";
}
// The same on DDR4-3200.
std::string check(const std::vector<Command>& cmds, unsigned ranks = 1) {
  dram::DdrConfig c;
  c.org.ranks = ranks;
  return check_with(c, cmds);
}
const dram::DdrConfig& ddr5() {
  const auto& ps = dram::ddr_presets();
  return std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.name == "ddr5-4800"; })->cfg;
}
}  // namespace

// DDR4-3200: tRCD 22, tRAS 52, tRP 22, tRC 74, tRRD_S/L 4/8, tFAW 34, tCCD_S/L 4/8, CL 22, CWL 16, BL/2 4,
// tWTR_S/L 4/12, tRTP 12, tWR 24, tRTRS 2, tRFC 560.
TEST(DramChecker, LegalSequencePasses) {
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0, 5)}, {Cmd::RD, 22, at(0, 0, 5)}, {Cmd::RD, 30, at(0, 0, 5)},
                   {Cmd::PRE, 52, at(0, 0, 5)}, {Cmd::ACT, 74, at(0, 0, 6)}}),
            "");
}

TEST(DramChecker, EachTimingRuleIsEnforcedAtItsBound) {
  struct Case {
    const char* rule;
    std::vector<Command> ok, bad;  // the same sequence with the last command at the bound and one cycle early
  };
  const std::vector<Case> cases = {
      {"tRCD", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}}, {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 21, at(0, 0)}}},
      {"tRAS", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 52, at(0, 0)}}, {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 51, at(0, 0)}}},
      {"tRP", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 52, at(0, 0)}, {Cmd::ACT, 74, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 60, at(0, 0)}, {Cmd::ACT, 81, at(0, 0)}}},
      {"tRC", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 52, at(0, 0)}, {Cmd::ACT, 74, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::PRE, 52, at(0, 0)}, {Cmd::ACT, 73, at(0, 0)}}},
      {"tRRD_S", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}}, {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 3, at(1, 0)}}},
      {"tRRD_L", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 8, at(0, 1)}}, {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 7, at(0, 1)}}},
      {"tFAW",
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 8, at(2, 0)}, {Cmd::ACT, 12, at(3, 0)}, {Cmd::ACT, 34, at(0, 1)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 8, at(2, 0)}, {Cmd::ACT, 12, at(3, 0)}, {Cmd::ACT, 33, at(0, 1)}}},
      {"tCCD_L", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}, {Cmd::RD, 30, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}, {Cmd::RD, 29, at(0, 0)}}},
      {"tCCD_S", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::RD, 26, at(1, 0)}, {Cmd::RD, 30, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::RD, 26, at(1, 0)}, {Cmd::RD, 29, at(0, 0)}}},
      // WR at 22: RD same group at 22 + 16 + 4 + 12 = 54, other group at 22 + 16 + 4 + 4 = 46.
      {"tWTR_L", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::WR, 22, at(0, 0)}, {Cmd::RD, 54, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::WR, 22, at(0, 0)}, {Cmd::RD, 53, at(0, 0)}}},
      {"tWTR_S", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::WR, 26, at(1, 0)}, {Cmd::RD, 50, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::WR, 26, at(1, 0)}, {Cmd::RD, 49, at(0, 0)}}},
      // RD at 22: WR at 22 + CL + BL/2 + 2 - CWL = 34.
      {"read-to-write", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}, {Cmd::WR, 34, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}, {Cmd::WR, 33, at(0, 0)}}},
      {"tRTP", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 50, at(0, 0)}, {Cmd::PRE, 62, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 50, at(0, 0)}, {Cmd::PRE, 61, at(0, 0)}}},
      // WR at 22: PRE at 22 + CWL + BL/2 + tWR = 66.
      {"tWR", {{Cmd::ACT, 0, at(0, 0)}, {Cmd::WR, 22, at(0, 0)}, {Cmd::PRE, 66, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::WR, 22, at(0, 0)}, {Cmd::PRE, 65, at(0, 0)}}},
      {"tRFC", {{Cmd::REF, 10, at(0, 0)}, {Cmd::ACT, 570, at(0, 0)}}, {{Cmd::REF, 10, at(0, 0)}, {Cmd::ACT, 569, at(0, 0)}}},
      // RD at 26 on rank 1 after RD at 22 on rank 0: 22 + BL/2 + tRTRS = 28.
      {"rank-to-rank",
       {{Cmd::ACT, 0, at(0, 0, 0, 0)}, {Cmd::ACT, 4, at(0, 0, 0, 1)}, {Cmd::RD, 22, at(0, 0, 0, 0)}, {Cmd::RD, 28, at(0, 0, 0, 1)}},
       {{Cmd::ACT, 0, at(0, 0, 0, 0)}, {Cmd::ACT, 4, at(0, 0, 0, 1)}, {Cmd::RD, 22, at(0, 0, 0, 0)}, {Cmd::RD, 27, at(0, 0, 0, 1)}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check(c.ok, 2), "") << c.rule;
    const std::string msg = check(c.bad, 2);
    EXPECT_NE(msg.find(c.rule), std::string::npos) << c.rule << ": " << msg;
  }
}

// DDR5-4800 (16 Gb x8): tRCD 39, tRRD_L 12, tCCD_L_WR 24 (tCCD_L 12), tRFCsb 312, tREFSBRD 72, ACT/RD/WR take
// two command cycles; same-bank refresh every bank set once per tREFI2 = 4680.
TEST(DramChecker, EachDdr5RuleIsEnforcedAtItsBound) {
  struct Case {
    const char* rule;
    std::vector<Command> ok, bad;
  };
  const std::vector<Case> cases = {
      // WR to WR in one bank group: tCCD_L_WR = 24, not tCCD_L = 12.
      {"tCCD_L_WR",
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 12, at(0, 1)}, {Cmd::WR, 51, at(0, 1)}, {Cmd::WR, 75, at(0, 0)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 12, at(0, 1)}, {Cmd::WR, 51, at(0, 1)}, {Cmd::WR, 74, at(0, 0)}}},
      // REFsb of bank index 0 at 10: bank index 1 may be activated from 10 + tREFSBRD = 82.
      {"tREFSBRD",
       {{Cmd::REFSB, 10, at(0, 0)}, {Cmd::ACT, 82, at(3, 1)}},
       {{Cmd::REFSB, 10, at(0, 0)}, {Cmd::ACT, 81, at(3, 1)}}},
      // The refreshed set itself (bank index 0 in every group) waits tRFCsb = 312.
      {"tRFC (refresh to ACT)",
       {{Cmd::REFSB, 10, at(0, 0)}, {Cmd::ACT, 322, at(5, 0)}},
       {{Cmd::REFSB, 10, at(0, 0)}, {Cmd::ACT, 321, at(5, 0)}}},
      // A two-cycle ACT at 0 holds the command bus in cycle 1 too.
      {"two-cycle command",
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::REFSB, 2, at(0, 1)}},
       {{Cmd::ACT, 0, at(0, 0)}, {Cmd::REFSB, 1, at(0, 1)}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check_with(ddr5(), c.ok), "") << c.rule;
    const std::string msg = check_with(ddr5(), c.bad);
    EXPECT_NE(msg.find(c.rule), std::string::npos) << c.rule << ": " << msg;
  }
  // On DDR4 the same WR-to-WR gap is only tCCD_L = 8, and commands take one cycle.
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0)},
                   {Cmd::ACT, 8, at(0, 1)},
                   {Cmd::WR, 30, at(0, 1)},
                   {Cmd::WR, 38, at(0, 0)}}),
            "");
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0)}, {Cmd::RD, 22, at(0, 0)}, {Cmd::ACT, 23, at(1, 0)}}), "");
}

TEST(DramChecker, RefreshIntervalIsAtMostNineTrefi) {
  // JEDEC lets a controller postpone at most 8 refreshes, so no bank may go 9 x tREFI without one:
  // DDR4-3200 9 x 12480 = 112320 cycles, counted from power-up (cycle 0) and from each REF.
  dram::DdrConfig c;
  EXPECT_EQ(check_with(c, {{Cmd::ACT, 112320, at(0, 0)}}), "");
  EXPECT_NE(check_with(c, {{Cmd::ACT, 112321, at(0, 0)}}).find("refresh overdue at cycle 112321"),
            std::string::npos);
  EXPECT_EQ(check_with(c, {{Cmd::REF, 50, at(0, 0)}, {Cmd::REF, 50 + 112320, at(0, 0)}}), "");
  EXPECT_NE(
      check_with(c, {{Cmd::REF, 50, at(0, 0)}, {Cmd::REF, 50 + 112321, at(0, 0)}}).find("refresh overdue"),
      std::string::npos);
  // A scheduler that never refreshes issues nothing to object to: the end-of-run check catches it.
  EXPECT_EQ(check_with(c, {{Cmd::REF, 50, at(0, 0)}}, 50 + 112320), "");
  EXPECT_NE(check_with(c, {{Cmd::REF, 50, at(0, 0)}}, 50 + 112321).find("refresh overdue"),
            std::string::npos);
  // DDR5 same-bank refresh: each bank index within 9 x tREFI2 = 9 x 4680 = 42120 of its last REFsb; the
  // other bank indexes still count from power-up.
  const std::vector<Command> sets = {{Cmd::REFSB, 10, at(0, 0)},
                                     {Cmd::REFSB, 20, at(0, 1)},
                                     {Cmd::REFSB, 30, at(0, 2)},
                                     {Cmd::REFSB, 40, at(0, 3)}};
  EXPECT_EQ(check_with(ddr5(), sets, 10 + 42120), "");
  const std::string late = check_with(ddr5(), sets, 10 + 42121);
  EXPECT_NE(late.find("bank index 0 was last refreshed at cycle 10"), std::string::npos) << late;
  EXPECT_NE(check_with(ddr5(), {{Cmd::REFSB, 10, at(0, 0)}}, 42121)
                .find("bank index 1 was last refreshed at cycle 0"),
            std::string::npos);
}

// tRRD is kept from the latest ACT of each bank group, not only from the group the new ACT goes to.
TEST(DramChecker, TrrdCountsFromEveryGroupsLatestAct) {
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 8, at(2, 0)}}), "");
  const std::string s = check({{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 7, at(2, 0)}});
  EXPECT_NE(s.find("ACT at cycle 7 (channel 0 rank 0 bank group 2 bank 0 row 0): tRRD_S"), std::string::npos)
      << s;
  // Back to group 0: tRRD_L from its ACT at 0 (8) and tRRD_S from group 1's at 4 (8) both allow cycle 8.
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 8, at(0, 1)}}), "");
  EXPECT_NE(check({{Cmd::ACT, 0, at(0, 0)}, {Cmd::ACT, 4, at(1, 0)}, {Cmd::ACT, 7, at(0, 1)}}).find("tRRD_L"),
            std::string::npos);
}

// Every rank keeps its own refresh deadline: a command to one rank reports the other rank's overdue refresh.
TEST(DramChecker, RefreshDeadlineOfEachRank) {
  // Rank 0 refreshed at 50 (due by 50 + 112320), rank 1 never (due by 112320 from power-up).
  const std::string late = check({{Cmd::REF, 50, at(0, 0, 0, 0)}, {Cmd::ACT, 112321, at(0, 0, 0, 0)}}, 2);
  EXPECT_NE(late.find("refresh overdue at cycle 112321 (channel 0 rank 1)"), std::string::npos) << late;
  EXPECT_EQ(check({{Cmd::REF, 50, at(0, 0, 0, 0)},
                   {Cmd::REF, 60, at(0, 0, 0, 1)},
                   {Cmd::ACT, 112370, at(0, 0, 0, 0)}},
                  2),
            "");
  const std::string late0 = check(
      {{Cmd::REF, 50, at(0, 0, 0, 0)}, {Cmd::REF, 60, at(0, 0, 0, 1)}, {Cmd::ACT, 112371, at(0, 0, 0, 1)}},
      2);
  EXPECT_NE(late0.find("refresh overdue at cycle 112371 (channel 0 rank 0)"), std::string::npos) << late0;
}

TEST(DramChecker, BankStateErrors) {
  EXPECT_NE(check({{Cmd::RD, 5, at(0, 0)}}).find("precharged bank"), std::string::npos);
  EXPECT_NE(check({{Cmd::ACT, 0, at(0, 0, 1)}, {Cmd::RD, 30, at(0, 0, 2)}}).find("row 1 is open"), std::string::npos);
  EXPECT_NE(check({{Cmd::ACT, 0, at(0, 0, 1)}, {Cmd::ACT, 100, at(0, 0, 2)}}).find("already has row"), std::string::npos);
  EXPECT_NE(check({{Cmd::ACT, 0, at(0, 0, 1)}, {Cmd::REF, 100, at(0, 0)}}).find("refresh while"), std::string::npos);
  EXPECT_NE(check({{Cmd::ACT, 5, at(0, 0)}, {Cmd::ACT, 5, at(1, 0)}}).find("command bus"), std::string::npos);
  // Auto-precharge closes the bank at max(RD + tRTP, ACT + tRAS) = 52; the next ACT may come tRP later.
  EXPECT_EQ(check({{Cmd::ACT, 0, at(0, 0, 1)}, {Cmd::RDA, 22, at(0, 0, 1)}, {Cmd::ACT, 74, at(0, 0, 2)}}), "");
  EXPECT_NE(check({{Cmd::ACT, 0, at(0, 0, 1)}, {Cmd::RDA, 22, at(0, 0, 1)}, {Cmd::ACT, 73, at(0, 0, 2)}}).find("tR"),
            std::string::npos);
}

TEST(DramMapper, EncodeInvertsDecodeForEveryField) {
  dram::DdrConfig c;
  c.org.ranks = 2;
  c.org.channels = 2;
  for (const char* m : {"ro,ra,ba,co,bg,ch", "ch,ra,bg,ba,ro,co", "co,ro,ba,bg,ra,ch"}) {
    for (bool x : {false, true}) {
      c.ctrl.mapping = m;
      c.ctrl.xor_hash = x;
      dram::AddressMapper map(c);
      for (uint64_t a : {0ull, 64ull, 0x12345640ull, 0x3ffffffc0ull, 0x7654321c0ull}) {
        EXPECT_EQ(map.encode(map.decode(a)), a) << m << " xor " << x << " addr " << a;
      }
    }
  }
}

TEST(DramMapper, FieldOrderPlacesConsecutiveBursts) {
  dram::DdrConfig c;
  c.ctrl.xor_hash = false;
  c.ctrl.mapping = "ro,ra,ba,co,bg,ch";  // bank group right above the 64-byte burst offset
  dram::AddressMapper map(c);
  EXPECT_EQ(map.offset_bits(), 6u);
  EXPECT_EQ(map.decode(64).bank_group, 1u);
  EXPECT_EQ(map.decode(256).column, 1u);  // 4 bank groups x 64 bytes
  // Column: 128 bursts (7 bits) above the 2 bank-group bits; bank next; row above 2 bank bits.
  EXPECT_EQ(map.decode(1ull << 15).bank, 1u);
  EXPECT_EQ(map.decode(1ull << 17).row, 1u);
}

TEST(DramConfig, BadValuesNameTheKey) {
  auto expect_error = [](const std::vector<std::string>& sets, const std::string& needle) {
    soc::ConfigResolver r;
    try {
      for (const auto& s : sets) r.apply_set(s);
      r.finish();
      ADD_FAILURE() << "no error for " << sets.front();
    } catch (const cfg::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({"dram.ddr.ctrl.mapping=ro,ra,ba,co,bg"}, "dram.ddr.ctrl.mapping");
  expect_error({"dram.ddr.ctrl.mapping=ro,ro,ba,co,bg,ch"}, "appears twice");
  expect_error({"dram.ddr.org.bank_groups=3"}, "dram.ddr.org.bank_groups");
  expect_error({"dram.ddr.timing.trc=10"}, "dram.ddr.timing.trc");
  expect_error({"dram.ddr.ctrl.write_low=30"}, "dram.ddr.ctrl.write_low");
  expect_error({"dram.size_mib=16384"}, "dram.size_mib");
  expect_error({"dram.ddr.ctrl.page_policy=lazy"}, "page_policy");
  expect_error({"dram.model=hbm"}, "dram.model");
}

TEST(DramConfig, PresetsSetJedecTimingsAndCompose) {
  soc::ConfigResolver r;
  r.apply_preset("ddr4-2400");
  r.apply_preset("small");
  const auto& c = r.finish();
  EXPECT_EQ(c.dram.model, "ddr");
  EXPECT_EQ(c.dram.size_mib, 256u);  // from "small"
  EXPECT_EQ(c.dram.ddr.timing.cl, 17u);
  EXPECT_EQ(c.dram.ddr.timing.trfc, 420u);  // 350 ns at 1200 MHz
  // The default platform is DDR4-3200AA: 1 - tRFC/tREFI = 1 - 560/12480; peak 1600 MHz x 2 x 8 bytes.
  soc::ConfigResolver d;
  const auto& dc = d.finish();
  EXPECT_EQ(dc.dram.ddr.timing.cl, 22u);
  EXPECT_DOUBLE_EQ(dc.dram.ddr.peak_gbps(), 25.6);
  soc::ConfigResolver f;
  f.apply_preset("ddr5-4800");
  const auto& fc = f.finish();
  EXPECT_EQ(fc.dram.ddr.org.channels, 2u);
  EXPECT_DOUBLE_EQ(fc.dram.ddr.peak_gbps(), 38.4);  // two 32-bit subchannels at 4800 MT/s
  EXPECT_EQ(fc.dram.ddr.ctrl.refresh, "same_bank");
}

namespace {
std::vector<tb::DramTraceEntry> read_all(const std::string& text, tb::DramTraceFormat* fmt = nullptr) {
  tb::DramTraceReader r(std::make_unique<std::istringstream>(text), "t.trace");
  std::vector<tb::DramTraceEntry> v;
  tb::DramTraceEntry e;
  while (r.next(e)) v.push_back(e);
  if (fmt) *fmt = r.format();
  return v;
}
std::string error_of(const std::string& text) {
  try {
    read_all(text);
  } catch (const tb::TraceError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(DramTrace, ReadsAllThreeFormats) {
  tb::DramTraceFormat f;
  auto a = read_all("# DRAMSim3\n0x1000 READ 5\n0x2040 WRITE 9\n", &f);
  EXPECT_EQ(f, tb::DramTraceFormat::DramSim3);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].addr, 0x2040u);
  EXPECT_TRUE(a[1].write);
  EXPECT_EQ(a[1].cycle, 9u);
  auto b = read_all("LD 0x40\nST 128\n", &f);
  EXPECT_EQ(f, tb::DramTraceFormat::Ramulator);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].addr, 0x40u);
  EXPECT_EQ(b[1].addr, 128u);
  EXPECT_TRUE(b[1].write);
  EXPECT_FALSE(b[1].timed);
  auto c = read_all("31:\tread\t0x0\n\n40:\twrite\t0x80\t0x0123456789abcdef\n", &f);
  EXPECT_EQ(f, tb::DramTraceFormat::DramSys);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].cycle, 40u);
  EXPECT_EQ(c[1].addr, 0x80u);
  EXPECT_TRUE(c[1].write);
}

// Lines off the reader's single-pass path (numbers with many digits, odd blanks, upper case, a "(len)")
// read as the careful token-by-token parse has them; near misses are still errors.
TEST(DramTrace, UnusualButValidLinesReadTheSame) {
  auto a = read_all(
      " \t0x00000000000000000001000\tread \v 00000000000000000000007 \n0XFFFFFFFFFFFFFFFF Write 0x10\n"
      "abc READ 18446744073709551615\n");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].addr, 0x1000u);
  EXPECT_FALSE(a[0].write);
  EXPECT_EQ(a[0].cycle, 7u);
  EXPECT_EQ(a[1].addr, UINT64_MAX);
  EXPECT_TRUE(a[1].write);
  EXPECT_EQ(a[1].cycle, 16u);
  EXPECT_EQ(a[2].addr, 0xabcu);  // DRAMSim3 addresses are hex even without "0x"
  EXPECT_EQ(a[2].cycle, UINT64_MAX);
  auto b = read_all("LD 000000000000000000000064\nST\t0x40  \n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].addr, 64u);
  EXPECT_EQ(b[1].addr, 0x40u);
  EXPECT_TRUE(b[1].write);
  auto c = read_all("0x1f:\tREAD(64)\t0x40\t0x0\textra\n00000000000000000000009:  write  128\n");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].cycle, 31u);
  EXPECT_EQ(c[0].addr, 0x40u);
  EXPECT_FALSE(c[0].write);
  EXPECT_EQ(c[1].cycle, 9u);
  EXPECT_EQ(c[1].addr, 128u);
  EXPECT_TRUE(c[1].write);
  EXPECT_EQ(error_of("0x10 READ 1\n0x0x10 READ 2\n"),
            "t.trace:2: expected DRAMSim3 '0xADDR READ|WRITE cycle', got '0x0x10 READ 2'");
  EXPECT_EQ(error_of("0x10 READ 1\n0x10 READS 2\n").rfind("t.trace:2: expected DRAMSim3", 0), 0u);
  EXPECT_EQ(error_of("0x10 READ 1\n0x10 READ 2 3\n").rfind("t.trace:2: expected DRAMSim3", 0), 0u);
  EXPECT_EQ(error_of("0x10 READ 1\n0x10 READ 0x\n").rfind("t.trace:2: expected DRAMSim3", 0), 0u);
  EXPECT_EQ(error_of("0x10 READ 1\n0x10000000000000000 READ 2\n").rfind("t.trace:2: expected DRAMSim3", 0),
            0u);
  EXPECT_EQ(error_of("LD 0x40\nLDX 0x40\n").rfind("t.trace:2: expected Ramulator", 0), 0u);
  EXPECT_EQ(error_of("LD 0x40\nld 0x40\n").rfind("t.trace:2: expected Ramulator", 0), 0u);
  EXPECT_EQ(error_of("LD 0x40\nLD 12a\n").rfind("t.trace:2: expected Ramulator", 0), 0u);
  EXPECT_EQ(error_of("1:\tread\t0x0\n2::\tread\t0x0\n").rfind("t.trace:2: expected DRAMSys", 0), 0u);
  EXPECT_EQ(error_of("1:\tread\t0x0\n2:\tread\n").rfind("t.trace:2: expected DRAMSys", 0), 0u);
  EXPECT_EQ(error_of("1:\tread\t0x0\n2:\t(read)\t0x0\n").rfind("t.trace:2: expected DRAMSys", 0), 0u);
}

TEST(DramTrace, MalformedLineNamesFileAndLine) {
  EXPECT_EQ(error_of("0x1000 READ 5\n0x2000 READ\n").rfind("t.trace:2: expected DRAMSim3", 0), 0u);
  EXPECT_EQ(error_of("LD 0x40\nLD zz\n").rfind("t.trace:2: expected Ramulator", 0), 0u);
  EXPECT_EQ(error_of("1:\tread\t0x0\n# c\n2:\tfetch\t0x0\n").rfind("t.trace:3: expected DRAMSys", 0), 0u);
  EXPECT_EQ(error_of("hello world\n").rfind("t.trace:1: cannot tell the trace format", 0), 0u);
}

namespace {
std::vector<std::pair<size_t, size_t>> runs_of(const dram::ByteMask& m) {
  std::vector<std::pair<size_t, size_t>> r;
  m.each_run([&](size_t i, size_t n) { r.emplace_back(i, n); });
  return r;
}
}  // namespace

TEST(DramByteMask, RunsJoinAcrossWordsAndStopAtTheBurstsEnd) {
  dram::ByteMask m(256);  // bus 128 bits x BL16: four words
  EXPECT_TRUE(runs_of(m).empty());
  m.set(8, 16);
  m.set(60, 70);    // crosses the first word boundary
  m.set(128, 256);  // two whole words up to the end
  EXPECT_EQ(runs_of(m), (std::vector<std::pair<size_t, size_t>>{{8, 8}, {60, 10}, {128, 128}}));
  EXPECT_TRUE(m.all(60, 70));
  EXPECT_FALSE(m.all(59, 70));
  EXPECT_FALSE(m.all(60, 71));
  EXPECT_TRUE(m.all(128, 256));
  EXPECT_FALSE(m.all());
  EXPECT_TRUE(m.test(69));
  EXPECT_FALSE(m.test(70));
  m.set(0, 256);
  EXPECT_TRUE(m.all());
  EXPECT_EQ(runs_of(m), (std::vector<std::pair<size_t, size_t>>{{0, 256}}));
  m.clear();
  EXPECT_TRUE(runs_of(m).empty());
}

TEST(DramByteMask, ABurstSmallerThanAWordEndsAtItsLastByte) {
  dram::ByteMask m(4);  // 8-bit bus x BL4
  m.set(1, 4);
  EXPECT_EQ(runs_of(m), (std::vector<std::pair<size_t, size_t>>{{1, 3}}));
  EXPECT_FALSE(m.all());
  m.set(0, 1);
  EXPECT_TRUE(m.all());
  EXPECT_EQ(m.next(0, false), 4u);  // no unwritten byte: the burst size, not a bit past it
}

TEST(DramByteMask, MatchesAByteArrayOnRandomWrites) {
  std::mt19937_64 rng(7);
  for (size_t bytes : {2u, 32u, 64u, 96u, 512u}) {
    for (int round = 0; round < 200; ++round) {
      dram::ByteMask m(bytes);
      std::vector<uint8_t> ref(bytes, 0);
      const int writes = static_cast<int>(rng() % 4);
      for (int w = 0; w < writes; ++w) {
        const size_t lo = rng() % bytes, hi = lo + 1 + rng() % (bytes - lo);
        m.set(lo, hi);
        std::fill(ref.begin() + static_cast<std::ptrdiff_t>(lo),
                  ref.begin() + static_cast<std::ptrdiff_t>(hi), 1);
      }
      std::vector<std::pair<size_t, size_t>> want;
      for (size_t i = 0; i < bytes;) {
        size_t j = i;
        while (j < bytes && ref[j]) ++j;
        if (j > i) want.emplace_back(i, j - i);
        i = j + 1;
      }
      ASSERT_EQ(runs_of(m), want) << bytes << " bytes, round " << round;
      const size_t lo = rng() % bytes, hi = lo + 1 + rng() % (bytes - lo);
      EXPECT_EQ(m.all(lo, hi),
                std::all_of(ref.begin() + static_cast<std::ptrdiff_t>(lo),
                            ref.begin() + static_cast<std::ptrdiff_t>(hi), [](uint8_t b) { return b; }));
      for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(m.test(i), ref[i] != 0);
    }
  }
}
