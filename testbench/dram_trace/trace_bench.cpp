// Stand-alone DRAM testbench.
#include "testbench/dram_trace/trace_bench.h"

#include <chrono>
#include <stdexcept>

namespace pc::tb {

DramTraceBench::DramTraceBench(const dram::DdrConfig& cfg, uint64_t mem_bytes, DramTracePlayer::Source src, bool timed,
                               const dram::TimingConfig* checker_timing)
    : m_root(nullptr, "stats", "PageCycle statistics"), m_store(mem_bytes) {
  m_ctrl = std::make_unique<dram::DramController>("dram", cfg, m_store, m_root, checker_timing);
  m_player = std::make_unique<DramTracePlayer>("player", std::move(src), m_ctrl->clock(), mem_bytes, timed,
                                               static_cast<unsigned>(cfg.org.burst_bytes()));
  m_player->isock.bind(m_ctrl->tsock);
}

DramTraceBench::~DramTraceBench() = default;

double DramTraceBench::run() {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  // Step in slices of simulated time: the controller always has refresh pending, so the kernel never
  // runs out of events by itself.
  const sc_core::sc_time slice = m_ctrl->clock().cycles(100000);
  while (!(m_player->done() && m_ctrl->idle())) {
    sc_core::sc_start(slice);
    if (!sc_core::sc_pending_activity() && !(m_player->done() && m_ctrl->idle()))
      throw std::runtime_error("DRAM testbench stalled with requests outstanding");
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double DramTraceBench::stat(const std::string& path) const {
  std::string field;
  const auto* s = m_root.find(path);
  if (!s) {
    const auto dot = path.rfind('.');
    s = m_root.find(path.substr(0, dot));
    field = path.substr(dot + 1);
  }
  if (!s) throw std::runtime_error("no stat " + path);
  auto j = s->to_json();
  if (!field.empty()) j = j.at(field);
  return j.get<double>();
}

}  // namespace pc::tb
