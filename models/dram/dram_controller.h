// Cycle-accurate DDR4/DDR5 memory controller and devices behind a TLM-2.0 approximately-timed target
// socket (four-phase base protocol, END_REQ withheld while the queue is full), in the manner of DRAMSys.
// Bytes move when the DRAM moves them: write data at the WR command (held in a write buffer until then),
// read data and atomics at the RD command, with reads forwarded from the write buffer.
#pragma once

#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <utility>
#include <vector>

#include "models/dram/address_mapper.h"
#include "models/dram/byte_mask.h"
#include "models/dram/channel.h"
#include "models/dram/ddr_config.h"
#include "models/dram/timing_checker.h"
#include "models/mem/backing_store.h"
#include "platform/core/clock.h"
#include "platform/core/cycle_histogram.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"

namespace pc::dram {

// The window over which bandwidth is measured: first accepted request to the end of the last data
// burst, in DRAM cycles. A stat of its own so that a warm-up reset restarts the window too.
class ActiveWindow final : public stats::Stat {
 public:
  using Stat::Stat;
  void request(uint64_t cycle) { m_first = std::min(m_first, cycle); }
  void data(uint64_t cycle) { m_last = std::max(m_last, cycle); }
  uint64_t cycles() const { return m_first == UINT64_MAX || m_last <= m_first ? 0 : m_last - m_first; }
  const char* kind() const override { return "scalar"; }
  stats::Json to_json() const override { return cycles(); }
  void reset() override { m_first = UINT64_MAX, m_last = 0; }

 private:
  uint64_t m_first = UINT64_MAX, m_last = 0;
};

class DramController : public sc_core::sc_module, public ChannelObserver {
 public:
  SC_HAS_PROCESS(DramController);
  tlm_utils::simple_target_socket<DramController> tsock;

  // `checker_timing` (tests only) makes the checker enforce other timings than the scheduler uses, to
  // show that a violation is caught. Throws cfg::ConfigError if `cfg` is inconsistent.
  DramController(sc_core::sc_module_name name, const DdrConfig& cfg, mem::BackingStore& store,
                 stats::Group& parent, const TimingConfig* checker_timing = nullptr);
  ~DramController() override;

