// DDR controller timing: exact latencies derived from the JEDEC parameters of DDR4-3200AA (22-22-22,
// tCK 0.625 ns), constraint tests (tFAW, tWTR, refresh, power-down), the checker catching an injected
// violation, and bandwidth bounds. Every run has the timing checker on.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <functional>
#include <random>

#include "models/dram/ddr_presets.h"
#include "models/dram/lt_adapter.h"
#include "platform/core/tlm_ext.h"
#include "platform/soc/soc.h"
#include "testbench/dram_trace/trace_bench.h"

using namespace pc;
using dram::Cmd;

namespace {

// DDR4-3200AA defaults: CL = tRCD = tRP = 22, BL/2 = 4, CWL = 16, tRRD_S/L = 4/8, tFAW = 34, tWTR_L = 12,
// tREFI = 12480, tRFC = 560, tXP = 10; front end 5 and PHY 6 cycles.
struct T {
  static constexpr uint64_t FE = 5, PHY = 6, CL = 22, CWL = 16, RCD = 22, RP = 22, BL2 = 4, RRD_S = 4,
                            RRD_L = 8, FAW = 34, WTR_L = 12, REFI = 12480, RFC = 560, XP = 10;
};

dram::DdrConfig ddr4_3200() {
  dram::DdrConfig c;
  c.ctrl.checker = true;
  return c;
}

struct Rec {
  uint64_t cycle;
  Cmd cmd;
  dram::DramAddr a;
};

// A scripted request list, replayed at its time stamps (or `timed` = false: as fast as accepted, as
// --fast does); records every command.
struct Rig {
  std::vector<tb::DramTraceEntry> script;
  size_t next = 0;
  std::vector<Rec> cmds;
  std::unique_ptr<tb::DramTraceBench> bench;

  explicit Rig(const dram::DdrConfig& cfg, uint64_t mem = 64ull << 20,
               const dram::TimingConfig* chk = nullptr, bool timed = true) {
    bench = std::make_unique<tb::DramTraceBench>(
        cfg, mem,
        [this](tb::DramTraceEntry& e) { return next < script.size() ? (e = script[next++], true) : false; },
        timed, chk);
    bench->controller().set_command_hook([this](unsigned, const dram::Command& c) {
      cmds.push_back({c.cycle, c.cmd, c.addr});
    });
  }
  uint64_t addr(unsigned bg, unsigned bank, unsigned row, unsigned col = 0) const {
    dram::DramAddr a;
    a.bank_group = bg, a.bank = bank, a.row = row, a.column = col;
    return bench->controller().mapper().encode(a);
  }
  void at(uint64_t cycle, bool write, uint64_t a) { script.push_back({a, write, true, cycle}); }
  std::vector<uint64_t> times(Cmd c) const {
    std::vector<uint64_t> v;
    for (const auto& r : cmds)
      if (r.cmd == c) v.push_back(r.cycle);
    return v;
  }
  double stat(const std::string& p) const { return bench->stat(p); }
  // A complete run: no timing violation, no stall.
  void run() {
    bench->run();
    EXPECT_EQ(bench->error(), "");
  }
};

}  // namespace

TEST(DramSim, ReadToClosedBankTakesRcdPlusClPlusBurst) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(0, 0, 100));
  r.run();
  // ACT when the front end releases the request, RD tRCD later, data CL + BL/2 after RD, PHY on top.
  EXPECT_EQ(r.times(Cmd::ACT), std::vector<uint64_t>{T::FE});
  EXPECT_EQ(r.times(Cmd::RD), std::vector<uint64_t>{T::FE + T::RCD});
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE + T::RCD + T::CL + T::BL2 + T::PHY);  // 59
  EXPECT_EQ(r.stat("dram.row_misses"), 1);
  EXPECT_GT(r.bench->controller().commands_checked(), 0u);
}

TEST(DramSim, EarlyResponsesKeepTheLatestResponseTime) {
  // The bench's controller answers each request once its response time is known, with that time as the
  // annotated delay: the read's response (due at 59) goes out at its RD (27), the write's (posted, due
  // at 30 + FE = 35) at 30, after it. The player keeps the latest time and is not done before it.
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(0, 0, 100));
  r.at(30, true, r.addr(2, 1, 5));
  r.run();
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE + T::RCD + T::CL + T::BL2 + T::PHY);  // 59
  EXPECT_EQ(r.bench->player().completed(), 2u);
  EXPECT_EQ(r.bench->player().last_response(), r.bench->controller().clock().cycles(59));
  EXPECT_GE(sc_core::sc_time_stamp(), r.bench->player().last_response());
  EXPECT_TRUE(r.bench->player().done());
}

TEST(DramSim, RowHitTakesClPlusBurst) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(1, 2, 7, 0));
  r.at(200, false, r.addr(1, 2, 7, 5));  // same row, another column, long after the first finished
  r.run();
  EXPECT_EQ(r.stat("dram.read_latency.min"), T::FE + T::CL + T::BL2 + T::PHY);  // 37
  EXPECT_EQ(r.stat("dram.row_hits"), 1);
  EXPECT_EQ(r.times(Cmd::RD).back(), 200 + T::FE);
}

TEST(DramSim, RowConflictTakesRpPlusRcdPlusClPlusBurst) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(3, 1, 10));
  r.at(200, false, r.addr(3, 1, 11));  // same bank, other row: the open row must be closed first
  r.run();
  // PRE at 205, ACT tRP later, RD tRCD after that: 5 + 22 + 22 + 22 + 4 + 6 = 81 cycles, the unloaded
  // random-read latency (tRP + tRCD + CL + BL/2 = 70 plus front end and PHY).
  EXPECT_EQ(r.times(Cmd::PRE), std::vector<uint64_t>{200 + T::FE});
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE + T::RP + T::RCD + T::CL + T::BL2 + T::PHY);
  EXPECT_EQ(r.stat("dram.read_latency.max"), 81);
  EXPECT_EQ(r.stat("dram.row_conflicts"), 1);
}

TEST(DramSim, FourActivateWindowDelaysTheFifthAct) {
  Rig r(ddr4_3200());
  // Five reads to closed banks: bank groups 0,1,2,3, then group 0 again (another bank).
  for (unsigned i = 0; i < 4; ++i) r.at(0, false, r.addr(i, 0, 1));
  r.at(0, false, r.addr(0, 1, 1));
  r.run();
  const auto acts = r.times(Cmd::ACT);
  ASSERT_EQ(acts.size(), 5u);
  // ACTs to different bank groups are tRRD_S apart: 5, 9, 13, 17. Without tFAW the fifth could go at
  // max(17 + tRRD_S, 5 + tRRD_L) = 21; tFAW holds it until 5 + 34 = 39. At 39 the fourth request's RD
  // (17 + tRCD) is also due and row hits go first (one command per cycle), so the fifth ACT is at 40.
  EXPECT_EQ(acts, (std::vector<uint64_t>{5, 9, 13, 17, 40}));
  EXPECT_GE(acts[4], acts[0] + T::FAW);
}

TEST(DramSim, WithoutTheWindowTheFifthActFollowsTrrd) {
  auto cfg = ddr4_3200();
  cfg.timing.tfaw = 16;  // four ACTs at tRRD_S spacing span 12 < 16: the window no longer binds
  Rig r(cfg);
  for (unsigned i = 0; i < 4; ++i) r.at(0, false, r.addr(i, 0, 1));
  r.at(0, false, r.addr(0, 1, 1));
  r.run();
  // Fifth ACT: max(17 + tRRD_S, 5 + tRRD_L, 5 + tFAW) = 21.
  EXPECT_EQ(r.times(Cmd::ACT), (std::vector<uint64_t>{5, 9, 13, 17, 21}));
}

