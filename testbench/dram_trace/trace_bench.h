// A stand-alone DRAM testbench: backing store, DDR controller and a trace player wired together, for
// `pagecycle dram-trace` and the DRAM bandwidth tests.
#pragma once

#include <memory>
#include <string>

#include "models/dram/dram_controller.h"
#include "models/mem/backing_store.h"
#include "platform/core/stats.h"
#include "testbench/dram_trace/trace_player.h"

namespace pc::tb {

class DramTraceBench {
 public:
  // `mem_bytes` of memory behind the controller (addresses are folded into it).
  DramTraceBench(const dram::DdrConfig& cfg, uint64_t mem_bytes, DramTracePlayer::Source src, bool timed,
                 const dram::TimingConfig* checker_timing = nullptr);
  ~DramTraceBench();

  // Simulates until every request is answered and the controller has drained its queues, or until a
  // timing violation or a stall stops it (see error()); returns the host seconds taken.
  double run();
  // Why the run stopped early (a timing violation or a stall); empty after a complete run.
  const std::string& error() const { return m_error; }

  stats::Group& stats() { return m_root; }
  dram::DramController& controller() { return *m_ctrl; }
  DramTracePlayer& player() { return *m_player; }
  mem::BackingStore& memory() { return m_store; }
  // Value of a stat below "stats." (a number, or a field of a distribution with "path.field").
  double stat(const std::string& path) const;

 private:
  stats::Group m_root;
  mem::BackingStore m_store;
  std::unique_ptr<dram::DramController> m_ctrl;
  std::unique_ptr<DramTracePlayer> m_player;
  std::string m_error;
};

}  // namespace pc::tb
