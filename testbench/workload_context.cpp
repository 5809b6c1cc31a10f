// Workload execution context with data checking.
#include "testbench/workload_context.h"

#include <cstring>
#include <fmt/format.h>

#include "platform/core/log.h"

namespace pc::tb {
namespace {
uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr uint64_t kShadowSpan = 1ull << 48;  // stream addresses are 48-bit linear addresses
}  // namespace

FirstTouchMapper::FirstTouchMapper(uint64_t window_base, uint64_t window_bytes, std::string what)
    : m_base(window_base), m_frames(window_bytes / 4096), m_what(std::move(what)) {}

uint64_t FirstTouchMapper::translate(uint64_t vaddr) {
  const uint64_t vpn = vaddr >> 12;
  auto it = m_map.find(vpn);
  if (it == m_map.end()) {
    if (m_map.size() >= m_frames)
      throw std::runtime_error(fmt::format("{} touches more than {} distinct 4 KiB pages, the {} MiB of "
                                           "physical memory available to it; raise dram.size_mib",
                                           m_what, m_frames, m_frames * 4096 >> 20));
    it = m_map.emplace(vpn, m_base + m_map.size() * 4096).first;
  }
  return it->second | (vaddr & 4095);
}

WorkloadContext::WorkloadContext(uint32_t id, std::unique_ptr<OpStream> stream, bool data_check,
                                 std::unique_ptr<FirstTouchMapper> mapper)
    : m_id(id), m_stream(std::move(stream)), m_mapper(std::move(mapper)) {
  if (data_check) m_shadow = std::make_unique<mem::BackingStore>(kShadowSpan);
}

uint8_t WorkloadContext::data_byte(uint64_t addr, uint64_t seq) {
  return static_cast<uint8_t>(splitmix((addr & ~7ull) ^ (seq * 0xd1342543de82ef95ull)) >> (8 * (addr & 7)));
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
  const bool mem = op.kind == hw::OpKind::Read || op.kind == hw::OpKind::Write || op.kind == hw::OpKind::Fetch;
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
  m_op = hw::Op{};
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
    ++m_write_seq;
    for (unsigned i = 0; i < m_op.size; ++i) m_wbuf[i] = data_byte(m_stream_addr + i, m_write_seq);
    m_op.wdata = m_wbuf;
  }
  return &m_op;
}

void WorkloadContext::retire(const uint8_t* rdata, hw::AccessStatus status) {
  m_valid = false;
  if (m_op.kind == hw::OpKind::Compute || m_op.kind == hw::OpKind::Syscall) return;
  if (status != hw::AccessStatus::Ok) {
    ++m_counters.bus_errors;
    return;
  }
  if (!m_shadow) return;
  if (m_op.kind == hw::OpKind::Write) {
    m_shadow->write(m_stream_addr, m_wbuf, m_op.size);
    return;
  }
  uint8_t expect[hw::kMaxAccessBytes];
  m_shadow->read(m_stream_addr, expect, m_op.size);
  ++m_counters.reads_checked;
  if (std::memcmp(expect, rdata, m_op.size) != 0) {
    if (++m_counters.data_errors <= 10) {
      unsigned i = 0;
      while (expect[i] == rdata[i]) ++i;
      log::error("context {}: data mismatch at 0x{:x} (byte {} of {}): read 0x{:02x}, expected 0x{:02x}", m_id,
                 m_stream_addr + i, i, m_op.size, rdata[i], expect[i]);
    }
  }
}

}  // namespace pc::tb
