// Page-table construction through TLM.
#include "testbench/page_tables.h"

#include <fmt/format.h>
#include <stdexcept>

namespace pc::tb {

using namespace hw::paging;

uint64_t FrameAllocator::alloc(uint64_t bytes) {
  const uint64_t a = (m_next + bytes - 1) & ~(bytes - 1);
  if (a + bytes > m_end || a + bytes < a)
    throw std::runtime_error(fmt::format("bare-metal frame allocator: out of physical memory ({} MiB handed out); "
                                         "raise dram.size_mib", m_used >> 20));
  m_next = a + bytes;
  m_used += bytes;
  return a;
}

PageTableBuilder::PageTableBuilder(sc_core::sc_module_name name, FrameAllocator& frames, bool la57)
    : sc_module(name), mem_isock("mem_isock"), m_frames(frames), m_la57(la57) {
  m_ext.requester = Requester::Kernel;
}

void PageTableBuilder::transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, sc_core::sc_time& d) {
  // A payload per transaction: with a memory model that waits (the DDR adapter), another core's fault
  // may start a transaction while this one is suspended.
  tlm::tlm_generic_payload gp;
  AccessExt ext = m_ext;
  gp.set_extension(&ext);
  prepare_payload(gp, cmd, pa, data, len);
  mem_isock->b_transport(gp, d);
  gp.clear_extension(&ext);
  if (!gp.is_response_ok())
    throw std::logic_error(fmt::format("page-table builder: {} at physical 0x{:x} failed: {}",
                                       cmd == tlm::TLM_READ_COMMAND ? "read" : "write", pa, gp.get_response_string()));
}

uint64_t PageTableBuilder::new_table(sc_core::sc_time& d) {
  const uint64_t pa = m_frames.alloc(4096);
  uint8_t zero[64] = {};
  for (unsigned off = 0; off < 4096; off += 64) transact(tlm::TLM_WRITE_COMMAND, pa + off, zero, 64, d);
  ++m_tables;
  return pa;
}

uint64_t PageTableBuilder::read_entry(uint64_t pa, sc_core::sc_time& d) {
  uint64_t v = 0;
  transact(tlm::TLM_READ_COMMAND, pa, reinterpret_cast<uint8_t*>(&v), 8, d);
  return v;
}

void PageTableBuilder::write_entry(uint64_t pa, uint64_t v, sc_core::sc_time& d) {
  transact(tlm::TLM_WRITE_COMMAND, pa, reinterpret_cast<uint8_t*>(&v), 8, d);
}

uint64_t PageTableBuilder::map(uint64_t cr3, uint64_t va, uint64_t pa, PageSize size, uint64_t leaf_flags,
                               sc_core::sc_time& d, uint64_t table_flags) {
  const unsigned leaf = leaf_level(size);
  uint64_t table = cr3_table(cr3);
  for (unsigned l = levels(); l > leaf; --l) {
    const uint64_t ea = table + index_of(va, l) * 8;
    uint64_t e = read_entry(ea, d);
    if (!(e & kP)) {
      e = new_table(d) | table_flags | kP;
      write_entry(ea, e, d);
    } else if (is_leaf(e, l)) {
      throw std::logic_error(fmt::format("page-table builder: 0x{:x} is already inside a large page", va));
    }
    table = frame_of(e);
  }
  const uint64_t ea = table + index_of(va, leaf) * 8;
  write_entry(ea, (pa & kAddrMask & ~(page_bytes(size) - 1)) | leaf_flags | kP | (leaf > 1 ? kPS : 0), d);
  return ea;
}

uint64_t PageTableBuilder::entry_address(uint64_t cr3, uint64_t va, unsigned level, sc_core::sc_time& d) {
  uint64_t table = cr3_table(cr3);
  for (unsigned l = levels(); l > level; --l) {
    const uint64_t e = read_entry(table + index_of(va, l) * 8, d);
    if (!(e & kP) || is_leaf(e, l)) return 0;
    table = frame_of(e);
  }
  return table + index_of(va, level) * 8;
}

}  // namespace pc::tb
