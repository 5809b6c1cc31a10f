// GoogleTest entry point for binaries linked against libsystemc (which owns main() and calls sc_main).
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

#include "platform/core/clock.h"

int sc_main(int argc, char** argv) {
  pc::init_time_resolution();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// Our own main() takes precedence over libsystemc's: it silences the banner, which the library prints
// before sc_main runs, then starts SystemC as the library's main() would.
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