TEST(DramSim, ReadAfterWriteWaitsForTwtr) {
  Rig r(ddr4_3200());
  r.at(0, true, r.addr(2, 3, 50, 0));
  r.at(28, false, r.addr(2, 3, 50, 1));  // same bank group, same (open) row, right after the WR at 27
  r.run();
  ASSERT_EQ(r.times(Cmd::WR), std::vector<uint64_t>{T::FE + T::RCD});
  // RD no earlier than WR + CWL + BL/2 + tWTR_L = 27 + 16 + 4 + 12 = 59 (it is ready at 33).
  const uint64_t rd = 27 + T::CWL + T::BL2 + T::WTR_L;
  EXPECT_EQ(r.times(Cmd::RD), std::vector<uint64_t>{rd});
  EXPECT_EQ(r.stat("dram.read_latency.max"), rd + T::CL + T::BL2 + T::PHY - 28);  // 63
}

TEST(DramSim, RefreshBlocksForTrfcEveryTrefi) {
  Rig r(ddr4_3200());
  // One read just after the second refresh is issued, and one much later to run past a third refresh.
  r.at(2 * T::REFI + 1, false, r.addr(0, 0, 9));
  r.at(3 * T::REFI + 100, false, r.addr(0, 0, 9, 1));
  r.at(5 * T::REFI + 100, false, r.addr(0, 0, 9, 2));  // keeps the run going past the fifth refresh
  r.run();
  // While every bank is precharged, REF goes exactly at its due time, every tREFI.
  const auto refs = r.times(Cmd::REF);
  ASSERT_GE(refs.size(), 5u);
  EXPECT_EQ(refs[0], T::REFI);
  EXPECT_EQ(refs[1], 2 * T::REFI);
  // The first read waits for tRFC: ACT at REF + tRFC, then tRCD + CL + BL/2 + PHY.
  EXPECT_EQ(r.times(Cmd::ACT).front(), 2 * T::REFI + T::RFC);
  EXPECT_EQ(r.stat("dram.read_latency.max"),
            2 * T::REFI + T::RFC + T::RCD + T::CL + T::BL2 + T::PHY - (2 * T::REFI + 1));
  // Each read leaves its row open (open-page policy), so the next refresh first closes it with PREA
  // at its due time and issues REF tRP later; with nothing open the fifth REF is on time again.
  EXPECT_EQ(r.times(Cmd::PREA), (std::vector<uint64_t>{3 * T::REFI, 4 * T::REFI}));
  EXPECT_EQ(refs[2], 3 * T::REFI + T::RP);
  EXPECT_EQ(refs[3], 4 * T::REFI + T::RP);
  EXPECT_EQ(refs[4], 5 * T::REFI);
  EXPECT_EQ(r.stat("dram.refreshes"), double(r.times(Cmd::REF).size()));
}

TEST(DramSim, PowerDownExitCostsTxp) {
  auto cfg = ddr4_3200();
  cfg.ctrl.powerdown = true;
  cfg.ctrl.powerdown_idle = 64;
  Rig r(cfg);
  r.at(1000, false, r.addr(0, 0, 3));
  r.run();
  // Idle from cycle 0: PDE at 64; the read (ready at 1005) first exits power-down, then waits tXP.
  EXPECT_EQ(r.times(Cmd::PDE).front(), 64u);
  EXPECT_EQ(r.times(Cmd::PDX).front(), 1005u);
  EXPECT_EQ(r.times(Cmd::ACT).front(), 1005u + T::XP);
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE + T::XP + T::RCD + T::CL + T::BL2 + T::PHY);
}

TEST(DramSim, ClosedPagePolicyPrechargesEveryAccess) {
  auto cfg = ddr4_3200();
  cfg.ctrl.page_policy = "closed";
  Rig r(cfg);
  r.at(0, false, r.addr(0, 0, 5, 0));
  r.at(200, false, r.addr(0, 0, 5, 1));  // same row, but the row was auto-precharged: a miss, not a hit
  r.run();
  EXPECT_EQ(r.times(Cmd::RDA).size(), 2u);
  EXPECT_EQ(r.stat("dram.row_misses"), 2);
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE + T::RCD + T::CL + T::BL2 + T::PHY);
}

TEST(DramSim, CheckerCatchesAnInjectedViolation) {
  // The scheduler runs with tRCD = 22 but the checker is told tRCD = 23: the RD at ACT + 22 must fail.
  auto chk = ddr4_3200().timing;
  chk.trcd = 23;
  Rig r(ddr4_3200(), 64ull << 20, &chk);
  r.at(0, false, r.addr(0, 0, 1));
  r.bench->run();
  const std::string& e = r.bench->error();
  EXPECT_NE(e.find("DRAM timing violation: RD at cycle 27"), std::string::npos) << e;
  EXPECT_NE(e.find("tRCD (ACT to RD/WR) requires cycle >= 28"), std::string::npos) << e;
  EXPECT_EQ(r.stat("dram.read_latency.count"), 0);  // stopped before the read could complete
}

TEST(DramSim, CheckerStopsAFastReplayAtTheViolatingCycle) {
  // Replayed --fast the scheduler runs cycles ahead of the kernel while nothing else is due; a violation
  // found there must still stop the run, at the violating command's own cycle.
  auto chk = ddr4_3200().timing;
  chk.trcd = 23;
  uint64_t n = 0;
  tb::DramTraceBench b(
      ddr4_3200(), 64ull << 20,
      [&n](tb::DramTraceEntry& e) {
        return n < 64 ? (e = tb::DramTraceEntry{n++ * 64, false, false, 0}, true) : false;
      },
      false, &chk);
  b.run();
  const std::string& e = b.error();
  const std::string what = "DRAM timing violation: RD at cycle ";
  const auto at = e.find(what);
  ASSERT_NE(at, std::string::npos) << e;
  const uint64_t cycle = std::stoull(e.substr(at + what.size()));
  EXPECT_EQ(cycle, 5u + 22u);  // front end, then tRCD after the first ACT
  EXPECT_GT(b.controller().cycles_run_ahead(), 0u);
  EXPECT_EQ(sc_core::sc_time_stamp(), b.controller().clock().cycles(cycle));
  EXPECT_EQ(b.stat("dram.read_latency.count"), 0);
}

namespace {

// Replayed --fast: one write W0, one read R0, 15 more writes, 31 more reads, all arriving in cycle 0 (48
// requests: the read queue holds 32, the write queue 32). W0 goes to bank group 0, the reads to groups 1-3.
// Returns the first command.
Rec same_cycle_arrivals(Rig& r, bool inline_when_due) {
  r.bench->controller().set_inline_when_due_for_test(inline_when_due);
  r.script.push_back({r.addr(0, 0, 100), true, false, 0});
  r.script.push_back({r.addr(1, 0, 200), false, false, 0});
  for (unsigned i = 1; i < 16; ++i) r.script.push_back({r.addr(0, i % 4, 100 + i), true, false, 0});
  for (unsigned j = 1; j < 32; ++j) r.script.push_back({r.addr(1 + j % 3, j % 4, 200 + j), false, false, 0});
  r.run();
  EXPECT_FALSE(r.cmds.empty());
  return r.cmds.empty() ? Rec{} : r.cmds[0];
}

}  // namespace

