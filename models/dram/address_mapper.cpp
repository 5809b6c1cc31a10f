// Address mapping.
#include "models/dram/address_mapper.h"

namespace pc::dram {
namespace {
unsigned log2u(uint64_t v) {
  unsigned n = 0;
  while ((1ull << n) < v) ++n;
  return n;
}
// The DramAddr member of each MapField, in the enum's order.
constexpr uint32_t DramAddr::*kMember[6] = {&DramAddr::row,  &DramAddr::rank,   &DramAddr::bank_group,
                                            &DramAddr::bank, &DramAddr::column, &DramAddr::channel};
static_assert(static_cast<unsigned>(MapField::Channel) == 5);
}  // namespace

AddressMapper::AddressMapper(const DdrConfig& cfg)
    : m_offset_bits(log2u(cfg.org.burst_bytes())),
      m_bank_bits(log2u(cfg.org.banks_per_group)),
      m_bg_bits(log2u(cfg.org.bank_groups)),
      m_xor(cfg.ctrl.xor_hash) {
  const auto order = cfg.mapping_fields("dram.ddr.ctrl.mapping");
  auto width = [&](MapField f) -> unsigned {
    switch (f) {
      case MapField::Row:
        return log2u(cfg.org.rows);
      case MapField::Rank:
        return log2u(cfg.org.ranks);
      case MapField::BankGroup:
        return m_bg_bits;
      case MapField::Bank:
        return m_bank_bits;
      case MapField::Column:
        return log2u(cfg.org.bursts_per_row());
      case MapField::Channel:
        return log2u(cfg.org.channels);
    }
    return 0;
  };
  // The list is most significant first: lay the fields out from the least significant end.
  unsigned shift = m_offset_bits;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    m_slice[static_cast<unsigned>(*it)] = Slice{shift, (1ull << width(*it)) - 1};
    shift += width(*it);
  }
}

DramAddr AddressMapper::decode(uint64_t addr) const {
  auto field = [&](MapField f) {
    const Slice& s = m_slice[static_cast<unsigned>(f)];
    return static_cast<uint32_t>((addr >> s.shift) & s.mask);
  };
  // One line per member rather than a loop over kMember: GCC does not unroll that one (54 instructions
  // a decode against 97), and decode runs for every burst.
  DramAddr a;
  a.channel = field(MapField::Channel);
  a.rank = field(MapField::Rank);
  a.bank_group = field(MapField::BankGroup);
  a.bank = field(MapField::Bank);
  a.row = field(MapField::Row);
  a.column = field(MapField::Column);
  if (m_xor) {
    // Rows that differ only in their low bits land in different banks, so a stride that would hit one
    // bank again and again (row conflicts) is spread across banks and bank groups.
    a.bank ^= a.row & ((1u << m_bank_bits) - 1);
    a.bank_group ^= (a.row >> m_bank_bits) & ((1u << m_bg_bits) - 1);
  }
  return a;
}

uint64_t AddressMapper::encode(const DramAddr& in) const {
  DramAddr a = in;
  if (m_xor) {
    a.bank ^= a.row & ((1u << m_bank_bits) - 1);
    a.bank_group ^= (a.row >> m_bank_bits) & ((1u << m_bg_bits) - 1);
  }
  uint64_t addr = 0;
  for (unsigned f = 0; f < 6; ++f) addr |= (uint64_t(a.*kMember[f]) & m_slice[f].mask) << m_slice[f].shift;
  return addr;
}

}  // namespace pc::dram
