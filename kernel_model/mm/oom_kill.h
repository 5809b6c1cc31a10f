// The OOM killer (Linux 2.6.18 mm/oom_kill.c; spec linux-2.6.18-mm.md §12): badness, select_bad_process
// and the choice of the victim. The kill itself (TIF_MEMDIE, SIGKILL) is the kernel's (kernel.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pc::kernel {

struct Task;

constexpr int OOM_DISABLE = -17;

// What badness() reads of a task.
struct BadnessInput {
  bool has_mm = true;
  uint64_t total_vm = 0;                    // pages of address space
  std::vector<uint64_t> children_total_vm;  // children with their own mm
  uint64_t cpu_jiffies = 0;                 // utime + stime
  uint64_t run_seconds = 0;                 // uptime - start_time
  int nice = 0;
  bool sys_admin = false;  // CAP_SYS_ADMIN, or uid/euid 0
  bool sys_rawio = false;  // CAP_SYS_RAWIO
  int oomkilladj = 0;
};

// SHIFT_HZ (include/linux/timex.h): log2 of the power of two nearest HZ.
unsigned shift_hz(unsigned hz);
uint64_t int_sqrt(uint64_t x);
// badness(p, uptime): spec §12.3.
uint64_t badness(const BadnessInput& in, unsigned hz);

// One OOM kill, as recorded.
struct OomKill {
  uint32_t pid = 0;
  std::string comm;
  uint64_t points = 0;
  uint64_t free_pages = 0;  // free frames when the killer ran
  uint64_t time_fs = 0;
  uint32_t invoker = 0;  // pid of the task whose allocation failed
};

}  // namespace pc::kernel
