// The scheduler (Linux 2.6.18 kernel/sched.c, the O(1) scheduler) over the cores a kernel drives:
// per-CPU runqueues with active and expired priority arrays, time slices by static priority
// (task_timeslice: nice 0 100 ms, nice -20 800 ms, nice 19 one jiffy), expiry to the expired array, the
// array switch, fork's child-runs-first on the parent's CPU, wake-ups to the CPU a task last ran on
// unless another is idle, and an idle CPU pulling work from the busiest runqueue.
//
// Left out (documented): the interactivity bonus (prio == static_prio, so TASK_INTERACTIVE is false and
// an equal-priority wake-up never preempts), periodic load balancing of busy CPUs, cache-hot migration
// rules. Slices are consumed continuously rather than in whole ticks.
//
// Each task's SystemC thread holds its core while it runs; schedule() hands the core to the next task
// by notifying that task's event, and the caller's thread waits on its own until it is given a core again.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <vector>

#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/task.h"
#include "kernel_model/kernel/wait.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/trap.h"

namespace pc::kernel {

struct SchedConfig {
  unsigned hz = 250;              // CONFIG_HZ (2.6.18 x86-64 default)
  uint64_t switch_cycles = 1500;  // schedule() and switch_to work of one context switch (CR3 load separate)
};

class Scheduler {
 public:
  // `switch_mm(cpu, next, k)`: the address-space switch onto `next` (a kernel thread borrows the mm the
  // CPU has loaded); its cost lands in k.delay.
  Scheduler(std::vector<hw::Cpu*> cpus, const ClockDomain& clk, const SchedConfig& cfg, KTimers& timers,
            std::function<void(unsigned, Task&, KCtx&)> switch_mm, stats::Group& parent);

  // task_timeslice(): the slice of a task of this static priority.
  sc_core::sc_time task_timeslice(int static_prio) const;
  static uint64_t task_timeslice_jiffies(int static_prio, unsigned hz);
  sc_core::sc_time jiffy() const { return m_jiffy; }

  // A new task (at boot or spawned later) becomes runnable at `at`: on an idle CPU if there is one, else
  // on the least loaded runqueue.
  void wake_up_new(Task& t, const sc_core::sc_time& at);
  // fork (sched_fork + wake_up_new_task): the parent's slice is split with the child, which goes on the
  // parent's CPU ahead of the parent; the parent reschedules at its next return to user space.
  void wake_up_new_task(Task& child, Task& parent);
  // try_to_wake_up at absolute time `at` (a later time is deferred until then).
  void wake_up_process(Task& t, const sc_core::sc_time& at);

  // Blocks a new task's thread until it is first given a core; returns with k set for that CPU.
  void wait_for_cpu(Task& t, KCtx& k);
  // The current task sleeps (its state set by the caller) until woken or `timeout`; `why` is the bucket
  // its sleep goes to. Returns false on timeout. (WaitQueue::sleep is the usual entry.)
  bool sleep(KCtx& k, hw::Charge why, const sc_core::sc_time& timeout);
  // schedule_timeout_uninterruptible(): a timed nap of `d` (the allocator's retry, msleep), charged as Nap.
  void schedule_timeout_uninterruptible(KCtx& k, const sc_core::sc_time& d);
  // Gives up the core while runnable (preempted at a return to user space, or cond_resched).
  void preempt(KCtx& k);
  // sched_yield: to the expired array, then schedule.
  void sched_yield(KCtx& k);
  // The slice and need_resched at a return to user space or a cond_resched point: expires the slice
  // (scheduler_tick's rule) and reschedules when asked. Returns true if it switched.
  bool check_resched(KCtx& k);
  // The current task has exited: its core goes on; the caller's thread ends right after.
  void exit_current(KCtx& k);
  // The running task's slice deadline for its core (after the switch onto it).
  void arm_slice(Task& t, const sc_core::sc_time& from);

  Task* curr(unsigned cpu) const { return m_rq.at(cpu).curr; }
  // Makes `cpu` reschedule at once (the IPI a signal to a task running there sends).
  void kick_cpu(unsigned cpu) { resched(cpu); }
  bool idle(unsigned cpu) const { return m_rq.at(cpu).curr == nullptr; }
  unsigned cpus() const { return static_cast<unsigned>(m_rq.size()); }
  size_t nr_queued(unsigned cpu) const { return m_rq.at(cpu).arrays[0].nr + m_rq.at(cpu).arrays[1].nr; }
  hw::Cpu& cpu(unsigned c) { return *m_cpus.at(c); }

 private:
  struct PrioArray {
    std::array<std::deque<Task*>, MAX_PRIO> queue;
    unsigned nr = 0;
  };
  struct RunQueue {
    Task* curr = nullptr;
    PrioArray arrays[2];
    int active = 0;  // index of the active array
    bool need_resched = false;
    bool kick_pending = false;  // an idle CPU's next rebalance tick is scheduled
  };
  void enqueue(RunQueue& rq, Task& t, bool expired, bool head);
  Task* dequeue_first(RunQueue& rq, int array);
  Task* pick_next(unsigned cpu);
  bool idle_balance(unsigned cpu);
  void kick_idle();
  void give_cpu(unsigned cpu, Task& t, const sc_core::sc_time& at);
  void resched(unsigned cpu);
  // Stops `t` using its core at `now`: consumes its slice.
  void put_prev(Task& t, const sc_core::sc_time& now);
  // Hands t's core on and waits until t holds a core again (unless it is dead).
  void switch_away(KCtx& k);
  void finish_task_switch(Task& t, KCtx& k);

  std::vector<hw::Cpu*> m_cpus;
  ClockDomain m_clk;
  SchedConfig m_cfg;
  sc_core::sc_time m_jiffy;
  KTimers& m_timers;
  std::function<void(unsigned, Task&, KCtx&)> m_switch_mm;
  std::vector<RunQueue> m_rq;
  stats::Group m_stats;
  stats::Counter m_switches, m_idle_pulls, m_wakeups, m_wake_preempts, m_expired;
};

}  // namespace pc::kernel
