// sim::OrderedWake: threads due at one instant resume in the order of their names, after the processes
// SystemC itself resumes then, whatever order they waited in; without it they resume in the order
// SystemC's timed-event heap gives (the negative control).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "platform/core/ordered_wake.h"

using namespace pc;
using sc_core::SC_NS;
using sc_core::sc_time;

namespace {

// "alpha" waits 10 ns at 0 ns, "zeta" waits 5 ns twice, "mid" is woken through notify() with key "mid",
// and "hw" waits 10 ns through SystemC directly: all four are due at 10 ns. Returns who ran then, in
// order, and the instant each resumed at.
std::vector<std::string> resume_order(bool ordered, std::vector<double>& at_ns) {
  sim::OrderedWake::enable(ordered);
  std::vector<std::string> order;
  auto* ev = new sc_core::sc_event;  // outlives the simulation (SystemC's kernel is torn down at exit)
  auto note = [&] {
    order.push_back(sc_core::sc_get_current_process_handle().basename());
    at_ns.push_back(sc_core::sc_time_stamp().to_seconds() * 1e9);
  };
  sc_core::sc_spawn(
      [&] {
        sim::OrderedWake::wait(sc_time(10, SC_NS));
        note();
      },
      "alpha");
  sc_core::sc_spawn(
      [&] {
        sc_core::wait(sc_time(5, SC_NS));
        sim::OrderedWake::wait(sc_time(5, SC_NS));
        note();
      },
      "zeta");
  sc_core::sc_spawn(
      [&, ev] {
        sc_core::wait(*ev);
        note();
      },
      "mid");
  sc_core::sc_spawn(
      [&, ev] {
        sim::OrderedWake::notify(*ev, sc_time(10, SC_NS), "mid");
        sc_core::wait(sc_time(10, SC_NS));
        note();
      },
      "hw");
  sc_core::sc_start();
  return order;
}

}  // namespace

TEST(OrderedWake, ThreadsDueAtOneInstantResumeInNameOrderAfterSystemCsOwn) {
  std::vector<double> at;
  const auto order = resume_order(true, at);
  EXPECT_EQ(order, (std::vector<std::string>{"hw", "alpha", "mid", "zeta"}));
  EXPECT_EQ(at, (std::vector<double>{10, 10, 10, 10}));
  EXPECT_EQ(sim::OrderedWake::pending(), 0u);
}

TEST(OrderedWake, DisabledFollowsSystemCsHeapInstead) {
  // Negative control: SystemC's own order (2.3.4) puts zeta, whose wait was made last, before alpha.
  std::vector<double> at;
  const auto order = resume_order(false, at);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(at, (std::vector<double>{10, 10, 10, 10}));
  const auto pos = [&](const char* n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  EXPECT_LT(pos("zeta"), pos("alpha"));
  EXPECT_NE(order, (std::vector<std::string>{"hw", "alpha", "mid", "zeta"}));
}

namespace {
// "gone" is notified for 10 ns and "kept" for 10 ns through OrderedWake; at 5 ns the owner of gone's event
// cancels its notifications (`cancel`) or not. Returns who had woken by 20 ns, and the entries left.
std::vector<std::string> woken_after_cancel(bool cancel, size_t& left) {
  sim::OrderedWake::enable(true);
  std::vector<std::string> woken;
  auto* gone = new sc_core::sc_event;  // outlive the simulation (SystemC's kernel is torn down at exit)
  auto* kept = new sc_core::sc_event;
  for (auto [ev, name] : {std::pair{gone, "gone"}, std::pair{kept, "kept"}})
    sc_core::sc_spawn(
        [&woken, ev = ev] {
          sc_core::wait(*ev);
          woken.push_back(sc_core::sc_get_current_process_handle().basename());
        },
        name);
  sc_core::sc_spawn(
      [&, cancel] {
        sim::OrderedWake::notify(*gone, sc_time(10, SC_NS), "gone");
        sim::OrderedWake::notify(*kept, sc_time(10, SC_NS), "kept");
        sc_core::wait(sc_time(5, SC_NS));
        if (cancel) sim::OrderedWake::cancel(*gone);
        left = sim::OrderedWake::pending();
      },
      "owner");
  sc_core::sc_start(sc_time(20, SC_NS));
  return woken;
}
}  // namespace

TEST(OrderedWake, CancelledNotificationDoesNotFire) {
  // A task or lock freed while its notification waits for its instant cancels it: the event it names
  // would be gone by then. The other entry of that instant still fires.
  size_t left = 99;
  EXPECT_EQ(woken_after_cancel(true, left), std::vector<std::string>{"kept"});
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(sim::OrderedWake::pending(), 0u);
}

TEST(OrderedWake, UncancelledNotificationFires) {
  // Negative control: without the cancel, both fire at 10 ns, in key order.
  size_t left = 99;
  EXPECT_EQ(woken_after_cancel(false, left), (std::vector<std::string>{"gone", "kept"}));
  EXPECT_EQ(left, 2u);
}
