// Workload configuration: synthetic access patterns (optionally a sequence of phases) or a lackey trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/core/config.h"
#include "testbench/workload/blockio_config.h"

namespace pc::tb {

enum class Pattern { Sequential, Strided, Random, Zipf, HotCold };

struct PatternConfig {
  Pattern pattern = Pattern::Zipf;
  uint64_t footprint_kib = 65536;   // KiB of address space the pattern touches
  uint64_t accesses = 500000;       // memory operations to issue
  double read_fraction = 0.7;       // probability that an access is a read (else a write)
  uint64_t access_size = 8;         // bytes per access (1..64, a power of two); accesses are size-aligned
  uint64_t stride = 4096;           // bytes between consecutive accesses (strided)
  double zipf_s = 0.99;             // Zipf exponent (zipf)
  double hot_fraction = 0.1;        // share of the footprint that is hot (hotcold)
  double hot_access_fraction = 0.9; // share of accesses that go to the hot set (hotcold)
  uint64_t compute_cycles = 0;      // compute cycles between two accesses

  void describe(cfg::Visitor& v) {
    v.choice("pattern", pattern,
             {{"sequential", Pattern::Sequential},
              {"strided", Pattern::Strided},
              {"random", Pattern::Random},
              {"zipf", Pattern::Zipf},
              {"hotcold", Pattern::HotCold}},
             "address pattern");
    v.u64("footprint_kib", footprint_kib, "KiB", "address range the pattern touches", 4, 1ull << 30);
    v.u64("accesses", accesses, "ops", "memory operations issued", 0, 1ull << 40);
    v.f64("read_fraction", read_fraction, "", "probability that an access is a read", 0, 1);
    v.u64("access_size", access_size, "bytes", "bytes per access (power of two)", 1, 64);
    v.u64("stride", stride, "bytes", "distance between consecutive accesses (strided)", 1, 1ull << 40);
    v.f64("zipf_s", zipf_s, "", "Zipf exponent (zipf)", 0.01, 10);
    v.f64("hot_fraction", hot_fraction, "", "share of the footprint that is hot (hotcold)", 0.0001, 1);
    v.f64("hot_access_fraction", hot_access_fraction, "", "share of accesses to the hot set (hotcold)", 0, 1);
    v.u64("compute_cycles", compute_cycles, "cycles", "compute cycles between accesses", 0, 1000000);
  }
};

struct TraceConfig {
  std::string path;        // lackey output (plain, .gz or .xz); empty = no trace
  bool remap = true;       // with paging off: map each touched 4 KiB page to a fresh frame on first touch
  uint64_t max_ops = 0;    // stop after this many memory operations (0 = whole trace)

  void describe(cfg::Visitor& v) {
    v.str("path", path, "valgrind --tool=lackey --trace-mem=yes output (plain, .gz or .xz)");
    v.boolean("remap", remap, "paging off: place touched pages in physical memory in first-touch order");
    v.u64("max_ops", max_ops, "ops", "stop after this many memory operations (0 = all)");
  }
};

struct WorkloadConfig {
  std::string source = "synthetic";  // synthetic | trace | blockio
  bool data_check = false;           // write deterministic data, verify every read
  PatternConfig synthetic;           // the pattern when `phases` is empty
  std::vector<PatternConfig> phases; // patterns run one after another (replaces `synthetic`)
  TraceConfig trace;
  BlockIoConfig blockio;             // block I/O through the kernel block layer (source = blockio)

  void describe(cfg::Visitor& v) {
    v.str("source", source, "what the cores run (blockio: kernel threads issue disk I/O, cores idle)",
          {"synthetic", "trace", "blockio"});
    v.boolean("data_check", data_check, "write deterministic values and verify every read");
    v.section("synthetic", synthetic, "synthetic access pattern (each core runs its own over a private range)");
    v.list("phases", phases, "sequence of patterns run one after another; replaces 'synthetic' when set");
    v.section("trace", trace, "lackey trace replay (core 0 runs it)");
    v.section("blockio", blockio, "block-I/O workload through the block layer and disk driver");
  }
};

}  // namespace pc::tb