  const ClockDomain& clock() const { return m_clk; }
  const AddressMapper& mapper() const { return m_mapper; }
  const DdrConfig& config() const { return m_cfg; }
  // Observes every issued command (tests, tools); called before the command takes effect.
  void set_command_hook(std::function<void(unsigned, const Command&)> f) { m_hook = std::move(f); }
  uint64_t commands_checked() const { return m_checker ? m_checker->commands_checked() : 0; }
  uint64_t reads_done() const { return m_reads.value(); }
  uint64_t reads_outstanding() const { return m_outstanding; }
  // No request queued, waiting or being answered.
  bool idle() const;
  // The first timing violation the checker found (the simulation was stopped there); empty if none.
  // Kept rather than thrown through the SystemC kernel: the owner reports it after sc_start returns.
  const std::string& violation() const { return m_violation; }
  // Brings idle channels up to the current time (the refreshes and power-downs they skipped while no
  // request was queued), so that end-of-run stats are complete. Owners call it before dumping stats.
  void sync_to_now();
  double energy_pj() const;
  // Tests only: accept every request without the address-hazard checks, forwarding or write merging, so
  // a read may overtake an older write to its address (the data checker must then see stale data).
  void set_unsafe_ordering_for_test(bool on) { m_unsafe_ordering = on; }
  // Tests only: neither a write buffered for a granted page nor a discard invalidates the DMI pointers
  // into it (an initiator then reads the store's older bytes, or a released page, through its pointer).
  void set_dmi_invalidation_for_test(bool on) { m_dmi_invalidate = on; }
  uint64_t dmi_grants() const { return m_dmi_grants; }                // pages granted (tests)
  uint64_t dmi_invalidations() const { return m_dmi_invalidations; }  // invalidate_direct_mem_ptr calls
  // Lets the scheduler run a channel's next cycles ahead of the kernel's time while nothing else is due
  // in the simulation up to them (same commands, same cycles; fewer kernel events). Only for an owner
  // whose sc_start has no time limit (the limit is not visible here) and whose initiators act only on
  // the controller's own notifications (the trace bench replaying --fast).
  // Running ahead, the initiator may send its next BEGIN_REQ from the END_REQ call, annotated with that
  // call's delay (the trace player does). A thread woken by the END_REQ would send it a delta cycle later
  // and the peq would take it in the one after, at the same time. The controller takes it at once, right
  // after the request being accepted, if the front end delays every request by at least a cycle and the
  // scheduler is not due in between (no delta notification of its wake pending): nothing else would act
  // in those delta cycles, so it takes the same steps without them, and can go on running ahead.
  // Otherwise it relays the request to the peq through a delta cycle of its own, as the thread would.
  void set_run_ahead(bool on) {
    m_run_ahead = on;
    m_inline_arrivals = on && m_cfg.ctrl.frontend_cycles >= 1;
  }
  // For an owner that runs sc_start to a time limit: cycles at or past `t` are never run ahead, so that
  // what the owner reads when sc_start returns at `t` (stats, samples) is the state at `t`.
  void set_run_ahead_horizon(const sc_core::sc_time& t) {
    m_horizon_fs = m_no_horizon ? UINT64_MAX : t.value();
  }
  // Tests only: ignore the horizon (the owner then reads state from cycles past its sc_start limit).
  void set_no_horizon_for_test(bool on) { m_no_horizon = on; }
  // One past the last cycle any channel has been ticked at; 0 before the first tick (tests).
  uint64_t cycles_ticked() const {
    uint64_t n = 0;
    for (uint64_t c : m_last_tick)
      if (c != UINT64_MAX) n = std::max(n, c + 1);
    return n;
  }
  // Answers each request as soon as its response time is known, with that time as the BEGIN_RESP's
  // annotated delay (a TLM-2.0 timing annotation), instead of keeping it until the kernel reaches that
  // time: no timed event per response. Only for an owner whose initiators take a response's time from
  // the annotation and act on a response only by counting it (the trace player), or that wait for it on
  // an event of their own and whose results do not depend on the delta cycle they resume in (the LT
  // adapter's callers without the modeled kernel: see Soc): what they see at a given time must not depend on
  // it. Responses may then come out of time order, and from within the BEGIN_REQ call (a posted write's).
  void set_early_responses(bool on) { m_early_resps = on; }
  uint64_t responses_early() const { return m_responses_early; }  // responses sent that way (tests)
  // Takes a BEGIN_REQ sent with no delay in the call itself and returns its END_REQ on the forward path
  // (TLM_UPDATED, with the END_REQ's delay) instead of through the peq a delta cycle later and a backward
  // call: one method run and one delta cycle fewer per request. Only for an owner whose initiators act on
  // an END_REQ returned that way exactly as on one sent back (the LT adapter, which sends from `arbitrate`
  // or from a call that stands for it, and only frees its request channel on either); a refused request's
  // END_REQ still comes back later. With run-ahead on (set_run_ahead), a BEGIN_REQ annotated with a delay is
  // also taken in the call, as at its time, when the kernel would next run only this controller there:
  // nothing else is due up to and at that time (no process, event or delta cycle; the sc_start horizon is
  // later). Between now and then nothing runs that could see the difference, and there this controller would
  // have taken it alone, with the same state (the adapter sends such a request from its caller's b_transport:
  // no event and no method run at its time).
  void set_accept_in_call(bool on) { m_accept_in_call = on; }
  // BEGIN_REQs taken ahead of their annotated time (tests).
  uint64_t accepted_ahead() const { return m_accepted_ahead; }
  uint64_t accepted_in_call() const { return m_accepted_in_call; }  // BEGIN_REQs taken that way (tests)
  uint64_t cycles_run_ahead() const { return m_cycles_ahead; }      // scheduler cycles run ahead (tests)
  uint64_t arrivals_inline() const { return m_arrivals_inline; }    // BEGIN_REQs taken inline (tests)
  uint64_t arrivals_relayed() const { return m_arrivals_relayed; }  // ... relayed instead (tests)
  // Tests only: take a BEGIN_REQ inline even while the scheduler is due in the next delta cycle (it then
  // sees requests it would only have seen after its step).
  void set_inline_when_due_for_test(bool on) { m_inline_when_due = on; }

  // ChannelObserver (called by the channels).
  void on_command(unsigned channel, const Command& c) override;
  void on_served(unsigned channel, const Request& r, uint64_t data_end) override;