TEST(DramSim, FastReplayTakesSameCycleArrivalsAsTheKernelWouldDeliverThem) {
  // The scheduler is due in cycle 0 (an idle channel's next cycle) once W0 is queued, so in the kernel
  // it takes its step in the delta cycle before R0 reaches the controller: it sees W0 alone, with no read
  // waiting, and starts a write drain, which the 16 queued writes keep going past the front end (more
  // than the low watermark of 8). So W0's ACT is the first command. R0 is relayed to that later delta
  // cycle; the rest are taken inline (the scheduler is not due again in cycle 0).
  Rig r(ddr4_3200(), 64ull << 20, nullptr, false);
  const Rec first = same_cycle_arrivals(r, false);
  EXPECT_EQ(first.cmd, Cmd::ACT);
  EXPECT_EQ(first.cycle, T::FE);
  EXPECT_EQ(first.a.bank_group, 0u);
  EXPECT_EQ(first.a.row, 100u);
  EXPECT_EQ(r.bench->controller().arrivals_relayed(), 1u);
  EXPECT_EQ(r.bench->controller().arrivals_inline(), 46u);  // all but W0 (from the thread) and R0
  EXPECT_EQ(r.bench->player().data_errors(), 0u);
  EXPECT_EQ(r.bench->player().completed(), 48u);
}

TEST(DramSim, FastReplayInlineWhenDueIsSeenByTheScheduler) {
  // Negative control of the test above: taking R0 and the rest inline although the scheduler is due
  // lets its cycle-0 step see the 32 reads too, so no drain starts and a read's ACT comes first.
  Rig r(ddr4_3200(), 64ull << 20, nullptr, false);
  const Rec first = same_cycle_arrivals(r, true);
  EXPECT_EQ(first.cmd, Cmd::ACT);
  EXPECT_EQ(first.cycle, T::FE);
  EXPECT_NE(first.a.bank_group, 0u);
  EXPECT_EQ(r.bench->controller().arrivals_relayed(), 0u);
  EXPECT_EQ(r.bench->controller().arrivals_inline(), 47u);
}

TEST(DramSim, DataMovesThroughTheController) {
  Rig r(ddr4_3200());
  const uint64_t a = r.addr(1, 1, 77, 3);
  r.at(0, true, a);
  r.run();
  // The player writes each line's own address into it.
  uint64_t v = 0;
  r.bench->memory().read(a, reinterpret_cast<uint8_t*>(&v), 8);
  EXPECT_EQ(v, a);
}

TEST(DramSim, Ddr5ClosedBankLatency) {
  const auto& ps = dram::ddr_presets();
  auto it = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.name == "ddr5-4800"; });
  ASSERT_NE(it, ps.end());
  Rig r(it->cfg);
  r.at(0, false, r.addr(5, 2, 9));
  r.run();
  // DDR5-4800B: tRCD 39 + CL 40 + BL16/2 = 8, plus front end 5 and PHY 6.
  EXPECT_EQ(r.stat("dram.read_latency.max"), 5 + 39 + 40 + 8 + 6);
}

TEST(DramSim, Ddr5SameBankRefreshEveryTrefi2OverBanksPerGroup) {
  const auto& ps = dram::ddr_presets();
  auto it = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.name == "ddr5-4800"; });
  Rig r(it->cfg);
  r.at(3 * 9360, false, r.addr(0, 0, 1));
  r.run();
  // REFsb exists only in fine-granularity refresh mode (JESD79-5 §4.13), where every bank must be
  // refreshed once per tREFI2 = tREFI/2 = 4680 cycles: REFsb for bank index 0,1,2,3 (in all 8 groups) at
  // tREFI2/4 = 1170 apart, on each subchannel. (Before: every 2340, half the rate the standard requires.)
  std::vector<uint64_t> sb;
  std::vector<unsigned> idx;
  for (const auto& c : r.cmds)
    if (c.cmd == Cmd::REFSB && c.a.channel == 0) sb.push_back(c.cycle), idx.push_back(c.a.bank);
  ASSERT_GE(sb.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(sb[i], 9360 / 2 / 4 * (i + 1));
    EXPECT_EQ(idx[i], i % 4);
  }
}

TEST(DramSim, WritesDrainBetweenWatermarks) {
  Rig r(ddr4_3200());
  // At cycle 0: 20 reads, then 30 writes (write queue 32, high watermark 24, low 8), all in one bank
  // group's other banks so that nothing conflicts.
  for (unsigned i = 0; i < 20; ++i) r.at(0, false, r.addr(0, 0, 1, i));
  for (unsigned i = 0; i < 30; ++i) r.at(0, true, r.addr(1, 0, 1, i));
  r.run();
  std::string order;
  for (const auto& c : r.cmds)
    if (c.cmd == Cmd::RD || c.cmd == Cmd::WR) order += c.cmd == Cmd::RD ? 'R' : 'W';
  // 30 >= 24 queued writes: drain to the low watermark first (22 writes), then serve the reads, then the
  // last 8 writes once no read waits.
  EXPECT_EQ(order, std::string(22, 'W') + std::string(20, 'R') + std::string(8, 'W'));
}

TEST(DramSim, StarvationCapLetsAnOlderConflictIn) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(0, 0, 1, 0));                                       // opens row 1
  r.at(100, false, r.addr(0, 0, 2, 0));                                     // older conflict for the bank
  for (unsigned i = 1; i <= 30; ++i) r.at(100, false, r.addr(0, 0, 1, i));  // younger hits to row 1
  r.run();
  // FR-FCFS serves row-1 hits ahead of the older conflict only while the row has had fewer than
  // starvation_cap = 16 column accesses: the first request plus 15 hits, then PRE for row 2.
  size_t rds_before_pre = 0;
  for (const auto& c : r.cmds) {
    if (c.cmd == Cmd::PRE) break;
    rds_before_pre += c.cmd == Cmd::RD;
  }
  EXPECT_EQ(rds_before_pre, 16u);
}

TEST(DramSim, AdaptivePolicyClosesWhenNoHitWaits) {
  auto cfg = ddr4_3200();
  cfg.ctrl.page_policy = "adaptive";
  Rig r(cfg);
  r.at(0, false, r.addr(2, 1, 4, 0));
  r.at(0, false, r.addr(2, 1, 4, 1));  // a queued hit keeps the row open for it, then it closes
  r.run();
  EXPECT_EQ(r.times(Cmd::RD).size(), 1u);
  EXPECT_EQ(r.times(Cmd::RDA).size(), 1u);
  EXPECT_GT(r.times(Cmd::RDA)[0], r.times(Cmd::RD)[0]);
}

TEST(DramSim, FullQueueWithholdsEndReq) {
  auto cfg = ddr4_3200();
  cfg.ctrl.read_queue = 4;
  Rig r(cfg);
  for (unsigned i = 0; i < 10; ++i) r.at(0, false, r.addr(i % 4, 0, 1, i));
  r.run();
  // Four reads fill the queue; each later one finds it full (the previous one took the slot freed by
  // a served read), so requests 5 to 10 all wait for END_REQ: 6 back-pressured requests.
  EXPECT_EQ(r.stat("dram.backpressure"), 6);
  EXPECT_EQ(r.stat("dram.read_queue_occupancy.max"), 3);  // seen by an arriving request, before it enters
  EXPECT_EQ(r.stat("dram.reads"), 10);
}

TEST(DramSim, EnergyFollowsTheIddModel) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(0, 0, 1));
  r.run();
  // DRAMPower-style, per rank of 8 Micron MT40A1G8 devices at DDR4-3200 (tCK 0.625 ns): VDD 1.2 V gives
  // k = 1.2 x 0.625 x 8 = 6 pJ per mA-cycle, VPP 2.5 V gives 12.5. One ACT: (IDD0 tRC - IDD3N tRAS -
  // IDD2N (tRC - tRAS)) k = (57x74 - 52x52 - 37x22) x 6 = 4200 (on VPP (3x74 - 3x52 - 3x22) = 0); one read
  // burst: (IDD4R - IDD3N) BL/2 k = (168 - 52) x 4 x 6 = 2784; background: precharge standby (IDD2N) until
  // the ACT at cycle 5, active standby (IDD3N) from then on (the row stays open), IPP3N = 3 mA throughout.
  const double now = double(r.bench->controller().clock().to_cycles(sc_core::sc_time_stamp()));
  const double expected_pj = 4200 + 2784 + (37 * 5 + 52 * (now - 5)) * 6 + 3 * now * 12.5;
  EXPECT_NEAR(r.stat("dram.energy_nj"), expected_pj / 1000, 1e-9);
}

