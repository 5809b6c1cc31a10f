// CPU core executing operation streams.
#include "models/cpu/core.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <stdexcept>

#include "platform/core/log.h"

namespace pc::cpu {

using sc_core::sc_time;

Core::Core(sc_core::sc_module_name name, unsigned id, const CpuConfig& cfg, const ClockDomain& clk,
           hw::KernelInterface& kernel, stats::Group& parent, const mmu::MmuConfig& mmu_cfg,
           const mmu::TranslatorFactory& make_mmu)
    : sc_module(name),
      mem_isock("mem_isock"),
      m_id(id),
      m_cfg(cfg),
      m_clk(clk),
      m_kernel(kernel),
      m_stats(&parent, "core" + std::to_string(id), "CPU core"),
      m_ops(m_stats, "ops", "ops", "operations retired"),
      m_reads(m_stats, "reads", "accesses", "data reads"),
      m_writes(m_stats, "writes", "accesses", "data writes"),
      m_fetches(m_stats, "fetches", "accesses", "instruction fetches"),
      m_bytes_read(m_stats, "bytes_read", "bytes", "bytes read (data and fetch)"),
      m_bytes_written(m_stats, "bytes_written", "bytes", "bytes written"),
      m_compute_cycles(m_stats, "compute_cycles", "cycles", "cycles spent in compute operations"),
      m_syscalls(m_stats, "syscalls", "calls", "system calls trapped to the kernel"),
      m_bus_errors(m_stats, "bus_errors", "accesses", "accesses answered with a TLM error (unmapped address)"),
      m_contexts(m_stats, "contexts", "contexts", "contexts scheduled on this core"),
      m_page_faults(m_stats, "page_faults", "faults", "page faults raised to the kernel"),
      m_fault_cycles(m_stats, "fault_cycles", "cycles", "cycles the kernel's page-fault handler cost"),
      m_ipi_cycles(m_stats, "ipi_cycles", "cycles", "cycles lost handling TLB-shootdown IPIs"),
      m_mem_stall_cycles(m_stats, "mem_stall_cycles", "cycles", "cycles stalled waiting for memory",
                         [this] { return m_clk.to_cycles_exact(sc_time::from_value(m_mem_fs)); }),
      m_translate_cycles(m_stats, "translate_cycles", "cycles", "cycles spent translating (TLB lookups and page walks)",
                         [this] { return m_clk.to_cycles_exact(sc_time::from_value(m_xlate_fs)); }),
      m_cycles(m_stats, "cycles", "cycles", "cycles from start until the core halted",
               [this] { return static_cast<double>(m_clk.to_cycles(m_halted ? m_halt_time : local_now())); }),
      m_access_latency(m_stats, "access_latency", "cycles", "latency of one memory access") {
  m_ext.requester = Requester::Core;
  m_ext.core = static_cast<uint16_t>(id);
  // Before the payload owns a pointer to m_ext: an MMU config error unwinds this constructor.
  if (cfg.paging == "on" && make_mmu) m_mmu = make_mmu(id, mmu_cfg, clk, mem_isock, m_stats);
  if (cfg.paging == "on" && !m_mmu) {  // no factory, or it leaves this core to the C++ Mmu
    m_walk_mem = std::make_unique<mmu::TlmWalkMemory>(mem_isock, static_cast<uint16_t>(id));
    m_mmu = std::make_unique<mmu::Mmu>(id, mmu_cfg, clk, *m_walk_mem, m_stats);
  }
  m_gp.set_extension(&m_ext);
  SC_THREAD(run);
}

bool Core::access(const hw::Op& op, uint8_t* rdata, hw::AccessStatus& st) {
  const bool write = op.kind == hw::OpKind::Write;
  // An access that crosses a 64-byte line is two bus transactions, as on x86.
  uint64_t addr = op.vaddr;
  unsigned done = 0;
  st = hw::AccessStatus::Ok;
  while (done < op.size) {
    const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(op.size - done, 64 - (addr & 63)));
    uint64_t pa = addr;
    if (m_mmu) {
      // TLB hits are annotated on the local time; only a walk's memory accesses may synchronize.
      const sc_time at = local_now();
      const auto tr = m_mmu->translate(addr, write ? mmu::Access::Write
                                               : op.kind == hw::OpKind::Fetch ? mmu::Access::Fetch : mmu::Access::Read,
                                       at);
      m_xlate_fs += (tr.done - at).value();
      m_qk.set(tr.done - sc_core::sc_time_stamp());
      if (tr.fault) {
        m_fault_addr = addr;
        m_fault_code = tr.error_code;
        return false;
      }
      pa = tr.pa;
    }
    prepare_payload(m_gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, pa,
                    write ? const_cast<uint8_t*>(op.wdata + done) : rdata + done, chunk);
    m_ext.requester = op.kind == hw::OpKind::Fetch ? Requester::Fetch : Requester::Core;
    sc_time delay = m_qk.get_local_time();
    // A target that synchronizes (the DDR controller) spends the local time in wait() and returns a
    // delay relative to the new time stamp: measure the latency on absolute time.
    const sc_time start = sc_core::sc_time_stamp() + delay;
    mem_isock->b_transport(m_gp, delay);
    const sc_time lat = sc_core::sc_time_stamp() + delay - start;
    m_mem_fs += lat.value();
    m_access_latency.sample(m_clk.to_cycles_exact(lat));
    m_qk.set(delay);
    if (m_gp.is_response_error()) {
      st = hw::AccessStatus::BusError;
      if ((++m_bus_errors).value() <= 10)
        log::warn("{}: {} of {} bytes at physical 0x{:x}: {}", name(), write ? "write" : "read", chunk, pa,
                  m_gp.get_response_string());
      if (!write) std::memset(rdata + done, 0, chunk);
    }
    addr += chunk;
    done += chunk;
  }
  return true;
}

