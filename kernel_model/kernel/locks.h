// Linux's locks as the memory manager takes them (include/linux/spinlock.h, rwsem.h; the order of
// mm/rmap.c's comment): spinlocks that a CPU spins on while another holds them, and mm->mmap_sem, a
// sleeping reader-writer semaphore. Spinning costs the spinner's cycles; every lock class counts
// acquisitions, contended acquisitions, spin cycles and the longest hold (stats.kernel.locks.<class>).
// Debug checks: a task that sleeps holding a spinlock, or takes locks against the documented order,
// stops the run with a message naming the locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/wait.h"
#include "platform/core/clock.h"
#include "platform/core/ordered_wake.h"
#include "platform/core/stats.h"

namespace pc::kernel {

// One kind of lock: its rank in the nesting order (outer = lower) and its statistics.
class LockClass {
 public:
  LockClass(stats::Group& parent, const char* name, int rank, uint64_t cost_cycles, const ClockDomain& clk);
  const char* name() const { return m_name; }
  int rank() const { return m_rank; }
  sc_core::sc_time cost() const { return m_cost; }
  void acquired(bool contended, const sc_core::sc_time& spin);
  void released(const sc_core::sc_time& hold);

 private:
  const char* m_name;
  int m_rank;
  sc_core::sc_time m_cost;
  ClockDomain m_clk;
  stats::Group m_stats;
  stats::Counter m_acq, m_contended, m_spin;
  stats::Scalar m_max_hold;
};

// The lock classes of the modeled kernel, ranked as mm/rmap.c orders them.
struct LockClasses {
  LockClasses(stats::Group& kernel_stats, uint64_t spin_cost, const ClockDomain& clk);
  stats::Group group;
  LockClass mmap_sem, dcache_lock, inode_lock, i_mmap_lock, anon_vma_lock, page_table_lock, lru_lock,
      swap_lock, mmlist_lock, tree_lock, slab_list_lock, zone_lock, queue_lock;
};

class Spinlock {
 public:
  explicit Spinlock(LockClass& cls) : m_cls(&cls) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;
  // A lock freed with its structure (an mm's page_table_lock at exit) while a release is pending.
  ~Spinlock() { sim::OrderedWake::cancel(m_released); }
  void lock(KCtx& k);
  void unlock(KCtx& k);
  bool locked() const { return m_locked; }
  LockClass& cls() const { return *m_cls; }

 private:
  LockClass* m_cls;
  bool m_locked = false;
  Task* m_owner = nullptr;
  // The last hold, in absolute time: a CPU whose (temporally decoupled) time falls inside it spins until
  // its end even when the holder never yielded.
  sc_core::sc_time m_acq, m_rel;
  sc_core::sc_event m_released;
};

class SpinGuard {
 public:
  SpinGuard(Spinlock& l, KCtx& k) : m_l(l), m_k(k) { m_l.lock(m_k); }
  ~SpinGuard() {
    if (m_held) m_l.unlock(m_k);
  }
  void unlock() {
    m_l.unlock(m_k);
    m_held = false;
  }
  void lock() {
    m_l.lock(m_k);
    m_held = true;
  }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  Spinlock& m_l;
  KCtx& m_k;
  bool m_held = true;
};

// struct rw_semaphore: readers share it, a writer excludes everyone; sleepers wait in FIFO order and a
// reader does not overtake a waiting writer (lib/rwsem.c).
class RwSemaphore {
 public:
  explicit RwSemaphore(LockClass& cls) : m_cls(&cls) {}
  void down_read(KCtx& k);
  void up_read(KCtx& k);
  void down_write(KCtx& k);
  void up_write(KCtx& k);
  bool down_read_trylock(KCtx& k);
  int readers() const { return m_readers; }
  bool writer() const { return m_writer; }

 private:
  LockClass* m_cls;
  int m_readers = 0;
  bool m_writer = false;
  unsigned m_writers_waiting = 0;
  WaitQueue m_wq;
};

}  // namespace pc::kernel
