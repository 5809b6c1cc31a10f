// Configuration: strict decoding, layering, --set, presets and cross-field checks.
#include <gtest/gtest.h>

#include <fstream>

#include "platform/core/config.h"
#include "platform/soc/platform_config.h"
#include "tests/support/temp_path.h"

using pc::cfg::ConfigError;
using pc::cfg::Json;
using pc::soc::ConfigResolver;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = pc::test::temp_path(name);
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(Config, DefaultsNeedNoFile) {
  ConfigResolver r;
  const auto& c = r.finish();
  EXPECT_EQ(c.cpu.cores, 2u);
  EXPECT_EQ(c.dram.model, "ddr");  // the default platform uses the DDR4-3200 model
  EXPECT_EQ(c.dram.size_mib, 4096u);
  EXPECT_EQ(c.workload.source, "synthetic");
}

TEST(Config, SetOverridesAField) {
  ConfigResolver r;
  r.apply_set("dram.size_mib=1024");
  r.apply_set("workload.synthetic.pattern=random");
  r.apply_set("workload.data_check=true");
  r.apply_set("clocks.cpu_mhz=2500.5");
  const auto& c = r.finish();
  EXPECT_EQ(c.dram.size_mib, 1024u);
  EXPECT_EQ(c.workload.synthetic.pattern, pc::tb::Pattern::Random);
  EXPECT_TRUE(c.workload.data_check);
  EXPECT_DOUBLE_EQ(c.clocks.cpu_mhz, 2500.5);
}

TEST(Config, UnknownKeyNamesSourceAndPath) {
  ConfigResolver r;
  const auto msg = error_of([&] { r.apply_set("no.such.key=1"); });
  EXPECT_NE(msg.find("--set no.such.key=1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'no'"), std::string::npos) << msg;
}

