// Spinlocks and the rw-semaphore.
#include "kernel_model/kernel/locks.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernel_model/kernel/task.h"

namespace pc::kernel {

LockClass::LockClass(stats::Group& parent, const char* name, int rank, uint64_t cost_cycles,
                     const ClockDomain& clk)
    : m_name(name),
      m_rank(rank),
      m_cost(clk.cycles(cost_cycles)),
      m_clk(clk),
      m_stats(&parent, name, fmt::format("lock class {}", name)),
      m_acq(m_stats, "acquisitions", "acquisitions", "times the lock was taken"),
      m_contended(m_stats, "contended", "acquisitions",
                  "acquisitions that found it held (and spun or slept)"),
      m_spin(m_stats, "spin_cycles", "cycles",
             "cycles CPUs spent spinning on it (or sleeping, for a semaphore)"),
      m_max_hold(m_stats, "max_hold_cycles", "cycles", "longest time it was held") {}

void LockClass::acquired(bool contended, const sc_core::sc_time& spin) {
  ++m_acq;
  if (contended) {
    ++m_contended;
    m_spin += m_clk.to_cycles(spin);
  }
}

void LockClass::released(const sc_core::sc_time& hold) {
  const double c = m_clk.to_cycles_exact(hold);
  if (c > m_max_hold.value()) m_max_hold.set(c);
}

// Ranks: mm/rmap.c's order, outer first. Locks of one class may nest (copy_pte_range takes the child's
// and the parent's pte locks); an inner lock never encloses an outer one.
LockClasses::LockClasses(stats::Group& kernel_stats, uint64_t spin_cost, const ClockDomain& clk)
    : group(&kernel_stats, "locks", "Linux's locks: acquisitions, contention, spinning, hold times"),
      mmap_sem(group, "mmap_sem", 0, spin_cost, clk),
      dcache_lock(group, "dcache_lock", 1, spin_cost, clk),
      inode_lock(group, "inode_lock", 1, spin_cost, clk),
      i_mmap_lock(group, "i_mmap_lock", 2, spin_cost, clk),
      anon_vma_lock(group, "anon_vma_lock", 3, spin_cost, clk),
      page_table_lock(group, "page_table_lock", 4, spin_cost, clk),
      lru_lock(group, "lru_lock", 5, spin_cost, clk),
      swap_lock(group, "swap_lock", 5, spin_cost, clk),
      mmlist_lock(group, "mmlist_lock", 6, spin_cost, clk),
      tree_lock(group, "tree_lock", 7, spin_cost, clk),
      slab_list_lock(group, "slab_list_lock", 8, spin_cost, clk),  // kmem_list3.list_lock
      zone_lock(group, "zone_lock", 8, spin_cost, clk),
      queue_lock(group, "queue_lock", 9, spin_cost, clk) {}

void Spinlock::lock(KCtx& k) {
  k.delay += m_cls->cost();  // the LOCK-prefixed acquire and the release, uncontended
  bool contended = false;
  sc_core::sc_time spin = sc_core::SC_ZERO_TIME;
  if (m_locked) {
    // Held across a wait by another path: spin in simulated time until it is released.
    if (k.task && m_owner == k.task)
      throw std::logic_error(
          fmt::format("task {} takes {} twice (self-deadlock)", k.task->comm, m_cls->name()));
    contended = true;
    k.sync();
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    while (m_locked) sc_core::wait(m_released);
    spin = sc_core::sc_time_stamp() - t0;
  }
  // A hold that overlaps this CPU's time although its holder never yielded (temporal decoupling).
  const sc_core::sc_time at = k.now();
  if (m_acq <= at && at < m_rel) {
    contended = true;
    spin += m_rel - at;
    k.delay += m_rel - at;
  }
  m_cls->acquired(contended, spin);
  m_locked = true;
  m_owner = k.task;
  m_acq = k.now();
  if (Task* t = k.task) {
    for (const LockClass* h : t->held)
      if (m_cls->rank() < h->rank())
        throw std::logic_error(fmt::format("task {} takes {} inside {}: against the lock order of mm/rmap.c",
                                           t->comm, m_cls->name(), h->name()));
    ++t->spinlocks_held;
    t->held.push_back(m_cls);
  }
}

void Spinlock::unlock(KCtx& k) {
  if (!m_locked) throw std::logic_error(fmt::format("unlock of {} that is not held", m_cls->name()));
  m_rel = k.now();
  m_cls->released(m_rel - m_acq);
  m_locked = false;
  m_owner = nullptr;
  sim::OrderedWake::notify(m_released, k.delay, m_cls->name());
  if (Task* t = k.task) {
    --t->spinlocks_held;
    auto it = std::find(t->held.rbegin(), t->held.rend(), m_cls);
    if (it != t->held.rend()) t->held.erase(std::next(it).base());
  }
}

void RwSemaphore::down_read(KCtx& k) {
  k.delay += m_cls->cost();
  const bool contended = m_writer || m_writers_waiting;
  const sc_core::sc_time t0 = k.now();
  while (m_writer || m_writers_waiting) m_wq.sleep(k, hw::Charge::LockWait);
  ++m_readers;
  m_cls->acquired(contended, contended ? k.now() - t0 : sc_core::SC_ZERO_TIME);
}

bool RwSemaphore::down_read_trylock(KCtx& k) {
  if (m_writer || m_writers_waiting) return false;
  k.delay += m_cls->cost();
  ++m_readers;
  m_cls->acquired(false, sc_core::SC_ZERO_TIME);
  return true;
}

void RwSemaphore::up_read(KCtx& k) {
  if (m_readers <= 0) throw std::logic_error(fmt::format("up_read of {} not held", m_cls->name()));
  if (--m_readers == 0) m_wq.wake_up(k.now(), 1);
}

void RwSemaphore::down_write(KCtx& k) {
  k.delay += m_cls->cost();
  const bool contended = m_writer || m_readers;
  const sc_core::sc_time t0 = k.now();
  ++m_writers_waiting;
  while (m_writer || m_readers) m_wq.sleep(k, hw::Charge::LockWait, true);
  --m_writers_waiting;
  m_writer = true;
  m_cls->acquired(contended, contended ? k.now() - t0 : sc_core::SC_ZERO_TIME);
}

void RwSemaphore::up_write(KCtx& k) {
  if (!m_writer) throw std::logic_error(fmt::format("up_write of {} not held", m_cls->name()));
  m_writer = false;
  m_wq.wake_up(k.now(), 1);
}

}  // namespace pc::kernel
