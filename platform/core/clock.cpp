// Clock domains on a femtosecond time base.
#include "platform/core/clock.h"

#include <cmath>
#include <stdexcept>

namespace pc {

void init_time_resolution() {
  static bool done = false;
  if (done) return;
  done = true;
  // The report handler would abort if the resolution were already frozen by an earlier sc_time.
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
}

ClockDomain::ClockDomain(std::string name, double mhz) : m_name(std::move(name)), m_mhz(mhz) {
  if (!(mhz > 0)) throw std::invalid_argument("clock domain " + m_name + ": frequency must be positive");
  m_period_fs = static_cast<uint64_t>(std::llround(1e9 / mhz));
  const double res_fs = sc_core::sc_get_time_resolution().to_seconds() * 1e15;
  if (std::llround(res_fs) != 1)
    throw std::logic_error("time resolution must be 1 fs: call pc::init_time_resolution() before elaboration");
}

}  // namespace pc

sc_core::sc_time pc::delay_until(const sc_core::sc_time& at, const char* where) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (at < now)
    throw std::logic_error(std::string(where) + ": absolute time " + std::to_string(at.value()) +
                           " fs lies before the current time " + std::to_string(now.value()) +
                           " fs (the delay would wrap below zero)");
  return at - now;
}