 private:
  struct Txn {
    tlm::tlm_generic_payload* gp = nullptr;
    uint32_t bursts_left = 0;
    uint64_t accept_cycle = 0, data_end = 0;
    AtomicExt* atomic = nullptr;  // performed at the RD command
  };
  // The bytes of a queued write, from acceptance until its WR command (the initiator may reuse its
  // buffer as soon as the posted write is acknowledged).
  struct WriteBuf {
    std::vector<uint8_t> data;  // one burst
    ByteMask mask;              // the bytes written (one bit each)
  };
  // What is queued for one burst address: reads (and atomics) not yet at their RD, and the one data
  // write not yet at its WR (later writes merge into it). A read never waits in a queue beside a write
  // to its address (it is forwarded or waits to be accepted), so data at RD and WR moves in order.
  struct Line {
    uint32_t reads = 0;
    bool atomic = false;
    uint32_t wbuf = UINT32_MAX;
  };
  // Lines with queued requests, by burst address: few at a time (bounded by the queues) and looked up on
  // every request and burst, so an open-addressing table (linear probing, deletion by backward shift)
  // instead of a node per line. A reference stays valid until the next insertion.
  class LineTable {
   public:
    const Line* find(uint64_t key) const {
      if (!m_n) return nullptr;
      for (size_t i = home(key);; i = (i + 1) & m_mask) {
        if (!m_slots[i].used) return nullptr;
        if (m_slots[i].key == key) return &m_slots[i].line;
      }
    }
    Line* find(uint64_t key) { return const_cast<Line*>(std::as_const(*this).find(key)); }
    Line& operator[](uint64_t key) {
      if (Line* l = find(key)) return *l;
      return insert(key);
    }
    Line& insert(uint64_t key) {  // `key` is not in the table
      if ((m_n + 1) * 2 > m_slots.size()) grow();
      size_t i = home(key);
      while (m_slots[i].used) i = (i + 1) & m_mask;
      m_slots[i] = Slot{key, Line{}, true};
      ++m_n;
      return m_slots[i].line;
    }
    void erase(uint64_t key) {
      if (!m_n) return;
      size_t i = home(key);
      for (; m_slots[i].key != key || !m_slots[i].used; i = (i + 1) & m_mask)
        if (!m_slots[i].used) return;
      // Close the gap: move up every later entry of the probe run whose home is not between the gap and it.
      for (size_t j = (i + 1) & m_mask; m_slots[j].used; j = (j + 1) & m_mask) {
        const size_t h = home(m_slots[j].key);
        if (((j - h) & m_mask) >= ((j - i) & m_mask)) {
          m_slots[i] = m_slots[j];
          i = j;
        }
      }
      m_slots[i].used = false;
      --m_n;
    }
    bool empty() const { return m_n == 0; }

   private:
    struct Slot {
      uint64_t key = 0;
      Line line;
      bool used = false;
    };
    size_t home(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> m_shift); }
    void grow() {
      std::vector<Slot> old(m_slots.size() ? m_slots.size() * 2 : 64);
      old.swap(m_slots);
      m_mask = m_slots.size() - 1;
      m_shift = 64 - static_cast<unsigned>(__builtin_ctzll(m_slots.size()));
      m_n = 0;
      for (const Slot& s : old)
        if (s.used) (*this)[s.key] = s.line;
    }
    std::vector<Slot> m_slots;
    size_t m_mask = 0, m_n = 0;
    unsigned m_shift = 64;
  };
  // Which delta cycle the kernel is in, read inline (sc_delta_count() is a library call): the time and
  // the delta count since the kernel reached it (reset only when the time advances, and the time never
  // comes back) name one delta cycle, as the delta count does.
  struct DeltaStamp {
    uint64_t time = UINT64_MAX, delta = 0;
    bool operator==(const DeltaStamp& o) const { return time == o.time && delta == o.delta; }
  };
  DeltaStamp delta_stamp() const {
    return {kernel_time().value(), simcontext()->delta_count_at_current_time()};
  }
  // sc_time::from_value (a library call) for the delays the controller notifies: few distinct values
  // (multiples of the clock period), kept in a small direct-mapped table.
  class DelayTimes {
   public:
    const sc_core::sc_time& get(uint64_t fs) {
      Entry& e = m_entries[(fs * 0x9E3779B97F4A7C15ull) >> 59];
      if (e.fs != fs) e.fs = fs, e.t = sc_core::sc_time::from_value(fs);
      return e.t;
    }

