// Clock domains: each component counts time in cycles of its own domain (cpu, dram, disk) on one
// sc_time base. The time resolution is 1 fs so that periods such as 3 GHz (333,333 fs) or DDR4-2400
// (833,333 fs) stay within a femtosecond of exact.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>

namespace pc {

// Sets the kernel's time resolution to 1 fs. Must run before any non-zero sc_time is created; every
// sc_main and every simulation test calls it first. Calling it again is harmless.
void init_time_resolution();

// The delay from now until the absolute time `at`. Loosely-timed code keeps absolute times across calls
// that may wait; one that lies in the past means a wait ran past it, which would wrap the unsigned
// sc_time: a model bug, reported at once (always on: it is one comparison).
sc_core::sc_time delay_until(const sc_core::sc_time& at, const char* where);

class ClockDomain {
 public:
  ClockDomain() = default;
  ClockDomain(std::string name, double mhz);

  const std::string& name() const { return m_name; }
  double mhz() const { return m_mhz; }
  uint64_t period_fs() const { return m_period_fs; }
  sc_core::sc_time period() const { return sc_core::sc_time::from_value(m_period_fs); }
  sc_core::sc_time cycles(uint64_t n) const { return sc_core::sc_time::from_value(n * m_period_fs); }
  // Whole cycles elapsed in `t` (truncating).
  uint64_t to_cycles(const sc_core::sc_time& t) const { return t.value() / m_period_fs; }
  // Cycles rounded up: the first edge at or after `t`.
  uint64_t to_cycles_ceil(const sc_core::sc_time& t) const {
    const uint64_t fs = t.value();
    return (fs + m_period_fs - 1) / m_period_fs;
  }
  double to_cycles_exact(const sc_core::sc_time& t) const {
    return static_cast<double>(t.value()) / static_cast<double>(m_period_fs);
  }

 private:
  std::string m_name;
  double m_mhz = 0;
  uint64_t m_period_fs = 1;
};

}  // namespace pc