TEST(Config, TypoInFileNamesFileKeyAndSuggestion) {
  const auto path = write_temp("typo.json", "// a platform\n{ \"dram\": { \"size_mb\": 512 } }\n");
  ConfigResolver r;
  const auto msg = error_of([&] { r.apply_file(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'dram.size_mb'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'dram.size_mib'"), std::string::npos) << msg;
}

TEST(Config, WrongTypeAndRangeAreRejected) {
  ConfigResolver r;
  auto msg = error_of([&] { r.apply_set("cpu.cores=two"); });
  EXPECT_NE(msg.find("key 'cpu.cores': expected an unsigned integer in [1, 256], got \"two\""),
            std::string::npos)
      << msg;
  msg = error_of([&] { r.apply_set("cpu.cores=0"); });
  EXPECT_NE(msg.find("key 'cpu.cores'"), std::string::npos) << msg;
  msg = error_of([&] { r.apply_set("cpu.cores=-3"); });
  EXPECT_NE(msg.find("key 'cpu.cores'"), std::string::npos) << msg;
  msg = error_of([&] { r.apply_set("workload.synthetic.read_fraction=1.5"); });
  EXPECT_NE(msg.find("expected a number in [0, 1]"), std::string::npos) << msg;
  msg = error_of([&] { r.apply_set("workload.synthetic.pattern=spiral"); });
  EXPECT_NE(msg.find("one of \"sequential\", \"strided\", \"random\", \"zipf\", \"hotcold\""),
            std::string::npos)
      << msg;
  msg = error_of([&] { r.apply_set("dram=3"); });
  EXPECT_NE(msg.find("key 'dram': expected an object"), std::string::npos) << msg;
  // A rejected layer leaves earlier values alone.
  EXPECT_EQ(r.finish().cpu.cores, 2u);
}

TEST(Config, IntegralFloatAcceptedForUnsigned) {
  ConfigResolver r;
  r.apply_set("workload.synthetic.accesses=1e6");
  EXPECT_EQ(r.finish().workload.synthetic.accesses, 1000000u);
  EXPECT_NE(error_of([&] { r.apply_set("workload.synthetic.accesses=1.5"); }).find("accesses"),
            std::string::npos);
}

TEST(Config, FileWithCommentsAndLayersInOrder) {
  const auto path = write_temp("ok.json", R"(/* block comment */
{
  "cpu": { "cores": 4 },   // line comment
  "dram": { "size_mib": 8192 }
})");
  ConfigResolver r;
  r.apply_preset("small");  // 1 core, 256 MiB
  r.apply_file(path);       // 4 cores, 8 GiB
  r.apply_set("cpu.cores=3");
  const auto& c = r.finish();
  EXPECT_EQ(c.cpu.cores, 3u);
  EXPECT_EQ(c.dram.size_mib, 8192u);
  EXPECT_EQ(c.workload.synthetic.pattern, pc::tb::Pattern::Random);  // from the preset
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  const auto path = write_temp("bad.json", "{\n  \"cpu\": {\n    \"cores\": 4,,\n  }\n}\n");
  ConfigResolver r;
  const auto msg = error_of([&] { r.apply_file(path); });
  EXPECT_NE(msg.find(path + ":3: invalid JSON"), std::string::npos) << msg;
}

TEST(Config, MissingFile) {
  ConfigResolver r;
  EXPECT_NE(error_of([&] { r.apply_file("/nonexistent/x.json"); }).find("/nonexistent/x.json: cannot open"),
            std::string::npos);
}

TEST(Config, ListsReplaceWholeAndElementsStartFromDefaults) {
  ConfigResolver r;
  r.apply_json(
      pc::cfg::parse_json_text(R"({"workload":{"phases":[{"pattern":"sequential"},{"accesses":5}]}})", "t"),
      "t");
  auto c = r.finish();
  ASSERT_EQ(c.workload.phases.size(), 2u);
  EXPECT_EQ(c.workload.phases[0].pattern, pc::tb::Pattern::Sequential);
  EXPECT_EQ(c.workload.phases[1].pattern, pc::tb::Pattern::Zipf);  // default
  EXPECT_EQ(c.workload.phases[1].accesses, 5u);
  r.apply_json(pc::cfg::parse_json_text(R"({"workload":{"phases":[{"accesses":7}]}})", "t2"), "t2");
  c = r.finish();
  ASSERT_EQ(c.workload.phases.size(), 1u);
  EXPECT_EQ(c.workload.phases[0].accesses, 7u);
  const auto msg = error_of([&] {
    r.apply_json(pc::cfg::parse_json_text(R"({"workload":{"phases":[{"acesses":7}]}})", "t3"), "t3");
  });
  EXPECT_NE(msg.find("unknown key 'workload.phases[0].acesses'"), std::string::npos) << msg;
}

TEST(Config, UnknownPresetListsChoices) {
  ConfigResolver r;
  const auto msg = error_of([&] { r.apply_preset("nosuch"); });
  EXPECT_NE(msg.find("no such preset"), std::string::npos);
  EXPECT_NE(msg.find("default"), std::string::npos);
}

TEST(Config, EveryPresetResolves) {
  for (const auto& p : pc::soc::presets()) {
    ConfigResolver r;
    EXPECT_NO_THROW({
      r.apply_preset(p.name);
      r.finish();
    }) << p.name;
    EXPECT_FALSE(p.description.empty());
  }
}

TEST(Config, WorkloadLargerThanMemoryIsRejected) {
  ConfigResolver r;
  r.apply_set("dram.size_mib=64");
  r.apply_set("workload.synthetic.footprint_kib=65536");
  const auto msg = error_of([&] { r.finish(); });
  EXPECT_NE(msg.find("need 128 MiB of physical memory but dram.size_mib is 64"), std::string::npos) << msg;
}

TEST(Config, AccessSizeMustBePowerOfTwo) {
  ConfigResolver r;
  r.apply_set("workload.synthetic.access_size=12");
  EXPECT_NE(error_of([&] { r.finish(); }).find("workload.synthetic.access_size"), std::string::npos);
}

TEST(Config, TraceNeedsPath) {
  ConfigResolver r;
  r.apply_set("workload.source=trace");
  EXPECT_NE(error_of([&] { r.finish(); }).find("workload.trace.path is empty"), std::string::npos);
}

TEST(Config, EncodeRoundTrips) {
  ConfigResolver r;
  r.apply_preset("datacheck");
  auto c = r.finish();
  const Json j = c.to_json();
  ConfigResolver r2;
  r2.apply_json(j, "roundtrip");
  EXPECT_EQ(r2.finish().to_json(), j);
  EXPECT_EQ(j["workload"]["phases"].size(), 3u);
}

TEST(Config, SchemaListsEveryLeafWithUnit) {
  pc::soc::PlatformConfig c;
  const auto s = pc::cfg::schema([&](pc::cfg::Visitor& v) { c.describe(v); });
  bool found = false;
  for (const auto& e : s) {
    if (e.path == "dram.size_mib") {
      found = true;
      EXPECT_EQ(e.unit, "MiB");
      EXPECT_EQ(e.value, "4096");
    }
    EXPECT_FALSE(e.help.empty()) << e.path;
  }
  EXPECT_TRUE(found);
}

TEST(Config, SetSyntaxErrors) {
  ConfigResolver r;
  EXPECT_NE(error_of([&] { r.apply_set("novalue"); }).find("expected path=value"), std::string::npos);
  EXPECT_NE(error_of([&] { r.apply_set("a..b=1"); }).find("empty component"), std::string::npos);
}

TEST(Config, ExtraDiskPresetAppliesBeforeTheEntrysOwnKeys) {
  ConfigResolver r;
  r.apply_preset("hdd-7200");
  r.apply_json(pc::cfg::parse_json_text(R"({"extra_disks": [
      {"preset": "ssd-nvmevirt", "ssd": {"read_us": 50}, "inject_errors": [{"lba": 8, "sectors": 16, "on": "write"}]},
      {"media": "ssd"}]})",
                                        "t"),
               "t");
  const auto& c = r.finish();
  ASSERT_EQ(c.num_disks(), 3u);
  EXPECT_EQ(c.disk_config(0).media, "hdd");
  EXPECT_DOUBLE_EQ(c.disk_config(0).controller.link_mbps, 300);
  const auto& d1 = c.disk_config(1);
  EXPECT_EQ(d1.media, "ssd");
  EXPECT_EQ(d1.ssd.dies_per_channel, 2u);  // from the preset
  EXPECT_EQ(d1.ssd.page_bytes, 32768u);
  EXPECT_DOUBLE_EQ(d1.ssd.read_us, 50);  // the entry's own key wins
  ASSERT_EQ(d1.inject_errors.size(), 1u);
  EXPECT_EQ(d1.inject_errors[0].lba, 8u);
  EXPECT_EQ(d1.inject_errors[0].sectors, 16u);
  EXPECT_EQ(d1.inject_errors[0].on, pc::disk::InjectOn::Write);
  const auto& d2 = c.disk_config(2);  // no preset: the defaults of `disk`
  EXPECT_EQ(d2.ssd.dies_per_channel, 8u);
  EXPECT_DOUBLE_EQ(d2.ssd.read_us, 75);
  EXPECT_EQ(pc::soc::PlatformConfig::disk_key(2), "extra_disks[1]");
  // The resolved tree (written into every stats output) resolves to itself.
  ConfigResolver again;
  again.apply_json(c.to_json(), "resolved");
  EXPECT_EQ(again.finish().to_json().dump(), c.to_json().dump());
}

