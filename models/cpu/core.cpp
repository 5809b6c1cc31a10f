// CPU core executing operation streams.
#include "models/cpu/core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "platform/core/log.h"

namespace pc::cpu {

using sc_core::sc_time;

Core::Core(sc_core::sc_module_name name, unsigned id, const CpuConfig& cfg, const ClockDomain& clk,
           hw::KernelInterface* kernel, stats::Group& parent, const mmu::MmuConfig& mmu_cfg,
           const mmu::TranslatorFactory& make_mmu)
    : sc_module(name),
      mem_isock("mem_isock"),
      m_id(id),
      m_cfg(cfg),
      m_clk(clk),
      m_kernel(kernel),
      m_issue_time(clk.cycles(cfg.mem_issue_cycles)),
      m_stats(&parent, "core" + std::to_string(id), "CPU core"),
      m_ops(m_stats, "ops", "ops", "operations retired"),
      m_reads(m_stats, "reads", "accesses", "data reads"),
      m_writes(m_stats, "writes", "accesses", "data writes"),
      m_fetches(m_stats, "fetches", "accesses", "instruction fetches"),
      m_bytes_read(m_stats, "bytes_read", "bytes", "bytes read (data and fetch)"),
      m_bytes_written(m_stats, "bytes_written", "bytes", "bytes written"),
      m_compute_cycles(m_stats, "compute_cycles", "cycles", "cycles spent in compute operations"),
      m_syscalls(m_stats, "syscalls", "calls", "system calls trapped to the kernel"),
      m_bus_errors(m_stats, "bus_errors", "accesses",
                   "accesses answered with a TLM error (unmapped address)"),
      m_contexts(m_stats, "contexts", "contexts", "contexts scheduled on this core"),
      m_page_faults(m_stats, "page_faults", "faults", "page faults raised to the kernel"),
      m_fault_cycles(m_stats, "fault_cycles", "cycles", "cycles the kernel's page-fault handler cost"),
      m_ipi_cycles(m_stats, "ipi_cycles", "cycles", "cycles lost handling TLB-shootdown IPIs"),
      m_irq_cycles(m_stats, "irq_cycles", "cycles",
                   "cycles interrupt handlers took from whatever ran on this core"),
      m_mem_stall_cycles(m_stats, "mem_stall_cycles", "cycles", "cycles stalled waiting for memory",
                         [this] { return m_clk.to_cycles_exact(sc_time::from_value(m_mem_fs)); }),
      m_translate_cycles(m_stats, "translate_cycles", "cycles",
                         "cycles spent translating (TLB lookups and page walks)",
                         [this] { return m_clk.to_cycles_exact(sc_time::from_value(m_xlate_fs)); }),
      m_cycles(m_stats, "cycles", "cycles", "cycles from start until the core halted",
               [this] { return static_cast<double>(m_clk.to_cycles(m_halted ? m_halt_time : local_now())); }),
      m_access_latency(m_stats, "access_latency", "cycles", "latency of one memory access") {
  static_assert(static_cast<unsigned>(hw::OpKind::Read) == 0 &&
                static_cast<unsigned>(hw::OpKind::Write) == 1 &&
                static_cast<unsigned>(hw::OpKind::Fetch) == 2);
  m_ext.requester = Requester::Core;
  m_ext.core = static_cast<uint16_t>(id);
  // Before the payload owns a pointer to m_ext: an MMU config error unwinds this constructor.
  if (cfg.paging == "on" && make_mmu) m_mmu = make_mmu(id, mmu_cfg, clk, mem_isock, m_stats);
  if (cfg.paging == "on" && !m_mmu) {  // no factory, or it leaves this core to the C++ Mmu
    m_walk_mem = std::make_unique<mmu::TlmWalkMemory>(mem_isock, static_cast<uint16_t>(id));
    m_mmu = std::make_unique<mmu::Mmu>(id, mmu_cfg, clk, *m_walk_mem, m_stats);
  }
  m_cmmu = dynamic_cast<mmu::Mmu*>(m_mmu.get());
  m_gp.set_extension(&m_ext);
  if (m_kernel) SC_THREAD(run);
}

bool Core::access(hw::ExecContext& ctx, const MemOp& op, uint8_t* rdata, hw::AccessStatus& st) {
  st = hw::AccessStatus::Ok;
  // An access that crosses a 64-byte line is two bus transactions, as on x86.
  const unsigned room = 64 - static_cast<unsigned>(op.vaddr & 63);
  if (op.size <= room) return access_chunk(ctx, op.kind, op.vaddr, op.size, op.wdata, rdata, st);
  return access_chunk(ctx, op.kind, op.vaddr, room, op.wdata, rdata, st) &&
         access_chunk(ctx, op.kind, op.vaddr + room, op.size - room, op.wdata ? op.wdata + room : nullptr,
                      rdata + room, st);
}

inline bool Core::access_chunk(hw::ExecContext& ctx, hw::OpKind kind, uint64_t addr, unsigned chunk,
                               const uint8_t* wdata, uint8_t* rdata, hw::AccessStatus& st) {
  const bool write = kind == hw::OpKind::Write;
  const bool fetch = kind == hw::OpKind::Fetch;
  uint64_t pa = addr;
  const mmu::Access acc = write ? mmu::Access::Write : fetch ? mmu::Access::Fetch : mmu::Access::Read;
  sc_time x;
  // m_cmmu is set only with m_mmu.
  if (m_cmmu && m_cmmu->translate_hit(addr, acc, pa, x)) {
    // A TLB hit waits nowhere: its latency only moves the local time on (the general case below
    // comes to the same, as tr.done = at + latency >= m_ts).
    m_xlate_fs += x.value();
    m_qk.inc(x);
    charge_step(ctx, hw::Charge::PageWalk, x);
  } else if (m_mmu) {
    // TLB hits are annotated on the local time; only a walk's memory accesses may synchronize.
    m_recheck = true;
    const sc_time at = user_now();
    const mmu::Translation tr = m_mmu->translate(addr, acc, at);
    if (!tr.tlb_hit) m_ts = sc_core::sc_time_stamp();
    m_xlate_fs += (tr.done - at).value();
    m_qk.set(tr.done >= m_ts ? tr.done - m_ts : delay_until(tr.done, "core: translation"));
    charge(ctx, hw::Charge::PageWalk, user_now());
    if (tr.fault) {
      m_fault_addr = addr;
      m_fault_code = tr.error_code;
      return false;
    }
    pa = tr.pa;
  }
  uint8_t* data = write ? const_cast<uint8_t*>(wdata) : rdata;
  sc_time lat;
  // An L1 hit to a page the caches hold a DMI pointer to needs no payload (nor can it fail).
  if (m_caches && m_caches->l1_hit_dmi(pa, chunk, write, fetch, data, lat)) {
    // Served by L1 at once, as b_transport would have: the latency lands on the local time.
    m_ext.requester = fetch ? Requester::Fetch : Requester::Core;
    m_ext.served = 1;
    m_qk.inc(lat);
    count_access(lat);
    charge_step(ctx, hw::Charge::MemStall, lat);
    return true;
  }
  m_recheck = true;  // a miss may wait
  m_ext.requester = fetch ? Requester::Fetch : Requester::Core;
  prepare_payload(m_gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, pa, data, chunk);
  const auto hit = m_caches ? m_caches->l1_hit(m_gp, fetch, lat) : cache::CoreCaches::L1Hit::No;
  if (hit != cache::CoreCaches::L1Hit::No) {
    m_ext.served = 1;
    m_qk.inc(lat);
  } else {
    sc_time delay = m_qk.get_local_time();
    // A target that synchronizes (the DDR controller) spends the local time in wait() and returns a
    // delay relative to the new time stamp: measure the latency on absolute time.
    const sc_time start = m_ts + delay;
    mem_isock->b_transport(m_gp, delay);
    m_ts = sc_core::sc_time_stamp();
    lat = m_ts + delay - start;
    m_qk.set(delay);
  }
  finish_access(ctx, lat);
  if (m_gp.is_response_error()) bus_error(write, chunk, pa, rdata, st);
  return true;
}

void Core::bus_error(bool write, unsigned chunk, uint64_t pa, uint8_t* rdata, hw::AccessStatus& st) {
  st = hw::AccessStatus::BusError;
  if ((++m_bus_errors).value() <= 10)
    log::warn("{}: {} of {} bytes at physical 0x{:x}: {}", name(), write ? "write" : "read", chunk, pa,
              m_gp.get_response_string());
  if (!write) std::memset(rdata, 0, chunk);
}

hw::Cpu::UserAccess Core::kernel_access(uint64_t va, uint8_t* data, unsigned len, bool write,
                                        sc_time& delay) {
  if ((va & 63) + len > 64) throw std::logic_error("kernel_access: the access crosses a cache line");
  uint64_t pa = va;
  if (m_mmu) {
    const sc_time at = sc_core::sc_time_stamp() + delay;
    const auto tr = m_mmu->translate(va, write ? mmu::Access::Write : mmu::Access::Read, at, true);
    m_xlate_fs += (tr.done - at).value();
    delay = delay_until(tr.done, "core: kernel translation");
    if (tr.fault) return {false, tr.error_code};
    pa = tr.pa;
  }
  prepare_payload(m_gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, pa, data, len);
  m_ext.requester = Requester::Kernel;
  mem_isock->b_transport(m_gp, delay);
  if (m_gp.is_response_error())
    throw std::logic_error(fmt::format("{}: kernel {} of user address 0x{:x} (physical 0x{:x}): {}", name(),
                                       write ? "store" : "load", va, pa, m_gp.get_response_string()));
  return {};
}

hw::Trap Core::run_user(hw::ExecContext& ctx) {
  uint8_t rdata[hw::kMaxAccessBytes];
  m_ts = sc_core::sc_time_stamp();
  m_mark = user_now();
  m_recheck = true;
  // min(m_resched_at, the next sync point) as of the last look: below it, neither check can act.
  sc_time limit;
  for (;;) {
    // Stolen cycles, IPI stalls, m_need_resched and m_resched_at are set only by other processes, which
    // run only while this thread waits: unless it may have waited since the last look (m_recheck), they
    // are as then. The time check against m_resched_at is due only when the local time reached `limit`
    // at the end of the step before, which sets m_recheck.
    if (m_recheck) {
      m_recheck = false;
      // Handlers that ran on this core meanwhile (shootdown IPIs, device interrupts) take their cycles now.
      uint64_t stolen = m_stolen;
      m_stolen = 0;
      if (m_mmu) {
        const uint64_t ipi = m_cmmu ? m_cmmu->Mmu::take_stall_cycles() : m_mmu->take_stall_cycles();
        m_ipi_cycles += ipi;
        stolen += ipi;
      }
      if (stolen) {
        advance(stolen);
        charge(ctx, hw::Charge::Irq, user_now());
      }
      if (m_need_resched) {
        m_need_resched = false;
        return {hw::TrapKind::Resched};
      }
      if (user_now() >= m_resched_at) return {hw::TrapKind::Resched};
      limit = std::min(m_resched_at, m_qk.next_sync_point());
    }
    // The context's ops handed out ahead, else current() (see ExecContext::ready).
    const hw::Op* op = ctx.ready.next;
    if (op == ctx.ready.end) {
      m_recheck = true;  // the context's refill is none of this core's: take no chance on it
      op = ctx.current();
      if (!op) return {hw::TrapKind::Ended};
    }
    switch (op->kind) {
      case hw::OpKind::Compute:
        advance(op->cycles);
        m_compute_cycles += op->cycles;
        charge(ctx, hw::Charge::Compute, user_now());
        retire(ctx, op, nullptr, hw::AccessStatus::Ok);
        break;
      case hw::OpKind::Read:
      case hw::OpKind::Fetch:
      case hw::OpKind::Write: {
        // Every step of the loop leaves the last charge point at user_now() (a sync keeps user_now()).
        m_qk.inc(m_issue_time);
        charge_step(ctx, hw::Charge::Compute, m_issue_time);
        // Copied: the context may reuse its op storage.
        const hw::OpKind kind = op->kind;
        const unsigned size = op->size;
        const uint64_t vaddr = op->vaddr;
        hw::AccessStatus st = hw::AccessStatus::Ok;
        // Within one line (nearly every access): one transaction, the hit path inline here.
        const bool line = size <= 64 - (vaddr & 63);
        if (!(line ? access_chunk(ctx, kind, vaddr, size, op->wdata, rdata, st)
                   : access(ctx, MemOp{kind, op->size, vaddr, op->wdata}, rdata, st))) {
          ++m_page_faults;
          return {hw::TrapKind::PageFault, m_fault_addr, m_fault_code};
        }
        // Indexed by kind (Read, Write, Fetch) rather than branched on.
        ++*m_kind_count[static_cast<unsigned>(kind)];
        *m_kind_bytes[static_cast<unsigned>(kind)] += size;
        retire(ctx, op, rdata, st);
        break;
      }
      case hw::OpKind::Syscall:
        ++m_syscalls;
        return {hw::TrapKind::Syscall};
    }
    ++m_ops;
    if (user_now() >= limit) {
      user_maybe_sync();
      m_recheck = true;  // the resched check is due (or the sync waited)
    }
  }
}

void Core::run() {
  m_qk.reset();
  constexpr unsigned kMaxRepeatFaults = 64;
  const uint64_t slice_cycles = m_kernel->timeslice_cycles();
  const sc_time slice = m_clk.cycles(slice_cycles);
  // The kernel's scheduler is shared state: reach it at the core's true time.
  m_qk.sync();
  while (hw::ExecContext* ctx = m_kernel->pick_next(m_id)) {
    ++m_contexts;
    unsigned consecutive_faults = 0;
    sc_time slice_start = local_now();
    for (bool on_core = true; on_core;) {
      m_resched_at = slice_cycles ? slice_start + slice : sc_core::sc_max_time();
      const uint64_t ops_before = m_ops.value();
      const hw::Trap tr = run_user(*ctx);
      if (m_ops.value() != ops_before) consecutive_faults = 0;  // the context made progress
      // The kernel runs on this core's thread: bring simulated time up to the core's local time so that
      // anything it waits for is ordered correctly against the other cores.
      m_qk.sync();
      hw::TrapResult r;
      switch (tr.kind) {
        case hw::TrapKind::Ended:
          m_kernel->context_ended(m_id, *ctx);
          on_core = false;
          continue;
        case hw::TrapKind::PageFault:
          if (++consecutive_faults > kMaxRepeatFaults)
            throw std::runtime_error(
                fmt::format("{}: {} page faults in a row at 0x{:x} (error code 0x{:x}): the kernel resumes "
                            "without fixing the "
                            "mapping",
                            name(), kMaxRepeatFaults, tr.cr2, tr.error_code));
          r = m_kernel->page_fault(m_id, *ctx, tr.cr2, tr.error_code);
          m_fault_cycles += r.cycles;
          advance(r.cycles);
          charge(*ctx, hw::Charge::Fault);
          break;
        case hw::TrapKind::Syscall:
          r = m_kernel->syscall(m_id, *ctx, *ctx->current());
          advance(r.cycles);
          charge(*ctx, hw::Charge::Syscall);
          ++m_ops;
          break;
        case hw::TrapKind::Resched:
          // Time-slice expiry is a timer interrupt: the kernel may put another context on this core.
          r = m_kernel->timer_interrupt(m_id, *ctx);
          slice_start = local_now();
          break;
      }
      if (r.action == hw::TrapAction::Reschedule) on_core = false;
      maybe_sync();
    }
    m_qk.sync();
  }
  m_halted = true;
  m_halt_time = local_now();
  m_qk.sync();
}

}  // namespace pc::cpu
