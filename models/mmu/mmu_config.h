// Configuration of a core's MMU (mmu.* in the tree): L1 ITLB/DTLB per page size, the unified STLB, the
// paging-structure caches (SDM Vol. 3A §4.10.3), the walker and the costs of invalidations and IPIs.
#pragma once

#include <cstdint>
#include <string>

#include "platform/core/config.h"

namespace pc::mmu {

struct TlbArrayConfig {
  uint64_t entries = 0;  // 0: this page size is not held
  uint64_t ways = 4;     // associativity (entries/ways sets)

  void describe(cfg::Visitor& v) {
    v.u64("entries", entries, "entries", "capacity (0: translations of this page size are not cached here)",
          0, 1 << 20);
    v.u64("ways", ways, "ways", "associativity", 1, 1 << 20);
  }
};

struct TlbConfig {
  TlbArrayConfig a4k, a2m, a1g;
  uint64_t latency_cycles = 0;  // added to an access when this TLB is looked up and hits or is probed
  std::string replacement = "lru";

  void describe(cfg::Visitor& v) {
    v.section("4k", a4k, "4 KiB pages");
    v.section("2m", a2m, "2 MiB pages");
    v.section("1g", a1g, "1 GiB pages");
    v.u64("latency_cycles", latency_cycles, "cycles", "lookup latency", 0, 1000);
    v.str("replacement", replacement, "replacement policy", {"lru", "fifo"});
  }
};

struct PscConfig {
  TlbArrayConfig pml5{2, 2}, pml4{4, 4}, pdpt{8, 8}, pd{32, 32};
  uint64_t latency_cycles = 1;  // the caches are probed in parallel; a walk pays this once

  void describe(cfg::Visitor& v) {
    v.section("pml5", pml5, "PML5E cache (LA57 only)");
    v.section("pml4", pml4, "PML4E cache");
    v.section("pdpt", pdpt, "PDPTE cache");
    v.section("pd", pd, "PDE cache");
    v.u64("latency_cycles", latency_cycles, "cycles", "lookup latency of the paging-structure caches", 0,
          1000);
  }
};

struct ShootdownConfig {
  uint64_t ipi_cycles = 1000;     // sender to target: interrupt delivery
  uint64_t handler_cycles = 500;  // the target's flush handler (entry, INVLPG/INVPCID, exit)
  uint64_t ack_cycles = 300;      // the target's acknowledgement reaching the sender

  void describe(cfg::Visitor& v) {
    v.u64("ipi_cycles", ipi_cycles, "cycles", "IPI delivery latency", 0, 10000000);
    v.u64("handler_cycles", handler_cycles, "cycles", "flush handler time on each target", 0, 10000000);
    v.u64("ack_cycles", ack_cycles, "cycles", "acknowledgement latency back to the sender", 0, 10000000);
  }
};

// Which translation unit a core runs: the C++ model, or the SystemVerilog unit in rtl/ co-simulated
// through Verilator (cosim/). The RTL's TLB geometry is fixed when it is built; see README "RTL".
enum class MmuImpl : uint8_t { Cpp, Rtl };

struct RtlConfig {
  std::string cores = "all";        // cores that run the RTL unit: "all" or a list such as "0,2"
  bool check = false;               // run the C++ model beside it as a reference, compare every request
  bool stop_on_divergence = false;  // end the run at the first divergence
  std::string wave;                 // waveform file (.fst); empty: none. Core N > 0 writes FILE.coreN.fst
  uint64_t wave_from_ns = 0;        // window of simulated time dumped into the waveform
  uint64_t wave_to_ns = 0;          // 0: until the end
  bool skip_idle_cycles = true;     // do not clock, one by one, cycles in which the unit only waits

  void describe(cfg::Visitor& v) {
    v.str("cores", cores, "cores whose MMU is the RTL unit when mmu.impl = rtl: all, or a list such as 0,2");
    v.boolean("check", check,
              "differential check: run the C++ MMU beside the RTL on the same requests and memory");
    v.boolean("stop_on_divergence", stop_on_divergence,
              "stop the run at the first divergence the check finds");
    v.str("wave", wave, "FST waveform of the RTL unit (viewable in GTKWave); empty: none");
    v.u64("wave_from_ns", wave_from_ns, "ns", "start of the dumped time window");
    v.u64("wave_to_ns", wave_to_ns, "ns", "end of the dumped time window (0: the end of the run)");
    v.boolean("skip_idle_cycles", skip_idle_cycles,
              "advance over cycles in which the RTL only waits for memory instead of clocking each one");
  }
};

struct MmuConfig {
  TlbConfig dtlb{{64, 4}, {32, 4}, {0, 4}, 0, "lru"};
  TlbConfig itlb{{128, 4}, {7, 7}, {0, 4}, 0, "lru"};
  TlbConfig stlb{{512, 4}, {0, 4}, {0, 4}, 7, "lru"};
  PscConfig psc;
  uint64_t walkers = 2;                 // concurrent page walks
  std::string dirty_assist = "rewalk";  // a write hitting a TLB entry with D=0
  bool la57 = false;                    // 5-level paging
  uint64_t invlpg_cycles = 200;         // cost of INVLPG / INVPCID on the executing core
  uint64_t cr3_write_cycles = 150;      // cost of a MOV to CR3 (or CR4)
  ShootdownConfig shootdown;
  MmuImpl impl = MmuImpl::Cpp;
  RtlConfig rtl;

  void describe(cfg::Visitor& v) {
    v.section("dtlb", dtlb, "L1 data TLB");
    v.section("itlb", itlb, "L1 instruction TLB");
    v.section("stlb", stlb, "unified second-level TLB (probed after an L1 miss)");
    v.section("psc", psc, "paging-structure caches, PCID-tagged (SDM 4.10.3)");
    v.u64("walkers", walkers, "walks", "page walks in flight at once", 1, 64);
    v.str("dirty_assist", dirty_assist,
          "write to a TLB entry with D=0: rewalk (walk again, setting D) or rmw (one locked RMW of the leaf)",
          {"rewalk", "rmw"});
    v.boolean("la57", la57, "5-level paging (CR4.LA57)");
    v.u64("invlpg_cycles", invlpg_cycles, "cycles", "cost of INVLPG or INVPCID", 0, 1000000);
    v.u64("cr3_write_cycles", cr3_write_cycles, "cycles", "cost of a MOV to CR3 or CR4", 0, 1000000);
    v.section("shootdown", shootdown, "TLB shootdown IPIs");
    v.choice(
        "impl", impl, {{"cpp", MmuImpl::Cpp}, {"rtl", MmuImpl::Rtl}},
        "translation unit: cpp (the C++ model) or rtl (the SystemVerilog unit co-simulated with Verilator)");
    v.section("rtl", rtl, "co-simulation of the RTL translation unit (mmu.impl = rtl)");
  }
};

}  // namespace pc::mmu
