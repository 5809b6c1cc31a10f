// A CPU core: an SC_THREAD that executes the operation stream of the context the kernel schedules on it.
// In-order and blocking: a memory access stalls the core for its full latency. Temporal decoupling
// with the TLM quantum keeper keeps the per-access path free of SystemC context switches.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <systemc>
#include <tlm>

#include "models/cache/cache_hierarchy.h"
#include "models/mmu/mmu.h"
#include "platform/core/clock.h"
#include "platform/core/config.h"
#include "platform/core/ordered_wake.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"
#include "platform/hwdefs/trap.h"

namespace pc::cpu {

struct CpuConfig {
  uint64_t cores = 2;             // number of cores
  uint64_t mem_issue_cycles = 1;  // cycles to issue one memory operation, before its memory latency
  std::string paging =
      "off";  // "off": linear address = physical address; "on": x86-64 paging through the MMU

  void describe(cfg::Visitor& v) {
    v.u64("cores", cores, "cores", "number of CPU cores", 1, 256);
    v.u64("mem_issue_cycles", mem_issue_cycles, "cycles", "issue cost of a memory operation", 0, 1000);
    v.str("paging", paging, "address translation: off (linear = physical) or on (4/5-level paging, mmu.*)",
          {"off", "on"});
  }
};

class Core : public sc_core::sc_module, public hw::Cpu {
 public:
  tlm_utils::simple_initiator_socket<Core> mem_isock;

  // `mmu_cfg` is used when cfg.paging is "on"; `make_mmu` builds the translation unit (when it is empty
  // or returns nullptr: the C++ Mmu). With a bare-metal `kernel` the core runs its own thread and calls
  // the kernel back; with nullptr it is driven: the kernel's task threads call run_user().
  Core(sc_core::sc_module_name name, unsigned id, const CpuConfig& cfg, const ClockDomain& clk,
       hw::KernelInterface* kernel, stats::Group& parent, const mmu::MmuConfig& mmu_cfg = mmu::MmuConfig{},
       const mmu::TranslatorFactory& make_mmu = {});
  // The payload would delete its extensions; m_ext is a member, so take it back first.
  ~Core() override { m_gp.clear_extension(&m_ext); }

  // hw::Cpu
  unsigned id() const override { return m_id; }
  hw::Trap run_user(hw::ExecContext& ctx) override;
  sc_core::sc_time take_local_time() override {
    const sc_core::sc_time t = m_qk.get_local_time();
    m_qk.set(sc_core::SC_ZERO_TIME);
    return t;
  }
  void give_local_time(const sc_core::sc_time& t) override { m_qk.set(t); }
  void set_need_resched() override { m_need_resched = true; }
  void set_resched_at(const sc_core::sc_time& at) override { m_resched_at = at; }
  void steal(uint64_t cycles) override {
    m_stolen += cycles;
    m_irq_cycles += cycles;
  }
  UserAccess kernel_access(uint64_t va, uint8_t* data, unsigned len, bool write,
                           sc_core::sc_time& delay) override;

  bool halted() const { return m_halted; }
  // Simulated time at which the core halted (valid once halted()).
  sc_core::sc_time halt_time() const { return m_halt_time; }
  uint64_t ops_done() const { return m_ops.value(); }
  uint64_t bus_errors() const { return m_bus_errors.value(); }
  uint64_t mem_accesses() const { return m_reads.value() + m_writes.value() + m_fetches.value(); }
  // The core's translation unit (nullptr with paging off).
  mmu::Translator* mmu() { return m_mmu.get(); }
  // The private caches mem_isock is bound to: an L1 hit is then served by a direct call (the same
  // counters, timing and data as through b_transport, without the socket hops). nullptr: none.
  void set_caches(cache::CoreCaches* c) { m_caches = c; }
  stats::Group& stats_group() { return m_stats; }

