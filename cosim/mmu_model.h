// The pins of rtl/pc_mmu.sv as plain C++ values, and the Verilated model behind them. One MmuModel is one
// instance of the RTL with its own VerilatedContext; variants (TLB geometry, the test-only injected bug)
// are separate Verilated classes, each bound by mmu_model_impl.h in its own translation unit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/mmu/mmu_config.h"

namespace pc::cosim {

// Encodings shared with rtl/pc_mmu_pkg.sv.
enum class RtlAcc : uint8_t { Read = 0, Write = 1, Fetch = 2 };
enum class RtlInvScope : uint8_t { Addr = 0, Pcid = 1, All = 2 };
enum class RtlMemOp : uint8_t { Read = 0, CompareExchange = 1 };

struct MmuIn {
  bool rst_n = false;
  uint64_t cr3 = 0;
  bool cr4_pge = false, cr4_pcide = false, cfg_dirty_rmw = false;
  uint8_t cfg_l1_lat = 0, cfg_stlb_lat = 1, cfg_psc_lat = 1;
  bool req_valid = false;
  uint64_t req_va = 0;  // bits 47:0
  RtlAcc req_acc = RtlAcc::Read;
  bool rsp_ready = true;
  bool mreq_ready = false;
  bool mrsp_valid = false;
  uint64_t mrsp_rdata = 0;
  bool inv_valid = false;
  RtlInvScope inv_scope = RtlInvScope::Addr;
  bool inv_keep_global = false;
  RtlInvScope inv_psc_scope = RtlInvScope::Pcid;
  uint64_t inv_vpn = 0;  // linear-address bits 47:12
  uint16_t inv_pcid = 0;
};

struct MmuOut {
  bool req_ready = false, rsp_valid = false, rsp_fault = false;
  uint8_t rsp_ec = 0;
  uint64_t rsp_pa = 0;
  bool rsp_l1_hit = false, rsp_stlb_hit = false, rsp_walk = false, rsp_dirty_assist = false;
  uint8_t rsp_psc_level = 0;
  bool walk_active = false, walk_restart = false;
  uint8_t walk_psc_level = 0;
  bool mreq_valid = false;
  RtlMemOp mreq_op = RtlMemOp::Read;
  uint64_t mreq_addr = 0, mreq_wdata = 0, mreq_cmp = 0;
  uint8_t mreq_level = 0;
  bool mreq_uc = false;
};

// The compile-time parameters a variant was built with (checked against mmu.* before it is used).
struct MmuGeometry {
  mmu::TlbArrayConfig dtlb[3], itlb[3], stlb[3];  // [4K, 2M, 1G]
  uint64_t psc_pml4 = 0, psc_pdpt = 0, psc_pd = 0;
  bool fifo = false;
};

class MmuModel {
 public:
  virtual ~MmuModel() = default;
  // Drives `in` with the clock at `clk`, evaluates, and reads every output into `out`.
  virtual void eval(bool clk, const MmuIn& in, MmuOut& out) = 0;
  // Starts an FST waveform of every signal; dump() then records the current values at `time_ps`.
  virtual void open_wave(const std::string& path) = 0;
  virtual void dump(uint64_t time_ps) = 0;
  virtual void close_wave() = 0;
  virtual const MmuGeometry& geometry() const = 0;
  virtual const char* variant() const = 0;
};

// The variants built into the platform: "nehalem" (the geometry of the default platform and of
// --preset nehalem). Tests add "nehalem-bug" (see tests/cosim). Unknown name: nullptr.
std::unique_ptr<MmuModel> make_mmu_model(const std::string& variant);

}  // namespace pc::cosim
