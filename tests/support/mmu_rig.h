// A one-core MMU test rig: fixed-latency memory behind a router, a page-table builder writing through
// TLM, optional caches, and an MMU whose walker reads through them. Elaborate once, then call start().
#pragma once

#include <memory>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/cache/cache_hierarchy.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "models/mmu/cpu_control.h"
#include "models/mmu/mmu.h"
#include "testbench/page_tables.h"

namespace pc::test {

struct WalkPort : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<WalkPort> isock{"isock"};
  explicit WalkPort(sc_core::sc_module_name n) : sc_module(n) {}
};

struct RigOptions {
  uint64_t mem_mib = 64;
  uint64_t mem_latency_ns = 100;  // 100 cycles at the rig's 1 GHz clock
  bool caches = false;
  cache::CachesConfig cache_cfg;
  mmu::MmuConfig mmu;
  unsigned cores = 1;
};

// Every flag the tests use on intermediate tables and leaves.
constexpr uint64_t kUserRW = hw::paging::kRW | hw::paging::kUS;
constexpr uint64_t kTableA = hw::paging::kP | hw::paging::kRW | hw::paging::kUS | hw::paging::kA;

struct MmuRig {
  explicit MmuRig(const RigOptions& o)
      : opt(o),
        clk("cpu", 1000),
        root(nullptr, "stats"),
        cpu(&root, "cpu"),
        store(o.mem_mib << 20),
        memory("mem", fixed_cfg(o), store, root),
        router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME, root),
        frames(1ull << 20, store.size()),
        pt("pt", frames, o.mmu.la57),
        control(o.mmu) {
    router.isock.bind(memory.tsock);
    pt.mem_isock.bind(router.tsock);
    if (o.caches) llc = std::make_unique<cache::SharedLlc>(o.cache_cfg, clk, root);
    for (unsigned c = 0; c < o.cores; ++c) {
      groups.push_back(std::make_unique<stats::Group>(&cpu, "core" + std::to_string(c)));
      ports.push_back(std::make_unique<WalkPort>(("walk" + std::to_string(c)).c_str()));
      if (llc) {
        caches.push_back(std::make_unique<cache::CoreCaches>(("caches" + std::to_string(c)).c_str(), c, o.cache_cfg,
                                                             clk, *llc, *groups.back()));
        ports.back()->isock.bind(caches.back()->tsock);
        caches.back()->mem_isock.bind(router.tsock);
      } else {
        ports.back()->isock.bind(router.tsock);
      }
      walkmem.push_back(std::make_unique<mmu::TlmWalkMemory>(ports.back()->isock, static_cast<uint16_t>(c)));
      mmus.push_back(std::make_unique<mmu::Mmu>(c, o.mmu, clk, *walkmem.back(), *groups.back()));
      control.add(mmus.back().get());
    }
  }
  ~MmuRig() {
    mmus.clear();  // stats groups die after their stats
    caches.clear();
  }
  static mem::FixedMemConfig fixed_cfg(const RigOptions& o) {
    mem::FixedMemConfig c;
    c.latency_ns = o.mem_latency_ns;
    return c;
  }
  // Ends elaboration (the router's multi-socket binds there); call before any access.
  void start() { sc_core::sc_start(sc_core::SC_ZERO_TIME); }

  mmu::Mmu& m(unsigned c = 0) { return *mmus.at(c); }
  uint64_t new_space() {
    sc_core::sc_time d;
    return pt.new_table(d);
  }
  uint64_t map(uint64_t cr3, uint64_t va, hw::paging::PageSize s, uint64_t leaf_flags, uint64_t table_flags = kTableA) {
    sc_core::sc_time d;
    // A 1 GiB page maps physical 0 (no access goes through it); smaller pages get real frames.
    const uint64_t pa = s == hw::paging::PageSize::k1G ? 0 : frames.alloc(hw::paging::page_bytes(s));
    return pt.map(cr3, va, pa, s, leaf_flags, d, table_flags);
  }
  // Maps without allocating a frame (the sweep maps a GiB of address space onto one frame).
  uint64_t map_to(uint64_t cr3, uint64_t va, uint64_t pa, uint64_t leaf_flags, uint64_t table_flags = kTableA) {
    sc_core::sc_time d;
    return pt.map(cr3, va, pa, hw::paging::PageSize::k4K, leaf_flags, d, table_flags);
  }
  uint64_t entry(uint64_t pa) {
    sc_core::sc_time d;
    return pt.read_entry(pa, d);
  }
  void set_entry(uint64_t pa, uint64_t v) {
    sc_core::sc_time d;
    pt.write_entry(pa, v, d);
  }
  uint64_t entry_at(uint64_t cr3, uint64_t va, unsigned level) {
    sc_core::sc_time d;
    return pt.entry_address(cr3, va, level, d);
  }
  // Translates when the previous translation of this rig has completed, as a blocking core would.
  mmu::Translation tr(uint64_t va, mmu::Access a = mmu::Access::Read, unsigned c = 0) {
    const auto t = m(c).translate(va, a, std::max(sc_core::sc_time_stamp(), now));
    now = t.done;
    return t;
  }
  sc_core::sc_time now;
  double stat(const std::string& path) const {
    const auto* s = root.find(path);
    if (!s) throw std::runtime_error("no stat " + path);
    auto j = s->to_json();
    return j.is_object() ? j["sum"].get<double>() : j.get<double>();
  }
  uint64_t cnt(const std::string& path, unsigned c = 0) const {
    return static_cast<uint64_t>(stat("cpu.core" + std::to_string(c) + "." + path));
  }

  RigOptions opt;
  ClockDomain clk;
  stats::Group root;
  stats::Group cpu;
  mem::BackingStore store;
  mem::FixedMemory memory;
  interconnect::Router router;
  tb::FrameAllocator frames;
  tb::PageTableBuilder pt;
  mmu::MmuControl control;
  std::unique_ptr<cache::SharedLlc> llc;
  std::vector<std::unique_ptr<stats::Group>> groups;
  std::vector<std::unique_ptr<WalkPort>> ports;
  std::vector<std::unique_ptr<cache::CoreCaches>> caches;
  std::vector<std::unique_ptr<mmu::TlmWalkMemory>> walkmem;
  std::vector<std::unique_ptr<mmu::Mmu>> mmus;
};

}  // namespace pc::test
