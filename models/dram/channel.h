// One DDR channel's controller back end: read and write queues, FR-FCFS scheduling with a row-hit cap,
// write draining between watermarks, page policy, refresh and power-down, and the per-bank timing state
// that decides when each command is legal (cf. DRAMSys' Controller/Scheduler/CheckerDDR4, Ramulator 2's
// FRFCFS_Cap). Plain C++ driven cycle by cycle by the SystemC wrapper; one command per cycle.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/dram/command.h"
#include "models/dram/ddr_config.h"
#include "models/dram/timing_checker.h"

namespace pc::dram {

struct Request {         // fields ordered to leave no padding (the queues move requests on every serve)
  uint64_t id = 0;       // global arrival order
  uint64_t arrival = 0;  // cycle the request was accepted
  uint64_t ready = 0;    // first cycle the scheduler may serve it (after the front end)
  uint64_t line = 0;     // burst-aligned address / burst bytes (the wrapper's data bookkeeping)
  DramAddr addr;
  uint32_t tag = 0;            // the wrapper's transaction slot
  uint32_t wbuf = UINT32_MAX;  // writes: the wrapper's buffer holding the bytes to write (none: timing only)
  uint32_t bank_flat = 0;      // rank x banks + bank group x banks per group + bank (set by the channel)
  bool write = false;
  bool needed_act = false, needed_pre = false;  // row-buffer outcome, decided as commands are issued
};

// A request queue in arrival order kept in a ring: the scheduler serves requests from anywhere in it,
// mostly near the front, and an erase moves only the shorter side.
class RequestQueue {
 public:
  size_t size() const { return m_n; }
  bool empty() const { return m_n == 0; }
  Request& operator[](size_t i) { return m_buf[(m_head + i) & m_mask]; }
  const Request& operator[](size_t i) const { return m_buf[(m_head + i) & m_mask]; }
  const Request& front() const { return (*this)[0]; }
  void push_back(const Request& r) {
    if (m_n == m_buf.size()) grow();
    (*this)[m_n++] = r;
  }
  void erase(size_t i) {  // keeps the order of the others
    if (i < m_n / 2) {
      for (size_t j = i; j > 0; --j) (*this)[j] = (*this)[j - 1];
      m_head = (m_head + 1) & m_mask;
    } else {
      for (size_t j = i; j + 1 < m_n; ++j) (*this)[j] = (*this)[j + 1];
    }
    --m_n;
  }
  void reserve(size_t n) {
    while (m_buf.size() < n) grow();
  }
  // The first index in [i, end) whose request's bank_flat is in `banks` (bit b: bank_flat b), else `end`.
  size_t find_bank(size_t i, size_t end, uint64_t banks) const {
    for (; i < end; ++i)
      if ((banks >> (*this)[i].bank_flat) & 1) break;
    return i;
  }
  // Calls f(request) in queue order (the ring's two runs) while it returns true.
  template <class F>
  void each(F f) const {
    const size_t first = std::min(m_n, m_buf.size() - m_head);
    for (size_t i = m_head; i < m_head + first; ++i)
      if (!f(m_buf[i])) return;
    for (size_t i = 0; i < m_n - first; ++i)
      if (!f(m_buf[i])) return;
  }

 private:
  void grow() {
    std::vector<Request> b(m_buf.empty() ? 8 : m_buf.size() * 2);
    for (size_t i = 0; i < m_n; ++i) b[i] = (*this)[i];
    m_buf.swap(b);
    m_head = 0;
    m_mask = m_buf.size() - 1;
  }
  std::vector<Request> m_buf;  // a power of two entries
  size_t m_head = 0, m_n = 0, m_mask = 0;
};

class ChannelObserver {
 public:
  virtual ~ChannelObserver() = default;
  virtual void on_command(unsigned channel, const Command& c) = 0;
  // A column command was issued for `r`; for reads, the data burst ends at `data_end`.
  virtual void on_served(unsigned channel, const Request& r, uint64_t data_end) = 0;
};

class Channel {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;