TEST(DramSim, EnergyMatchesMicronPowerEquationsForAWorkedPattern) {
  // Worked pattern on DDR4-3200 (Micron MT40A1G8 currents, 8 devices), closed page: 60 requests to one bank,
  // alternating rows, one every 100 cycles (writes at even, reads at odd slots), then idle with a last read
  // after ten refresh intervals. Micron TN-40-07 ("Calculating Memory Power for DDR4 SDRAM") gives power as
  //   P(ACT) = (IDD0 - (IDD3N tRAS + IDD2N (tRC - tRAS)) / tRC) VDD x tRC / tRRDsch
  //   P(RD)  = (IDD4R - IDD3N) VDD x RDsch%,  P(WR) = (IDD4W - IDD3N) VDD x WRsch%
  //   P(REF) = (IDD5B - IDD3N) VDD x tRFC / tREFI
  //   P(BG)  = IDD3N VDD x (share with a bank open or refreshing) + IDD2N VDD x (the rest)
  // and the same on VPP with the IPP currents; energy is power x run time.
  auto cfg = ddr4_3200();
  cfg.ctrl.page_policy = "closed";
  Rig r(cfg);
  for (unsigned k = 0; k < 60; ++k) r.at(100 * k, k % 2 == 0, r.addr(0, 0, 1 + k % 2));
  const uint64_t last = 10 * T::REFI + 1000;
  r.at(last, false, r.addr(0, 0, 3));
  r.run();
  const double T_run = double(r.bench->controller().clock().to_cycles(sc_core::sc_time_stamp()));
  ASSERT_EQ(r.times(Cmd::REF).size(), 10u);  // at k x tREFI, k = 1..10, all banks closed
  ASSERT_EQ(r.times(Cmd::ACT).size(), 61u);
  // A row is held from ACT to its implicit precharge: reads max(RDA + tRTP, ACT + tRAS) = tRAS = 52
  // cycles, writes WRA + CWL + BL/2 + tWR = tRCD + 16 + 4 + 24 = 66 cycles; a refresh holds the rank tRFC.
  const double n_act = 61, n_rd = 31, n_wr = 30, n_ref = 10;
  const double busy = 31 * 52.0 + 30 * 66.0 + n_ref * 560;
  const double tRC = 74, tRAS = 52, tRFC = 560, BL2 = 4, tCK = 0.625, dev = 8;
  const double tRRDsch = T_run / n_act, rd_share = n_rd * BL2 / T_run, wr_share = n_wr * BL2 / T_run;
  const double refi = T_run / n_ref;  // the run's refresh interval (exactly ten REF in it)
  auto power_mw = [&](double v, double i0, double i2n, double i3n, double i4r, double i4w, double i5b) {
    const double act = (i0 - (i3n * tRAS + i2n * (tRC - tRAS)) / tRC) * v * tRC / tRRDsch;
    const double rd = (i4r - i3n) * v * rd_share, wr = (i4w - i3n) * v * wr_share;
    const double ref = (i5b - i3n) * v * tRFC / refi;
    const double bg = i3n * v * busy / T_run + i2n * v * (1 - busy / T_run);
    return (act + rd + wr + ref + bg) * dev;
  };
  const double p_mw = power_mw(1.2, 57, 37, 52, 168, 150, 250) + power_mw(2.5, 3, 3, 3, 3, 3, 28);
  const double expected_nj = p_mw * T_run * tCK * 1e-3;  // mW x ns = pJ
  EXPECT_NEAR(r.stat("dram.energy_nj"), expected_nj, 1e-6 * expected_nj);
}

namespace {
dram::DdrConfig ddr5_4800() {
  const auto& ps = dram::ddr_presets();
  return std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.name == "ddr5-4800"; })->cfg;
}
// Runs `script` with the scheduler on `sched` and the checker on `chk`; returns the violation it reports.
std::string injected(const dram::DdrConfig& sched, const dram::TimingConfig& chk,
                     const std::function<void(Rig&)>& script) {
  Rig r(sched, 64ull << 20, &chk);
  script(r);
  r.bench->run();
  return r.bench->error();
}
std::vector<uint64_t> times_on(const Rig& r, Cmd c, unsigned channel) {
  std::vector<uint64_t> v;
  for (const auto& x : r.cmds)
    if (x.cmd == c && x.a.channel == channel) v.push_back(x.cycle);
  return v;
}
}  // namespace

// DDR5-4800: tRCD 39, tCCD_L 12, tCCD_L_WR 24, tRRD_S 8, tREFSBRD 72; ACT, RD and WR take two command cycles.
TEST(DramSim, Ddr5WritesToOneBankGroupAreTccdLWrApart) {
  Rig r(ddr5_4800());
  r.at(0, true, r.addr(0, 0, 3, 0));
  r.at(0, true, r.addr(0, 0, 3, 1));
  r.run();
  // No read waits, so the writes drain at once: ACT at 5, WR tRCD later, the second tCCD_L_WR after it.
  EXPECT_EQ(r.times(Cmd::WR), (std::vector<uint64_t>{5 + 39, 5 + 39 + 24}));
}

TEST(DramSim, Ddr5CheckerCatchesAWriteAtTccdL) {
  auto sched = ddr5_4800();
  sched.timing.tccd_l_wr = 0;  // the scheduler forgets tCCD_L_WR and uses tCCD_L = 12
  const std::string e = injected(sched, ddr5_4800().timing, [](Rig& r) {
    r.at(0, true, r.addr(0, 0, 3, 0));
    r.at(0, true, r.addr(0, 0, 3, 1));
  });
  EXPECT_NE(e.find("WR at cycle 56"), std::string::npos) << e;
  EXPECT_NE(e.find("tCCD_L_WR (WR to WR, same bank group) requires cycle >= 68"), std::string::npos) << e;
}

TEST(DramSim, Ddr5SameBankRefreshHoldsOtherBanksForTrefsbrd) {
  Rig r(ddr5_4800());
  // The first REFsb of subchannel 0 refreshes bank index 0 at tREFI2/4 = 1170; a read to bank index 1
  // that becomes ready then waits tREFSBRD = 72 for its ACT.
  r.at(1165, false, r.addr(2, 1, 7));
  r.run();
  EXPECT_EQ(times_on(r, Cmd::REFSB, 0).front(), 1170u);
  EXPECT_EQ(times_on(r, Cmd::ACT, 0), std::vector<uint64_t>{1170 + 72});
}

TEST(DramSim, Ddr5CheckerCatchesAnActInsideTrefsbrd) {
  auto sched = ddr5_4800();
  sched.timing.trefsbrd = 0;
  const std::string e =
      injected(sched, ddr5_4800().timing, [](Rig& r) { r.at(1165, false, r.addr(2, 1, 7)); });
  EXPECT_NE(e.find("ACT at cycle 1171"), std::string::npos) << e;
  EXPECT_NE(e.find("tREFSBRD (REFsb to ACT, other bank) requires cycle >= 1242"), std::string::npos) << e;
}

