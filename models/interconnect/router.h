// Address router built from the physical address map (platform/hwdefs/address_map.h). Initiators bind
// to tsock, targets to isock in map order; a target sees addresses relative to its window. An access
// outside every window is answered with TLM_ADDRESS_ERROR_RESPONSE for the initiator to report.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <systemc>
#include <tlm>
#include <vector>

#include "platform/core/stats.h"
#include "platform/hwdefs/address_map.h"

namespace pc::interconnect {

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> tsock;
  tlm_utils::multi_passthrough_initiator_socket<Router> isock;

  // `hop_latency` is added to every routed transaction.
  Router(sc_core::sc_module_name name, std::vector<hw::MapEntry> map, sc_core::sc_time hop_latency,
         stats::Group& parent);

  // Index into the map of the window holding [addr, addr+len), or -1.
  int decode(uint64_t addr, uint64_t len) const;
  const std::vector<hw::MapEntry>& map() const { return m_map; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& gp);
  // DMI passes through with the addresses moved between the window and the target (and the region
  // clipped to the window); an invalidation from a target reaches every initiator.
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  std::vector<hw::MapEntry> m_map;
  sc_core::sc_time m_hop;
  stats::Group m_stats;
  stats::Counter m_routed, m_decode_errors;
};

}  // namespace pc::interconnect
