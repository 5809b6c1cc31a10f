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
  struct Field {
    MapField f;
    unsigned shift, bits;
  };
  std::vector<Field> m_fields;
  // decode()'s view of m_fields: per DramAddr member (channel, rank, bank group, bank, row, column in
  // their declaration order) the shift and mask of its field; a member no field names keeps mask 0. One
  // line per member instead of a switch per field: decode runs for every burst.
  struct Slice {
    unsigned shift = 0;
    uint64_t mask = 0;
  };
  Slice m_channel, m_rank, m_bank_group, m_bank, m_row, m_column;
  unsigned m_offset_bits;
  unsigned m_bank_bits, m_bg_bits;
  bool m_xor;
};

}  // namespace pc::dram