TEST(DramSim, Ddr5IdleSubchannelCatchesUpItsRefreshesWhenTheOtherWakesTheScheduler) {
  // Two reads to subchannel 0, 100,000 cycles apart (over 85 same-bank refresh slots of 1,170); subchannel 1
  // stays idle throughout. Neither schedules events while idle. When the second read wakes the scheduler,
  // subchannel 1 must first replay the refreshes it skipped at their own cycles, as subchannel 0 does for its
  // arrival: one REFsb every tREFI2 / 4 = 1,170 cycles, and no refresh overdue. (Subchannel 0's first
  // refreshes bank index 0, whose row the first read left open: PRE when it is due at 1,170, REFsb tRP = 39
  // later.)
  Rig r(ddr5_4800());
  dram::DramAddr a;
  a.channel = 0, a.row = 7;
  r.at(0, false, r.bench->controller().mapper().encode(a));
  r.at(100000, false, r.bench->controller().mapper().encode(a));
  r.run();
  auto before = [](std::vector<uint64_t> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](uint64_t t) { return t >= 100000; }), v.end());
    return v;
  };
  std::vector<uint64_t> slots;
  for (uint64_t t = 1170; t < 100000; t += 1170) slots.push_back(t);
  EXPECT_EQ(slots.size(), 85u);
  EXPECT_EQ(before(times_on(r, Cmd::REFSB, 1)), slots);
  auto sub0 = before(times_on(r, Cmd::REFSB, 0));
  ASSERT_EQ(sub0.size(), slots.size());
  EXPECT_EQ(sub0.front(), 1170u + 39);
  sub0.front() = 1170;
  EXPECT_EQ(sub0, slots);
}

TEST(DramSim, Ddr5TwoCycleCommandsHoldTheCommandBus) {
  Rig r(ddr5_4800());
  r.at(0, false, r.addr(0, 0, 1));   // ACT at 5, RD at 44
  r.at(39, false, r.addr(1, 0, 1));  // ready at 44: its ACT may not follow the RD in the next cycle
  r.run();
  EXPECT_EQ(times_on(r, Cmd::RD, 0).front(), 44u);
  EXPECT_EQ(times_on(r, Cmd::ACT, 0), (std::vector<uint64_t>{5, 46}));
}

TEST(DramSim, Ddr5CheckerCatchesACommandInsideATwoCycleCommand) {
  auto sched = ddr5_4800();
  sched.timing.ca_cycles = 1;
  const std::string e = injected(sched, ddr5_4800().timing, [](Rig& r) {
    r.at(0, false, r.addr(0, 0, 1));
    r.at(39, false, r.addr(1, 0, 1));
  });
  EXPECT_NE(e.find("ACT at cycle 45"), std::string::npos) << e;
  EXPECT_NE(e.find("two-cycle command at cycle 44 occupies the command bus until cycle 46"),
            std::string::npos)
      << e;
}

TEST(DramSim, RefreshPostponedUnderLoadAndPulledInWhenIdle) {
  auto cfg = ddr4_3200();
  cfg.ctrl.refresh_postpone = 8;
  Rig r(cfg);
  // 20,000 random reads at once keep the rank busy for at least 20,000 x tFAW/4 = 170,000 cycles.
  std::mt19937_64 rng(5);
  for (unsigned i = 0; i < 20000; ++i) r.at(0, false, (rng() % (64ull << 14)) * 64);
  r.at(25 * T::REFI, false, r.addr(0, 0, 9));  // a lone read long after the load
  r.run();
  const auto refs = r.times(Cmd::REF);
  ASSERT_GE(refs.size(), 2u);
  // Busy: nothing until 8 refreshes are owed (8 x tREFI), then the refresh is forced: the open banks close
  // (at most tRAS after the last ACT, which is before 8 x tREFI) and REF follows tRP later.
  EXPECT_GE(refs[0], 8 * T::REFI + T::RP);
  EXPECT_LE(refs[0], 8 * T::REFI + 52 + T::RP);
  // Still busy: one refresh per interval, each forced when the owed count reaches 8 again.
  EXPECT_GE(refs[1], 9 * T::REFI + T::RP);
  EXPECT_LE(refs[1], 9 * T::REFI + 52 + T::RP);
  // Idle: everything owed is paid back and 8 more are pulled in: 24 intervals + 8 before 25 x tREFI.
  EXPECT_EQ(std::count_if(refs.begin(), refs.end(), [](uint64_t c) { return c < 25 * T::REFI; }), 24 + 8);
}

TEST(DramSim, CheckerCatchesAStoppedRefresh) {
  auto sched = ddr4_3200();
  sched.timing.trefi = 10 * T::REFI;  // refreshes ten times too rarely
  const std::string e = injected(sched, ddr4_3200().timing, [](Rig& r) {
    r.at(0, false, r.addr(0, 0, 1));
    r.at(120000, false, r.addr(0, 0, 2));
  });
  // Nothing refreshed the rank within 9 x tREFI = 112,320 cycles of power-up.
  EXPECT_NE(e.find("refresh overdue at cycle 120005"), std::string::npos) << e;
}

TEST(DramSim, WriteDrainKeepsARowOpenedForAQueuedRead) {
  Rig r(ddr4_3200());
  r.at(0, false, r.addr(0, 0, 1));                                       // ACT row 1 at 5, RD due at 27
  for (unsigned i = 0; i < 24; ++i) r.at(10, true, r.addr(0, 0, 2, i));  // a drain of writes to row 2
  r.run();
  // The drain (24 writes queued at 15) may not close row 1 before the read it was opened for has its
  // RD; with every write waiting on that row, the read is served in the drain: RD at 27, PRE at
  // ACT + tRAS = 57, ACT row 2 at 79, first WR at 79 + tRCD = 101. One ACT per row, none wasted.
  EXPECT_EQ(r.times(Cmd::RD), std::vector<uint64_t>{27});
  EXPECT_EQ(r.times(Cmd::PRE), std::vector<uint64_t>{57});
  EXPECT_EQ(r.times(Cmd::ACT), (std::vector<uint64_t>{5, 79}));
  EXPECT_EQ(r.times(Cmd::WR).front(), 101u);
  EXPECT_EQ(r.times(Cmd::WR).size(), 24u);
}

// Data moves when the DRAM moves it: write data at WR, read data at RD, reads forwarded from the write
// buffer, address hazards held at the front end. The trace player checks every read: a line reads as its
// own address once a write to it was issued earlier in trace order, as zero before.
TEST(DramSim, ReadAfterWriteIsForwardedFromTheWriteBuffer) {
  Rig r(ddr4_3200());
  const uint64_t x = r.addr(0, 0, 5, 0);
  r.at(0, true, x);
  r.at(1, false, x);  // the write is still queued (its WR comes at 5 + tRCD = 27)
  r.run();
  EXPECT_EQ(r.stat("dram.write_forwards"), 1);
  EXPECT_EQ(r.stat("dram.read_bursts"), 0);  // no RD: the write buffer answered
  EXPECT_TRUE(r.times(Cmd::RD).empty());
  EXPECT_EQ(r.stat("dram.read_latency.max"), T::FE);  // answered after the front end
  EXPECT_EQ(r.times(Cmd::WR), std::vector<uint64_t>{T::FE + T::RCD});
  EXPECT_EQ(r.bench->player().reads_checked(), 1u);
  EXPECT_EQ(r.bench->player().data_errors(), 0u);
}

TEST(DramSim, WriteAfterReadWaitsForTheReadsColumnCommand) {
  Rig r(ddr4_3200());
  const uint64_t x = r.addr(0, 0, 5, 0);
  r.at(0, false, x);  // ACT at 5, RD at 27
  r.at(1, true, x);   // may not be accepted before that RD: the scheduler could serve it first
  r.run();
  EXPECT_EQ(r.stat("dram.hazard_waits"), 1);
  EXPECT_EQ(r.times(Cmd::RD), std::vector<uint64_t>{27});
  // Accepted at 27, its WR follows the read-to-write turnaround: 27 + CL + BL/2 + 2 - CWL = 39.
  EXPECT_EQ(r.times(Cmd::WR), std::vector<uint64_t>{39});
  EXPECT_EQ(r.bench->player().data_errors(), 0u);  // the read saw the line before the write
}

