// struct task_struct, reduced to what the scheduler and the memory manager use (Linux 2.6.18
// include/linux/sched.h): identity, state, flags, scheduling parameters, the mm, the SystemC thread that
// stands for the task's kernel stack (ARCHITECTURE.md §5), and where its time went.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "platform/core/ordered_wake.h"
#include "platform/hwdefs/exec.h"

namespace pc::kernel {

struct MmStruct;
struct KCtx;
class Scheduler;
class LockClass;

// Task states (include/linux/sched.h); Dead is EXIT_DEAD (the model keeps no zombies).
enum class TaskState : uint8_t { Running, Interruptible, Uninterruptible, Dead };

// current->flags (include/linux/sched.h, 2.6.18 values).
constexpr uint32_t PF_EXITING = 0x00000004;
constexpr uint32_t PF_MEMALLOC = 0x00000800;
constexpr uint32_t PF_FLUSHER = 0x00001000;
constexpr uint32_t PF_KSWAPD = 0x00040000;
constexpr uint32_t PF_SWAPOFF = 0x00080000;
constexpr uint32_t PF_LESS_THROTTLE = 0x00100000;
constexpr uint32_t PF_SWAPWRITE = 0x00800000;

// Priorities (kernel/sched.c): static_prio = NICE_TO_PRIO(nice); the model keeps prio == static_prio
// (no interactivity bonus: see the scheduler).
constexpr int MAX_RT_PRIO = 100;
constexpr int MAX_PRIO = MAX_RT_PRIO + 40;
constexpr int nice_to_prio(int nice) {
  return MAX_RT_PRIO + nice + 20;
}

// struct reclaim_state (include/linux/swap.h): pages the slab returned to the buddy allocator while this
// task was reclaiming (kmem_freepages adds them; try_to_free_pages and balance_pgdat count them as
// reclaimed).
struct ReclaimState {
  uint64_t reclaimed_slab = 0;
};

struct Task;
// Puts [begin, end) of `t` on its timeline state row (sched.cpp).
void timeline_state(const Task& t, const char* what, const sc_core::sc_time& begin,
                    const sc_core::sc_time& end);

struct Task {
  uint32_t pid = 0, ppid = 0;
  std::string comm;  // the name shown in stats
  TaskState state = TaskState::Running;
  uint32_t flags = 0;
  bool memdie = false;                    // TIF_MEMDIE: chosen by the OOM killer, may use the reserves
  ReclaimState* reclaim_state = nullptr;  // set while the task reclaims (direct reclaim, kswapd)
  int nice = 0;
  int static_prio = nice_to_prio(0);
  int oomkilladj = 0;
  bool privileged = false;  // CAP_SYS_ADMIN / uid 0 (badness divides by 4)
  bool sigkill = false;     // SIGKILL pending: the task exits at its next return to user space

  // Scheduling (kernel/sched.c). `cpu` is where it runs or last ran; `on_cpu` while it holds that core.
  int cpu = 0;
  int bound_cpu = -1;  // cpus_allowed of a per-CPU kernel thread (kblockd/N, events/N); -1: any
  bool on_cpu = false;
  bool queued = false;          // on a runqueue array
  bool in_expired = false;      // which array
  sc_core::sc_time time_slice;  // left of the current slice (consumed continuously while it runs)
  bool first_time_slice = true;
  sc_core::sc_time run_start;      // when it last got its core
  sc_core::sc_event run_ev;        // notified when it is given a core
  std::string thread_name;         // its SystemC thread's name: its place among wake-ups of one instant
  uint64_t nvcsw = 0, nivcsw = 0;  // voluntary (it slept) and involuntary (preempted) switches
  // The current sleep, for the hung-task check: since when, whether only a wake-up can end it (no
  // timeout, not idle waiting for work), and the wait queue it is on (Linux's wchan).
  sc_core::sc_time sleep_since;
  bool sleep_untimed = false;
  const void* wchan = nullptr;
  Task* run_first = nullptr;  // a child just forked, queued to run before this task

  // The address space: `mm` (nullptr for a kernel thread) and the one its CPU has loaded (lazy TLB).
  MmStruct* mm = nullptr;
  MmStruct* active_mm = nullptr;

  // What the thread runs: a user context's op stream, or a kernel thread's body.
  std::unique_ptr<hw::ExecContext> ctx;
  std::function<void(KCtx&)> kthread;

  // Where its time went: the buckets, and the interval being timed now (user-mode intervals are charged
  // by the core itself; the kernel charges the rest).
  hw::CycleCharges own_charges;  // a kernel thread's (a user task's live in ctx->charges)
  hw::Charge bucket = hw::Charge::RunnableWait;
  sc_core::sc_time mark;
  hw::Charge resume_bucket = hw::Charge::Syscall;  // the path a sleeper goes back to when it runs again

  // Timeline tracks (0: none): its state row and its kernel-path row; when it took its core.
  uint32_t tl_state = 0, tl_kernel = 0;
  sc_core::sc_time core_since;

  unsigned spinlocks_held = 0;         // a sleep with any held is a bug (reported at once)
  std::vector<const LockClass*> held;  // the spinlocks held, innermost last (lock-order check, messages)

  sc_core::sc_time start_time, exit_time;
  std::string exit_reason;  // "exit", "end of program", "SIGSEGV at 0x...", "killed by the OOM killer", ...
  // Per-task fault and call counters (the task's share of the vmstat ones).
  uint64_t min_flt = 0, maj_flt = 0, cow_faults = 0, syscalls = 0;
  uint64_t maj_swap_flt = 0;  // major faults that read a swap slot (do_swap_page, shmem swap-in)
  std::vector<Task*> children;
  Task* parent = nullptr;
  Scheduler* sched = nullptr;

  bool is_kthread() const { return !ctx; }
  bool dead() const { return state == TaskState::Dead; }
  hw::CycleCharges& charges() { return ctx ? ctx->charges : own_charges; }
  const hw::CycleCharges& charges() const { return ctx ? ctx->charges : own_charges; }
  // The buckets as they stand at `end` (its exit time for a dead task, the time of the reading for a live
  // one): the interval being timed is included, except in user mode, which the core charges itself.
  hw::CycleCharges charges_at(const sc_core::sc_time& end) const {
    hw::CycleCharges c = charges();
    if (!dead() && bucket != hw::Charge::Compute && end > mark) c[bucket] += (end - mark).value();
    return c;
  }
  sc_core::sc_time end_time() const { return dead() ? exit_time : sc_core::sc_time_stamp(); }
  // Charges [mark, at) to the current bucket and starts timing `next` from `at`.
  void account(hw::Charge next, const sc_core::sc_time& at) {
    if (at < mark) throw std::logic_error("task " + comm + ": accounting went back in time");
    charges()[bucket] += (at - mark).value();
    if (tl_state && at > mark) timeline_state(*this, hw::charge_name(bucket), mark, at);
    bucket = next;
    mark = at;
  }

  Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  // A task freed while a notification of its run_ev (the scheduler's deferred hand-over of a core) still
  // waits for its instant: that notification must not fire on the freed event.
  ~Task() { sim::OrderedWake::cancel(run_ev); }
};

}  // namespace pc::kernel
