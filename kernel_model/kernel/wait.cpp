// Wait queues and timers.
#include "kernel_model/kernel/wait.h"

#include <algorithm>

#include "kernel_model/kernel/sched.h"
#include "platform/core/clock.h"

namespace pc::kernel {

KTimers::KTimers(sc_core::sc_module_name name) : sc_module(name) {
  SC_METHOD(fire);
  sensitive << m_ev;
  dont_initialize();
}

KTimers::Id KTimers::add(const sc_core::sc_time& at, std::function<void()> fn) {
  const sc_core::sc_time when = std::max(at, sc_core::sc_time_stamp());
  const Id id = m_next++;
  m_by_id[id] = m_q.emplace(when, Entry{id, std::move(fn)});
  if (m_q.begin()->first == when) m_ev.notify(when - sc_core::sc_time_stamp());
  return id;
}

void KTimers::cancel(Id id) {
  auto it = m_by_id.find(id);
  if (it == m_by_id.end()) return;
  m_q.erase(it->second);
  m_by_id.erase(it);
}

void KTimers::fire() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!m_q.empty() && m_q.begin()->first <= now) {
    auto it = m_q.begin();
    std::function<void()> fn = std::move(it->second.fn);
    m_by_id.erase(it->second.id);
    m_q.erase(it);
    fn();  // may add timers
  }
  if (!m_q.empty()) m_ev.notify(m_q.begin()->first - now);
}

bool WaitQueue::sleep(KCtx& k, hw::Charge why, bool exclusive, const sc_core::sc_time& timeout) {
  if (!k.task) {
    // A plain SystemC thread: spend the pending time first (the caller re-checks its condition), then
    // wait for a wake-up or the timeout.
    if (k.delay != sc_core::SC_ZERO_TIME) {
      k.sync();
      return true;
    }
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    if (timeout == sc_core::sc_max_time())
      sc_core::wait(m_raw);
    else
      sc_core::wait(timeout, m_raw);
    return sc_core::sc_time_stamp() - t0 < timeout;
  }
  Task& t = *k.task;
  m_waiters.push_back({&t, exclusive});
  t.state = TaskState::Uninterruptible;
  t.wchan = this;
  const bool woken = t.sched->sleep(k, why, timeout);
  t.wchan = nullptr;
  // finish_wait: a timeout leaves the entry behind.
  m_waiters.erase(
      std::remove_if(m_waiters.begin(), m_waiters.end(), [&](const Waiter& w) { return w.task == &t; }),
      m_waiters.end());
  return woken;
}

void WaitQueue::wake_up(const sc_core::sc_time& at, unsigned nr_exclusive) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  m_raw.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
  for (size_t i = 0; i < m_waiters.size();) {
    const Waiter w = m_waiters[i];
    if (w.exclusive) {
      if (!nr_exclusive) {
        ++i;
        continue;
      }
      --nr_exclusive;
    }
    m_waiters.erase(m_waiters.begin() + static_cast<std::ptrdiff_t>(i));
    w.task->sched->wake_up_process(*w.task, at);
  }
}

}  // namespace pc::kernel
