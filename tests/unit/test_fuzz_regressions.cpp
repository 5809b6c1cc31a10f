// Bugs the fuzz harnesses found (tests/fuzz), each pinned by an exact test here; the inputs themselves
// are replayed by fuzz.replay.<harness> from tests/fuzz/regressions/.
#include <gtest/gtest.h>

#include <sstream>

#include "platform/soc/platform_config.h"
#include "testbench/dram_trace/trace_reader.h"

using namespace pc;

namespace {

std::string dram_trace_error(const std::string& text) {
  tb::DramTraceReader r(std::make_unique<std::istringstream>(text), "t.trace");
  tb::DramTraceEntry e;
  try {
    while (r.next(e)) {
    }
  } catch (const tb::TraceError& err) {
    return err.what();
  }
  return "";
}

std::string config_error(const std::function<void(soc::ConfigResolver&)>& f) {
  soc::ConfigResolver r;
  try {
    f(r);
    r.finish();
  } catch (const cfg::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// regressions/config/invalid-utf8-in-set-value: a --set value that is not JSON is taken as a string;
// with a byte that is not UTF-8 the error message's JSON dump threw nlohmann's type_error 316, so the
// CLI said "error: [json.exception...]" with exit status 1 instead of a config error (exit status 2).
TEST(FuzzRegressions, SetValueWithInvalidUtf8IsAConfigError) {
  EXPECT_EQ(
      config_error([](auto& r) { r.apply_set("dram.size_mib=8\xe4"); }),
      "--set dram.size_mib=8\xe4: key 'dram.size_mib': expected an unsigned integer in [1, 1048576], got "
      "\"8\xef\xbf\xbd\" (string)");
}

// regressions/config/invalid-utf8-in-string: a string field took the bytes, and the resolved
// configuration then could not be written as JSON (pagecycle config, --stats-json).
TEST(FuzzRegressions, StringFieldRejectsInvalidUtf8) {
  EXPECT_EQ(config_error([](auto& r) { r.apply_set("workload.trace.path=app\xff.lackey"); }),
            "--set workload.trace.path=app\xff.lackey: key 'workload.trace.path': expected a string in valid "
            "UTF-8, "
            "got \"app\xef\xbf\xbd.lackey\" (string)");
  soc::ConfigResolver r;
  r.apply_set("workload.trace.path=caf\xc3\xa9.lackey");  // valid UTF-8 is fine
  EXPECT_EQ(r.finish().workload.trace.path, "caf\xc3\xa9.lackey");
}

// regressions/config/number-overflow-in-set and -in-file: nlohmann throws out_of_range 406 (not
// parse_error) for a number beyond a double, which escaped both the --set parser and the file loader.
TEST(FuzzRegressions, NumberBeyondADoubleIsAConfigError) {
  EXPECT_EQ(
      config_error([](auto& r) { r.apply_set("cpu.cores=444e4444444444444444"); }),
      "--set cpu.cores=444e4444444444444444: key 'cpu.cores': expected an unsigned integer in [1, 256], got "
      "\"444e4444444444444444\" (string)");
  EXPECT_EQ(config_error([](auto&) {
              cfg::parse_json_text(
                  "// a config\n{\"cpu\": {\"cores\": 2},\n \"clocks\": {\"cpu_mhz\": 1e999}}\n", "f.json");
            }),
            "f.json:3: invalid JSON: number overflow parsing '1e999'");
}

// regressions/dram_trace/hex-address-over-64-bits: a 17-digit hex address made std::stoull throw
// std::out_of_range, which ended the program instead of naming the line.
TEST(FuzzRegressions, DramTraceNumberAbove64BitsIsALineError) {
  EXPECT_EQ(
      dram_trace_error("0:\tread\t0x180\n9:\tread\t0x1555551a555555580\n"),
      "t.trace:2: expected DRAMSys 'cycle:<TAB>read|write<TAB>0xADDR', got '9:\tread\t0x1555551a555555580'");
  EXPECT_EQ(dram_trace_error("LD 18446744073709551616\n"),
            "t.trace:1: expected Ramulator 'LD|ST 0xADDR', got 'LD 18446744073709551616'");
  EXPECT_EQ(dram_trace_error("0x10 READ 99999999999999999999\n"),
            "t.trace:1: expected DRAMSim3 '0xADDR READ|WRITE cycle', got '0x10 READ 99999999999999999999'");
  // The largest values still read, leading zeros included.
  tb::DramTraceReader r(std::make_unique<std::istringstream>(
                            "LD 0xffffffffffffffff\nST 18446744073709551615\nLD 0x00000000000000000001f40\n"),
                        "t.trace");
  tb::DramTraceEntry e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.addr, ~0ull);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.addr, ~0ull);
  EXPECT_TRUE(e.write);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.addr, 0x1f40u);
  EXPECT_FALSE(r.next(e));
}
