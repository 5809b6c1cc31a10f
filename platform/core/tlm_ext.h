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

}  // namespace pc