TEST(Config, ExtraDiskErrorsNameTheKey) {
  auto msg = error_of([] {
    ConfigResolver r;
    r.apply_json(pc::cfg::parse_json_text(R"({"extra_disks": [{}, {"preset": "x"}]})", "t"), "t");
  });
  EXPECT_NE(msg.find("t: key 'extra_disks[1].preset': no disk preset named 'x' (expected one of: hdd-7200, "
                     "ssd-mqsim, ssd-nvmevirt)"),
            std::string::npos)
      << msg;
  msg = error_of([] {
    ConfigResolver r;
    r.apply_json(pc::cfg::parse_json_text(
                     R"({"extra_disks": [{"inject_errors": [{"lba": 1, "on": "sometimes"}]}]})", "t"),
                 "t");
  });
  EXPECT_NE(
      msg.find("key 'extra_disks[0].inject_errors[0].on': expected one of \"read\", \"write\", \"both\""),
      std::string::npos)
      << msg;
  msg = error_of([] {
    ConfigResolver r;
    r.apply_json(
        pc::cfg::parse_json_text(R"({"extra_disks": [{}], "workload": {"source": "scenario", "scenario": {
        "files": [{"name": "a", "disk": 1}, {"name": "b", "disk": 2}]}}})",
                                 "t"),
        "t");
    r.finish();
  });
  EXPECT_NE(
      msg.find(
          "key 'workload.scenario.files[1].disk': no disk 2 (expected 0..1: 0 = disk, i = extra_disks[i-1])"),
      std::string::npos)
      << msg;
  msg = error_of([] {
    ConfigResolver r;
    r.apply_json(pc::cfg::parse_json_text(R"({"disk": {"present": false}, "extra_disks": [{}]})", "t"), "t");
    r.finish();
  });
  EXPECT_NE(msg.find("key 'extra_disks': disk 0 is absent"), std::string::npos) << msg;
}

TEST(Config, ScenarioOomAdjAndMsyncFlagsErrorsNameTheKey) {
  auto msg = error_of([] {
    ConfigResolver r;
    r.apply_json(pc::cfg::parse_json_text(R"({"workload": {"scenario": {
        "programs": [{"name": "p", "steps": []}], "processes": [{"program": "p", "oom_adj": 16}]}}})",
                                          "t"),
                 "t");
  });
  EXPECT_NE(msg.find("key 'workload.scenario.processes[0].oom_adj': expected an integer in [-17, 15]"),
            std::string::npos)
      << msg;
  msg = error_of([] {
    ConfigResolver r;
    r.apply_json(pc::cfg::parse_json_text(R"({"workload": {"scenario": {
        "programs": [{"name": "p", "steps": [{"op": "msync", "mapping": "m", "flags": "MS_SYNC"}]}]}}})",
                                          "t"),
                 "t");
  });
  EXPECT_NE(
      msg.find("key 'workload.scenario.programs[0].steps[0].flags': expected one of \"sync\", \"async\""),
      std::string::npos)
      << msg;
}
