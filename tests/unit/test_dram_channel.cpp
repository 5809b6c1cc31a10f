// The channel scheduler driven directly (no simulation): the exact cycles of its commands where they
// follow from the timings alone, with the timing checker watching every command.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "models/dram/channel.h"
#include "models/dram/timing_checker.h"

using namespace pc;
using dram::Cmd;

namespace {
struct Recorder : dram::ChannelObserver {
  std::vector<dram::Command> cmds;
  void on_command(unsigned, const dram::Command& c) override { cmds.push_back(c); }
  void on_served(unsigned, const dram::Request&, uint64_t) override {}
};

// Queues reads to (bank group, bank, row) at cycle 0 and runs the channel until both queues are empty;
// returns the commands as "CMD@cycle bg.bank" strings.
std::vector<std::string> run_reads(const dram::DdrConfig& cfg,
                                   const std::vector<std::array<unsigned, 3>>& reads) {
  Recorder rec;
  dram::TimingChecker checker(cfg.org, cfg.timing, cfg.refresh_mode());
  dram::Channel ch(0, cfg, &checker, rec);
  uint64_t id = 0;
  for (const auto& r : reads) {
    dram::Request q;
    q.id = id++;
    q.addr.bank_group = r[0], q.addr.bank = r[1], q.addr.row = r[2];
    ch.enqueue(q);
  }
  for (uint64_t now = 0; !ch.idle();) now = ch.tick(now);
  std::vector<std::string> out;
  for (const auto& c : rec.cmds)
    out.push_back(std::string(dram::cmd_name(c.cmd)) + "@" + std::to_string(c.cycle) + " " +
                  std::to_string(c.addr.bank_group) + "." + std::to_string(c.addr.bank));
  return out;
}

// DDR4-3200 with tRRD_L above tRC (104 > 74): the bound an ACT sets on the other banks of its group is
// no bound on its own bank, which tRC and tRP govern.
dram::DdrConfig long_trrd_l() {
  dram::DdrConfig c;
  c.timing.trrd_l = 104;
  return c;
}
}  // namespace

// DDR4-3200: tRCD 22, tRAS 52, tRP 22, tRC 74, tRRD_S/L 4/8, tRTP 12.
TEST(DramChannel, ConflictInOneBankWaitsForTrcAndTrp) {
  // ACT 0, RD 22 (tRCD), PRE 52 (tRAS), ACT 74 (tRC = PRE + tRP), RD 96.
  const std::vector<std::string> want = {"ACT@0 0.0", "RD@22 0.0", "PRE@52 0.0", "ACT@74 0.0", "RD@96 0.0"};
  EXPECT_EQ(run_reads(dram::DdrConfig{}, {{0, 0, 1}, {0, 0, 2}}), want);
  // tRRD_L beyond tRC does not hold back the bank's own next ACT...
  EXPECT_EQ(run_reads(long_trrd_l(), {{0, 0, 1}, {0, 0, 2}}), want);
}

TEST(DramChannel, ActsToOtherBanksKeepTrrdOfTheirGroup) {
  // Same bank group: the second ACT waits tRRD_L (8, or 104 where it is set so); another group tRRD_S (4).
  EXPECT_EQ(run_reads(dram::DdrConfig{}, {{0, 0, 1}, {0, 1, 1}}),
            (std::vector<std::string>{"ACT@0 0.0", "ACT@8 0.1", "RD@22 0.0", "RD@30 0.1"}));
  // ...but does hold back the other banks of the group.
  EXPECT_EQ(run_reads(long_trrd_l(), {{0, 0, 1}, {0, 1, 1}}),
            (std::vector<std::string>{"ACT@0 0.0", "RD@22 0.0", "ACT@104 0.1", "RD@126 0.1"}));
  EXPECT_EQ(run_reads(long_trrd_l(), {{0, 0, 1}, {1, 0, 1}}),
            (std::vector<std::string>{"ACT@0 0.0", "ACT@4 1.0", "RD@22 0.0", "RD@26 1.0"}));
}

