// MMU statistics (see mmu_stats.h).
#include "models/mmu/mmu_stats.h"

#include <fmt/format.h>

namespace pc::mmu {

MmuStats::Tlb::Tlb(stats::Group& parent, const char* name)
    : g(&parent, name, fmt::format("{} TLB", name)),
      hits(g, "hits", "lookups", "lookups that hit"),
      misses(g, "misses", "lookups", "lookups that missed"),
      hit_rate(g, "hit_rate", "ratio", "hits / lookups", [this] {
        const double n = static_cast<double>(hits.value() + misses.value());
        return n ? static_cast<double>(hits.value()) / n : 0.0;
      }) {}

MmuStats::Level::Level(stats::Group& parent, const char* name)
    : g(&parent, name, fmt::format("walker references to {} entries", name)),
      refs(g, "refs", "reads", "entry reads at this level"),
      l1(g, "l1", "reads", "served by L1D"),
      l2(g, "l2", "reads", "served by L2"),
      llc(g, "llc", "reads", "served by the LLC"),
      dram(g, "dram", "reads", "served by memory"),
      nocache(g, "nocache", "reads", "served by memory with caches disabled") {}

MmuStats::MmuStats(stats::Group& core_stats, unsigned psc_top, unsigned walk_levels, const char* rmw_what)
    : dtlb(core_stats, "dtlb"),
      itlb(core_stats, "itlb"),
      stlb(core_stats, "stlb"),
      gpsc(&core_stats, "psc", "paging-structure caches"),
      psc_misses(gpsc, "misses", "walks", "walks that hit no paging-structure cache"),
      gwalk(&core_stats, "walker", "page walker"),
      walks(gwalk, "walks", "walks", "page walks started (STLB misses and dirty-assist re-walks)"),
      refs(gwalk, "refs", "reads", "paging-structure entries read"),
      rmws(gwalk, "rmws", "rmws", rmw_what),
      a_writes(gwalk, "a_writes", "entries", "entries whose Accessed bit the walker set"),
      d_writes(gwalk, "d_writes", "entries", "leaf entries whose Dirty bit the MMU set"),
      dirty_assists(gwalk, "dirty_assists", "writes", "writes that hit a TLB entry with D=0"),
      coalesced(gwalk, "coalesced", "misses", "misses that joined a walk in flight to the same page"),
      lookup_cycles(gwalk, "lookup_cycles", "cycles", "paging-structure-cache lookup cycles of all walks"),
      ref_cycles(gwalk, "ref_cycles", "cycles", "cycles of all entry reads and A/D updates"),
      queue_cycles(gwalk, "queue_cycles", "cycles", "cycles misses waited for a free walker"),
      cas_restarts(
          gwalk, "cas_restarts", "updates",
          "A/D compare-exchanges that found the entry changed: the walk re-read it and the levels below"),
      inval_restarts(
          gwalk, "inval_restarts", "walks",
          "walks started again from the top because an invalidation arrived while they were in flight"),
      latency(gwalk, "latency", "cycles", "walk latency: PSC lookup + every reference, in order"),
      gfault(&core_stats, "faults", "page faults raised (#PF)"),
      faults(gfault, "total", "faults", "page faults"),
      ginval(&core_stats, "inval", "TLB/PSC invalidations by cause"),
      inv_invlpg(ginval, "invlpg", "ops", "INVLPG executed"),
      inv_cr3_flush(ginval, "cr3_flush", "ops", "CR3 writes that flushed"),
      inv_cr3_noflush(ginval, "cr3_noflush", "ops", "CR3 writes with PCID no-flush"),
      inv_cr4(ginval, "cr4_flush", "ops", "CR4 writes that flushed everything (PGE or PCIDE change)"),
      inv_fault(ginval, "fault", "faults", "faults that invalidated the faulting address"),
      gshoot(&core_stats, "shootdown", "TLB shootdown IPIs"),
      ipis_sent(gshoot, "ipis_sent", "ipis", "IPIs this core sent"),
      received(gshoot, "received", "ipis", "shootdown IPIs this core handled") {
  // Counters made here register after the ones above in their groups, in the order the reports list them.
  const char* names[6] = {"", "pt", "pd", "pdpt", "pml4", "pml5"};
  for (unsigned l = 2; l <= psc_top; ++l)
    psc_hits[l] =
        std::make_unique<stats::Counter>(gpsc, fmt::format("{}_hits", names[l]), "walks",
                                         fmt::format("walks that started below a cached {} entry", names[l]));
  for (unsigned l = 1; l <= walk_levels; ++l) level[l] = std::make_unique<Level>(gwalk, names[l]);
  for (unsigned t = 0; t < 4; ++t)
    inv_invpcid[t] = std::make_unique<stats::Counter>(ginval, fmt::format("invpcid{}", t), "ops",
                                                      fmt::format("INVPCID type {} executed", t));
  for (unsigned c = 0; c < hw::kFlushCauses; ++c)
    sent[c] = std::make_unique<stats::Counter>(
        gshoot, fmt::format("sent_{}", hw::flush_cause_name(static_cast<hw::FlushCause>(c))), "shootdowns",
        "shootdowns this core initiated for this cause");
}

void MmuStats::count_fault(uint32_t ec) {
  ++faults;
  auto& c = fault_codes[ec];
  if (!c)
    c = std::make_unique<stats::Counter>(
        gfault, fmt::format("ec_0x{:02x}", ec), "faults",
        fmt::format("faults with error code 0x{:x} (P={} W={} U={} RSVD={} I={})", ec, ec & 1, (ec >> 1) & 1,
                    (ec >> 2) & 1, (ec >> 3) & 1, (ec >> 4) & 1));
  ++*c;
}

}  // namespace pc::mmu