 private:
  SC_HAS_PROCESS(Core);
  void run();  // the bare-metal mode's thread
  // Executes a read/write/fetch; returns the status the context sees. With paging on, a page fault
  // leaves the op unexecuted (false) and sets m_fault_addr/m_fault_code. Charges ctx as it goes.
  struct MemOp {  // what access() needs of a memory op (copied: the context may reuse its op storage)
    hw::OpKind kind;
    uint8_t size;
    uint64_t vaddr;
    const uint8_t* wdata;
  };
  bool access(hw::ExecContext& ctx, const MemOp& op, uint8_t* rdata, hw::AccessStatus& st);
  // One bus transaction of an access: [addr, addr + chunk) within one line; `wdata` (writes) and `rdata`
  // (reads) point at its bytes. Inline into access(): its L1-hit path is the whole-platform hot path.
  __attribute__((always_inline)) bool access_chunk(hw::ExecContext& ctx, hw::OpKind kind, uint64_t addr,
                                                   unsigned chunk, const uint8_t* wdata, uint8_t* rdata,
                                                   hw::AccessStatus& st);
  // The end of an access that took `lat` and ends at user_now(): its memory time, latency sample and
  // charge.
  void finish_access(hw::ExecContext& ctx, const sc_core::sc_time& lat) {
    count_access(lat);
    charge(ctx, hw::Charge::MemStall, user_now());
  }
  void count_access(const sc_core::sc_time& lat) {
    m_mem_fs += lat.value();
    m_access_latency.sample(latency_cycles(lat));
  }
  // m_clk.to_cycles_exact(t), remembered for the last value (accesses mostly take the same latency).
  double latency_cycles(const sc_core::sc_time& t) {
    if (t.value() != m_lat_fs) {
      m_lat_fs = t.value();
      m_lat_cycles = m_clk.to_cycles_exact(t);
    }
    return m_lat_cycles;
  }
  // Charges the time from the last charge point up to `now` to `c` of the running context.
  void charge(hw::ExecContext& ctx, hw::Charge c, const sc_core::sc_time& now) {
    ctx.charges[c] += (now - m_mark).value();
    m_mark = now;
  }
  void charge(hw::ExecContext& ctx, hw::Charge c) { charge(ctx, c, local_now()); }
  // charge(ctx, c, user_now()) right after the local time moved on by `d` from the last charge point:
  // the same sums without reading the time.
  void charge_step(hw::ExecContext& ctx, hw::Charge c, const sc_core::sc_time& d) {
    ctx.charges[c] += d.value();
    m_mark += d;
  }
  sc_core::sc_time local_now() const { return sc_core::sc_time_stamp() + m_qk.get_local_time(); }
  // local_now() inside run_user: sc_time_stamp() changes only where this thread may wait (a page walk,
  // a transaction that misses L1, a sync), and m_ts is taken again after each of those.
  sc_core::sc_time user_now() const { return m_ts + m_qk.get_local_time(); }
  void advance(uint64_t cycles) { m_qk.inc(m_clk.cycles(cycles)); }
  void maybe_sync() {
    if (m_qk.need_sync()) m_qk.sync();
  }
  // maybe_sync() inside run_user.
  void user_maybe_sync() {
    if (user_now() >= m_qk.next_sync_point()) {
      m_qk.sync();
      m_ts = sc_core::sc_time_stamp();
      m_recheck = true;
    }
  }
  // ctx.retire(), or its fast form when `op` came from ctx.ready.
  static void retire(hw::ExecContext& ctx, const hw::Op* op, const uint8_t* rdata, hw::AccessStatus st) {
    if (op == ctx.ready.next)
      ++ctx.ready.next;
    else
      ctx.retire(rdata, st);
  }
  void bus_error(bool write, unsigned chunk, uint64_t pa, uint8_t* rdata, hw::AccessStatus& st);
  // The quantum keeper, with its next sync point readable (need_sync() without sc_time_stamp()).
  struct QuantumKeeper : tlm_utils::tlm_quantumkeeper {
    const sc_core::sc_time& next_sync_point() const { return m_next_sync_point; }
    // Under the modeled kernel a task's thread drives the core: its syncs keep the same-instant order
    // of the kernel's other waits (sim::OrderedWake).
    void sync() override {
      sim::OrderedWake::wait(m_local_time);
      reset();
    }
  };

  unsigned m_id;
  CpuConfig m_cfg;
  ClockDomain m_clk;
  hw::KernelInterface* m_kernel;  // bare-metal mode only
  QuantumKeeper m_qk;
  sc_core::sc_time m_ts;          // sc_time_stamp() in run_user (see user_now())
  sc_core::sc_time m_issue_time;  // mem_issue_cycles
  cache::CoreCaches* m_caches = nullptr;
  uint64_t m_lat_fs = 0;
  double m_lat_cycles = 0;
  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;
  bool m_halted = false;
  sc_core::sc_time m_halt_time;
  uint64_t m_mem_fs = 0;  // memory latency accumulated, in fs, converted to cycles at the end

  stats::Group m_stats;
  std::unique_ptr<mmu::TlmWalkMemory> m_walk_mem;
  std::unique_ptr<mmu::Translator> m_mmu;
  mmu::Mmu* m_cmmu = nullptr;  // m_mmu when it is the C++ Mmu (its TLB-hit path is inline)
  uint64_t m_fault_addr = 0;
  uint32_t m_fault_code = 0;
  sc_core::sc_time m_mark;  // the last charge point (absolute)
  bool m_need_resched = false;
  sc_core::sc_time m_resched_at = sc_core::sc_max_time();
  uint64_t m_stolen = 0;  // interrupt-handler cycles not yet taken from the running task
  // run_user may have waited (other processes ran) since its loop last took stolen cycles and IPIs.
  bool m_recheck = true;
  uint64_t m_xlate_fs = 0;  // translation latency accumulated, in fs

  stats::Counter m_ops, m_reads, m_writes, m_fetches, m_bytes_read, m_bytes_written, m_compute_cycles,
      m_syscalls, m_bus_errors, m_contexts;
  stats::Counter m_page_faults, m_fault_cycles, m_ipi_cycles, m_irq_cycles;
  stats::Formula m_mem_stall_cycles, m_translate_cycles, m_cycles;
  stats::Histogram m_access_latency;
  // The counters of an access by its kind (Read, Write, Fetch).
  stats::Counter* const m_kind_count[3] = {&m_reads, &m_writes, &m_fetches};
  stats::Counter* const m_kind_bytes[3] = {&m_bytes_read, &m_bytes_written, &m_bytes_read};
};

}  // namespace pc::cpu
