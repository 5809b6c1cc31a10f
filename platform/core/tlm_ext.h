// TLM-2.0 extension carried by every PageCycle transaction: who issued it and why, so caches, the
// DRAM controller and stats can attribute traffic (core data, instruction fetch, page walk, kernel, DMA).
#pragma once

#include <cstdint>
#include <cstring>
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
  // A cache writeback: the bytes are in memory already (caches keep tags only), so the target spends
  // the time and moves nothing. Carrying data would overwrite newer bytes written while it waited.
  bool timing_only = false;

  tlm::tlm_extension_base* clone() const override { return new AccessExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const AccessExt&>(e); }
};

// An atomic read-modify-write of 8 aligned bytes (a LOCK-prefixed instruction), performed by the target
// that owns the bytes at one instant, so no other agent's access can fall between its read and its
// write. The payload is a TLM_WRITE_COMMAND of 8 bytes (caches and interconnect treat it as a write that
// needs the line exclusively); its data pointer receives the old value. A target that cannot perform
// atomics (MMIO) answers TLM_COMMAND_ERROR_RESPONSE; an unmapped address is an address error as usual.
enum class AtomicOp : uint8_t {
  None,
  FetchOr,          // new = old | operand          (LOCK OR / BTS: set Accessed, Dirty)
  FetchAndNot,      // new = old & ~operand         (LOCK AND / BTR: ptep_test_and_clear_young)
  Exchange,         // new = operand                (XCHG: ptep_get_and_clear)
  CompareExchange,  // new = operand if old == expected (LOCK CMPXCHG: the walker's A/D update)
};

struct AtomicExt : tlm::tlm_extension<AtomicExt> {
  AtomicOp op = AtomicOp::None;
  uint64_t operand = 0;
  uint64_t expected = 0;  // CompareExchange only
  // Results, set by the target that performed the operation.
  bool performed = false;  // false until a target performed it (never on an error response)
  uint64_t old = 0;        // the value before (also copied to the payload's data pointer)

  bool succeeded() const { return performed && (op != AtomicOp::CompareExchange || old == expected); }
  tlm::tlm_extension_base* clone() const override { return new AtomicExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const AtomicExt&>(e); }
};

// The value an atomic leaves in memory, given the value `old` it found.
inline uint64_t atomic_result(const AtomicExt& a, uint64_t old) {
  switch (a.op) {
    case AtomicOp::FetchOr: return old | a.operand;
    case AtomicOp::FetchAndNot: return old & ~a.operand;
    case AtomicOp::Exchange: return a.operand;
    case AtomicOp::CompareExchange: return old == a.expected ? a.operand : old;
    case AtomicOp::None: break;
  }
  return old;
}

// The atomic carried by `gp`, or nullptr for a plain access.
inline AtomicExt* atomic_of(tlm::tlm_generic_payload& gp) {
  AtomicExt* a = gp.get_extension<AtomicExt>();
  return a && a->op != AtomicOp::None ? a : nullptr;
}

// Performs the atomic of `gp` on 8 bytes through `read`/`write` (callables on the target's own store,
// taking (uint8_t* buf, unsigned len)), which must not yield: the read and the write happen at one
// instant. Fills in the results; false (with the response status set) if the payload is malformed.
template <class Read, class Write>
bool perform_atomic(tlm::tlm_generic_payload& gp, AtomicExt& a, Read&& read, Write&& write) {
  if (gp.get_data_length() != 8 || (gp.get_address() & 7) || gp.get_byte_enable_ptr() || !gp.is_write()) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return false;
  }
  uint64_t old = 0;
  read(reinterpret_cast<uint8_t*>(&old), 8u);
  const uint64_t next = atomic_result(a, old);
  if (next != old) write(reinterpret_cast<const uint8_t*>(&next), 8u);
  a.old = old;
  a.performed = true;
  std::memcpy(gp.get_data_ptr(), &old, 8);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

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
