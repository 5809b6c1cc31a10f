// Differential checking of the RTL translation unit against the C++ Mmu (the reference). Every request
// goes to the RTL first; the reference then translates the same request against the same memory: its
// walker's reads and compare-exchanges are answered from what the RTL's memory port saw, in order
// (ReplayWalkMemory), so both judge the same page-table contents even when another agent changes them
// during the walk. An invalidation that reached the RTL while one of its memory operations was in
// flight reaches the reference during the same operation of its own walk, so both restart alike. The answer
// (fault, error code, physical address), how it was found (L1 hit, STLB hit, walk, dirty assist) and the
// sequence of memory operations (addresses read, compare-exchanges with expected and new value) must agree.
// The first divergence is kept with everything needed to debug it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cosim/rtl_mmu.h"
#include "models/mmu/mmu.h"

namespace pc::cosim {

// A functional (untimed) read of 8 bytes of physical memory: the reference's fallback once it asks for
// something the RTL did not read.
using DebugRead = std::function<uint64_t(uint64_t pa)>;

// The reference walker's memory: the RTL's operations of the current request, replayed in order.
class ReplayWalkMemory : public mmu::WalkMemory {
 public:
  explicit ReplayWalkMemory(DebugRead fallback) : m_fallback(std::move(fallback)) {}
  // `during[i]`: invalidations that arrived while the RTL's operation i was in flight.
  void load(const MemOp* ops, size_t n, std::vector<std::pair<size_t, std::function<void()>>>* during) {
    m_dut = ops;
    m_n = n;
    m_next = 0;
    m_ops.clear();
    m_mismatch = false;
    m_during = during;
  }
  uint64_t read_pte(uint64_t pa, bool uncacheable, sc_core::sc_time& delay, uint8_t& served) override;
  uint64_t cmpxchg_pte(uint64_t pa, uint64_t expected, uint64_t desired, bool uncacheable,
                       sc_core::sc_time& delay, uint8_t& served) override;
  void tag(uint32_t, uint8_t level) override { m_level = level; }
  const std::vector<MemOp>& ops() const { return m_ops; }

 private:
  // The RTL's answer to the reference's next operation if both issued the same one, else memory's.
  uint64_t answer(MemOp& op);
  DebugRead m_fallback;
  const MemOp* m_dut = nullptr;
  size_t m_n = 0, m_next = 0;
  std::vector<MemOp> m_ops;
  bool m_mismatch = false;
  uint8_t m_level = 0;
  std::vector<std::pair<size_t, std::function<void()>>>* m_during = nullptr;
};

struct Divergence {
  struct Side {
    bool fault = false;
    uint32_t error_code = 0;
    uint64_t pa = 0;
    bool l1_hit = false, stlb_hit = false, walk = false, dirty_assist = false;
    std::vector<MemOp> ops;
  };
  unsigned core = 0;
  uint64_t request = 0;  // 1-based index of the request on this core
  uint64_t cycle = 0;    // the RTL cycle the request was presented in
  uint64_t va = 0;
  mmu::Access access = mmu::Access::Read;
  uint64_t cr3 = 0;
  std::string field;  // what differs first
  Side rtl, cpp;
  std::string report() const;
};

class DiffChecker : public mmu::Translator {
 public:
  DiffChecker(unsigned core, const mmu::MmuConfig& cfg, const ClockDomain& clk, std::unique_ptr<RtlMmu> dut,
              DebugRead read, stats::Group& core_stats);
  ~DiffChecker() override;

  mmu::Translation translate(uint64_t va, mmu::Access a, sc_core::sc_time at,
                             bool supervisor = false) override;
  void write_cr3(uint64_t v) override;
  uint64_t cr3() const override { return m_dut->cr3(); }
  void write_cr4(uint64_t v) override;
  uint64_t cr4() const override { return m_dut->cr4(); }
  void invlpg(uint64_t va) override;
  void invpcid(hw::paging::InvpcidType type, uint16_t pcid, uint64_t va) override;
  void flush(const hw::FlushRequest& r) override;
  uint64_t take_stall_cycles() override { return m_dut->take_stall_cycles(); }
  void add_stall_cycles(uint64_t c) override { m_dut->add_stall_cycles(c); }
  void count_shootdown_sent(hw::FlushCause c, unsigned targets) override {
    m_dut->count_shootdown_sent(c, targets);
  }

  // At the first divergence: stop (throw std::runtime_error with the report) instead of counting on.
  void set_stop_on_divergence(bool stop) { m_stop = stop; }
  uint64_t checked() const { return m_checked.value(); }
  uint64_t divergences() const { return m_divergences.value(); }
  const std::optional<Divergence>& first_divergence() const { return m_first; }
  RtlMmu& dut() { return *m_dut; }
  // The RTL's memory operations of the last request.
  const std::vector<MemOp>& last_rtl_ops() const { return m_log; }
  mmu::Mmu& reference() { return *m_ref; }

 private:
  uint64_t ref_count(const stats::Counter* c) const { return c ? c->value() : 0; }
  // Applies a maintenance operation to both; the reference's waits for the RTL's request in flight.
  void both(const std::function<void(mmu::Translator&)>& f);

  unsigned m_core;
  std::unique_ptr<RtlMmu> m_dut;
  std::vector<MemOp> m_log;
  ReplayWalkMemory m_ref_mem;
  stats::Group m_ref_root;  // the reference's stats stay out of the run's tree
  std::unique_ptr<mmu::Mmu> m_ref;
  const stats::Counter *m_ref_l1d_hits = nullptr, *m_ref_l1i_hits = nullptr, *m_ref_stlb_hits = nullptr,
                       *m_ref_walks = nullptr, *m_ref_assists = nullptr;
  sc_core::sc_time m_ref_time;
  bool m_in_request = false;
  std::vector<std::pair<size_t, std::function<void()>>> m_during;
  bool m_stop = false;
  stats::Group m_stats;
  stats::Counter m_checked, m_divergences;
  std::optional<Divergence> m_first;
};

}  // namespace pc::cosim
