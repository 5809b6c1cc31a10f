// Co-simulation speed: translations per host CPU second of the Verilated RTL unit alone (raw pins, and
// through its bridge on a zero-latency memory) against the C++ Mmu on the same setup, for a TLB-hit
// stream, a mixed stream and a walk-heavy stream. `pc_cosim_bench [N]`; bench/cosim_throughput.sh adds
// the whole platform. `pc_cosim_bench N TRACE` also replays a lackey trace's translations (pages mapped
// on first touch, as the bare-metal pager does): the platform's stream, without the platform.
// Host CPU time (std::clock), not wall time: the machines are shared.
#include <fmt/format.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <systemc>

#include "cosim/rtl_mmu.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "models/mmu/mmu.h"
#include "testbench/page_tables.h"
#include "testbench/workload/lackey.h"
#include "testbench/workload_context.h"
#include "testbench/workload/rng.h"

using namespace pc;
using namespace pc::hw::paging;

namespace {

struct Port : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Port> isock{"isock"};
  explicit Port(sc_core::sc_module_name n) : sc_module(n) {}
};

double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// Page numbers a stream visits: all the same page, a skewed mix over 2,048 pages, uniform over 65,536.
uint64_t pick(int stream, tb::Rng& rng) {
  if (stream == 0) return 0;
  if (stream == 1) return rng.below(100) < 90 ? rng.below(32) : rng.below(2048);
  return rng.below(65536);
}
const char* kStreams[3] = {"TLB hits (one page)", "mixed (90% over 32 pages, 10% over 2,048)",
                           "walks (uniform over 65,536 pages)"};

}  // namespace