  // `checker` may be null (checking off); it is shared by all channels.
  Channel(unsigned index, const DdrConfig& cfg, TimingChecker* checker, ChannelObserver& obs);

  bool can_accept(bool write, uint64_t n = 1) const;
  void enqueue(const Request& r);
  size_t read_queue_size() const { return m_rq.size(); }
  size_t write_queue_size() const { return m_wq.size(); }
  bool idle() const { return m_rq.empty() && m_wq.empty(); }
  // Drains the writes queued before request `id` now (a request waits for one of them to reach the DRAM).
  void request_drain(uint64_t id) { m_drain_before = std::max(m_drain_before, id); }

  // Issues at most one command at cycle `now` (cycles must not go backwards) and returns the next cycle
  // at which calling tick can make progress (> now); new requests can only make it earlier.
  uint64_t tick(uint64_t now);

  // Cycles during which at least one bank of `rank` was open (for the energy estimate), up to `now`.
  uint64_t active_cycles(unsigned rank, uint64_t now) const;
  uint64_t powerdown_cycles(unsigned rank, uint64_t now) const;

 private:
  // The bounds that commands to other banks set, kept once per bank group: every bank of a group gets
  // the same ones (tRRD and tCCD / tWTR / turnarounds depend only on the bank group and the rank).
  struct Group {
    uint64_t next_act = 0, next_rd = 0, next_wr = 0;
  };
  struct Bank {
    bool open = false;
    uint32_t row = 0;
    uint64_t act_at = 0;
    // The bank's own bounds (commands to this bank, refresh); with its group's: act_bound, col_bound.
    uint64_t next_act = 0, next_pre = 0, next_rd = 0, next_wr = 0;
    uint32_t hits = 0;                        // column commands since the row was opened (for the cap)
    uint32_t pending_rd = 0, pending_wr = 0;  // queued requests for the open row
    uint32_t flat = 0, rank = 0;              // index in m_flat, rank
    const Group* grp = nullptr;               // its bank group's bounds
  };
  struct Rank {
    std::vector<Bank> banks;
    std::vector<Group> groups;
    uint64_t faw[4] = {0, 0, 0, 0};  // the last four ACTs (ring); a slot of 0 is "long ago"
    unsigned faw_head = 0;
    unsigned acts_seen = 0;
    uint64_t faw_ok = 0;       // faw_ready(), set at each ACT (the scheduler reads it far more often)
    uint64_t ref_due = 0;      // end of the current refresh slot: one refresh is owed per slot
    int64_t ref_credit = 0;    // refreshes owed (> 0: postponed, < 0: pulled in)
    bool ref_pending = false;  // a refresh is forced: requests to the refreshed banks wait
    unsigned sb_index = 0;     // same-bank refresh: bank index refreshed next
    bool powered_down = false;
    uint64_t pde_at = 0, cmd_ok = 0;  // cmd_ok: tXP after power-down exit
    uint64_t last_activity = 0;
    uint32_t queued = 0;      // requests in either queue for this rank
    uint32_t open_banks = 0;  // banks with a row open, as the scheduler sees them
    // Energy: the rank is in active standby while any bank holds a row, up to its actual precharge (an
    // auto-precharge closes the row later than RDA/WRA, at max(tRTP / write recovery, tRAS)), or refreshes.
    uint32_t rows_held = 0;
    std::vector<uint64_t> closes;  // pending implicit precharges, ascending
    uint64_t held_since = 0, active_total = 0, pd_total = 0;
  };

