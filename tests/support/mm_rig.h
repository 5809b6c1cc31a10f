// The memory manager over a fixed-latency memory, without a kernel around it: the tests play the CPU by
// reading and writing user bytes straight into the frames the PTEs name (test_mm_sim, test_swap_mm_sim).
#pragma once

#include <gtest/gtest.h>

#include "kernel_model/mm/mm.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/core/clock.h"
#include "platform/hwdefs/paging.h"

namespace pc::test {

using namespace pc::kernel;
namespace pg = pc::hw::paging;

constexpr uint64_t kMem = 64ull << 20;
constexpr uint64_t kReservedFrames = 512;  // 2 MiB

struct Rig {
  stats::Group root{nullptr, "stats"};
  ClockDomain clk{"cpu", 3000};
  mem::BackingStore store{kMem};
  mem::FixedMemConfig mcfg;
  std::unique_ptr<mem::FixedMemory> memory;
  std::unique_ptr<interconnect::Router> router;
  std::unique_ptr<KernelBus> bus;
  MemMap map{kMem >> kPageShift};
  PageAllocator alloc{map, 2, kReservedFrames};
  Lru lru{alloc, 2};
  NullArch arch;
  KernelCosts costs;
  VmConfig vm;
  std::unique_ptr<LockClasses> locks;
  std::unique_ptr<MemoryManager> mm;
  KCtx k;

  Rig() {
    mcfg.latency_ns = 50;
    memory = std::make_unique<mem::FixedMemory>("mem", mcfg, store, root);
    router = std::make_unique<interconnect::Router>("router", hw::physical_address_map(kMem, false),
                                                    sc_core::SC_ZERO_TIME, root);
    bus = std::make_unique<KernelBus>("kbus", root);
    bus->mem_isock.bind(router->tsock);
    router->isock.bind(memory->tsock);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    locks = std::make_unique<LockClasses>(root, costs.spin_lock, clk);
    alloc.set_lock_classes(*locks);
    mm = std::make_unique<MemoryManager>(*bus, lru, arch, costs, vm, *locks);
    mm->set_cpus({}, clk.period());
    mm->init_zero_page(k);
  }
  // What a CPU store/load through the page tables would touch (the test plays the CPU).
  uint64_t phys(MmStruct& m, uint64_t va) {
    const uint64_t pte = mm->read_pte(m, va, k);
    EXPECT_TRUE(pte & pg::kP) << std::hex << va;
    return pg::frame_of(pte) | (va & 0xfff);
  }
  void poke(MmStruct& m, uint64_t va, uint64_t v) {
    store.write(phys(m, va), reinterpret_cast<uint8_t*>(&v), 8);
  }
  uint64_t peek(MmStruct& m, uint64_t va) {
    uint64_t v = 0;
    store.read(phys(m, va), reinterpret_cast<uint8_t*>(&v), 8);
    return v;
  }
  uint64_t frames_in_use() {
    uint64_t n = 0;
    for (uint64_t pfn = 0; pfn < map.frames(); ++pfn) n += map.pfn_to_page(pfn)->count > 0;
    return n;
  }
  sc_core::sc_time cycles(uint64_t n) { return clk.period() * static_cast<double>(n); }
  // A user-mode fault at `va` as the CPU raises it (do_page_fault with the SDM error code).
  FaultResult fault(MmStruct& m, uint64_t va, bool write, bool exec = false) {
    return mm->do_page_fault(m, va, (write ? pg::kPfWrite : 0) | (exec ? pg::kPfFetch : 0) | pg::kPfUser, k);
  }
};

}  // namespace pc::test
