// Physical address -> channel/rank/bank group/bank/row/column, for any ordering of the fields above the
// burst offset, with optional XOR bank hashing (as DRAMSys' and Ramulator's configurable mappers).
#pragma once

#include <cstdint>
#include <vector>

#include "models/dram/command.h"
#include "models/dram/ddr_config.h"

namespace pc::dram {

class AddressMapper {
 public:
  explicit AddressMapper(const DdrConfig& cfg);

  DramAddr decode(uint64_t addr) const;
  // The address of the first byte of the burst at `a` (the inverse of decode).
  uint64_t encode(const DramAddr& a) const;
  unsigned offset_bits() const { return m_offset_bits; }

 private:
  // Per mapping field (indexed by MapField) its shift and mask in the address; a field the mapping does
  // not name keeps mask 0. decode and encode read one slice per DramAddr member, without a switch (decode
  // runs for every burst).
  struct Slice {
    unsigned shift = 0;
    uint64_t mask = 0;
  };
  Slice m_slice[6];
  unsigned m_offset_bits;
  unsigned m_bank_bits, m_bg_bits;
  bool m_xor;
};

}  // namespace pc::dram