// The broken ordering (test only): no forwarding, no front-end hazard holds. Read after write: the read's
// RD (at 28) comes before the write's WR (drained later), so it returns the old zeros.
TEST(DramSim, DataCheckerCatchesAReadOvertakingAWrite) {
  Rig r(ddr4_3200());
  r.bench->controller().set_unsafe_ordering_for_test(true);
  r.at(0, true, r.addr(0, 0, 5, 0));
  r.at(1, false, r.addr(0, 0, 5, 0));
  r.run();
  EXPECT_EQ(r.bench->player().data_errors(), 1u);
}

namespace {
// A read, then a write to its line and 23 more writes elsewhere: the queue reaches the high watermark and
// drains while the read waits.
void write_behind_read(Rig& r) {
  r.at(0, false, r.addr(0, 0, 5, 0));
  r.at(1, true, r.addr(0, 0, 5, 0));
  for (unsigned i = 1; i < 24; ++i) r.at(1, true, r.addr(1 + i % 3, i / 3 % 4, 9, i));
}
}  // namespace

TEST(DramSim, DataCheckerCatchesAWriteOvertakingARead) {
  Rig r(ddr4_3200());
  r.bench->controller().set_unsafe_ordering_for_test(true);
  write_behind_read(r);
  r.run();
  EXPECT_EQ(r.bench->player().data_errors(), 1u);  // the drain wrote the line before the read's RD
}

TEST(DramSim, AWriteBehindAReadWaitsThroughADrain) {
  Rig r(ddr4_3200());
  write_behind_read(r);
  r.run();
  EXPECT_EQ(r.bench->player().data_errors(), 0u);
  EXPECT_EQ(r.stat("dram.hazard_waits"), 1);
  EXPECT_LT(r.times(Cmd::RD).front(), r.times(Cmd::WR).front());
}

namespace {
// A blocking initiator with atomics and debug access, behind the controller's LT adapter.
struct LtHost : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<LtHost> isock{"isock"};
  explicit LtHost(sc_core::sc_module_name n) : sc_module(n) {}
  // `local`: the caller's local time offset, which the adapter spends before the request goes out.
  uint64_t access(tlm::tlm_command cmd, uint64_t addr, uint64_t v, AtomicExt* a = nullptr,
                  sc_core::sc_time local = sc_core::SC_ZERO_TIME) {
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, cmd, addr, reinterpret_cast<uint8_t*>(&v), 8);
    if (a) gp.set_extension(a);
    sc_core::sc_time d = local;
    isock->b_transport(gp, d);
    EXPECT_EQ(d, sc_core::SC_ZERO_TIME);  // spent
    if (a) gp.clear_extension(a);
    EXPECT_TRUE(gp.is_response_ok());
    return v;
  }
  uint64_t dbg(tlm::tlm_command cmd, uint64_t addr, uint64_t v = 0) {
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, cmd, addr, reinterpret_cast<uint8_t*>(&v), 8);
    EXPECT_EQ(isock->transport_dbg(gp), 8u);
    return v;
  }
};
}  // namespace

TEST(DramSim, AtomicsAndDebugAccessSeeDataMoveAtColumnCommands) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(64ull << 20);
  dram::DramController ctrl("dram", ddr4_3200(), store, root);
  dram::LtAdapter lt("lt");
  LtHost host("host");
  host.isock.bind(lt.tsock);
  lt.isock.bind(ctrl.tsock);
  const uint64_t x = ctrl.mapper().encode(dram::DramAddr{0, 0, 0, 0, 5, 0});
  auto in_store = [&] {
    uint64_t v;
    store.read(x, reinterpret_cast<uint8_t*>(&v), 8);
    return v;
  };
  std::vector<std::pair<Cmd, uint64_t>> seen;  // each column command with the stored value just before it
  std::vector<uint64_t> rd_at;
  ctrl.set_command_hook([&](unsigned, const dram::Command& c) {
    if (dram::is_read(c.cmd) || dram::is_write(c.cmd)) seen.emplace_back(c.cmd, in_store());
    if (dram::is_read(c.cmd)) rd_at.push_back(c.cycle);
  });
  uint64_t dbg_before_wr = 0, stored_before_wr = 0, old = 0, after = 0, forwarded = 0;
  sc_core::sc_spawn([&] {
    host.access(tlm::TLM_WRITE_COMMAND, x, 5);  // posted: acknowledged at cycle 5, its WR comes at 27
    dbg_before_wr = host.dbg(tlm::TLM_READ_COMMAND, x);
    stored_before_wr = in_store();
    AtomicExt a;
    a.op = AtomicOp::FetchOr;
    a.operand = 0x10;
    old = host.access(tlm::TLM_WRITE_COMMAND, x, 0, &a);  // waits for the queued write, then RD
    after = host.access(tlm::TLM_READ_COMMAND, x, 0);
    host.access(tlm::TLM_WRITE_COMMAND, x, 7);  // queued; a debug write before its WR must survive it
    host.dbg(tlm::TLM_WRITE_COMMAND, x, 9);
    forwarded = host.access(tlm::TLM_READ_COMMAND, x, 0);
    sc_core::wait(ctrl.clock().cycles(200));
    sc_core::sc_stop();
  });
  sc_core::sc_start();
  EXPECT_EQ(ctrl.violation(), "");
  // Accepted but not yet at WR: the store still holds 0, debug access already sees 5.
  EXPECT_EQ(stored_before_wr, 0u);
  EXPECT_EQ(dbg_before_wr, 5u);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(Cmd::WR, uint64_t{0}));  // the bytes reach the DRAM at WR
  // The atomic waited for that WR (27), was accepted then, and performed its read and write at its RD:
  // WR to RD in one bank group, CWL + BL/2 + tWTR_L = 32 later, at 59; 5 was stored just before it.
  EXPECT_EQ(rd_at.front(), 27u + 16 + 4 + 12);
  EXPECT_EQ(seen[1], std::make_pair(Cmd::RD, uint64_t{5}));
  EXPECT_EQ(old, 5u);
  EXPECT_EQ(after, 0x15u);
  EXPECT_EQ(forwarded, 9u);   // from the write buffer, where the debug write merged
  EXPECT_EQ(in_store(), 9u);  // the older queued write (7) did not undo the debug write
  EXPECT_EQ(root.find("dram.hazard_waits")->to_json().get<double>(), 1);
}

