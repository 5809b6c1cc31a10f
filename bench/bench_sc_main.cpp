// Google Benchmark entry point for a binary linked against libsystemc (which owns main()).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <systemc>

#include "platform/core/clock.h"

int sc_main(int argc, char** argv) {
  pc::init_time_resolution();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Our own main() takes precedence over libsystemc's: it silences the banner, which the library prints
// before sc_main runs, then starts SystemC as the library's main() would.
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
