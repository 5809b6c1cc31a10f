// Address router.
#include "models/interconnect/router.h"

#include <algorithm>
#include <stdexcept>

namespace pc::interconnect {

Router::Router(sc_core::sc_module_name name, std::vector<hw::MapEntry> map, sc_core::sc_time hop_latency,
               stats::Group& parent)
    : sc_module(name),
      tsock("tsock"),
      isock("isock"),
      m_map(std::move(map)),
      m_hop(hop_latency),
      m_stats(&parent, "router", "physical address router"),
      m_routed(m_stats, "routed", "transactions", "transactions forwarded to a target"),
      m_decode_errors(m_stats, "decode_errors", "transactions", "accesses to unmapped physical addresses") {
  for (size_t i = 0; i < m_map.size(); ++i)
    for (size_t j = i + 1; j < m_map.size(); ++j)
      if (m_map[i].base < m_map[j].base + m_map[j].size && m_map[j].base < m_map[i].base + m_map[i].size)
        throw std::invalid_argument("address map: windows '" + m_map[i].name + "' and '" + m_map[j].name +
                                    "' overlap");
  tsock.register_b_transport(this, &Router::b_transport);
  tsock.register_transport_dbg(this, &Router::transport_dbg);
  tsock.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  isock.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

int Router::decode(uint64_t addr, uint64_t len) const {
  for (size_t i = 0; i < m_map.size(); ++i) {
    const auto& e = m_map[i];
    if (addr >= e.base && addr - e.base < e.size && len <= e.size - (addr - e.base))
      return static_cast<int>(i);
  }
  return -1;
}

void Router::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t addr = gp.get_address();
  const int t = decode(addr, gp.get_data_length());
  delay += m_hop;
  if (t < 0) {
    ++m_decode_errors;
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  ++m_routed;
  gp.set_address(addr - m_map[t].base);
  isock[t]->b_transport(gp, delay);
  gp.set_address(addr);  // initiators see their own address again (TLM-2.0 base protocol rule)
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const int t = decode(addr, gp.get_data_length());
  if (t < 0) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  gp.set_address(addr - m_map[t].base);
  const unsigned int n = isock[t]->transport_dbg(gp);
  gp.set_address(addr);
  return n;
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const uint64_t addr = gp.get_address();
  const int t = decode(addr, 1);
  if (t < 0) {
    dmi.set_start_address(addr);
    dmi.set_end_address(addr);
    return false;
  }
  const hw::MapEntry& e = m_map[t];
  gp.set_address(addr - e.base);
  const bool ok = isock[t]->get_direct_mem_ptr(gp, dmi);
  gp.set_address(addr);
  // The region in the initiator's addresses, cut at the window's end (the pointer is that of its start).
  const uint64_t lo = dmi.get_start_address();
  if (lo >= e.size) {
    dmi.set_start_address(addr);
    dmi.set_end_address(addr);
    return false;
  }
  dmi.set_start_address(e.base + lo);
  dmi.set_end_address(e.base + std::min<uint64_t>(dmi.get_end_address(), e.size - 1));
  return ok;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  const hw::MapEntry& e = m_map[static_cast<size_t>(id)];
  const uint64_t lo = e.base + std::min<uint64_t>(start, e.size - 1);
  const uint64_t hi = e.base + std::min<uint64_t>(end, e.size - 1);
  for (unsigned i = 0; i < tsock.size(); ++i) tsock[i]->invalidate_direct_mem_ptr(lo, hi);
}

}  // namespace pc::interconnect
