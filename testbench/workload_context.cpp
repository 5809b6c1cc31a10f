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

bool WorkloadContext::is_memory_op() const {
  return m_op.kind == hw::OpKind::Read || m_op.kind == hw::OpKind::Write || m_op.kind == hw::OpKind::Fetch;
}

const hw::Op* WorkloadContext::current() {
  if (m_valid) return &m_op;
  if (m_ended) return nullptr;
  hw::clear_op(m_op);
  try {
    if (!m_stream->next(m_op)) {
      m_ended = true;
      return nullptr;
    }
    m_stream_addr = m_op.vaddr;
    // Placement is per 4 KiB page; streams never cross a 64-byte line (see LineSplitStream), so an
    // access never spans two frames.
    if (m_mapper && is_memory_op()) m_op.vaddr = m_mapper->translate(m_op.vaddr);
  } catch (...) {
    // Raised inside the simulation thread: keep it for the SoC to rethrow, and end the stream here.
    m_error = std::current_exception();
    m_ended = true;
    return nullptr;
  }
  m_valid = true;
  if (!is_memory_op()) return &m_op;
  if (m_op.kind == hw::OpKind::Write) {
    if (m_checker)
      m_checker->make_write(m_stream_addr, m_op.size, m_wbuf);
    else
      std::memset(m_wbuf, static_cast<int>(m_stream_addr), m_op.size);
    m_op.wdata = m_wbuf;
  }
  return &m_op;
}

void WorkloadContext::retire(const uint8_t* rdata, hw::AccessStatus status) {
  m_valid = false;
  if (m_op.kind == hw::OpKind::Compute || m_op.kind == hw::OpKind::Syscall) return;
  if (!m_checker) return;
  if (status != hw::AccessStatus::Ok) {
    m_checker->bus_error();
    return;
  }
  if (m_op.kind == hw::OpKind::Write)
    DataChecker::record(*m_shadow, m_stream_addr, m_wbuf, m_op.size);
  else
    m_checker->verify(*m_shadow, m_stream_addr, m_stream_addr, rdata, m_op.size);
}

}  // namespace pc::tb