int sc_main(int argc, char** argv) {
  init_time_resolution();
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  ClockDomain clk("cpu", 3000);
  stats::Group root(nullptr, "stats"), cpu(&root, "cpu"), g_rtl(&cpu, "core0"), g_cpp(&cpu, "core1");
  mem::BackingStore store(1ull << 30);
  mem::FixedMemConfig mc;
  mc.latency_ns = 0;  // the unit alone: no memory time
  mem::FixedMemory memory("mem", mc, store, root);
  interconnect::Router router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME,
                              root);
  tb::FrameAllocator frames(1ull << 20, store.size());
  tb::PageTableBuilder pt("pt", frames);
  Port p_rtl("p_rtl"), p_cpp("p_cpp");
  router.isock.bind(memory.tsock);
  pt.mem_isock.bind(router.tsock);
  p_rtl.isock.bind(router.tsock);
  p_cpp.isock.bind(router.tsock);
  mmu::MmuConfig cfg;  // the nehalem geometry
  cosim::RtlMmu rtl(0, cfg, clk, cosim::make_mmu_model("nehalem"), p_rtl.isock, g_rtl);
  mmu::TlmWalkMemory wm(p_cpp.isock, 1);
  mmu::Mmu cpp(1, cfg, clk, wm, g_cpp);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  sc_core::sc_time d;
  const uint64_t cr3 = pt.new_table(d);
  const uint64_t base = 0x10000000;
  for (uint64_t p = 0; p < 65536; ++p)
    pt.map(cr3, base + p * 4096, frames.alloc(), PageSize::k4K, kP | kRW | kUS | kA | kD, d,
           kP | kRW | kUS | kA);
  rtl.write_cr3(cr3);
  cpp.write_cr3(cr3);

  fmt::print("co-simulation speed, {} translations per stream, host CPU time\n", n);
  fmt::print("{:<44} {:>16} {:>16} {:>8} {:>14}\n", "stream", "RTL (M/s)", "C++ (M/s)", "ratio",
             "RTL evals/xlat");
  for (int s = 0; s < 3; ++s) {
    double rate[2];
    uint64_t evals = 0;
    for (int which = 0; which < 2; ++which) {
      mmu::Translator& t = which == 0 ? static_cast<mmu::Translator&>(rtl) : cpp;
      t.invpcid(InvpcidType::AllContextsGlobal, 0, 0);
      tb::Rng rng(7);
      sc_core::sc_time at = sc_core::sc_time_stamp();
      const uint64_t e0 = rtl.evals();
      const double t0 = cpu_seconds();
      uint64_t sum = 0;
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t va = base + pick(s, rng) * 4096 + (i & 511) * 8;
        const auto r = t.translate(va, (i & 3) == 0 ? mmu::Access::Write : mmu::Access::Read, at);
        sum += r.pa;
        at = r.done + clk.cycles(1);
      }
      const double sec = std::max(1e-9, cpu_seconds() - t0);
      rate[which] = static_cast<double>(n) / sec / 1e6;
      if (which == 0) evals = rtl.evals() - e0;
      if (sum == 42) fmt::print("");  // keeps the loop's work observable
    }
    fmt::print("{:<44} {:>16.2f} {:>16.2f} {:>8.1f} {:>14.1f}\n", kStreams[s], rate[0], rate[1],
               rate[1] / rate[0], static_cast<double>(evals) / static_cast<double>(n));
  }
  if (argc > 2) {
    // The trace: each op (split at 64-byte lines, as the core does) translated; a #PF maps the page.
    double rate[2];
    uint64_t count = 0;
    for (int which = 0; which < 2; ++which) {
      mmu::Translator& t = which == 0 ? static_cast<mmu::Translator&>(rtl) : cpp;
      const uint64_t space = pt.new_table(d);
      t.write_cr3(space);
      tb::LineSplitStream ops(std::make_unique<tb::LackeyReader>(argv[2]));
      hw::Op op;
      sc_core::sc_time at = sc_core::sc_time_stamp();
      count = 0;
      const double t0 = cpu_seconds();
      while (ops.next(op)) {
        if (op.kind == hw::OpKind::Compute || op.kind == hw::OpKind::Syscall) continue;
        const auto a = op.kind == hw::OpKind::Write   ? mmu::Access::Write
                       : op.kind == hw::OpKind::Fetch ? mmu::Access::Fetch
                                                      : mmu::Access::Read;
        auto r = t.translate(op.vaddr, a, at);
        ++count;
        if (r.fault) {
          pt.map(space, op.vaddr & ~4095ull, frames.alloc(), PageSize::k4K, kRW | kUS, d);
          r = t.translate(op.vaddr, a, r.done);
          ++count;
        }
        at = r.done + clk.cycles(5);  // issue + an L1D hit, as the core spends them
      }
      rate[which] = static_cast<double>(count) / std::max(1e-9, cpu_seconds() - t0) / 1e6;
    }
    fmt::print("{:<44} {:>16.2f} {:>16.2f} {:>8.1f}   ({} translations)\n", "lackey trace, unit alone", rate[0], rate[1],
               rate[1] / rate[0], count);
  }
  // The model's raw evaluation rate: clock cycles per second with idle inputs.
  {
    auto model = cosim::make_mmu_model("nehalem");
    cosim::MmuIn in;
    cosim::MmuOut out;
    in.rst_n = true;
    const uint64_t cycles = n * 4;
    const double t0 = cpu_seconds();
    for (uint64_t c = 0; c < cycles; ++c) {
      model->eval(false, in, out);
      model->eval(true, in, out);
    }
    const double sec = std::max(1e-9, cpu_seconds() - t0);
    in.req_valid = true;  // a request every cycle (as bench/cosim_sc_bench.cpp drives the --sc model)
    in.req_va = 0x10000000;
    const double t1 = cpu_seconds();
    for (uint64_t c = 0; c < cycles; ++c) {
      model->eval(false, in, out);
      model->eval(true, in, out);
    }
    const double sec1 = std::max(1e-9, cpu_seconds() - t1);
    fmt::print("raw Verilated model (--cc): {:.3f} M cycles/s idle, {:.3f} M cycles/s requesting ({:.0f} ns per cycle, "
               "2 evaluations)\n",
               static_cast<double>(cycles) / sec / 1e6, static_cast<double>(cycles) / sec1 / 1e6,
               sec / static_cast<double>(cycles) * 1e9);
  }
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
