// AddressSanitizer and SystemC's QuickThreads coroutines: ASan does not see the coroutine stack switches,
// so once processes have run it ignores __asan_handle_no_return and a C++ throw leaves stale redzones
// behind on the main stack (google/sanitizers#189), later reported as false stack-buffer-overflows.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include <cstdint>
#endif

namespace pc {

// Call right before throwing on the main stack after sc_start has run processes: tells ASan again which
// stack the thread is on (a fiber switch onto the main stack), so that the throw's
// __asan_handle_no_return clears the frames it unwinds. A no-op without ASan or on a coroutine stack.
inline void prepare_throw_after_simulation() {
#if defined(__SANITIZE_ADDRESS__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* base = nullptr;
  size_t size = 0;
  pthread_attr_getstack(&attr, &base, &size);
  pthread_attr_destroy(&attr);
  char here = 0;
  const auto lo = reinterpret_cast<uintptr_t>(&here), bottom = reinterpret_cast<uintptr_t>(base);
  const uintptr_t top = bottom + size;
  if (lo < bottom || lo >= top) return;
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, base, size);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

}  // namespace pc
