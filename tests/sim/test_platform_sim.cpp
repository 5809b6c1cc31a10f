// Cores, router and fixed-latency memory simulated together: exact cycle counts derived from the
// configured latencies. Each test elaborates once (ctest runs each in its own process).
#include <gtest/gtest.h>

#include <systemc>

#include "models/cpu/core.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/core/clock.h"
#include "testbench/bare_metal.h"
#include "tests/support/script_context.h"

using namespace pc;
using test::ScriptContext;

namespace {
struct Bench {
  stats::Group root{nullptr, "stats"};
  stats::Group cpu_stats{&root, "cpu"};
  ClockDomain clk{"cpu", 3000};  // 3 GHz: 50 ns = 150 cycles
  mem::BackingStore store{1 << 20};
  mem::FixedMemConfig mcfg;
  cpu::CpuConfig ccfg;
  tb::BareMetalKernel kernel;
  std::unique_ptr<mem::FixedMemory> mem;
  std::unique_ptr<interconnect::Router> router;
  std::vector<std::unique_ptr<cpu::Core>> cores;

  Bench(unsigned n, double bw_gbps) : kernel(n, 100) {
    mcfg.latency_ns = 50;
    mcfg.bandwidth_gbps = bw_gbps;
    ccfg.cores = n;
    ccfg.mem_issue_cycles = 1;
    tlm::tlm_global_quantum::instance().set(clk.cycles(1000));
    mem = std::make_unique<mem::FixedMemory>("mem", mcfg, store, root);
    router = std::make_unique<interconnect::Router>("router", hw::physical_address_map(store.size(), false),
                                                    sc_core::SC_ZERO_TIME, root);
    router->isock.bind(mem->tsock);
    for (unsigned i = 0; i < n; ++i) {
      cores.push_back(std::make_unique<cpu::Core>(("core" + std::to_string(i)).c_str(), i, ccfg, clk, &kernel,
                                                  cpu_stats));
      cores.back()->mem_isock.bind(router->tsock);
    }
  }
  double stat(const std::string& p, const char* field = nullptr) {
    const auto* st = root.find(p);
    if (!st) throw std::runtime_error("no stat " + p);
    return field ? st->to_json()[field].get<double>() : st->to_json().get<double>();
  }
};
}  // namespace

TEST(PlatformSim, ExactCyclesDataAndBusError) {
  Bench b(1, 0);
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ScriptContext ctx({ScriptContext::write(0x1000, 8, data), ScriptContext::read(0x1000, 8),
                     ScriptContext::compute(100), ScriptContext::read(1 << 20, 8)});
  b.kernel.assign(0, &ctx);
  sc_core::sc_start();
  ASSERT_TRUE(b.cores[0]->halted());
  // write: 1 issue + 150 memory; read: 1 + 150; compute 100; unmapped read: 1 issue, no memory latency.
  EXPECT_EQ(b.clk.to_cycles(b.cores[0]->halt_time()), 151u + 151u + 100u + 1u);
  ASSERT_EQ(ctx.reads.size(), 2u);
  EXPECT_EQ(ctx.reads[0], std::vector<uint8_t>(data, data + 8));
  EXPECT_EQ(ctx.reads[1], std::vector<uint8_t>(8, 0));
  EXPECT_EQ(ctx.statuses[3], hw::AccessStatus::BusError);
  EXPECT_EQ(b.stat("cpu.core0.bus_errors"), 0.0 + 1);
  EXPECT_EQ(b.stat("router.decode_errors"), 1);
  EXPECT_EQ(b.stat("mem.reads"), 1);
  EXPECT_EQ(b.stat("mem.writes"), 1);
  EXPECT_NEAR(b.stat("cpu.core0.mem_stall_cycles"), 300.0003, 1e-4);  // 2 x 50 ns / 333,333 fs
}

TEST(PlatformSim, LineCrossingAccessIsTwoTransactions) {
  Bench b(1, 0);
  uint8_t data[16];
  for (int i = 0; i < 16; ++i) data[i] = static_cast<uint8_t>(0xa0 + i);
  ScriptContext ctx({ScriptContext::write(0x103c, 16, data), ScriptContext::read(0x103c, 16)});
  b.kernel.assign(0, &ctx);
  sc_core::sc_start();
  EXPECT_EQ(b.stat("mem.writes"), 2);
  EXPECT_EQ(b.stat("mem.reads"), 2);
  EXPECT_EQ(ctx.reads[0], std::vector<uint8_t>(data, data + 16));
  EXPECT_EQ(b.clk.to_cycles(b.cores[0]->halt_time()), 2u * (1 + 2 * 150));
}

TEST(PlatformSim, BandwidthLimitSerialisesTheDataPort) {
  // 25.6 GB/s: a 64-byte transfer occupies the port for 2.5 ns, so of two reads issued at the same
  // time one sees 50 ns and the other 52.5 ns.
  Bench b(2, 25.6);
  ScriptContext c0({ScriptContext::read(0x0, 64)}, 0), c1({ScriptContext::read(0x40, 64)}, 1);
  b.kernel.assign(0, &c0);
  b.kernel.assign(1, &c1);
  sc_core::sc_start();
  EXPECT_DOUBLE_EQ(b.stat("mem.latency_ns", "min"), 50.0);
  EXPECT_DOUBLE_EQ(b.stat("mem.latency_ns", "max"), 52.5);
  const uint64_t t0 = b.clk.to_cycles(b.cores[0]->halt_time()), t1 = b.clk.to_cycles(b.cores[1]->halt_time());
  EXPECT_EQ(std::min(t0, t1), 151u);
  EXPECT_EQ(std::max(t0, t1), 158u);  // 1 + 157.5, truncated to whole cycles
}
