// Address mapping.
#include "models/dram/address_mapper.h"

namespace pc::dram {
namespace {
unsigned log2u(uint64_t v) {
  unsigned n = 0;
  while ((1ull << n) < v) ++n;
  return n;
}
}  // namespace

AddressMapper::AddressMapper(const DdrConfig& cfg)
    : m_offset_bits(log2u(cfg.org.burst_bytes())),
      m_bank_bits(log2u(cfg.org.banks_per_group)),
      m_bg_bits(log2u(cfg.org.bank_groups)),
      m_xor(cfg.ctrl.xor_hash) {
  const auto order = cfg.mapping_fields("dram.ddr.ctrl.mapping");
  auto width = [&](MapField f) -> unsigned {
    switch (f) {
      case MapField::Row: return log2u(cfg.org.rows);
      case MapField::Rank: return log2u(cfg.org.ranks);
      case MapField::BankGroup: return m_bg_bits;
      case MapField::Bank: return m_bank_bits;
      case MapField::Column: return log2u(cfg.org.bursts_per_row());
      case MapField::Channel: return log2u(cfg.org.channels);
    }
    return 0;
  };
  // The list is most significant first: lay the fields out from the least significant end.
  unsigned shift = m_offset_bits;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    m_fields.push_back({*it, shift, width(*it)});
    shift += width(*it);
  }
  for (const auto& f : m_fields) {
    const Slice s{f.shift, (1ull << f.bits) - 1};
    switch (f.f) {
      case MapField::Row:
        m_row = s;
        break;
      case MapField::Rank:
        m_rank = s;
        break;
      case MapField::BankGroup:
        m_bank_group = s;
        break;
      case MapField::Bank:
        m_bank = s;
        break;
      case MapField::Column:
        m_column = s;
        break;
      case MapField::Channel:
        m_channel = s;
        break;
    }
  }
}

DramAddr AddressMapper::decode(uint64_t addr) const {
  auto field = [addr](const Slice& s) { return static_cast<uint32_t>((addr >> s.shift) & s.mask); };
  DramAddr a;
  a.channel = field(m_channel);
  a.rank = field(m_rank);
  a.bank_group = field(m_bank_group);
  a.bank = field(m_bank);
  a.row = field(m_row);
  a.column = field(m_column);
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
  for (const auto& f : m_fields) {
    uint64_t v = 0;
    switch (f.f) {
      case MapField::Row: v = a.row; break;
      case MapField::Rank: v = a.rank; break;
      case MapField::BankGroup: v = a.bank_group; break;
      case MapField::Bank: v = a.bank; break;
      case MapField::Column: v = a.column; break;
      case MapField::Channel: v = a.channel; break;
    }
    addr |= (v & ((1ull << f.bits) - 1)) << f.shift;
  }
  return addr;
}

}  // namespace pc::dram
