// badness() and its helpers (Linux 2.6.18 mm/oom_kill.c, lib/int_sqrt.c, include/linux/timex.h).
#include "kernel_model/mm/oom_kill.h"

namespace pc::kernel {

unsigned shift_hz(unsigned hz) {
  // timex.h: HZ 12-23 -> 4, 24-47 -> 5, 48-95 -> 6, 96-191 -> 7, 192-383 -> 8, 384-767 -> 9,
  // 768-1535 -> 10 (the power of two nearest HZ, with 1.5 * 2^n as the boundary).
  unsigned s = 4;
  uint64_t lo = 12;
  while (s < 13 && hz >= lo * 2) {
    ++s;
    lo *= 2;
  }
  return s;
}

uint64_t int_sqrt(uint64_t x) {
  uint64_t r = 0;
  for (uint64_t bit = 1ull << 62; bit; bit >>= 2) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

uint64_t badness(const BadnessInput& in, unsigned hz) {
  if (!in.has_mm) return 0;
  uint64_t points = in.total_vm;
  // Children with their own address space add half theirs (+1): forking servers are good victims.
  for (uint64_t c : in.children_total_vm) points += c / 2 + 1;
  // Long-running, CPU-heavy tasks are spared: divide by sqrt(cpu time) and the fourth root of run time.
  const uint64_t cpu_time = in.cpu_jiffies >> (shift_hz(hz) + 3);
  const uint64_t run_time = in.run_seconds >> 10;
  if (const uint64_t s = int_sqrt(cpu_time)) points /= s;
  if (const uint64_t s = int_sqrt(int_sqrt(run_time))) points /= s;
  if (in.nice > 0) points *= 2;
  if (in.sys_admin) points /= 4;
  if (in.sys_rawio) points /= 4;
  if (in.oomkilladj > 0)
    points <<= in.oomkilladj;
  else if (in.oomkilladj < 0)
    points >>= -in.oomkilladj;
  return points;
}

}  // namespace pc::kernel