namespace {
// Two initiator threads, "alpha" (bank 1) and "zeta" (bank 2), reach the LT adapter at the same instant;
// a driver wakes them so that SystemC runs zeta first. Returns the bank of the first ACT.
// A host, the LT adapter and a DDR4-3200 controller; the ACTs' banks and cycles are recorded.
struct LtRig {
  stats::Group root{nullptr, "stats"};
  mem::BackingStore store{64ull << 20};
  dram::DramController ctrl{"dram", ddr4_3200(), store, root};
  dram::LtAdapter lt{"lt"};
  LtHost host{"host"};
  std::vector<std::pair<unsigned, uint64_t>> acts;
  explicit LtRig(bool arrival_order) {
    lt.set_grant_in_arrival_order_for_test(arrival_order);
    host.isock.bind(lt.tsock);
    lt.isock.bind(ctrl.tsock);
    ctrl.set_command_hook([this](unsigned, const dram::Command& c) {
      if (c.cmd == Cmd::ACT) acts.emplace_back(c.addr.bank, c.cycle);
    });
  }
  uint64_t row7(unsigned bank) const { return ctrl.mapper().encode(dram::DramAddr{0, 0, 0, bank, 7, 0}); }
  // Runs the simulation until DRAM cycle `cycles` (the threads spawned before it are done by then).
  void run_until(unsigned cycles) {
    sc_core::sc_spawn([this, cycles] {
      sc_core::wait(ctrl.clock().cycles(cycles));
      sc_core::sc_stop();
    });
    sc_core::sc_start();
    EXPECT_EQ(ctrl.violation(), "");
  }
};

unsigned first_act_of_same_instant_pair(bool arrival_order, bool inline_unchecked = false) {
  LtRig rig(arrival_order);
  rig.lt.set_inline_grant_unchecked_for_test(inline_unchecked);
  auto& ctrl = rig.ctrl;
  sc_core::sc_event wake_alpha, wake_zeta;
  std::vector<std::string> ran;  // the order SystemC ran the two threads in
  auto reader = [&](sc_core::sc_event& wake, unsigned bank) {
    sc_core::wait(wake);
    ran.push_back(sc_core::sc_get_current_process_handle().basename());
    rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(bank), 0);
  };
  sc_core::sc_spawn([&] { reader(wake_alpha, 1); }, "alpha");
  sc_core::sc_spawn([&] { reader(wake_zeta, 2); }, "zeta");
  sc_core::sc_spawn([&] {
    sc_core::wait(ctrl.clock().cycles(10));
    // Here SystemC 2.3.4 runs the thread of the notification made last first (checked below): zeta.
    wake_alpha.notify(sc_core::SC_ZERO_TIME);
    wake_zeta.notify(sc_core::SC_ZERO_TIME);
    sc_core::wait(ctrl.clock().cycles(300));
    sc_core::sc_stop();
  });
  sc_core::sc_start();
  EXPECT_EQ(ctrl.violation(), "");
  EXPECT_EQ(ran, (std::vector<std::string>{"zeta", "alpha"}));  // the premise: zeta reached the adapter first
  EXPECT_EQ(rig.acts.size(), 2u);
  return rig.acts.empty() ? 99 : rig.acts.front().first;
}
}  // namespace

namespace {
// Two callers reach the adapter's request channel at DRAM cycle 20 by spending local time there: "zeta"
// calls at 0 with 20 cycles of it, "alpha" at cycle 10 with 10. Returns the first ACT's bank and cycle.
std::pair<unsigned, uint64_t> first_act_of_local_time_pair(bool arrival_order) {
  LtRig rig(arrival_order);
  auto& ctrl = rig.ctrl;
  const auto cyc = [&](unsigned n) { return ctrl.clock().cycles(n); };
  auto reader = [&](unsigned start, unsigned local, unsigned bank) {
    sc_core::wait(cyc(start));
    rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(bank), 0, nullptr, cyc(local));
  };
  sc_core::sc_spawn([&] { reader(0, 20, 2); }, "zeta");
  sc_core::sc_spawn([&] { reader(10, 10, 1); }, "alpha");
  rig.run_until(300);
  EXPECT_EQ(rig.acts.size(), 2u);
  return rig.acts.empty() ? std::make_pair(99u, uint64_t{0}) : rig.acts.front();
}
}  // namespace

TEST(DramSim, LtAdapterGrantsCallersWhoseLocalTimeEndsAtOneInstantInNameOrder) {
  // Both requests reach the channel at cycle 20 (neither earlier: the local time is spent first), alpha's
  // is granted first whoever called first; accepted at 20, through the 5-cycle front end, ACT at 25.
  EXPECT_EQ(first_act_of_local_time_pair(false), std::make_pair(1u, uint64_t{25}));
}

namespace {
enum class Check { Both, ArriveUnchecked, SendAheadUnchecked };
struct ArrivalRace {
  std::pair<unsigned, uint64_t> first_act;
  uint64_t inline_grants, sent_ahead;
};
// "zeta" reaches the request channel at DRAM cycle 20 by local time (it calls at cycle 2 with 18 cycles of
// it, when nothing else is due until cycle 20); "alpha" wakes at cycle 20 and calls with none, so it
// reaches the channel at 20 too, in the first delta cycle, after the adapter's `arrive` method (methods
// run before threads). Returns the first ACT's bank and cycle and the adapter's shortcuts taken.
ArrivalRace arrival_and_direct_caller(Check check) {
  LtRig rig(false);
  rig.lt.set_inline_grant_unchecked_for_test(check == Check::ArriveUnchecked);
  rig.lt.set_send_ahead_unchecked_for_test(check == Check::SendAheadUnchecked);
  auto& ctrl = rig.ctrl;
  const auto cyc = [&](unsigned n) { return ctrl.clock().cycles(n); };
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(cyc(2));
        rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(2), 0, nullptr, cyc(18));
      },
      "zeta");
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(cyc(20));
        rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(1), 0);
      },
      "alpha");
  rig.run_until(300);
  EXPECT_EQ(rig.acts.size(), 2u);
  return {rig.acts.empty() ? std::make_pair(99u, uint64_t{0}) : rig.acts.front(), rig.lt.inline_grants(),
          rig.lt.sent_ahead()};
}
}  // namespace

TEST(DramSim, LtAdapterGrantsInArriveOnlyWhenNothingElseIsDueAtThatInstant) {
  // zeta is not sent ahead (alpha's wake is due at its arrival), and `arrive` sees alpha's thread still
  // to run at cycle 20, so it leaves the grant to the delta cycle after: alpha (called with no local
  // time) takes part and goes first by name; ACT at 20 + the 5-cycle front end.
  const ArrivalRace r = arrival_and_direct_caller(Check::Both);
  EXPECT_EQ(r.first_act, std::make_pair(1u, uint64_t{25}));
  EXPECT_EQ(r.inline_grants, 0u);
  EXPECT_EQ(r.sent_ahead, 0u);
}

TEST(DramSim, LtAdapterGrantingInArriveRegardlessLetsTheEarlierArrivalOvertake) {
  // Negative control: granting in `arrive` although alpha's thread is still due at that instant gives
  // zeta the channel before alpha reaches it: zeta's ACT comes first.
  const ArrivalRace r = arrival_and_direct_caller(Check::ArriveUnchecked);
  EXPECT_EQ(r.first_act.first, 2u);
  EXPECT_EQ(r.inline_grants, 1u);
  EXPECT_EQ(r.sent_ahead, 0u);
}

TEST(DramSim, LtAdapterSendingAheadRegardlessLetsTheEarlierArrivalOvertake) {
  // Negative control: sending zeta's request at cycle 2 although alpha is due at its arrival takes the
  // request channel before alpha reaches it: zeta's ACT comes first. (The controller takes zeta's request
  // at 20 before alpha's thread runs there; alpha, then alone, is granted in its own call.)
  const ArrivalRace r = arrival_and_direct_caller(Check::SendAheadUnchecked);
  EXPECT_EQ(r.first_act.first, 2u);
  EXPECT_EQ(r.inline_grants, 1u);
  EXPECT_EQ(r.sent_ahead, 1u);
}

