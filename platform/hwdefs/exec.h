// What a core runs: an execution context hands out one operation at a time and learns when it retires.
// The same operation is handed out again until it retires, so a faulting access re-executes after the
// fault is handled, as on x86.
#pragma once

#include <cstdint>
#include <memory>

#include "platform/hwdefs/op.h"

namespace pc::hw {

enum class AccessStatus : uint8_t { Ok, BusError };

// Where a task's time went (ARCHITECTURE.md §5 cycle attribution): every instant from its start to its
// exit falls in exactly one bucket, so the buckets add up to its elapsed time. The core charges the
// user-mode ones (compute, memory stall, page walk) and the time interrupt and IPI handlers steal from
// it; the kernel charges the rest. Kept in femtoseconds so that the sum is exact.
enum class Charge : uint8_t {
  Compute,         // compute operations and the issue of memory operations
  MemStall,        // waiting for a memory access
  PageWalk,        // address translation (TLB lookups, page walks)
  Irq,             // interrupt and IPI handlers that ran while this task held the core
  Fault,           // the page-fault path, on a CPU
  Syscall,         // system-call paths, on a CPU
  DirectReclaim,   // direct reclaim on the allocation path, on a CPU
  KernelThread,    // a kernel thread's work, on a CPU
  IoWait,          // asleep on file or block I/O (a page read, get_request_wait)
  SwapinWait,      // asleep on a swap-in read
  CongestionWait,  // asleep in blk_congestion_wait, throttle_vm_writeout, balance_dirty_pages
  LockWait,        // asleep on a semaphore (mmap_sem)
  Nap,             // asleep in a timed nap (schedule_timeout)
  Idle,            // asleep waiting for work (kernel threads)
  RunnableWait,    // runnable, waiting for a core (the context switch onto it included)
};
constexpr unsigned kCharges = 15;
constexpr const char* charge_name(Charge c) {
  constexpr const char* names[kCharges] = {"compute", "mem_stall",   "page_walk",       "irq",
                                           "fault",   "syscall",     "direct_reclaim",  "kernel",
                                           "io_wait", "swapin_wait", "congestion_wait", "lock_wait",
                                           "nap",     "idle",        "runnable_wait"};
  return names[static_cast<unsigned>(c)];
}

struct CycleCharges {
  uint64_t fs[kCharges] = {};
  uint64_t& operator[](Charge c) { return fs[static_cast<unsigned>(c)]; }
  uint64_t operator[](Charge c) const { return fs[static_cast<unsigned>(c)]; }
  uint64_t total() const {
    uint64_t t = 0;
    for (uint64_t v : fs) t += v;
    return t;
  }
};

class ExecContext {
 public:
  virtual ~ExecContext() = default;
  // The operation to execute now, or nullptr when the stream has ended.
  virtual const Op* current() = 0;
  // The current operation completed. For reads and fetches `rdata` holds the `size` bytes read; for a
  // system call the kernel passes its 8-byte return value (a negative errno on failure).
  virtual void retire(const uint8_t* rdata, AccessStatus status) = 0;
  // Identifies the context in stats and messages.
  virtual uint32_t id() const = 0;
  // fork() / clone(): the child's operation stream, continuing from this point of the parent's (`arg` is
  // the op's args[0]); `share_vm`: a thread of the same address space. Contexts that never fork return
  // nullptr.
  virtual std::unique_ptr<ExecContext> fork_child(uint64_t arg, bool share_vm = false) { return nullptr; }

  CycleCharges charges;
  // Ops handed out ahead, for a core to take without two virtual calls per op: while next != end,
  // current() is next and retire() of it is ++next, nothing more (whatever rdata and status are). A
  // context sets them only for ops whose current() and retire() do no other work; empty by default.
  struct ReadyOps {
    const Op* next = nullptr;
    const Op* end = nullptr;
  };
  ReadyOps ready;
};

}  // namespace pc::hw
