// A source of operations (address, size, kind; no data): synthetic generators and trace readers.
#pragma once

#include <cstddef>
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
  // Fills ops[filled], ops[filled + 1], ... up to ops[n - 1], each as next() fills a cleared op, counting
  // each one in `filled` as it is done (after an exception the first `filled` ops are whole). Returns false
  // when the stream ended first. One call per batch instead of one per op (issue 15).
  virtual bool next_batch(hw::Op* ops, size_t n, size_t& filled) {
    for (; filled < n; ++filled) {
      hw::clear_op(ops[filled]);
      if (!next(ops[filled])) return false;
    }
    return true;
  }
};

}  // namespace pc::tb
