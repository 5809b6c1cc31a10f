// Binds one Verilated class of rtl/pc_mmu.sv to MmuModel. Include it in exactly one .cpp per variant.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include "cosim/mmu_model.h"

namespace pc::cosim {

template <class V>
class VerilatedMmu final : public MmuModel {
 public:
  VerilatedMmu(const char* variant, const MmuGeometry& g) : m_variant(variant), m_geometry(g) {
    m_ctx.traceEverOn(true);
    m_top = std::make_unique<V>(&m_ctx, "pc_mmu");
  }
  ~VerilatedMmu() override {
    close_wave();
    m_top->final();
  }

  void eval(bool clk, const MmuIn& in, MmuOut& out) override {
    V& t = *m_top;
    t.clk = clk;
    t.rst_n = in.rst_n;
    t.cr3 = in.cr3;
    t.cr4_pge = in.cr4_pge;
    t.cr4_pcide = in.cr4_pcide;
    t.cfg_dirty_rmw = in.cfg_dirty_rmw;
    t.cfg_l1_lat = in.cfg_l1_lat;
    t.cfg_stlb_lat = in.cfg_stlb_lat;
    t.cfg_psc_lat = in.cfg_psc_lat;
    t.req_valid = in.req_valid;
    t.req_va = in.req_va;
    t.req_acc = static_cast<uint8_t>(in.req_acc);
    t.rsp_ready = in.rsp_ready;
    t.mreq_ready = in.mreq_ready;
    t.mrsp_valid = in.mrsp_valid;
    t.mrsp_rdata = in.mrsp_rdata;
    t.inv_valid = in.inv_valid;
    t.inv_scope = static_cast<uint8_t>(in.inv_scope);
    t.inv_keep_global = in.inv_keep_global;
    t.inv_psc_scope = static_cast<uint8_t>(in.inv_psc_scope);
    t.inv_vpn = in.inv_vpn;
    t.inv_pcid = in.inv_pcid;
    t.eval();
    out.req_ready = t.req_ready;
    out.rsp_valid = t.rsp_valid;
    out.rsp_fault = t.rsp_fault;
    out.rsp_ec = t.rsp_ec;
    out.rsp_pa = t.rsp_pa;
    out.rsp_l1_hit = t.rsp_l1_hit;
    out.rsp_stlb_hit = t.rsp_stlb_hit;
    out.rsp_walk = t.rsp_walk;
    out.rsp_dirty_assist = t.rsp_dirty_assist;
    out.rsp_psc_level = t.rsp_psc_level;
    out.walk_active = t.walk_active;
    out.walk_restart = t.walk_restart;
    out.walk_psc_level = t.walk_psc_level;
    out.mreq_valid = t.mreq_valid;
    out.mreq_op = static_cast<RtlMemOp>(t.mreq_op);
    out.mreq_addr = t.mreq_addr;
    out.mreq_wdata = t.mreq_wdata;
    out.mreq_cmp = t.mreq_cmp;
    out.mreq_level = t.mreq_level;
    out.mreq_uc = t.mreq_uc;
  }

  void open_wave(const std::string& path) override {
    close_wave();
    m_wave = std::make_unique<VerilatedFstC>();
    m_top->trace(m_wave.get(), 99);
    m_wave->open(path.c_str());
  }
  void dump(uint64_t time_ps) override {
    if (m_wave) m_wave->dump(time_ps);
  }
  void close_wave() override {
    if (m_wave) m_wave->close();
    m_wave.reset();
  }
  const MmuGeometry& geometry() const override { return m_geometry; }
  const char* variant() const override { return m_variant; }

 private:
  const char* m_variant;
  MmuGeometry m_geometry;
  VerilatedContext m_ctx;
  std::unique_ptr<V> m_top;
  std::unique_ptr<VerilatedFstC> m_wave;
};

}  // namespace pc::cosim
