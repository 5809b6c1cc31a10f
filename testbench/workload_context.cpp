// Workload execution context with data checking.
#include "testbench/workload_context.h"

#include <fmt/format.h>

#include <cstring>

#include "platform/core/log.h"

namespace pc::tb {

FirstTouchMapper::FirstTouchMapper(uint64_t window_base, uint64_t window_bytes, std::string what)
    : m_base(window_base), m_frames(window_bytes / 4096), m_what(std::move(what)) {}

uint64_t FirstTouchMapper::translate(uint64_t vaddr) {
  const uint64_t vpn = vaddr >> 12;
  auto it = m_map.find(vpn);
  if (it == m_map.end()) {
    if (m_map.size() >= m_frames)
      throw std::runtime_error(
          fmt::format("{} touches more than {} distinct 4 KiB pages, the {} MiB of "
                      "physical memory available to it; raise dram.size_mib",
                      m_what, m_frames, m_frames * 4096 >> 20));
    it = m_map.emplace(vpn, m_base + m_map.size() * 4096).first;
  }
  return it->second | (vaddr & 4095);
}

WorkloadContext::WorkloadContext(uint32_t id, std::unique_ptr<OpStream> stream, CheckTotals* totals,
                                 std::unique_ptr<FirstTouchMapper> mapper)
    : m_id(id), m_stream(std::move(stream)), m_mapper(std::move(mapper)) {
  if (totals) {
    m_checker = std::make_unique<DataChecker>(id, totals);
    m_shadow = DataChecker::new_shadow();
  }
  m_plain = !m_mapper && !m_checker;
}

bool LineSplitStream::next(hw::Op& op) {
  if (m_rest) {
    op = m_pending;
    op.vaddr = m_pending.vaddr + (m_pending.size - m_rest);
    op.size = m_rest;
    m_rest = 0;
    return true;
  }
  if (!m_in->next(op)) return false;
  const bool mem =
      op.kind == hw::OpKind::Read || op.kind == hw::OpKind::Write || op.kind == hw::OpKind::Fetch;
  const uint64_t room = 64 - (op.vaddr & 63);
  if (mem && op.size > room) {
    m_pending = op;
    m_rest = static_cast<uint8_t>(op.size - room);
    op.size = static_cast<uint8_t>(room);
  }
  return true;
}

namespace {
// memset(buf, byte, len) for len <= kMaxAccessBytes, in whole 8-byte words (the buffer holds
// kMaxAccessBytes; the bytes past len are never read): GCC turns the short memset into `rep stos`, whose
// start-up cost dominates an 8-byte fill.
void fill_bytes(uint8_t* buf, uint8_t byte, unsigned len) {
  static_assert(hw::kMaxAccessBytes % 8 == 0);
  const uint64_t word = byte * 0x0101010101010101ull;
  for (unsigned i = 0; i < len; i += 8) std::memcpy(buf + i, &word, 8);
}

bool is_memory_op(const hw::Op& op) {
  return op.kind == hw::OpKind::Read || op.kind == hw::OpKind::Write || op.kind == hw::OpKind::Fetch;
}
}  // namespace

[[gnu::noinline]] bool WorkloadContext::refill() {
  m_pos = m_len = 0;
  if (!m_stream_done) {
    try {
      if (!m_stream->next_batch(m_buf, kBatch, m_len)) m_stream_done = true;
    } catch (...) {
      // Raised inside the simulation thread: kept for the SoC to rethrow once the ops before it ran.
      m_stream_error = std::current_exception();
      m_stream_done = true;
    }
  }
  if (m_len) {
    if (m_plain) {
      for (size_t i = 0; i < m_len; ++i)
        if (m_buf[i].kind == hw::OpKind::Write) {
          fill_bytes(m_wbufs[i], static_cast<uint8_t>(m_buf[i].vaddr), m_buf[i].size);
          m_buf[i].wdata = m_wbufs[i];
        }
      ready = {m_buf, m_buf + m_len};
    }
    return true;
  }
  m_error = m_stream_error;
  m_ended = true;
  return false;
}

const hw::Op* WorkloadContext::current() {
  if (m_plain) {
    // The op as the stream made it, with write data (see refill()); retire() moves on.
    if (ready.next != ready.end) return ready.next;
    if (m_ended || !refill()) return nullptr;
    return ready.next;
  }
  if (m_valid) return m_op;
  if (m_ended || (m_pos == m_len && !refill())) return nullptr;
  return next_op();
}

// Out of line, so that current()'s common case keeps a short prologue.
[[gnu::noinline]] const hw::Op* WorkloadContext::next_op() {
  hw::Op& op = m_buf[m_pos++];
  m_stream_addr = op.vaddr;
  const bool mem = is_memory_op(op);
  // Placement is per 4 KiB page; streams never cross a 64-byte line (see LineSplitStream), so an
  // access never spans two frames.
  if (m_mapper && mem) {
    try {
      op.vaddr = m_mapper->translate(op.vaddr);
    } catch (...) {
      m_error = std::current_exception();
      m_ended = true;
      return nullptr;
    }
  }
  m_op = &op;
  m_valid = true;
  if (op.kind == hw::OpKind::Write) {
    if (m_checker)
      m_checker->make_write(m_stream_addr, op.size, m_wbuf);
    else
      fill_bytes(m_wbuf, static_cast<uint8_t>(m_stream_addr), op.size);
    op.wdata = m_wbuf;
  }
  return &op;
}

void WorkloadContext::retire(const uint8_t* rdata, hw::AccessStatus status) {
  if (m_plain) {
    ++ready.next;
    return;
  }
  m_valid = false;
  const hw::Op& op = *m_op;
  if (op.kind == hw::OpKind::Compute || op.kind == hw::OpKind::Syscall) return;
  if (!m_checker) return;
  if (status != hw::AccessStatus::Ok) {
    m_checker->bus_error();
    return;
  }
  if (op.kind == hw::OpKind::Write)
    DataChecker::record(*m_shadow, m_stream_addr, m_wbuf, op.size);
  else
    m_checker->verify(*m_shadow, m_stream_addr, m_stream_addr, rdata, op.size);
}

}  // namespace pc::tb
