// Builds x86-64 page tables in simulated memory through a TLM initiator (never a host pointer), as a
// kernel would: a frame bump allocator, table creation, 4 KiB / 2 MiB / 1 GiB mappings (Intel SDM Vol. 3A
// §4.5). Used by tests and by the bare-metal pager; the kernel model writes its own through its bus.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "platform/core/tlm_ext.h"
#include "platform/hwdefs/paging.h"

namespace pc::tb {

// Hands out physical 4 KiB frames from [base, end) in order; never frees.
class FrameAllocator {
 public:
  FrameAllocator(uint64_t base, uint64_t end) : m_next(base), m_end(end) {}
  // `bytes`-sized, `bytes`-aligned block (4 KiB, 2 MiB or 1 GiB). Throws std::runtime_error when exhausted.
  uint64_t alloc(uint64_t bytes = 4096);
  uint64_t allocated_bytes() const { return m_used; }

 private:
  uint64_t m_next, m_end, m_used = 0;
};

class PageTableBuilder : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<PageTableBuilder> mem_isock;

  PageTableBuilder(sc_core::sc_module_name name, FrameAllocator& frames, bool la57 = false);

  unsigned levels() const { return m_la57 ? 5 : 4; }
  // A new zeroed table page; returns its physical address.
  uint64_t new_table(sc_core::sc_time& d);
  uint64_t read_entry(uint64_t pa, sc_core::sc_time& d);
  void write_entry(uint64_t pa, uint64_t v, sc_core::sc_time& d);
  // Maps the page of `size` holding `va` to `pa` with leaf flags `leaf_flags` (kP is added, and kPS for
  // large pages). Missing tables are created with `table_flags`. Returns the leaf entry's address.
  uint64_t map(uint64_t cr3, uint64_t va, uint64_t pa, hw::paging::PageSize size, uint64_t leaf_flags,
               sc_core::sc_time& d,
               uint64_t table_flags = hw::paging::kP | hw::paging::kRW | hw::paging::kUS);
  // Physical address of the entry at `level` that translates `va`; 0 when a table above is not present.
  uint64_t entry_address(uint64_t cr3, uint64_t va, unsigned level, sc_core::sc_time& d);
  uint64_t tables_created() const { return m_tables; }
  FrameAllocator& frames() { return m_frames; }

 private:
  void transact(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len, sc_core::sc_time& d);
  FrameAllocator& m_frames;
  bool m_la57;
  uint64_t m_tables = 0;
  AccessExt m_ext;
};

}  // namespace pc::tb