   private:
    struct Entry {
      uint64_t fs = UINT64_MAX;  // no delay is that long
      sc_core::sc_time t;
    };
    Entry m_entries[32];
  };
  // The notification an sc_event holds, mirrored from SystemC 2.3's sc_event::notify(const sc_time&) so
  // that a notification the kernel would ignore is not made: one while a delta notification is pending,
  // or a timed one while a timed notification no later than it is pending. Such a call changes nothing in
  // the kernel (no timed-event queue entry, none cancelled), so skipping it leaves every later event, and
  // every result, as it was. The mirror is exact because (a) every notify of the event goes through it
  // (and nothing cancels it); (b) it is used only inside processes, where a timed notification for time
  // P has fired exactly when the kernel's time has reached P (the kernel triggers the timed events of a
  // time step before any process runs at it), and a delta notification made in the evaluation phase of
  // a delta cycle has fired exactly when the kernel has left that delta cycle (that phase ran a process,
  // so the delta count goes up before the delta notifications are triggered). A notification made
  // outside the processes (sync_to_now, after the run) ends the mirroring: forget() makes every later
  // call notify.
  class NotifyMirror {
   public:
    // e.notify(at_fs - now_fs), or e.notify(SC_ZERO_TIME) if at_fs <= now_fs, unless SystemC would ignore
    // it, in delta cycle `stamp`. True if it was made (the kernel may have changed).
    bool notify(sc_core::sc_event& e, uint64_t at_fs, uint64_t now_fs, const DeltaStamp& stamp,
                DelayTimes& delays) {
      if (m_kind == Kind::Timed && m_at > now_fs) {
        if (at_fs >= m_at) return false;  // a timed notification no later than this one is pending
      } else if (m_kind == Kind::Delta && m_delta == stamp) {
        return false;  // a delta notification is pending
      }
      if (at_fs > now_fs) {
        e.notify(delays.get(at_fs - now_fs));
        if (m_kind != Kind::Unknown) m_kind = Kind::Timed, m_at = at_fs;
      } else {
        e.notify(sc_core::SC_ZERO_TIME);
        if (m_kind != Kind::Unknown) m_kind = Kind::Delta, m_delta = stamp;
      }
      return true;
    }
    void forget() { m_kind = Kind::Unknown; }
    // Whether a delta notification made in delta cycle `stamp` may be pending (true if not known).
    bool delta_pending(const DeltaStamp& stamp) const {
      return m_kind == Kind::Unknown || (m_kind == Kind::Delta && m_delta == stamp);
    }

