// The statistics a core's MMU keeps, shared by the TLM model (Mmu) and the co-simulated RTL unit (RtlMmu)
// so that both report the same keys under the same names and runs of either compare key by key.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "platform/core/stats.h"
#include "platform/hwdefs/cpu_control.h"

namespace pc::mmu {

struct MmuStats {
  // `psc_top`: the highest paging level with a paging-structure cache counter (pml4 = 4, pml5 = 5);
  // `walk_levels`: the levels whose entry reads are counted (4, or 5 with LA57). `rmw_what` describes how
  // the model sets A and D (the RTL unit does a compare-exchange, the TLM walker a locked RMW).
  MmuStats(stats::Group& core_stats, unsigned psc_top, unsigned walk_levels, const char* rmw_what);
  // Counts a #PF under its error code (a counter per code seen).
  void count_fault(uint32_t ec);
  // Counts a shootdown this core initiated and the IPIs it sent for it.
  void shootdown_sent(hw::FlushCause c, unsigned targets) {
    ++*sent[static_cast<unsigned>(c) % hw::kFlushCauses];
    ipis_sent += targets;
  }

  struct Tlb {
    Tlb(stats::Group& parent, const char* name);
    stats::Group g;
    stats::Counter hits, misses;
    stats::Formula hit_rate;
  };
  struct Level {
    Level(stats::Group& parent, const char* name);
    stats::Group g;
    stats::Counter refs, l1, l2, llc, dram, nocache;
  };
  Tlb dtlb, itlb, stlb;
  stats::Group gpsc;
  stats::Counter psc_misses;
  std::unique_ptr<stats::Counter> psc_hits[6];  // [2..psc_top]
  stats::Group gwalk;
  stats::Counter walks, refs, rmws, a_writes, d_writes, dirty_assists, coalesced, lookup_cycles, ref_cycles,
      queue_cycles, cas_restarts, inval_restarts;
  stats::Histogram latency;
  std::unique_ptr<Level> level[6];  // [1..walk_levels]
  stats::Group gfault;
  stats::Counter faults;
  std::map<uint32_t, std::unique_ptr<stats::Counter>> fault_codes;
  stats::Group ginval;
  stats::Counter inv_invlpg, inv_cr3_flush, inv_cr3_noflush, inv_cr4, inv_fault;
  std::unique_ptr<stats::Counter> inv_invpcid[4];
  stats::Group gshoot;
  stats::Counter ipis_sent, received;
  std::unique_ptr<stats::Counter> sent[hw::kFlushCauses];
};

}  // namespace pc::mmu
