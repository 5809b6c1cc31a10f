// The interfaces between the cores and a kernel. Two shapes:
//  - hw::Cpu: the modeled Linux kernel drives the cores (ARCHITECTURE.md §5). Every task has its own
//    SystemC thread (its kernel stack); the task holding core c calls run_user() in that thread, the core
//    executes the task's user-mode ops through its MMU and caches and returns the trap that ended the
//    run, and the kernel handles it in the same thread (it may sleep and resume there).
//  - hw::KernelInterface: a bare-metal kernel (a testbench) is called back from the core's own thread:
//    the core asks which context to run, raises system calls and page faults, and is told what to do next.
#pragma once

#include <cstdint>
#include <systemc>

#include "platform/hwdefs/exec.h"

namespace pc::hw {

enum class TrapKind : uint8_t {
  PageFault,  // #PF: the access was not executed (it re-executes when the task runs again)
  Syscall,    // the current op is a system call, not retired: the kernel retires it
  Resched,    // need_resched was set, or the task's resched deadline passed, at an op boundary
  Ended,      // the context's stream has ended
};

struct Trap {
  TrapKind kind = TrapKind::Ended;
  uint64_t cr2 = 0;         // PageFault: the faulting linear address
  uint32_t error_code = 0;  // PageFault: as in Intel SDM Vol. 3A §4.7
};

class Cpu {
 public:
  virtual ~Cpu() = default;
  virtual unsigned id() const = 0;
  // Runs `ctx` in user mode on this core, in the calling thread, until a trap. User time (compute,
  // memory stall, page walk) and time stolen by interrupt handlers go to ctx.charges.
  virtual Trap run_user(ExecContext& ctx) = 0;
  // The time this core has run ahead of sc_time_stamp() (temporal decoupling). The kernel takes it at a
  // trap (its path goes on from there, on the same clock) and gives back what is left on return.
  virtual sc_core::sc_time take_local_time() = 0;
  virtual void give_local_time(const sc_core::sc_time& t) = 0;
  // From any thread; the running task sees them at its next op boundary (run_user returns Resched).
  virtual void set_need_resched() = 0;
  // The absolute time the running task's time slice ends (sc_core::sc_max_time(): none).
  virtual void set_resched_at(const sc_core::sc_time& at) = 0;
  // An interrupt handler ran on this core for `cycles`: whatever task runs there loses them.
  virtual void steal(uint64_t cycles) = 0;
  // A kernel-mode load or store of at most 64 bytes within one line at a user virtual address
  // (copy_to_user / copy_from_user): translated by this core's MMU, which sets Accessed and Dirty as for
  // any access, and carried by its caches; its time runs on `delay`. A translation fault is returned
  // (with the supervisor-mode error code) and nothing moves: the kernel handles it and retries, as an
  // exception-table fixup does.
  struct UserAccess {
    bool ok = true;
    uint32_t error_code = 0;
  };
  virtual UserAccess kernel_access(uint64_t va, uint8_t* data, unsigned len, bool write,
                                   sc_core::sc_time& delay) = 0;
};

enum class TrapAction : uint8_t {
  Resume,      // continue the current context (the faulting op re-executes)
  Reschedule,  // the current context gave up the core (blocked or yielded): ask pick_next again
};

struct TrapResult {
  TrapAction action = TrapAction::Resume;
  uint64_t cycles = 0;  // CPU cycles the handler cost the core, beyond any simulated waits it made
};

class KernelInterface {
 public:
  virtual ~KernelInterface() = default;
  // The context core `core` runs next; nullptr when nothing will ever run on it again (the core halts).
  virtual ExecContext* pick_next(unsigned core) = 0;
  // The current op of `ctx` is a Syscall; the kernel retires it (or not, to restart it).
  virtual TrapResult syscall(unsigned core, ExecContext& ctx, const Op& op) = 0;
  // #PF: cr2 is the faulting linear address, error_code as in Intel SDM Vol. 3A §4.7.
  virtual TrapResult page_fault(unsigned core, ExecContext& ctx, uint64_t cr2, uint32_t error_code) = 0;
  // The context's stream ended (current() returned nullptr).
  virtual void context_ended(unsigned core, ExecContext& ctx) = 0;
  // Time-slice expiry: the core calls it once the context has run timeslice_cycles() since it was
  // scheduled (0 = no preemption).
  virtual TrapResult timer_interrupt(unsigned core, ExecContext& ctx) { return {}; }
  virtual uint64_t timeslice_cycles() const { return 0; }
};

}  // namespace pc::hw