namespace {
// One caller, alone: it calls at cycle 5 with 20 cycles of local time, or at 25 with none (nothing else is
// due until 300), to a controller set up as the platform's (requests taken in the call, run-ahead). Returns
// its first ACT's cycle, the cycle its thread resumes at, and the adapter's and controller's shortcuts taken.
struct AloneRun {
  uint64_t act = 0, resumed = 0, inline_grants = 0, sent_ahead = 0, accepted_ahead = 0, early = 0;
};
AloneRun caller_alone(bool send_ahead, bool no_local_time = false, bool early = false) {
  LtRig rig(false);
  rig.lt.set_send_ahead_for_test(send_ahead);
  rig.ctrl.set_accept_in_call(true);
  rig.ctrl.set_run_ahead(true);
  rig.ctrl.set_early_responses(early);
  AloneRun r;
  const auto cyc = [&](unsigned n) { return rig.ctrl.clock().cycles(n); };
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(cyc(no_local_time ? 25 : 5));
        rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(2), 0, nullptr, cyc(no_local_time ? 0 : 20));
        r.resumed = rig.ctrl.clock().to_cycles(sc_core::sc_time_stamp());
      },
      "zeta");
  rig.run_until(300);
  EXPECT_EQ(rig.acts.size(), 1u);
  r.act = rig.acts.empty() ? 0 : rig.acts.front().second;
  r.inline_grants = rig.lt.inline_grants();
  r.sent_ahead = rig.lt.sent_ahead();
  r.accepted_ahead = rig.ctrl.accepted_ahead();
  r.early = rig.ctrl.responses_early();
  return r;
}
// Accepted at 25, ACT after the front end, RD tRCD later, data CL + BL/2 after it, response after the PHY;
// whichever way the request went.
void expect_alone_timing(const AloneRun& r) {
  const dram::DdrConfig c = ddr4_3200();
  const uint64_t act = 25 + c.ctrl.frontend_cycles;
  EXPECT_EQ(r.act, act);
  EXPECT_EQ(r.resumed, act + c.timing.trcd + c.timing.cl + c.org.burst_length / 2 + c.ctrl.phy_cycles);
}
}  // namespace

TEST(DramSim, LtAdapterSendsTheRequestOfACallerAloneUntilItsArrivalAheadOfIt) {
  // Nothing else is due up to its arrival at cycle 25: the request goes out from b_transport and the
  // controller takes it as at 25; the same ACT and response cycles as through `arrive` (the test below).
  const AloneRun r = caller_alone(true);
  EXPECT_EQ(r.sent_ahead, 1u);
  EXPECT_EQ(r.accepted_ahead, 1u);
  EXPECT_EQ(r.inline_grants, 0u);
  expect_alone_timing(r);
}

TEST(DramSim, LtAdapterGrantsAnArrivalAloneAtItsInstantInArrivesOwnCall) {
  // Not sent ahead (a test knob): `arrive` runs at cycle 25 with nothing else due there and grants in its
  // own call; accepted at 25, the ACT after the 5-cycle front end.
  const AloneRun r = caller_alone(false);
  EXPECT_EQ(r.sent_ahead, 0u);
  EXPECT_EQ(r.accepted_ahead, 0u);
  EXPECT_EQ(r.inline_grants, 1u);
  expect_alone_timing(r);
}

TEST(DramSim, LtAdapterGrantsACallerWithNoLocalTimeAloneAtItsInstantInItsOwnCall) {
  // The caller wakes at cycle 25 and calls with no local time left, with nothing else due there: its
  // b_transport grants at once; the same ACT and response cycles as the two tests above.
  const AloneRun r = caller_alone(true, true);
  EXPECT_EQ(r.sent_ahead, 0u);
  EXPECT_EQ(r.accepted_ahead, 0u);
  EXPECT_EQ(r.inline_grants, 1u);
  expect_alone_timing(r);
}

TEST(DramSim, LtAdapterTakesAnEarlyResponseAtItsAnnotatedTime) {
  // The controller answers the read when its RD is issued, annotated with the data's end: the caller
  // resumes at the same cycle as when the responder answers at that time (the tests above).
  const AloneRun r = caller_alone(true, false, true);
  EXPECT_EQ(r.early, 1u);  // the premise: the response went early
  EXPECT_EQ(r.sent_ahead, 1u);
  expect_alone_timing(r);
}

namespace {
// One caller, alone, as in caller_alone: it writes at cycle 25 (called at 5 with 20 cycles of local time)
// and reads the line back at once. Both are answered from within the BEGIN_REQ call: the posted write
// after the front end, the read forwarded from the write buffer after the front end too. Returns the
// cycles the caller resumes at, the value read and the responses the controller sent early.
struct WriteReadRun {
  uint64_t write_resumed = 0, read_resumed = 0, value = 0, early = 0;
};
WriteReadRun write_then_read_alone(bool early) {
  LtRig rig(false);
  rig.ctrl.set_accept_in_call(true);
  rig.ctrl.set_run_ahead(true);
  rig.ctrl.set_early_responses(early);
  WriteReadRun r;
  const auto cyc = [&](unsigned n) { return rig.ctrl.clock().cycles(n); };
  const auto now = [&] { return rig.ctrl.clock().to_cycles(sc_core::sc_time_stamp()); };
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(cyc(5));
        rig.host.access(tlm::TLM_WRITE_COMMAND, rig.row7(2), 0x1234, nullptr, cyc(20));
        r.write_resumed = now();
        r.value = rig.host.access(tlm::TLM_READ_COMMAND, rig.row7(2), 0);
        r.read_resumed = now();
      },
      "zeta");
  rig.run_until(300);
  r.early = rig.ctrl.responses_early();
  return r;
}
// Accepted at 25, the 5-cycle front end: the write's acknowledgement at 30; the read accepted at 30: 35.
void expect_write_read_timing(const WriteReadRun& r) {
  const uint64_t fe = ddr4_3200().ctrl.frontend_cycles;
  EXPECT_EQ(r.write_resumed, 25 + fe);
  EXPECT_EQ(r.read_resumed, 25 + 2 * fe);
  EXPECT_EQ(r.value, 0x1234u);
}
}  // namespace

TEST(DramSim, LtAdapterTakesResponsesSentFromWithinItsRequestCall) {
  // A posted write's acknowledgement and a read forwarded from the write buffer are answered early from
  // inside the BEGIN_REQ call the adapter is making: the caller resumes when it does with the responder
  // (the test below), with the value written.
  const WriteReadRun r = write_then_read_alone(true);
  expect_write_read_timing(r);
  EXPECT_EQ(r.early, 2u);  // the premise: both went early
}

TEST(DramSim, LtAdapterTakesResponsesFromTheResponderAtTheirTime) {
  // The same with the responder answering at the response's time.
  const WriteReadRun r = write_then_read_alone(false);
  expect_write_read_timing(r);
  EXPECT_EQ(r.early, 0u);
}

TEST(DramSim, LtAdapterInArrivalOrderGrantsTheEarlierCallerFirst) {
  // Negative control: granting in the order the callers reached the adapter lets zeta (it called at 0)
  // go first; the name order above is what puts alpha first.
  EXPECT_EQ(first_act_of_local_time_pair(true), std::make_pair(2u, uint64_t{25}));
}

TEST(DramSim, LtAdapterGrantsSameInstantCallersInNameOrder) {
  // Which of two callers due at one instant SystemC runs first comes from the shape of its timed-event
  // heap; the adapter's arbitration makes alpha's request go first whichever ran first.
  EXPECT_EQ(first_act_of_same_instant_pair(false), 1u);
}

TEST(DramSim, LtAdapterGrantingInTheCallersCallRegardlessLetsTheFirstRunCallerOvertake) {
  // Negative control: zeta, run first, finds the channel free; granting it in its own call although
  // alpha is still to run at that instant lets zeta go first. Checked, the grant waits for the delta
  // cycle after (the test above).
  EXPECT_EQ(first_act_of_same_instant_pair(false, true), 2u);
}

TEST(DramSim, LtAdapterInArrivalOrderFollowsTheKernelsRunOrder) {
  // Negative control: granting in arrival order lets the thread SystemC ran first (zeta) go first.
  EXPECT_EQ(first_act_of_same_instant_pair(true), 2u);
}