   private:
    enum class Kind : uint8_t { None, Timed, Delta, Unknown };
    Kind m_kind = Kind::None;
    uint64_t m_at = 0;   // Timed: its time (fs)
    DeltaStamp m_delta;  // Delta: the delta cycle it was made in
  };
  // Why try_accept refused: queue space or an address hazard.
  enum class Refusal { None, Full, Hazard };
  struct Resp {
    uint64_t fs;  // response time
    tlm::tlm_generic_payload* gp;
  };

  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  // TLM DMI to one 4 KiB page of the store at a time, granted while no write to the page waits in a
  // write buffer (the pointer then moves the bytes exactly as transport_dbg would); untouched and
  // zero-filled pages are denied as the store refuses them. A write buffered for a granted page, and a
  // discard, invalidate the pointers first.
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  bool page_has_buffered_write(uint64_t page) const;
  bool dmi_granted(uint64_t page) const {
    return page / 64 < m_dmi_pages.size() && (m_dmi_pages[page / 64] >> (page % 64) & 1);
  }
  // Withdraws the grants of pages [first, last] and invalidates them at every initiator (if any was granted).
  void revoke_dmi(uint64_t first, uint64_t last);
  void peq_cb(tlm::tlm_generic_payload& gp, const tlm::tlm_phase& phase);
  // Takes the request into the queues if there is room; false leaves it waiting (back-pressure).
  // `now`: the cycle it arrives in; `ahead`: that cycle is ahead of the kernel's time (the END_REQ then
  // carries the difference as its delay). `at_fs`: the time it arrives at, if given (a BEGIN_REQ taken
  // ahead of its annotated time, which need not be a cycle's start); else the kernel's time, or the
  // cycle's start when ahead.
  bool try_accept(tlm::tlm_generic_payload& gp, uint64_t now, bool ahead, uint64_t at_fs = UINT64_MAX);
  // A BEGIN_REQ in cycle `now`: accepted, or left waiting for a retry (m_blocked).
  void begin_request(tlm::tlm_generic_payload& gp, uint64_t now, bool ahead, uint64_t at_fs = UINT64_MAX);
  // Whether a BEGIN_REQ annotated with `delay` may be taken in the call, as at its time (see
  // set_accept_in_call).
  bool may_accept_ahead(const sc_core::sc_time& delay) const;
  // Takes the BEGIN_REQs that arrived while a request was being accepted in cycle `now` (see set_run_ahead).
  void take_arrivals(uint64_t now, bool ahead);
  void scheduler();
  void responder();
  void relay();
  void push_response(tlm::tlm_generic_payload& gp, uint64_t fs);
  void wake_at(uint64_t cycle);
  bool tick_channel(size_t c, uint64_t cycle, bool ahead = false);  // false after a timing violation
  bool may_run_ahead(uint64_t cycle) const;  // nothing else happens in the simulation up to `cycle`
  bool catch_up(size_t c, uint64_t now, bool ahead = false);
  // The scheduler's catch_up of an idle channel (rare: kept out of its loop). False: a violation, and the
  // scheduler stops (wake_at(now) when ahead, where the run stops).
  __attribute__((noinline, cold)) bool catch_up_idle(size_t c, uint64_t now, bool ahead);
  // Sends END_REQ for `gp` at `now_fs` (the kernel's time or later: the delay); a BEGIN_REQ the initiator
  // sends from it for that time may be kept in m_arrived (see set_run_ahead).
  void end_request(tlm::tlm_generic_payload& gp, uint64_t now_fs);
  // Whether the queue space try_accept last found missing for the blocked request is still missing (it
  // would then refuse that request again, the same way: every check before this one depends only on the
  // request, and it was passed).
  bool still_full() const {
    const Channel& ch = *m_channels[m_full.channel];
    return !ch.can_accept(m_full.write, m_full.need) || (m_full.atomic && !ch.can_accept(true, m_full.need));
  }
  uint64_t now_cycle() const;
  // sc_time_stamp() without its library call (it is read several times per request): the same value,
  // read through the inline accessors of this module's simulation context (the current one: a module
  // belongs to the context it was built in, which does not check for one to create on every read).
  const sc_core::sc_time& kernel_time() const { return simcontext()->time_stamp(); }
  // Copies the part of [addr, addr + len) that falls in burst `line` between `buf` (at addr) and the store.
  void line_span(uint64_t line, uint64_t addr, uint64_t len, uint64_t& lo, uint64_t& hi) const {
    const unsigned ob = m_mapper.offset_bits();
    lo = std::max(addr, line << ob);
    hi = std::min(addr + len, (line + 1) << ob);
  }
  bool covers(const WriteBuf& w, uint64_t line, uint64_t addr, uint64_t len) const;
  uint32_t alloc_wbuf();
  void release_line(uint64_t line, const Line& l);

