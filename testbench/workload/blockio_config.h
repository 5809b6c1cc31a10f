// Configuration of the block-I/O workload (workload.source = "blockio"): see testbench/blockio.h.
#pragma once

#include <cstdint>
#include <string>

#include "platform/core/config.h"

namespace pc::tb {

struct BlockIoConfig {
  std::string pattern = "random";  // random | sequential
  double read_fraction = 1.0;      // probability that an I/O is a read
  uint64_t block_kib = 4;          // bytes per I/O, KiB
  uint64_t queue_depth = 1;        // issuer threads, each with one I/O outstanding
  uint64_t requests = 2000;        // I/Os in total
  uint64_t span_mib = 0;           // device range used (0 = whole device)
  bool data_check = false;         // write deterministic data and verify every read
  bool with_cores = false;         // the cores run the synthetic workload at the same time

  void describe(cfg::Visitor& v) {
    v.str("pattern", pattern, "block address pattern", {"random", "sequential"});
    v.f64("read_fraction", read_fraction, "", "probability that an I/O is a read", 0, 1);
    v.u64("block_kib", block_kib, "KiB", "size of each I/O (multiple of 4)", 4, 1024);
    v.u64("queue_depth", queue_depth, "I/Os", "I/Os kept outstanding (issuer threads)", 1, 1024);
    v.u64("requests", requests, "I/Os", "I/Os to issue", 1, 1ull << 32);
    v.u64("span_mib", span_mib, "MiB", "device range the I/Os cover from sector 0 (0 = whole device)", 0, 1ull << 30);
    v.boolean("data_check", data_check, "write deterministic data, verify every read");
    v.boolean("with_cores", with_cores, "the cores run the synthetic workload meanwhile (DMA competes with them)");
  }
};

}  // namespace pc::tb
