// The context of one kernel path: the CPU it runs on, the time it has cost so far and not yet spent, and
// `current` (the task it runs for; nullptr in a plain SystemC thread outside the kernel's task model,
// such as a test driving the memory manager directly or the standalone block-I/O workload).
#pragma once

#include <cstdint>

#include "kernel_model/hal/kernel_bus.h"
#include "platform/core/ordered_wake.h"

namespace pc::kernel {

struct Task;

struct KCtx : BusCtx {
  explicit KCtx(unsigned c = 0, sc_core::sc_time d = sc_core::SC_ZERO_TIME, Task* t = nullptr)
      : BusCtx{c, d}, task(t) {}
  Task* task = nullptr;     // current
  uint32_t cow_copies = 0;  // pages this path copied on write (per-task accounting)
  uint32_t major = 0;       // this path started a read it then waited for (a major fault)
  uint32_t swapin = 0;      // of which reads of swap slots (a major swap fault)
  // Spends the path's pending time now (before a sleep, a lock wait or a handover of the core). Two paths
  // that resume at one instant do so in the order of their threads' names (sim::OrderedWake).
  void sync() {
    if (delay != sc_core::SC_ZERO_TIME) {
      sim::OrderedWake::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
  }
  sc_core::sc_time now() const { return sc_core::sc_time_stamp() + delay; }
};

}  // namespace pc::kernel