void Core::run() {
  uint8_t rdata[hw::kMaxAccessBytes];
  m_qk.reset();
  constexpr unsigned kMaxRepeatFaults = 64;
  unsigned consecutive_faults = 0;
  const uint64_t slice_cycles = m_kernel.timeslice_cycles();
  const sc_time slice = m_clk.cycles(slice_cycles);
  // The kernel's scheduler is shared state: reach it at the core's true time.
  m_qk.sync();
  while (hw::ExecContext* ctx = m_kernel.pick_next(m_id)) {
    ++m_contexts;
    bool on_core = true;
    const sc_time slice_start = local_now();
    while (on_core) {
      if (m_mmu) {
        if (const uint64_t stall = m_mmu->take_stall_cycles()) {  // IPI handlers that ran on this core
          advance(stall);
          m_ipi_cycles += stall;
        }
      }
      const hw::Op* op = ctx->current();
      if (!op) {
        m_qk.sync();
        m_kernel.context_ended(m_id, *ctx);
        break;
      }
      switch (op->kind) {
        case hw::OpKind::Compute:
          advance(op->cycles);
          m_compute_cycles += op->cycles;
          ctx->charges.compute += op->cycles;
          ctx->retire(nullptr, hw::AccessStatus::Ok);
          break;
        case hw::OpKind::Read:
        case hw::OpKind::Fetch:
        case hw::OpKind::Write: {
          advance(m_cfg.mem_issue_cycles);
          const hw::Op o = *op;  // the context may reuse its op storage once retired
          hw::AccessStatus st;
          const uint64_t mem_before = m_mem_fs, xlate_before = m_xlate_fs;
          const bool done = access(o, rdata, st);
          // Charge the context for what the access cost it (cycle attribution per task).
          ctx->charges.mem_stall += m_clk.to_cycles(sc_time::from_value(m_mem_fs - mem_before));
          ctx->charges.page_walk += m_clk.to_cycles(sc_time::from_value(m_xlate_fs - xlate_before));
          if (!done) {
            // #PF: the kernel runs on this core's thread at the core's local time; the op re-executes.
            ++m_page_faults;
            if (++consecutive_faults > kMaxRepeatFaults)
              throw std::runtime_error(fmt::format(
                  "{}: {} page faults in a row at 0x{:x} (error code 0x{:x}): the kernel resumes without fixing the "
                  "mapping", name(), kMaxRepeatFaults, m_fault_addr, m_fault_code));
            m_qk.sync();
            const auto r = m_kernel.page_fault(m_id, *ctx, m_fault_addr, m_fault_code);
            advance(r.cycles);
            m_fault_cycles += r.cycles;
            if (r.action == hw::TrapAction::Reschedule) on_core = false;
            maybe_sync();
            continue;
          }
          consecutive_faults = 0;
          if (o.kind == hw::OpKind::Write) {
            ++m_writes;
            m_bytes_written += o.size;
          } else {
            ++(o.kind == hw::OpKind::Fetch ? m_fetches : m_reads);
            m_bytes_read += o.size;
          }
          ctx->retire(rdata, st);
          break;
        }
        case hw::OpKind::Syscall: {
          ++m_syscalls;
          // The kernel runs on this core's thread: bring simulated time up to the core's local time so
          // that anything it waits for is ordered correctly against the other cores.
          m_qk.sync();
          const auto r = m_kernel.syscall(m_id, *ctx, *op);
          advance(r.cycles);
          if (r.action == hw::TrapAction::Reschedule) on_core = false;
          break;
        }
      }
      ++m_ops;
      // Time-slice expiry is a timer interrupt: the kernel may put another context on this core.
      if (on_core && slice_cycles && local_now() - slice_start >= slice) {
        m_qk.sync();
        if (m_kernel.timer_interrupt(m_id, *ctx).action == hw::TrapAction::Reschedule) on_core = false;
      }
      maybe_sync();
    }
    m_qk.sync();
  }
  m_halted = true;
  m_halt_time = local_now();
  m_qk.sync();
}

}  // namespace pc::cpu
