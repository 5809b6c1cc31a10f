// The RTL translation unit (rtl/pc_mmu.sv, Verilated) behind mmu::Translator: translate() drives the
// request pins and clocks the model in the core's clock domain until it answers (TLM -> pins), its
// walker's memory port goes out through MemPortBridge on the core's memory socket (pins -> TLM), and the
// TLB-maintenance operations become invalidation cycles. Stats have the C++ Mmu's names and meaning.
//
// Time: cycle c of the unit is the absolute time c x period. A request at time `at` is presented in
// cycle ceil(at / period) (or later, if the unit is still busy); the answer's cycle is `done`. Cycles
// in which the unit only waits for a memory answer are skipped over (mmu.rtl.skip_idle_cycles), which is
// exact because rtl/pc_mmu.sv changes no state while it waits: the waveform shows a gap there.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cosim/mem_port_bridge.h"
#include "cosim/mmu_model.h"
#include "models/mmu/mmu_stats.h"
#include "models/mmu/translator.h"

namespace pc::cosim {

class RtlMmu : public mmu::Translator {
 public:
  // Throws cfg::ConfigError if `cfg` asks for a geometry the model was not built with.
  RtlMmu(unsigned core, const mmu::MmuConfig& cfg, const ClockDomain& clk, std::unique_ptr<MmuModel> model,
         tlm::tlm_initiator_socket<>& mem, stats::Group& core_stats);
  ~RtlMmu() override;

  mmu::Translation translate(uint64_t va, mmu::Access a, sc_core::sc_time at,
                             bool supervisor = false) override;
  void write_cr3(uint64_t v) override;
  uint64_t cr3() const override { return m_cr3; }
  void write_cr4(uint64_t v) override;
  uint64_t cr4() const override { return m_cr4; }
  void invlpg(uint64_t va) override;
  void invpcid(hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) override;
  void flush(const hw::FlushRequest& r) override;
  uint64_t take_stall_cycles() override {
    const uint64_t c = m_stall;
    m_stall = 0;
    return c;
  }
  void add_stall_cycles(uint64_t c) override { m_stall += c; }
  void count_shootdown_sent(hw::FlushCause c, unsigned targets) override;

  // How the last translation was answered (pins rsp_*).
  struct Answer {
    bool l1_hit = false, stlb_hit = false, walk = false, dirty_assist = false;
    uint8_t psc_level = 0;
    uint64_t cycle = 0;  // the cycle the request was presented in
  };
  const Answer& last_answer() const { return m_answer; }
  // Memory operations of every request are appended to `log` while set.
  void set_mem_log(std::vector<MemOp>* log) { m_port.set_log(log); }
  uint64_t cycle() const { return m_cycle; }
  uint64_t evals() const { return m_evals; }
  // Waveform of the unit for [from, to) of simulated time (to = 0: no end); closed when destroyed.
  void open_wave(const std::string& path, sc_core::sc_time from, sc_core::sc_time to);
  static std::string wave_path_for_core(const std::string& path, unsigned core);

 private:
  void half(bool clk);
  void clock();  // one full cycle with the current inputs
  void catch_up(uint64_t cycle);
  void invalidate(RtlInvScope tlb, bool keep_global, RtlInvScope psc, uint64_t va, uint16_t pcid);
  uint16_t pcid() const;
  void count_psc(uint8_t level);
  sc_core::sc_time time_of(uint64_t cycle) const { return m_clk.cycles(cycle); }

  unsigned m_core;
  mmu::MmuConfig m_cfg;
  ClockDomain m_clk;
  std::unique_ptr<MmuModel> m_model;
  MemPortBridge m_port;
  MmuIn m_in;
  MmuOut m_out;
  uint64_t m_cycle = 0;
  uint64_t m_evals = 0;
  uint64_t m_cr3 = 0, m_cr4 = 0, m_stall = 0;
  uint32_t m_walk_seq = 0;
  bool m_psc_any = false;
  Answer m_answer;
  bool m_wave = false;
  uint64_t m_wave_from_ps = 0, m_wave_to_ps = 0, m_last_dump_ps = 0;
  bool m_dumped = false;

  mmu::MmuStats m_st;
  stats::Group m_grtl;
  stats::Counter m_rtl_cycles, m_rtl_skipped;
};

}  // namespace pc::cosim
