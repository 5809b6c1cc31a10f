// What a core runs: an execution context hands out one operation at a time and learns when it retires.
// The same operation is handed out again until it retires, so a faulting access re-executes after the
// fault is handled, as on x86.
#pragma once

#include <cstdint>

#include "platform/hwdefs/op.h"

namespace pc::hw {

enum class AccessStatus : uint8_t { Ok, BusError };

class ExecContext {
 public:
  virtual ~ExecContext() = default;
  // The operation to execute now, or nullptr when the stream has ended.
  virtual const Op* current() = 0;
  // The current operation completed. For reads and fetches `rdata` holds the `size` bytes read.
  virtual void retire(const uint8_t* rdata, AccessStatus status) = 0;
  // Identifies the context in stats and messages.
  virtual uint32_t id() const = 0;
};

}  // namespace pc::hw