  DdrConfig m_cfg;
  ClockDomain m_clk;
  AddressMapper m_mapper;
  mem::BackingStore& m_store;
  // The address of the request accepted last, whose bytes in the store are prefetched when the next is
  // accepted (its page-table entry prefetched at its own acceptance by then); UINT64_MAX: none.
  uint64_t m_prefetch_next = UINT64_MAX;
  std::unique_ptr<TimingChecker> m_checker;
  std::vector<std::unique_ptr<Channel>> m_channels;
  std::vector<uint64_t> m_next;  // per channel: next cycle its tick can make progress
  std::vector<uint64_t> m_last_tick;
  tlm_utils::peq_with_cb_and_phase<DramController> m_peq;
  sc_core::sc_event m_wake, m_resp_event;
  NotifyMirror m_wake_mirror, m_resp_mirror;  // their pending notifications
  DelayTimes m_delays;
  tlm::tlm_generic_payload* m_blocked = nullptr;  // BEGIN_REQ waiting for queue space
  uint64_t m_served_gen = 0, m_blocked_gen = 0;   // bursts served so far; and when m_blocked was last tried
  std::vector<uint64_t> m_need;                   // try_accept: bursts per channel (kept to save allocations)
  std::vector<Txn> m_txns;
  std::vector<uint32_t> m_free_txns;
  std::vector<WriteBuf> m_wbufs;
  std::vector<uint32_t> m_free_wbufs;
  LineTable m_lines;
  Refusal m_refusal = Refusal::None;
  struct Full {  // Refusal::Full: the channel whose queue lacked space, and for what
    size_t channel = 0;
    uint64_t need = 0;
    bool write = false, atomic = false;
    bool valid = false;  // set by that refusal (not by one in a catch-up)
  } m_full;
  bool m_unsafe_ordering = false;
  std::vector<uint64_t> m_dmi_pages;  // bitmap by page number: a DMI pointer may be held to the page
  bool m_dmi_invalidate = true;
  uint64_t m_dmi_grants = 0, m_dmi_invalidations = 0;
  bool m_run_ahead = false;
  uint64_t m_horizon_fs = UINT64_MAX;  // set_run_ahead_horizon
  bool m_no_horizon = false;
  bool m_inline_arrivals = false;  // running ahead with a front end of a cycle or more (set_run_ahead)
  bool m_in_scheduler = false;     // inline arrivals: the scheduler works out its next wake itself
  bool m_in_end_req = false;       // inside an END_REQ call of end_request
  bool m_accept_in_call = false;   // set_accept_in_call
  bool m_in_fw = false;            // taking a BEGIN_REQ inside nb_transport_fw (set_accept_in_call) ...
  bool m_fw_ended = false;         // ... whose END_REQ end_request then left to the return, with this delay
  sc_core::sc_time m_fw_end_delay;
  uint64_t m_accepted_in_call = 0, m_accepted_ahead = 0;
  bool m_inline_when_due = false;  // test knob (set_inline_when_due_for_test)
  uint64_t m_arrivals_inline = 0, m_arrivals_relayed = 0;
  uint64_t m_accept_fs = UINT64_MAX;  // during an END_REQ call: the time (fs) a BEGIN_REQ is taken inline
  // A BEGIN_REQ sent from an END_REQ call at the kernel's time that could not be taken inline: passed on
  // to the peq a delta cycle later (relay), where a thread woken by the END_REQ would have sent it.
  tlm::tlm_generic_payload* m_relayed = nullptr;
  sc_core::sc_event m_relay_event;
  tlm::tlm_generic_payload* m_arrived = nullptr;  // a BEGIN_REQ for m_accept_fs, taken once it is done
  uint64_t m_ahead_cycle = UINT64_MAX;  // a cycle whose ticks ran ahead; its scheduler call does the rest
  uint64_t m_cycles_ahead = 0;
  bool m_stop_pending = false;  // a violation found ahead: stop the run at its cycle
  DeltaStamp m_wake_delta;      // delta cycle of the last m_wake notification
  // may_run_ahead: sc_time_to_pending_activity() as last asked, valid until this controller may have
  // notified an event or let other code run (a new scheduler call, a notification wake_at or
  // push_response made (not one the mirror skipped), a call into the initiator (END_REQ, an early
  // response): between two of its questions the scheduler runs only channel ticks and try_accept, which
  // notify only through those). Without a notify in between, the kernel's answer cannot change.
  mutable uint64_t m_pending = 0;
  mutable bool m_pending_valid = false;
  // Responses by time, then in the order they were pushed: a sorted deque rather than a priority queue
  // on (time, push count), in the same order, as most responses come due in the order they are pushed
  // (an insertion at the back) and the responder takes them from the front.
  std::deque<Resp> m_resps;
  bool m_resp_busy = false;  // BEGIN_RESP sent, END_RESP not yet received
  bool m_early_resps = false;
  uint64_t m_responses_early = 0;
  uint64_t m_req_id = 0, m_outstanding = 0;
  std::function<void(unsigned, const Command&)> m_hook;
  std::ofstream m_cmd_trace;
  bool m_cmd_tracing = false;  // m_cmd_trace is open (is_open() is a library call per command)
  std::string m_violation;

  stats::Group m_stats;
  stats::Counter m_reads, m_writes, m_bytes_read, m_bytes_written, m_read_bursts, m_write_bursts, m_errors,
      m_atomics;
  stats::Counter m_row_hits, m_row_misses, m_row_conflicts, m_activates, m_precharges, m_refreshes;
  stats::Counter m_powerdowns, m_backpressure, m_forwards, m_merges, m_hazard_waits;
  stats::CycleHistogram m_read_latency;
  stats::Histogram m_read_latency_ns;  // fractional: its sum depends on the order of the samples
  stats::Average m_rq_occupancy, m_wq_occupancy;
  ActiveWindow m_window;
  stats::Formula m_row_hit_rate, m_bandwidth, m_util, m_energy, m_checked;
  stats::Group m_bank_stats;
  std::vector<std::unique_ptr<stats::Counter>> m_bank_acts;
};

}  // namespace pc::dram
