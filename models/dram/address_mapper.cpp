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
}

DramAddr AddressMapper::decode(uint64_t addr) const {
  DramAddr a;
  for (const auto& f : m_fields) {
    const uint32_t v = static_cast<uint32_t>((addr >> f.shift) & ((1ull << f.bits) - 1));
    switch (f.f) {
      case MapField::Row: a.row = v; break;
      case MapField::Rank: a.rank = v; break;
      case MapField::BankGroup: a.bank_group = v; break;
      case MapField::Bank: a.bank = v; break;
      case MapField::Column: a.column = v; break;
      case MapField::Channel: a.channel = v; break;
    }
  }
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
