// A source of operations (address, size, kind; no data): synthetic generators and trace readers.
#pragma once

#include <stdexcept>

#include "platform/hwdefs/op.h"

namespace pc::tb {

// A malformed trace: the message names the file and the line.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OpStream {
 public:
  virtual ~OpStream() = default;
  // Fills `op` with the next operation (kind, vaddr, size for memory ops; cycles for compute).
  // Returns false at the end of the stream. op.wdata is left null: the execution context supplies data.
  virtual bool next(hw::Op& op) = 0;
};

}  // namespace pc::tb
