// An execution context that runs an OpStream on a core: supplies write data, optionally checks every
// read against a shadow copy of what it wrote, and (paging off, traces) places touched pages in physical
// memory in first-touch order.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <unordered_map>

#include "models/mem/backing_store.h"
#include "platform/hwdefs/exec.h"
#include "testbench/data_checker.h"
#include "testbench/workload/op_stream.h"

namespace pc::tb {

// Maps 4 KiB pages of a context's address space to frames of a physical window, in first-touch order.
class FirstTouchMapper {
 public:
  FirstTouchMapper(uint64_t window_base, uint64_t window_bytes, std::string what);
  uint64_t translate(uint64_t vaddr);
  uint64_t pages() const { return m_map.size(); }

 private:
  uint64_t m_base, m_frames;
  std::string m_what;
  std::unordered_map<uint64_t, uint64_t> m_map;
};

// Splits every access that crosses a 64-byte line into two, as the hardware does; after it no access
// spans two pages either.
class LineSplitStream : public OpStream {
 public:
  explicit LineSplitStream(std::unique_ptr<OpStream> in) : m_in(std::move(in)) {}
  bool next(hw::Op& op) override;

 private:
  std::unique_ptr<OpStream> m_in;
  hw::Op m_pending;
  uint8_t m_rest = 0;
};

class WorkloadContext : public hw::ExecContext {
 public:
  // With `totals` (data checking on) the context keeps a shadow of its writes, by its own addresses,
  // and counts into `totals`. `mapper` (optional) translates addresses after they leave the stream.
  WorkloadContext(uint32_t id, std::unique_ptr<OpStream> stream, CheckTotals* totals,
                  std::unique_ptr<FirstTouchMapper> mapper = nullptr);

  const hw::Op* current() override;
  void retire(const uint8_t* rdata, hw::AccessStatus status) override;
  uint32_t id() const override { return m_id; }

  // An error the stream raised while the simulation ran (a malformed trace line, a workload larger than
  // memory); the context ended there. The SoC rethrows it after the run.
  std::exception_ptr error() const { return m_error; }

 private:
  // Takes the next batch of ops from the stream; false (m_ended set, m_error if the stream raised one)
  // when there is none.
  bool refill();
  // current() for the next op in m_buf with placement or data checking on.
  const hw::Op* next_op();
  uint32_t m_id;
  std::unique_ptr<OpStream> m_stream;
  std::unique_ptr<FirstTouchMapper> m_mapper;
  std::unique_ptr<DataChecker> m_checker;
  std::unique_ptr<mem::BackingStore> m_shadow;  // what memory must hold, by stream address
  // Ops come from the stream in batches; each is handed out (mapped, its write data made) in order, as
  // it comes up, exactly as one at a time. An error the stream raised waits until the ops before it ran.
  static constexpr size_t kBatch = 32;
  hw::Op m_buf[kBatch];
  size_t m_pos = 0, m_len = 0;
  bool m_stream_done = false;
  std::exception_ptr m_stream_error;
  // Neither placement nor data checking: the ops of a batch are handed out through `ready`, each
  // write's data made when the batch comes in (m_wbufs, one per op; the bytes depend on the op alone).
  bool m_plain = false;
  uint8_t m_wbufs[kBatch][hw::kMaxAccessBytes];
  hw::Op* m_op = nullptr;      // the op handed out (in m_buf)
  uint64_t m_stream_addr = 0;  // the op's address before mapping (the shadow's key)
  bool m_valid = false, m_ended = false;
  uint8_t m_wbuf[hw::kMaxAccessBytes];
  std::exception_ptr m_error;
};

}  // namespace pc::tb
