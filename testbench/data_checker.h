// Data checking: writes carry deterministic values derived from address and write count; every read is
// compared with a shadow copy of what memory must hold. Shadows are sparse and keyed by the workload's
// own addresses, so they work with paging on or off and survive fork (clone).
#pragma once

#include <cstdint>
#include <memory>

#include "models/mem/backing_store.h"

namespace pc::tb {

struct CheckTotals {
  uint64_t reads_checked = 0;
  uint64_t data_errors = 0;
  uint64_t bus_errors = 0;
};

class DataChecker {
 public:
  static constexpr uint64_t kShadowSpan = 1ull << 48;  // 48-bit linear addresses

  DataChecker(uint32_t owner, CheckTotals* totals);
  // The value a write with sequence number `seq` stores at byte address `addr`.
  static uint8_t data_byte(uint64_t addr, uint64_t seq);
  // Fills `buf` with the bytes the next write of `size` at `addr` stores.
  void make_write(uint64_t addr, unsigned size, uint8_t* buf);
  // What a completed write did, recorded in `shadow` at `key` (the workload address, or an offset in a
  // shared mapping's own shadow).
  static void record(mem::BackingStore& shadow, uint64_t key, const uint8_t* data, unsigned size) {
    shadow.write(key, data, size);
  }
  // Compares a completed read with `shadow`; counts and reports a mismatch.
  bool verify(const mem::BackingStore& shadow, uint64_t key, uint64_t addr, const uint8_t* data, unsigned size);
  void bus_error() { ++m_totals->bus_errors; }
  static std::unique_ptr<mem::BackingStore> new_shadow() { return std::make_unique<mem::BackingStore>(kShadowSpan); }

 private:
  uint32_t m_owner;
  CheckTotals* m_totals;
  uint64_t m_seq = 0;
};

}  // namespace pc::tb
