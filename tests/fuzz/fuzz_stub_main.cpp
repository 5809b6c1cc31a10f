// libFuzzer supplies main(); libsystemc.so still needs an sc_main to link, never called.
#include <systemc>

int sc_main(int, char**) {
  return 0;
}
