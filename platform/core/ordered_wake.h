// Same-instant order for threads that wait on simulated time (IEEE 1666-2011 §4.2.1.2 leaves the order of
// processes runnable in one evaluation phase to the implementation).
//
// SystemC resumes the processes whose timed notifications fall on one instant in an order that comes from
// the shape of its timed-event heap, so any unrelated timed event can swap two kernel tasks due at the same
// femtosecond, and with them which one takes a lock or a free page first. A wait or a notification made
// through here, once enabled, resumes at its instant in `key` order (a thread's key is its process name;
// ties in the order they were made), after every process SystemC itself resumes at that instant: a method
// (the waker) pops the instant's entries in order and notifies each at once, and SystemC runs the threads
// an immediate notification makes runnable in the order of the notifications.
//
// Off by default: wait() and notify() are then SystemC's own timed wait and notify, which keeps runs
// without the modeled kernel (the DRAM-bound stream) exactly as fast and as they were.
#pragma once

#include <systemc>

namespace pc::sim {

class OrderedWake {
 public:
  static void enable(bool on);
  // The calling thread waits `d` (SC_ZERO_TIME: one delta cycle, as wait(SC_ZERO_TIME)).
  static void wait(const sc_core::sc_time& d);
  // Notifies `ev` `d` from now; `key` must outlive the notification.
  static void notify(sc_core::sc_event& ev, const sc_core::sc_time& d, const char* key);
  // Drops the notifications of `ev` still waiting for their instant: its owner calls it before `ev` (and
  // the key it was notified with) goes away, e.g. a task freed while its scheduler hand-over is pending.
  static void cancel(sc_core::sc_event& ev);
  // Entries waiting for their instant (tests).
  static size_t pending();
};

}  // namespace pc::sim
