// Same-instant order for timed waits (see the header).
#include "platform/core/ordered_wake.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pc::sim {

namespace {

struct Entry {
  sc_core::sc_time at;
  const char* key;
  uint64_t seq;  // order made: the tie-break of equal keys
  sc_core::sc_event* ev;
};

// The heap's "less" puts the latest first: the std heap functions keep the greatest element in front.
struct Later {
  bool operator()(const Entry& a, const Entry& b) const {
    if (a.at != b.at) return a.at > b.at;
    if (const int c = std::strcmp(a.key, b.key)) return c > 0;
    return a.seq > b.seq;
  }
};

struct State {
  bool on = false;
  std::vector<Entry> q;  // a heap by Later: q.front() is the earliest entry
  uint64_t seq = 0;
  sc_core::sc_event* due = nullptr;  // the waker's timed event: the earliest entry's instant
  // Each thread that has waited here: its own event (a process keeps one for its life).
  std::unordered_map<const sc_core::sc_object*, std::unique_ptr<sc_core::sc_event>> own;
};

// Never destroyed: events must not outlive SystemC's kernel at exit, and the object stays reachable.
State& st() {
  static State* s = new State;
  return *s;
}

void fire() {
  State& s = st();
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!s.q.empty() && s.q.front().at <= now) {
    sc_core::sc_event* ev = s.q.front().ev;
    std::pop_heap(s.q.begin(), s.q.end(), Later{});
    s.q.pop_back();
    // Immediate: the threads it wakes join this evaluation phase in the order notified, after those
    // SystemC resumed for this instant.
    ev->notify();
  }
  if (!s.q.empty()) s.due->notify(s.q.front().at - now);
}

void push(sc_core::sc_event& ev, const sc_core::sc_time& d, const char* key) {
  State& s = st();
  if (!s.due) {
    s.due = new sc_core::sc_event;
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(s.due);
    o.dont_initialize();
    sc_core::sc_spawn(&fire, "pc_ordered_wake", &o);
  }
  s.q.push_back({sc_core::sc_time_stamp() + d, key, s.seq++, &ev});
  std::push_heap(s.q.begin(), s.q.end(), Later{});
  s.due->notify(d);  // SystemC keeps the earlier of two pending notifications
}

}  // namespace

void OrderedWake::enable(bool on) {
  st().on = on;
}
size_t OrderedWake::pending() {
  return st().q.size();
}

void OrderedWake::wait(const sc_core::sc_time& d) {
  State& s = st();
  if (!s.on) {
    sc_core::wait(d);
    return;
  }
  const sc_core::sc_process_handle me = sc_core::sc_get_current_process_handle();
  std::unique_ptr<sc_core::sc_event>& ev = s.own[me.get_process_object()];
  if (!ev) ev = std::make_unique<sc_core::sc_event>();
  push(*ev, d, me.name());
  sc_core::wait(*ev);
}

void OrderedWake::cancel(sc_core::sc_event& ev) {
  State& s = st();
  const auto gone = std::remove_if(s.q.begin(), s.q.end(), [&](const Entry& e) { return e.ev == &ev; });
  if (gone == s.q.end()) return;
  s.q.erase(gone, s.q.end());
  std::make_heap(s.q.begin(), s.q.end(), Later{});
  // (The waker may still run at the dropped entry's instant: it finds nothing due and waits for the next.)
}

void OrderedWake::notify(sc_core::sc_event& ev, const sc_core::sc_time& d, const char* key) {
  if (!st().on) {
    ev.notify(d);
    return;
  }
  push(ev, d, key);
}

}  // namespace pc::sim
