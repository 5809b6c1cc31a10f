// TLM-2.0 extension carried by every PageCycle transaction: who issued it and why, so caches, the
// DRAM controller and stats can attribute traffic (core data, instruction fetch, page walk, kernel, DMA).
#pragma once

#include <cstdint>
#include <tlm>

namespace pc {

enum class Requester : uint8_t { Core, Fetch, PageWalk, Kernel, Dma };

struct AccessExt : tlm::tlm_extension<AccessExt> {
  Requester requester = Requester::Core;
  uint16_t core = 0;     // issuing core (or DMA channel)
  bool locked = false;   // part of a locked read-modify-write (walker A/D updates)
  bool uncacheable = false;
  uint8_t level = 0;     // page walks: paging-structure level of the entry (1 PTE .. 5 PML5E)
  uint32_t walk_id = 0;  // page walks: the walk this access belongs to (per core, from 1)
  uint8_t served = 0;    // set by the caches: level that served it (1 L1, 2 L2, 3 LLC, 4 memory; 0 no cache)

  tlm::tlm_extension_base* clone() const override { return new AccessExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const AccessExt&>(e); }
};

// Sets up a plain (no byte enables, no streaming, no DMI) transaction for `len` bytes at `addr`.
inline void prepare_payload(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                            unsigned len) {
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace pc
