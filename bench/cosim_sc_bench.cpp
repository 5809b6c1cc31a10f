// --sc: rtl/pc_mmu.sv Verilated as a SystemC module (ports are sc_in/sc_out bound to sc_signals, clocked
// by an sc_clock, evaluated by the SystemC kernel at each edge). Prints clock cycles per host CPU second,
// idle and with a translation request every cycle; pc_cosim_bench prints the same for --cc. Built with
// -DPC_COSIM_SC_BENCH=ON only (one Verilator runtime per binary: this one is compiled for SystemC).
#include <fmt/format.h>

#include <ctime>
#include <systemc>

#include "Vpc_mmu_sc.h"

namespace {
double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}
}  // namespace

SC_MODULE(ScDriver) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_out<bool> rst_n, req_valid;
  sc_core::sc_out<uint64_t> req_va;
  uint64_t cycles = 0;
  bool requests = false;
  SC_CTOR(ScDriver) {
    SC_THREAD(run);
  }
  void run() {
    rst_n.write(false);
    wait(clk.posedge_event());
    wait(clk.posedge_event());
    rst_n.write(true);
    for (;;) {
      wait(clk.posedge_event());
      req_valid.write(requests);
      req_va.write(0x10000000);
      ++cycles;
    }
  }
};

int sc_main(int argc, char** argv) {
  // SystemC's default 1 ps resolution: the Verilated module's timeprecision.
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  // --sc: every port through a signal.
  sc_core::sc_clock clk("clk", 1, sc_core::SC_NS);
  Vpc_mmu_sc top("top");
  ScDriver drv("drv");
  sc_core::sc_signal<bool> rst_n, req_valid, cr4_pge, cr4_pcide, dirty_rmw, rsp_ready, mreq_ready, mrsp_valid,
      inv_valid, inv_keep, req_ready, rsp_valid, rsp_fault, l1, stlb, walk, da, wact, wrst, mreq_valid,
      mreq_op, mreq_uc;
  sc_core::sc_signal<uint64_t> cr3, req_va, mrsp_rdata, inv_vpn, rsp_pa, mreq_addr, mreq_wdata, mreq_cmp;
  sc_core::sc_signal<uint32_t> l1_lat, stlb_lat, psc_lat, req_acc, inv_scope, inv_psc_scope, inv_pcid, rsp_ec,
      psc_level, wpsc, mreq_level;
  top.clk(clk);
  top.rst_n(rst_n);
  top.cr3(cr3);
  top.cr4_pge(cr4_pge);
  top.cr4_pcide(cr4_pcide);
  top.cfg_dirty_rmw(dirty_rmw);
  top.cfg_l1_lat(l1_lat);
  top.cfg_stlb_lat(stlb_lat);
  top.cfg_psc_lat(psc_lat);
  top.req_valid(req_valid);
  top.req_ready(req_ready);
  top.req_va(req_va);
  top.req_acc(req_acc);
  top.rsp_valid(rsp_valid);
  top.rsp_ready(rsp_ready);
  top.rsp_fault(rsp_fault);
  top.rsp_ec(rsp_ec);
  top.rsp_pa(rsp_pa);
  top.rsp_l1_hit(l1);
  top.rsp_stlb_hit(stlb);
  top.rsp_walk(walk);
  top.rsp_dirty_assist(da);
  top.rsp_psc_level(psc_level);
  top.walk_active(wact);
  top.walk_restart(wrst);
  top.walk_psc_level(wpsc);
  top.mreq_valid(mreq_valid);
  top.mreq_ready(mreq_ready);
  top.mreq_op(mreq_op);
  top.mreq_addr(mreq_addr);
  top.mreq_wdata(mreq_wdata);
  top.mreq_cmp(mreq_cmp);
  top.mreq_level(mreq_level);
  top.mreq_uc(mreq_uc);
  top.mrsp_valid(mrsp_valid);
  top.mrsp_rdata(mrsp_rdata);
  top.inv_valid(inv_valid);
  top.inv_scope(inv_scope);
  top.inv_keep_global(inv_keep);
  top.inv_psc_scope(inv_psc_scope);
  top.inv_vpn(inv_vpn);
  top.inv_pcid(inv_pcid);
  drv.clk(clk);
  drv.rst_n(rst_n);
  drv.req_valid(req_valid);
  drv.req_va(req_va);
  rsp_ready.write(true);
  sc_core::sc_start(10, sc_core::SC_NS);
  double t0 = cpu_seconds();
  sc_core::sc_start(static_cast<double>(n), sc_core::SC_NS);
  const double sc_idle = static_cast<double>(n) / (cpu_seconds() - t0) / 1e6;
  drv.requests = true;  // every cycle a request (a miss walks: its memory port never answers, so it waits)
  t0 = cpu_seconds();
  sc_core::sc_start(static_cast<double>(n), sc_core::SC_NS);
  const double sc_busy = static_cast<double>(n) / (cpu_seconds() - t0) / 1e6;

  fmt::print("{:<28} {:>14} {:>14}\n", "M cycles per host CPU s", "idle", "requesting");
  fmt::print("{:<28} {:>14.3f} {:>14.3f}\n", "--sc (SystemC ports)", sc_idle, sc_busy);
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
