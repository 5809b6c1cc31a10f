// The kernel bus reaches memory only through TLM: writes land in the backing store, atomics are one
// transaction performed by the memory, page zero/copy are 4 KiB transactions, every access costs latency.
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

  kernel::BusCtx b;
  sc_core::sc_time& d = b.delay;
  bus.write64(0x2000, 0x1234567800000063ull, b);
  EXPECT_EQ(d, sc_core::sc_time(50, sc_core::SC_NS));
  EXPECT_EQ(bus.read64(0x2000, b), 0x1234567800000063ull);
  // Atomics: one transaction each, performed by the memory; a bus-locked RMW holds the port for a read
  // and a write cycle (2 x 50 ns).
  d = sc_core::SC_ZERO_TIME;
  EXPECT_EQ(bus.fetch_and_not64(0x2000, 0x20, b), 0x1234567800000063ull);  // ptep_test_and_clear_young
  EXPECT_EQ(d, sc_core::sc_time(100, sc_core::SC_NS));
  EXPECT_EQ(bus.fetch_or64(0x2000, 0x20, b), 0x1234567800000043ull);
  EXPECT_EQ(bus.cmpxchg64(0x2000, 0x1234567800000043ull, 0x99, b), 0x1234567800000063ull);  // stale: no write
  EXPECT_EQ(bus.cmpxchg64(0x2000, 0x1234567800000063ull, 0x1234567800000067ull, b), 0x1234567800000063ull);
  EXPECT_EQ(bus.xchg64(0x2000, 0, b), 0x1234567800000067ull);  // ptep_get_and_clear
  EXPECT_EQ(bus.read64(0x2000, b), 0u);
  EXPECT_EQ(d, sc_core::sc_time(5 * 100 + 50, sc_core::SC_NS));

  uint8_t pattern[64];
  for (int i = 0; i < 64; ++i) pattern[i] = static_cast<uint8_t>(i + 1);
  for (int off = 0; off < 4096; off += 64) bus.write(0x3000 + off, pattern, 64, b);
  d = sc_core::SC_ZERO_TIME;
  bus.copy_page(0x5000, 0x3000, b);
  EXPECT_EQ(d, sc_core::sc_time(2 * 50, sc_core::SC_NS));  // one 4 KiB read, one 4 KiB write (no caches)
  uint8_t got[64];
  store.read(0x5fc0, got, 64);
  EXPECT_EQ(0, std::memcmp(got, pattern, 64));
  bus.zero_page(0x5000, b);
  store.read(0x5fc0, got, 64);
  EXPECT_EQ(got[63], 0);
  EXPECT_THROW(bus.read64(2 << 20, b), std::logic_error);  // beyond memory: a kernel bug, loudly
  EXPECT_THROW(bus.xchg64(2 << 20, 0, b), std::logic_error);
}