  // What the scheduler found to do in one queue at one cycle.
  struct Choice {
    size_t index = SIZE_MAX;  // request in the queue, SIZE_MAX for none
    Cmd cmd = Cmd::ACT;       // RD/WR: serve it; ACT, PRE or PDX: prepare for it
    bool blocked = false;     // some request waits only because the other queue holds its bank's open row
  };
  Bank& bank_of(const DramAddr& a) { return m_ranks[a.rank].banks[a.bank_group * m_bpg + a.bank]; }
  // The earliest cycle of the bank's next ACT / RD or WR (write) by its own and its group's bounds.
  static uint64_t act_bound(const Bank& b) { return std::max(b.next_act, b.grp->next_act); }
  static uint64_t col_bound(const Bank& b, bool write) {
    return write ? std::max(b.next_wr, b.grp->next_wr) : std::max(b.next_rd, b.grp->next_rd);
  }
  __attribute__((always_inline)) Choice select(RequestQueue& q, bool write, uint64_t now, uint64_t& wake);
  // select's bank-level pass (no rank refreshing or powered down): decides from the banks alone whether
  // no request can issue now (then fills `wake` and `blocked` as the full scan would and returns true).
  // Otherwise `may` holds every bank whose ready requests may issue now (and some that cannot), and
  // `ready` the number of requests through the front end.
  // (Always inlined into its one caller: passing its seven arguments cost 5% of its instructions.)
  __attribute__((always_inline)) bool nothing_now(const RequestQueue& q, bool write, uint64_t now,
                                                  uint64_t& wake, bool& blocked, uint64_t& may,
                                                  size_t& ready);
  // select's FR-FCFS scan; entries before `boundary` whose bank is not in `only` are passed over (see
  // ScanCache: they cannot issue; wake and blocked are then incomplete, so only a found choice counts).
  __attribute__((always_inline)) Choice scan(RequestQueue& q, bool write, uint64_t now, uint64_t& wake,
                                             uint64_t only, size_t boundary);
  // Whether some bank of `banks` with requests for its open row in queue `write` may serve one of them
  // now, under the hit cap (true also where the bank-level masks are not kept).
  __attribute__((always_inline)) bool hit_may_issue(bool write, uint64_t now, uint64_t banks) const;
  void note_pending(const Bank& b);  // updates m_pending_mask after pending_rd/pending_wr changed
  void refloor(const Bank& b);       // sets the bank's m_floor anew from its bounds, row state and counts
  __attribute__((always_inline)) void perform(RequestQueue& q, bool write, const Choice& c, uint64_t now);
  // The earliest cycle tFAW allows the rank's next ACT (0 before its fourth).
  static uint64_t faw_ready(const Rank& r) { return r.faw_ok; }
  void issue(uint64_t now, Cmd c, const DramAddr& a);
  // issue's state updates for the rare commands (PREA, refresh, power-down), out of the hot path: kept
  // out of line and cold so that issue's code stays small (the hot loop's code competes for the I-cache).
  __attribute__((cold, noinline)) void issue_rare(uint64_t now, Cmd c, const DramAddr& a);
  __attribute__((always_inline)) void serve(uint64_t now, RequestQueue& q, size_t i, bool write);
  void open_bank(Rank& r, Bank& b, uint64_t now);
  // Closes the bank for scheduling now; its row stays powered until `precharged_at` (>= now).
  void close_bank(Rank& r, Bank& b, uint64_t now, uint64_t precharged_at);
  // Applies the implicit precharges due by `now` (mostly none: only that test is inline).
  static void settle(Rank& r, uint64_t now) {
    if (!r.closes.empty() && r.closes.front() <= now) settle_due(r, now);
  }
  static void settle_due(Rank& r, uint64_t now);
  // Energy: the rank draws active-standby current from `now` to `until` (kNever: until a close): an open
  // row, or a refresh (the DRAM works internally for tRFC; Micron TN-40-07 counts IDD3N under it).
  static void hold_rows(Rank& r, uint64_t now, uint64_t until);
  bool refresh_step(uint64_t now, uint64_t& wake);  // past the quiet shortcut (m_ref_quiet), which tick tests
  bool refresh_pass(uint64_t now, uint64_t& wake);
  // Some rank has a refresh forced (ref_pending) or is powered down: select's bank-level shortcuts are off.
  bool m_special = false;
  void note_special();  // updates m_special after ref_pending or powered_down changed
  // refresh_step's last pass found every rank simply waiting for its next refresh slot (nothing owed to
  // force, no idle rank to refresh): until the earliest slot ends it would find the same, unless a rank
  // goes idle (its last request served) or enters or leaves power-down.
  bool m_ref_quiet = false;
  uint64_t m_ref_quiet_until = 0;
  bool powerdown_step(uint64_t now, uint64_t& wake);
  // Recounts the queued requests for the bank's open row.
  void recount(Bank& b);

