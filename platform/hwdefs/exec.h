// What a core runs: an execution context hands out one operation at a time and learns when it retires.
// The same operation is handed out again until it retires, so a faulting access re-executes after the
// fault is handled, as on x86.
#pragma once

#include <cstdint>
#include <memory>

#include "platform/hwdefs/op.h"

namespace pc::hw {

enum class AccessStatus : uint8_t { Ok, BusError };

// Where a context's cycles went (ARCHITECTURE.md §5 cycle attribution). The core charges compute,
// memory stall and page-walk cycles; the kernel charges fault handling, system calls and waits.
struct CycleCharges {
  uint64_t compute = 0;
  uint64_t mem_stall = 0;
  uint64_t page_walk = 0;
  uint64_t fault = 0;
  uint64_t syscall = 0;
  uint64_t io_wait = 0;
  uint64_t runnable_wait = 0;  // ready but not on a core
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
  // fork(): the child's operation stream, continuing from this point of the parent's (`arg` is the
  // Fork op's args[0]). Contexts that never fork return nullptr.
  virtual std::unique_ptr<ExecContext> fork_child(uint64_t arg) { return nullptr; }

  CycleCharges charges;
};

}  // namespace pc::hw
