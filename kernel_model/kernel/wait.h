// Wait queues (wait_queue_head_t: kernel/wait.c, include/linux/wait.h) and the kernel's timers
// (kernel/timer.c). A task sleeps on a wait queue through the scheduler: its core goes to another task
// and it resumes where it slept once woken and given a core again. A plain SystemC thread outside the
// kernel's tasks (KCtx without a task) waits on an event instead, so the block layer also works standalone.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <systemc>

#include "kernel_model/kernel/kctx.h"
#include "platform/hwdefs/exec.h"

namespace pc::kernel {

class KTimers : public sc_core::sc_module {
 public:
  using Id = uint64_t;
  explicit KTimers(sc_core::sc_module_name name);
  // Runs `fn` at absolute time `at` (not before now). Timers due at the same instant run in the order
  // they were added.
  Id add(const sc_core::sc_time& at, std::function<void()> fn);
  void cancel(Id id);

 private:
  SC_HAS_PROCESS(KTimers);
  void fire();
  struct Entry {
    Id id;
    std::function<void()> fn;
  };
  std::multimap<sc_core::sc_time, Entry> m_q;
  std::map<Id, std::multimap<sc_core::sc_time, Entry>::iterator> m_by_id;
  Id m_next = 1;
  sc_core::sc_event m_ev;
};

class WaitQueue {
 public:
  // Sleeps the caller until it is woken or `timeout` passes; returns false on timeout. Callers re-check
  // what they wait for: `while (cond) wq.sleep(k, why);` (a plain thread may also return early).
  // `why` is the bucket the task's sleep is charged to. Exclusive sleepers are woken one at a time.
  bool sleep(KCtx& k, hw::Charge why, bool exclusive = false,
             const sc_core::sc_time& timeout = sc_core::sc_max_time());
  // Wakes every non-exclusive sleeper and up to `nr_exclusive` exclusive ones at absolute time `at`.
  void wake_up(const sc_core::sc_time& at, unsigned nr_exclusive = 1);
  void wake_up_all(const sc_core::sc_time& at) { wake_up(at, ~0u); }
  bool active() const { return !m_waiters.empty(); }
  size_t waiters() const { return m_waiters.size(); }

 private:
  struct Waiter {
    Task* task;
    bool exclusive;
  };
  std::deque<Waiter> m_waiters;
  sc_core::sc_event m_raw;  // plain SystemC threads
};

}  // namespace pc::kernel