  unsigned m_index;
  DdrConfig m_cfg;
  TimingConfig m_t;
  unsigned m_bpg, m_nbanks;
  uint64_t m_bl2;
  PagePolicy m_policy;
  bool m_same_bank_refresh;
  uint64_t m_ref_interval;           // between refresh commands of one rank (same-bank: one bank set each)
  int64_t m_ref_force_at;            // credit at which a refresh stops waiting for the rank to go idle
  int64_t m_ref_pull_in;             // refreshes an idle rank may issue ahead of time
  uint64_t m_bus_free = 0;           // first cycle the command bus is free (after a two-cycle command)
  uint64_t m_bus_cycles[kCmdKinds];  // by command: the cycles it holds the command bus
  unsigned m_groups_per_rank;
  // What a RD (index 0) or WR (1) at `now` sets, as now + these: the next RD and WR of the banks of other
  // ranks and of this rank ([0] another bank group, [1] this one), and its own bank's next PRE.
  struct ColumnBounds {
    uint64_t other_rd, other_wr, grp_rd[2], grp_wr[2], pre_ok;
  };
  ColumnBounds m_col_bounds[2];
  // An ACT's tRRD_L on its own bank is covered by tRC (then it may go to the group's bound like the
  // others'); otherwise the other banks of the group are raised one by one, as the bank must not be.
  bool m_group_rrd = true;
  TimingChecker* m_checker;
  ChannelObserver& m_obs;
  std::vector<Rank> m_ranks;
  std::vector<Bank*> m_flat;        // every bank of the channel by Request::bank_flat
  std::vector<uint32_t> m_closing;  // select: banks marked closing in the call with this stamp
  // Per queue (index: write) and bank: queued requests, and the banks with at least one (bit i: bank_flat
  // i; used by select's bank-level shortcuts, which need every bank of the channel in one word).
  std::vector<uint32_t> m_queued[2];
  uint64_t m_queued_mask[2] = {0, 0};
  // Per queue and bank: the rows of its queued requests, in no particular order (recount counts them).
  std::vector<std::vector<uint32_t>> m_rows[2];
  uint64_t m_pending_mask[2] = {0, 0};  // banks with pending_rd / pending_wr > 0
  // Per queue and bank (m_floor[write][bank_flat]): a cycle no later than the bank's next command for
  // that queue's requests could issue by its own bounds (closed: next_act; open: the next RD / WR if the
  // queue has hits, and next_pre). Bounds only rise and a count dropping to 0 only raises the floor, so a
  // floor left behind stays one; it is set anew where it could drop (a row opened or closed, a queue's
  // first hit) and, to keep it tight, after the bank's own commands.
  std::vector<uint64_t> m_floor[2];
  bool m_bank_masks = false;  // the channel has at most 64 banks
  // What a bank-level pass that found nothing learnt, per queue, until the next command changes any
  // timing: the requests before `boundary` (then through the front end) can issue no earlier than
  // `until`, and at `until` only those to the banks in `mask`. Requests queued since only add.
  struct ScanCache {
    bool valid = false;
    uint64_t mask = 0, until = 0;
    size_t boundary = 0;
  };
  ScanCache m_cache[2];
  uint32_t m_capped_open = 0;  // open banks whose row has used up its hit cap
  uint32_t m_select_stamp = 0;
  RequestQueue m_rq, m_wq;  // arrival order
  bool m_draining = false;
  uint64_t m_drain_before = 0;  // writes with a smaller id are drained now
};

}  // namespace pc::dram
