// Page-fault cost benchmark: host time and simulated kernel cycles per minor anonymous fault, COW fault
// and file (page-cache hit) fault, on the memory manager over a 50 ns fixed-latency memory. Prints a table.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <systemc>
#include <vector>

#include "kernel_model/mm/mm.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/core/clock.h"
#include "platform/hwdefs/paging.h"

using namespace pc;
using namespace pc::kernel;

int sc_main(int argc, char** argv) {
  pc::init_time_resolution();
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const uint64_t mem = 1ull << 30;
  stats::Group root(nullptr, "stats");
  ClockDomain clk("cpu", 3000);
  mem::BackingStore store(mem);
  mem::FixedMemConfig mc;
  mem::FixedMemory memory("mem", mc, store, root);
  interconnect::Router router("router", hw::physical_address_map(mem, false), sc_core::SC_ZERO_TIME, root);
  KernelBus bus("kbus", root);
  bus.mem_isock.bind(router.tsock);
  router.isock.bind(memory.tsock);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  MemMap map(mem >> kPageShift);
  PageAllocator alloc(map, 1, 512);
  Lru lru(alloc, 1);
  NullArch arch;
  KernelCosts costs;
  VmConfig vm;
  LockClasses locks(root, costs.spin_lock, clk);
  MemoryManager mm(bus, lru, arch, costs, vm, locks);
  mm.set_cpus({}, clk.period());
  KCtx k;
  // The kernel paths may sleep (lock_page): run them in a SystemC thread.
  sc_core::sc_spawn([&] {
    mm.init_zero_page(k);
    auto fault = [&](MmStruct& m, uint64_t va, bool write) {
      mm.do_page_fault(m, va, (write ? hw::paging::kPfWrite : 0) | hw::paging::kPfUser, k);
    };

    auto measure = [&](const char* what, auto&& fault_one) {
      k.delay = sc_core::SC_ZERO_TIME;
      const auto t0 = std::chrono::steady_clock::now();
      for (uint64_t i = 0; i < n; ++i) fault_one(i);
      const double host = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("{:<36} {:>10.2f} us host   {:>10.1f} simulated cycles (kernel path, 50 ns memory)\n", what,
                 host / static_cast<double>(n) * 1e6, clk.to_cycles_exact(k.delay) / static_cast<double>(n));
    };
    auto parent = mm.mm_alloc(k);
    const uint64_t a = static_cast<uint64_t>(mm.do_mmap(*parent, 0, n * kPageSize, PROT_READ | PROT_WRITE,
                                                        MAP_PRIVATE | MAP_ANONYMOUS, nullptr, 0, k));
    measure("minor fault (anonymous write)", [&](uint64_t i) { fault(*parent, a + i * kPageSize, true); });
    // The fault's clear_page leaves the backing store's page shared with its zero page; the host memory
    // (and the host's own page fault) comes with the first non-zero store. This line is that store, 8
    // bytes through the kernel bus into each page the faults above mapped: fault plus this line is what
    // a fault followed by real data costs the host.
    std::vector<uint64_t> anon_pas;
    for (uint64_t pfn = 0; pfn < map.frames(); ++pfn)
      if (map.pfn_to_page(pfn)->anon() && map.pfn_to_page(pfn)->mapped())
        anon_pas.push_back(pfn << kPageShift);
    if (anon_pas.size() != n) throw std::logic_error("fault bench: expected one anonymous page per fault");
    measure("first store into each faulted page", [&](uint64_t i) { bus.write64(anon_pas[i], i + 1, k); });
    auto child = mm.dup_mm(*parent, k);
    measure("COW fault (copy 4 KiB)", [&](uint64_t i) { fault(*child, a + i * kPageSize, true); });
    // File faults: a file whose pages come from memory (no I/O), mapped read-only in two address spaces.
    // In the first every fault fills the page cache (zeroing the page); in the second every fault is a
    // page-cache hit that only maps the page.
    struct RamBacking : FileBacking {
      KernelBus& bus;
      uint64_t pages;
      RamBacking(KernelBus& b, uint64_t p) : bus(b), pages(p) {}
      bool readpages(uint64_t, const std::vector<uint64_t>& pas, KCtx& kk, IoDone) override {
        for (uint64_t pa : pas) bus.zero_page(pa, kk);
        return false;
      }
      int writepage(uint64_t, uint64_t, KCtx&, IoDone done) override {
        done(0, 0);
        return 0;
      }
      uint64_t size_pages() const override { return pages; }
    };
    File& f = *mm.new_file("bench", std::make_unique<RamBacking>(bus, n));
    auto m1 = mm.mm_alloc(k);
    auto m2 = mm.mm_alloc(k);
    const uint64_t f1 =
        static_cast<uint64_t>(mm.do_mmap(*m1, 0, n * kPageSize, PROT_READ, MAP_PRIVATE, &f, 0, k));
    const uint64_t f2 =
        static_cast<uint64_t>(mm.do_mmap(*m2, 0, n * kPageSize, PROT_READ, MAP_PRIVATE, &f, 0, k));
    measure("file fault (page-cache miss, no I/O)",
            [&](uint64_t i) { fault(*m1, f1 + i * kPageSize, false); });
    measure("file fault (page-cache hit)", [&](uint64_t i) { fault(*m2, f2 + i * kPageSize, false); });
    for (MmStruct* m : {m1, m2, child, parent}) mm.mmput(m, k);
  });
  sc_core::sc_start();
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
