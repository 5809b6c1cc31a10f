// The trap interface between a core and the kernel (the IDT, in effect): the core asks the kernel which
// context to run, raises system calls and page faults, and the kernel answers with what to do next.
// Calls run in the core's SystemC thread, so a kernel may wait() in them (blocking I/O, locks).
#pragma once

#include <cstdint>

#include "platform/hwdefs/exec.h"

namespace pc::hw {

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
