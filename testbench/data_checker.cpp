// Data checker shared by every workload context.
#include "testbench/data_checker.h"

#include <cstring>

#include "platform/core/log.h"
#include "testbench/workload/rng.h"

namespace pc::tb {
DataChecker::DataChecker(uint32_t owner, CheckTotals* totals) : m_owner(owner), m_totals(totals) {}

uint8_t DataChecker::data_byte(uint64_t addr, uint64_t seq) {
  return static_cast<uint8_t>(mix64((addr & ~7ull) ^ (seq * 0xd1342543de82ef95ull)) >> (8 * (addr & 7)));
}

void DataChecker::make_write(uint64_t addr, unsigned size, uint8_t* buf) {
  // The owner is folded into the sequence so that forked processes write distinct values.
  const uint64_t seq = (++m_seq) ^ (uint64_t{m_owner} << 40);
  for (unsigned i = 0; i < size; ++i) buf[i] = data_byte(addr + i, seq);
}

bool DataChecker::verify(const mem::BackingStore& shadow, uint64_t key, uint64_t addr, const uint8_t* data,
                         unsigned size) {
  uint8_t expect[64];
  shadow.read(key, expect, size);
  ++m_totals->reads_checked;
  if (std::memcmp(expect, data, size) == 0) return true;
  if (++m_totals->data_errors <= 10) {
    unsigned i = 0;
    while (expect[i] == data[i]) ++i;
    log::error("context {}: data mismatch at 0x{:x} (byte {} of {}): read 0x{:02x}, expected 0x{:02x}", m_owner,
               addr + i, i, size, data[i], expect[i]);
  }
  return false;
}

}  // namespace pc::tb
