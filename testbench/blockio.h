// Block-I/O workload: queue_depth kernel-side issuer threads submit bios through the block layer
// (random or sequential, read/write mix, fixed block size) and wait for each; optional data checking
// writes deterministic contents and verifies every read through the whole path.
#pragma once

#include <systemc>
#include <unordered_map>
#include <vector>

#include "kernel_model/block/ahci.h"
#include "testbench/workload/blockio_config.h"
#include "platform/core/stats.h"

namespace pc::tb {

class BlockIoWorkload : public sc_core::sc_module {
 public:
  // Buffers: queue_depth blocks from `buf_base` (physical, block-aligned, owned by the workload).
  BlockIoWorkload(sc_core::sc_module_name name, const BlockIoConfig& cfg, uint64_t seed, kernel::BlockLayer& blk,
                  kernel::KernelBus& bus, uint64_t buf_base, stats::Group& parent);

  bool done() const { return m_finished == m_cfg.queue_depth; }
  sc_core::sc_time end_time() const { return sc_core::sc_time::from_value(m_end); }
  uint64_t data_errors() const { return m_data_errors.value(); }
  uint64_t io_errors() const { return m_io_errors.value(); }
  static uint64_t buffer_bytes(const BlockIoConfig& cfg) { return cfg.queue_depth * cfg.block_kib * 1024; }

 private:
  struct Dir {
    Dir(stats::Group& parent, const char* name);
    stats::Group g;
    stats::Counter ios, bytes;
    stats::Histogram latency_us, queue_us, device_us;
    stats::Formula iops;
  };
  void issuer(unsigned id);
  uint64_t next_block(unsigned id, uint64_t& rng);
  uint64_t pattern_word(uint64_t block, uint64_t word, uint64_t version) const;

  BlockIoConfig m_cfg;
  uint64_t m_seed;
  kernel::BlockLayer& m_blk;
  kernel::KernelBus& m_bus;
  uint64_t m_buf_base, m_span_blocks = 0, m_cursor = 0, m_issued = 0, m_version = 0;
  unsigned m_finished = 0;
  kernel::Fs m_end = 0;
  std::unordered_map<uint64_t, uint64_t> m_shadow;  // block -> version last written

  stats::Group m_stats;
  Dir m_read, m_write;
  stats::Counter m_io_errors, m_data_errors, m_reads_checked;
};

}  // namespace pc::tb
