// The O(1) scheduler of Linux 2.6.18 on the simulated cores.
#include "kernel_model/kernel/sched.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/locks.h"
#include "platform/core/timeline.h"

namespace pc::kernel {

using sc_core::sc_time;

namespace {
constexpr int MAX_USER_PRIO = MAX_PRIO - MAX_RT_PRIO;  // 40
}  // namespace

Scheduler::Scheduler(std::vector<hw::Cpu*> cpus, const ClockDomain& clk, const SchedConfig& cfg,
                     KTimers& timers, std::function<void(unsigned, Task&, KCtx&)> switch_mm,
                     stats::Group& parent)
    : m_cpus(std::move(cpus)),
      m_clk(clk),
      m_cfg(cfg),
      m_jiffy(sc_time::from_value(1000000000000000ull / cfg.hz)),
      m_timers(timers),
      m_switch_mm(std::move(switch_mm)),
      m_rq(m_cpus.size()),
      m_stats(&parent, "sched", "the O(1) scheduler"),
      m_switches(m_stats, "context_switches", "switches",
                 "context switches (a core went from one task to another)"),
      m_idle_pulls(m_stats, "idle_pulls", "tasks", "tasks an idle CPU pulled from a busier runqueue"),
      m_wakeups(m_stats, "wakeups", "wakeups", "sleeping tasks made runnable (try_to_wake_up)"),
      m_wake_preempts(m_stats, "wakeup_preemptions", "wakeups", "wake-ups that preempted the running task"),
      m_expired(m_stats, "slices_expired", "slices", "time slices that ran out") {
  if (cfg.hz < 100 || cfg.hz > 1000) throw std::invalid_argument("kernel.hz: expected 100..1000");
}

uint64_t Scheduler::task_timeslice_jiffies(int static_prio, unsigned hz) {
  const uint64_t min_ts = std::max<uint64_t>(5 * hz / 1000, 1);
  const uint64_t def_ts = 100 * hz / 1000;
  // SCALE_PRIO(x, prio) = max(x * (MAX_PRIO - prio) / (MAX_USER_PRIO / 2), MIN_TIMESLICE)
  auto scale = [&](uint64_t x, int prio) {
    return std::max<uint64_t>(x * static_cast<uint64_t>(MAX_PRIO - prio) / (MAX_USER_PRIO / 2), min_ts);
  };
  return static_prio < nice_to_prio(0) ? scale(def_ts * 4, static_prio) : scale(def_ts, static_prio);
}

sc_time Scheduler::task_timeslice(int static_prio) const {
  return m_jiffy * static_cast<double>(task_timeslice_jiffies(static_prio, m_cfg.hz));
}

void Scheduler::enqueue(RunQueue& rq, Task& t, bool expired, bool head) {
  const int a = expired ? 1 - rq.active : rq.active;
  auto& q = rq.arrays[a].queue[t.static_prio];
  if (head)
    q.push_front(&t);
  else
    q.push_back(&t);
  ++rq.arrays[a].nr;
  t.queued = true;
  t.in_expired = expired;
}

Task* Scheduler::dequeue_first(RunQueue& rq, int a) {
  for (auto& q : rq.arrays[a].queue)
    if (!q.empty()) {
      Task* t = q.front();
      q.pop_front();
      --rq.arrays[a].nr;
      t->queued = false;
      return t;
    }
  return nullptr;
}

bool Scheduler::idle_balance(unsigned cpu) {
  // load_balance_newidle / an idle CPU's rebalance_tick: pull one task from the busiest runqueue, from its
  // expired array first, the highest priority first, the most recently queued of that priority.
  unsigned busiest = cpu;
  size_t most = 0;
  for (unsigned c = 0; c < m_rq.size(); ++c)
    if (c != cpu && nr_queued(c) > most) {
      most = nr_queued(c);
      busiest = c;
    }
  if (busiest == cpu) return false;
  RunQueue& from = m_rq[busiest];
  for (int which : {1 - from.active, from.active})
    for (auto& q : from.arrays[which].queue)
      for (auto it = q.rbegin(); it != q.rend(); ++it) {
        Task* t = *it;
        if (t->bound_cpu >= 0) continue;  // pinned by cpus_allowed
        q.erase(std::next(it).base());
        --from.arrays[which].nr;
        t->queued = false;
        t->cpu = static_cast<int>(cpu);
        enqueue(m_rq[cpu], *t, which != from.active, false);
        ++m_idle_pulls;
        return true;
      }
  return false;
}

Task* Scheduler::pick_next(unsigned cpu) {
  RunQueue& rq = m_rq[cpu];
  if (rq.arrays[0].nr + rq.arrays[1].nr == 0) idle_balance(cpu);
  if (rq.arrays[rq.active].nr == 0) rq.active = 1 - rq.active;  // the array switch
  return dequeue_first(rq, rq.active);
}

void Scheduler::give_cpu(unsigned cpu, Task& t, const sc_time& at) {
  RunQueue& rq = m_rq[cpu];
  rq.curr = &t;
  rq.need_resched = false;
  t.on_cpu = true;
  t.cpu = static_cast<int>(cpu);
  const sc_time now = sc_core::sc_time_stamp();
  if (at > now)
    sim::OrderedWake::notify(t.run_ev, at - now, t.thread_name.c_str());
  else
    t.run_ev.notify(sc_core::SC_ZERO_TIME);
}

void Scheduler::resched(unsigned cpu) {
  m_rq[cpu].need_resched = true;
  m_cpus[cpu]->set_need_resched();
}

void Scheduler::arm_slice(Task& t, const sc_time& from) {
  t.run_start = from;
  m_cpus[t.cpu]->set_resched_at(from + t.time_slice);
}

void Scheduler::put_prev(Task& t, const sc_time& now) {
  const sc_time used = now > t.run_start ? now - t.run_start : sc_core::SC_ZERO_TIME;
  t.time_slice = used < t.time_slice ? t.time_slice - used : sc_core::SC_ZERO_TIME;
  t.run_start = now;
}

void Scheduler::wake_up_new(Task& t, const sc_time& at) {
  const sc_time now = sc_core::sc_time_stamp();
  if (at > now) {
    m_timers.add(at, [this, &t, at] { wake_up_new(t, at); });
    return;
  }
  t.sched = this;
  t.state = TaskState::Running;
  t.time_slice = task_timeslice(t.static_prio);
  t.first_time_slice = true;
  t.bucket = hw::Charge::RunnableWait;
  t.mark = t.start_time = now;
  // An idle CPU if there is one; else the runqueue with the fewest waiting tasks.
  unsigned target = 0;
  size_t best = SIZE_MAX;
  for (unsigned c = 0; c < m_rq.size(); ++c) {
    const size_t load = idle(c) ? 0 : 1 + nr_queued(c);
    if (load < best && (t.bound_cpu < 0 || t.bound_cpu == static_cast<int>(c))) {
      best = load;
      target = c;
    }
  }
  t.cpu = static_cast<int>(target);
  if (idle(target)) {
    give_cpu(target, t, now);
  } else {
    enqueue(m_rq[target], t, false, false);
    kick_idle();
  }
}

void Scheduler::kick_idle() {
  // An idle CPU runs rebalance_tick every jiffy (the CPU domain's interval is 1 ms at its shortest): at
  // its next tick it pulls a waiting task from the busiest runqueue.
  for (unsigned c = 0; c < m_rq.size(); ++c) {
    if (!idle(c) || m_rq[c].kick_pending) continue;
    m_rq[c].kick_pending = true;
    m_timers.add(sc_core::sc_time_stamp() + m_jiffy, [this, c] {
      m_rq[c].kick_pending = false;
      if (!idle(c) || !idle_balance(c)) return;
      if (Task* next = pick_next(c)) give_cpu(c, *next, sc_core::sc_time_stamp());
    });
  }
}

void Scheduler::wake_up_new_task(Task& child, Task& parent) {
  // sched_fork: the parent's remaining slice is split; the child gets the larger half.
  const sc_time now = sc_core::sc_time_stamp();
  put_prev(parent, now);
  const sc_time half = parent.time_slice / 2.0;
  child.sched = this;
  child.time_slice = parent.time_slice - half;
  parent.time_slice = half;
  child.first_time_slice = true;
  child.state = TaskState::Running;
  child.cpu = parent.cpu;
  child.bucket = hw::Charge::RunnableWait;
  child.mark = child.start_time = now;
  // wake_up_new_task without CLONE_VM: the child runs first, on the parent's CPU, ahead of the parent.
  enqueue(m_rq[parent.cpu], child, false, true);
  parent.run_first = &child;
  resched(static_cast<unsigned>(parent.cpu));
  kick_idle();
  if (parent.time_slice == sc_core::SC_ZERO_TIME) parent.time_slice = m_jiffy;  // scheduler_tick expires it
}

void Scheduler::wake_up_process(Task& t, const sc_time& at) {
  const sc_time now = sc_core::sc_time_stamp();
  if (at > now) {
    // The waker ran ahead of simulated time (an interrupt handler's local time): wake at that time.
    m_timers.add(at, [this, &t, at] { wake_up_process(t, at); });
    return;
  }
  if (t.dead() || t.state == TaskState::Running) return;
  t.state = TaskState::Running;
  ++m_wakeups;
  if (t.on_cpu) return;  // woken before it had switched away: it goes on where it is
  t.account(hw::Charge::RunnableWait, now);
  // The CPU it last ran on, unless that one is busy and another is idle.
  unsigned target = static_cast<unsigned>(t.bound_cpu >= 0 ? t.bound_cpu : t.cpu);
  if (!idle(target) && t.bound_cpu < 0)
    for (unsigned c = 0; c < m_rq.size(); ++c)
      if (idle(c)) {
        target = c;
        break;
      }
  t.cpu = static_cast<int>(target);
  if (idle(target)) {
    give_cpu(target, t, now);
    return;
  }
  enqueue(m_rq[target], t, false, false);
  kick_idle();
  // TASK_PREEMPTS_CURR: a strictly better priority only.
  if (t.static_prio < m_rq[target].curr->static_prio) {
    ++m_wake_preempts;
    resched(target);
  }
}

void timeline_state(const Task& t, const char* what, const sc_time& begin, const sc_time& end) {
  if (auto* tl = timeline::active())
    tl->span(timeline::Cat::Task, timeline::Group::Tasks, t.tl_state, what, begin, end);
}

void Scheduler::finish_task_switch(Task& t, KCtx& k) {
  ++m_switches;
  t.core_since = sc_core::sc_time_stamp();
  k.cpu = static_cast<unsigned>(t.cpu);
  k.delay = m_clk.cycles(m_cfg.switch_cycles);
  m_switch_mm(k.cpu, t, k);  // CR3 load (none for a kernel thread: lazy TLB)
  // Until now the task waited for its core; the switch onto it is part of that wait.
  t.account(t.resume_bucket, k.now());
  arm_slice(t, k.now());
}

void Scheduler::wait_for_cpu(Task& t, KCtx& k) {
  while (!t.on_cpu) sc_core::wait(t.run_ev);
  k.task = &t;
  finish_task_switch(t, k);
}

void Scheduler::switch_away(KCtx& k) {
  Task& t = *k.task;
  const sc_time now = sc_core::sc_time_stamp();
  put_prev(t, now);
  const unsigned cpu = static_cast<unsigned>(t.cpu);
  Task* next = pick_next(cpu);
  if (next == &t) {  // nothing better: it keeps its core
    m_rq[cpu].need_resched = false;
    t.account(t.resume_bucket, now);
    arm_slice(t, now);
    return;
  }
  t.on_cpu = false;
  if (auto* tl = timeline::active())
    tl->span(timeline::Cat::Sched, timeline::Group::Cores,
             tl->track(timeline::Group::Cores, fmt::format("core{}", cpu)),
             fmt::format("{} {}", t.pid, t.comm), t.core_since, now);
  if (next)
    give_cpu(cpu, *next, now);
  else
    m_rq[cpu].curr = nullptr;
  if (t.dead()) return;
  while (!t.on_cpu) sc_core::wait(t.run_ev);
  finish_task_switch(t, k);
}

bool Scheduler::sleep(KCtx& k, hw::Charge why, const sc_time& timeout) {
  Task& t = *k.task;
  if (t.spinlocks_held) {
    std::string names;
    for (const LockClass* l : t.held) names += std::string(names.empty() ? "" : ", ") + l->name();
    throw std::logic_error(
        fmt::format("task {} sleeps holding a spinlock ({}): a kernel bug", t.comm, names));
  }
  k.sync();
  if (t.state == TaskState::Running) return true;  // woken while it spent its pending time
  bool timed_out = false;
  KTimers::Id timer = 0;
  if (timeout != sc_core::sc_max_time())
    timer = m_timers.add(sc_core::sc_time_stamp() + timeout, [this, &t, &timed_out] {
      timed_out = true;
      wake_up_process(t, sc_core::sc_time_stamp());
    });
  t.resume_bucket = t.bucket;
  t.account(why, sc_core::sc_time_stamp());
  t.sleep_since = sc_core::sc_time_stamp();
  t.sleep_untimed = timeout == sc_core::sc_max_time() && why != hw::Charge::Idle;
  ++t.nvcsw;
  switch_away(k);
  t.sleep_untimed = false;
  if (timer) m_timers.cancel(timer);
  return !timed_out;
}

void Scheduler::schedule_timeout_uninterruptible(KCtx& k, const sc_time& d) {
  k.task->state = TaskState::Uninterruptible;
  sleep(k, hw::Charge::Nap, d);  // an explicit wake_up_process ends it early, as in Linux
}

void Scheduler::preempt(KCtx& k) {
  Task& t = *k.task;
  k.sync();
  RunQueue& rq = m_rq[t.cpu];
  // A preempted task keeps its place at the head of its list (it stays on its array in Linux), behind
  // a child it has just forked; a task whose slice ran out goes to the tail of the expired array.
  const bool expired = t.time_slice == sc_core::SC_ZERO_TIME || t.in_expired;
  t.in_expired = false;
  if (expired) {
    t.time_slice = task_timeslice(t.static_prio);
    t.first_time_slice = false;
    enqueue(rq, t, true, false);
  } else {
    enqueue(rq, t, false, true);
    if (Task* c = t.run_first) {
      auto& q = rq.arrays[rq.active].queue[t.static_prio];
      if (c->queued && q.size() > 1 && q[1] == c) std::swap(q[0], q[1]);  // the child goes first
    }
  }
  t.run_first = nullptr;
  kick_idle();
  ++t.nivcsw;
  t.resume_bucket = t.bucket;
  t.account(hw::Charge::RunnableWait, sc_core::sc_time_stamp());
  switch_away(k);
}

void Scheduler::sched_yield(KCtx& k) {
  Task& t = *k.task;
  k.sync();
  enqueue(m_rq[t.cpu], t, true, false);  // 2.6 sched_yield: to the end of the expired array
  ++t.nvcsw;
  t.resume_bucket = t.bucket;
  t.account(hw::Charge::RunnableWait, sc_core::sc_time_stamp());
  switch_away(k);
}

bool Scheduler::check_resched(KCtx& k) {
  Task& t = *k.task;
  RunQueue& rq = m_rq[t.cpu];
  const sc_time local = k.now();
  if (local >= t.run_start + t.time_slice) {
    // scheduler_tick: the slice ran out. Not interactive (no bonus is modeled): to the expired array.
    t.time_slice = sc_core::SC_ZERO_TIME;
    t.run_start = local;
    t.in_expired = true;
    ++m_expired;
    rq.need_resched = true;
  }
  if (!rq.need_resched) return false;
  preempt(k);
  return true;
}

void Scheduler::exit_current(KCtx& k) {
  Task& t = *k.task;
  k.sync();
  t.state = TaskState::Dead;
  switch_away(k);
}

}  // namespace pc::kernel
