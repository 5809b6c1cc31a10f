// The kernel bus reaches memory only through TLM: writes land in the backing store, RMW is atomic in
// effect, page zero/copy move 64 lines each, and every access costs the memory's latency.
#include <gtest/gtest.h>

#include "kernel_model/hal/kernel_bus.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"

using namespace pc;

TEST(KernelBusSim, AccessesGoThroughMemoryWithLatency) {
  stats::Group root(nullptr, "stats");
  mem::BackingStore store(1 << 20);
  mem::FixedMemConfig mc;
  mc.latency_ns = 50;
  mem::FixedMemory memory("mem", mc, store, root);
  interconnect::Router router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME, root);
  kernel::KernelBus bus("kbus", root);
  bus.mem_isock.bind(router.tsock);
  router.isock.bind(memory.tsock);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // multi-sockets finish binding at end of elaboration

  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  bus.write64(0x2000, 0x1234567800000063ull, d);
  EXPECT_EQ(d, sc_core::sc_time(50, sc_core::SC_NS));
  EXPECT_EQ(bus.read64(0x2000, d), 0x1234567800000063ull);
  const uint64_t old = bus.rmw64(0x2000, 0x20, 0x40, d);  // clear A, set D
  EXPECT_EQ(old, 0x1234567800000063ull);
  EXPECT_EQ(bus.read64(0x2000, d), 0x1234567800000043ull);
  EXPECT_EQ(d, sc_core::sc_time(250, sc_core::SC_NS));  // 5 transactions

  uint8_t pattern[64];
  for (int i = 0; i < 64; ++i) pattern[i] = static_cast<uint8_t>(i + 1);
  for (int off = 0; off < 4096; off += 64) bus.write(0x3000 + off, pattern, 64, d);
  d = sc_core::SC_ZERO_TIME;
  bus.copy_page(0x5000, 0x3000, d);
  EXPECT_EQ(d, sc_core::sc_time(128 * 50, sc_core::SC_NS));  // 64 line reads + 64 line writes
  uint8_t got[64];
  store.read(0x5fc0, got, 64);
  EXPECT_EQ(0, std::memcmp(got, pattern, 64));
  bus.zero_page(0x5000, d);
  store.read(0x5fc0, got, 64);
  EXPECT_EQ(got[63], 0);
  EXPECT_THROW(bus.read64(2 << 20, d), std::logic_error);  // beyond memory: a kernel bug, loudly
}
