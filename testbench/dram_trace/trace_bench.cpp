// Stand-alone DRAM testbench.
#include "testbench/dram_trace/trace_bench.h"

#include <chrono>
#include <stdexcept>

namespace pc::tb {

DramTraceBench::DramTraceBench(const dram::DdrConfig& cfg, uint64_t mem_bytes, DramTracePlayer::Source src,
                               bool timed, const dram::TimingConfig* checker_timing)
    : m_root(nullptr, "stats", "PageCycle statistics"), m_store(mem_bytes) {
  m_ctrl = std::make_unique<dram::DramController>("dram", cfg, m_store, m_root, checker_timing);
  m_player = std::make_unique<DramTracePlayer>("player", std::move(src), m_ctrl->clock(), mem_bytes, timed,
                                               static_cast<unsigned>(cfg.org.burst_bytes()));
  m_player->isock.bind(m_ctrl->tsock);
  // Replaying --fast, the player acts only on the controller's END_REQ and responses, and run() starts
  // the kernel without a time limit: the scheduler may run cycles ahead while nothing else is due.
  m_ctrl->set_run_ahead(!timed);
  // The player only counts and checks responses, taking their times from the annotation.
  m_ctrl->set_early_responses(true);
}

DramTraceBench::~DramTraceBench() = default;

double DramTraceBench::run() {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  // The controller always has a refresh pending, so the kernel never runs out of events: a watcher
  // stops the simulation once every request is answered and the queues have drained, checking on a grid
  // of 16 DRAM cycles, and reports a stall if nothing completes for a million DRAM cycles while requests
  // are outstanding. Until the player is done the stop condition cannot hold, so the watcher sleeps on
  // the player's done event (checking for a stall every 2^20 cycles) instead of waking every 16 cycles.
  bool stalled = false;
  sc_core::sc_spawn(
      [this, &stalled] {
        const uint64_t grid = 16 * m_ctrl->clock().period_fs();
        const sc_core::sc_time stall_step = m_ctrl->clock().cycles(1u << 20);
        auto finished = [this] {
          return (m_player->done() && m_ctrl->idle()) || !m_ctrl->violation().empty();
        };
        uint64_t last = UINT64_MAX;
        while (!m_player->done() && m_ctrl->violation().empty()) {
          sc_core::wait(stall_step, m_player->done_event());
          const uint64_t now = m_player->completed() + m_player->issued();
          if (now == last && !m_ctrl->idle()) {
            stalled = true;
            sc_core::sc_stop();
            return;
          }
          last = now;
        }
        // The first grid point at or after now (the player finishes in a method before this thread runs
        // at the same time, so a grid point now sees it done, as a watcher polling the grid would).
        const uint64_t t = sc_core::sc_time_stamp().value();
        if (t == 0 || t % grid != 0 || !finished()) {
          sc_core::wait(sc_core::sc_time::from_value(t == 0 ? grid : (t / grid + 1) * grid - t));
          while (!finished()) sc_core::wait(sc_core::sc_time::from_value(grid));
        }
        sc_core::sc_stop();
      },
      "watcher");
  sc_core::sc_start();
  m_ctrl->sync_to_now();
  if (stalled) m_error = "DRAM testbench stalled: no request completed in 1,000,000 DRAM cycles";
  if (!m_ctrl->violation().empty()) m_error = m_ctrl->violation();
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
