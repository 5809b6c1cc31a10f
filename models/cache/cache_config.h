// Configuration of the cache hierarchy: per-core L1I, L1D, L2 and a shared LLC (caches.* in the tree).
#pragma once

#include <cstdint>

#include "platform/core/config.h"

namespace pc::cache {

struct CacheLevelConfig {
  uint64_t size_kib = 32;       // capacity
  uint64_t ways = 8;            // associativity
  uint64_t latency_cycles = 4;  // load-to-use latency of a hit at this level

  void describe(cfg::Visitor& v) {
    v.u64("size_kib", size_kib, "KiB", "capacity", 1, 1ull << 24);
    v.u64("ways", ways, "ways", "associativity", 1, 64);
    v.u64("latency_cycles", latency_cycles, "cycles",
          "latency of a hit at this level (total, not added to the levels above)", 0, 10000);
  }
};

struct CachesConfig {
  bool enabled = false;      // false: cores and walkers go straight to the router
  uint64_t line_bytes = 64;  // line size of every level
  CacheLevelConfig l1i{32, 4, 4};
  CacheLevelConfig l1d{32, 8, 4};
  CacheLevelConfig l2{256, 8, 10};
  CacheLevelConfig llc{8192, 16, 40};
  uint64_t llc_mshrs = 0;           // LLC misses to memory in flight at once (0 = unlimited)
  uint64_t line_fill_buffers = 10;  // L1D misses in flight during a multi-line (kernel) stream
  uint64_t writeback_buffers = 8;   // dirty evictions waiting for memory before the cache stalls
  uint64_t locked_rmw_cycles = 20;  // extra cost of a LOCK-prefixed read-modify-write on a line held

  void describe(cfg::Visitor& v) {
    v.boolean("enabled", enabled, "model the cache hierarchy (off: every access goes to memory)");
    v.u64("line_bytes", line_bytes, "bytes", "line size (a power of two)", 16, 4096);
    v.section("l1i", l1i, "per-core L1 instruction cache");
    v.section("l1d", l1d, "per-core L1 data cache (page walks go through it too)");
    v.section("l2", l2, "per-core unified L2");
    v.u64("llc_mshrs", llc_mshrs, "misses",
          "LLC misses outstanding to memory at once, shared by all cores (0 = unlimited); a miss finding "
          "them all "
          "busy waits for the first to complete. Private levels have no limit: an in-order blocking core has "
          "one "
          "miss in flight",
          0, 1024);
    v.u64("line_fill_buffers", line_fill_buffers, "buffers",
          "L1D line fill buffers: misses in flight while the kernel streams a page (clear_page, copy_page); "
          "Nehalem and Skylake have 10",
          1, 64);
    v.u64(
        "writeback_buffers", writeback_buffers, "lines",
        "dirty LLC victims waiting for memory; an eviction finding them all busy stalls its access until one "
        "drains",
        1, 256);
    v.u64(
        "locked_rmw_cycles", locked_rmw_cycles, "cycles",
        "cost of a locked read-modify-write (the walker's A/D compare-exchange, the kernel's PTE atomics) on "
        "top of the line access (LOCK CMPXCHG: about 20 cycles on Nehalem, 18 on Skylake)",
        0, 1000);
    v.section("llc", llc,
              "last-level cache shared by all cores (a DRAM access costs its latency plus memory's)");
  }
};

}  // namespace pc::cache