// Refresh pull-in (2): an idle rank refreshes ahead of its slots, from the cycle its last request is
// served on (not from its next slot's end), and requests then wait for the refresh.
TEST(DramChannel, RankRefreshesOnceItsLastRequestIsServed) {
  dram::DdrConfig cfg;
  cfg.ctrl.refresh_postpone = 2;
  Recorder rec;
  dram::TimingChecker checker(cfg.org, cfg.timing, cfg.refresh_mode());
  dram::Channel ch(0, cfg, &checker, rec);
  // ACT 0, RD 22; then idle: PREA 52 (tRAS), REF 74 (tRP) and one pulled in after tRFC (560) at 634. At
  // the first slot's end (tREFI 12480) one refresh is owed again, so the rank is one ahead only and
  // refreshes at once; the read queued at 13000 waits for that refresh's tRFC (ACT 13040, RD 13062).
  dram::Request q;
  q.addr.row = 1;
  ch.enqueue(q);
  uint64_t now = 0;
  auto run_until = [&](uint64_t end) {
    while (now < end) now = std::min(ch.tick(now), end);
  };
  run_until(13000);
  q.id = 1, q.arrival = q.ready = 13000;
  ch.enqueue(q);
  run_until(14000);
  std::vector<std::string> got;
  for (const auto& c : rec.cmds)
    got.push_back(std::string(dram::cmd_name(c.cmd)) + "@" + std::to_string(c.cycle));
  EXPECT_EQ(got, (std::vector<std::string>{"ACT@0", "RD@22", "PREA@52", "REF@74", "REF@634", "REF@12480",
                                           "ACT@13040", "RD@13062"}));
}

// The scheduler's pass over requests to other banks (RequestQueue::find_bank), across the ring's wrap.
TEST(DramRequestQueue, FindBankPassesOverOtherBanksAcrossTheWrap) {
  dram::RequestQueue q;
  q.reserve(8);
  dram::Request r;
  for (uint32_t i = 0; i < 8; ++i) r.id = i, r.bank_flat = i % 4, q.push_back(r);
  // Serving the first five moves the head to ring slot 5; three more wrap around to slots 0-2.
  for (int i = 0; i < 5; ++i) q.erase(0);
  for (uint32_t i = 8; i < 11; ++i) r.id = i, r.bank_flat = i % 4, q.push_back(r);
  ASSERT_EQ(q.size(), 6u);  // ids 5..10, banks 1 2 3 0 1 2
  EXPECT_EQ(q.find_bank(0, 6, uint64_t(1) << 0), 3u);
  EXPECT_EQ(q.find_bank(0, 6, uint64_t(1) << 2), 1u);
  EXPECT_EQ(q.find_bank(2, 6, uint64_t(1) << 2), 5u);
  EXPECT_EQ(q.find_bank(0, 6, (uint64_t(1) << 3) | (uint64_t(1) << 0)), 2u);
  EXPECT_EQ(q.find_bank(0, 4, uint64_t(1) << 2 << 8), 4u);  // no such bank: the end
  EXPECT_EQ(q.find_bank(4, 4, ~uint64_t(0)), 4u);
  EXPECT_EQ(q[q.find_bank(0, 6, uint64_t(1) << 0)].id, 8u);
}

// Energy bookkeeping: the rank is in active standby while a row is open, up to an explicit precharge
// (closed at once, after any implicit precharges due by then).
TEST(DramChannel, ActiveCyclesEndAtAnExplicitPrecharge) {
  dram::DdrConfig cfg;
  Recorder rec;
  dram::Channel ch(0, cfg, nullptr, rec);
  dram::Request q;
  q.addr.row = 1;
  ch.enqueue(q);
  q.id = 1, q.addr.row = 2;
  ch.enqueue(q);
  // ACT 0, RD 22, PRE 52, ACT 74, RD 96 (as in ConflictInOneBankWaitsForTrcAndTrp); the row stays open.
  uint64_t now = 0;
  auto run_until = [&](uint64_t end) {
    while (now < end) now = std::min(ch.tick(now), end);
  };
  run_until(60);
  EXPECT_EQ(ch.active_cycles(0, 60), 52u);
  run_until(74);
  EXPECT_EQ(ch.active_cycles(0, 74), 52u);
  run_until(100);
  EXPECT_EQ(ch.active_cycles(0, 100), 52u + 26u);
  ASSERT_EQ(rec.cmds.size(), 5u);
  EXPECT_EQ(rec.cmds[2].cmd, Cmd::PRE);
  EXPECT_EQ(rec.cmds[2].cycle, 52u);
}
