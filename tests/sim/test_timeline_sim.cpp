// The Perfetto/Chrome trace-event timeline of a small run: valid JSON, named tracks, spans that tile or
// nest properly on each track, and task rows that add up exactly to each task's cycle attribution.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <tuple>

#include "kernel_model/kernel.h"
#include "platform/core/timeline.h"
#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"
#include "tests/support/temp_path.h"

using namespace pc;

namespace {
// Trace-event times are microseconds with nine decimals (femtoseconds); below ~9 s of simulated time a
// double holds them exactly enough to round back to the femtosecond.
uint64_t fs_of(const cfg::Json& us) {
  return static_cast<uint64_t>(std::llround(us.get<double>() * 1e9));
}
struct Span {
  uint64_t begin, end;
  std::string name, cat;
};

struct Timeline {
  std::map<std::pair<int, int>, std::string> names;
  std::map<std::pair<int, int>, std::vector<Span>> tracks;  // sorted by begin
  unsigned counters = 0;
};

// Runs `cfg` with a timeline of every category into `path`, then parses it and checks what every
// timeline must satisfy: one thing at a time on a row, and each task's state row tiling its life and
// adding up, bucket by bucket, to the task's cycle attribution to the femtosecond.
Timeline run_and_check(const soc::PlatformConfig& cfg, const std::string& path) {
  std::map<uint32_t, uint64_t> elapsed_fs;  // pid -> elapsed
  std::map<uint32_t, std::map<std::string, uint64_t>> bucket_fs;
  {
    auto writer = std::make_unique<timeline::Writer>(path, sc_core::SC_ZERO_TIME, sc_core::sc_max_time(),
                                                     timeline::parse_cats("all"));
    timeline::set_active(writer.get());
    soc::Soc s(cfg);
    s.set_sampler(sc_core::sc_time(20, sc_core::SC_US),
                  [&](sc_core::sc_time at) { s.os()->timeline_counters(*writer, at); });
    s.run(false);
    s.os()->timeline_finish(*writer);
    timeline::set_active(nullptr);
    for (const auto& t : s.os()->tasks()) {
      const auto end = t->end_time();
      elapsed_fs[t->pid] = (end - t->start_time).value();
      const auto c = t->charges_at(end);
      for (unsigned b = 0; b < hw::kCharges; ++b)
        bucket_fs[t->pid][hw::charge_name(static_cast<hw::Charge>(b))] = c.fs[b];
    }
    EXPECT_GT(writer->events(), 50u);
  }  // the writer closes the JSON here
  std::ifstream in(path);
  const cfg::Json doc = cfg::Json::parse(in);  // throws on invalid JSON
  Timeline tl;
  EXPECT_TRUE(doc.contains("traceEvents"));
  // Timestamps are monotonic in the file on every row written as time passes: each counter, and each
  // row but the kernel paths (a nested span is written when it ends, before the one around it).
  std::map<std::string, uint64_t> last_counter_ts;
  std::map<std::pair<int, int>, uint64_t> last_span_ts;
  for (const auto& e : doc["traceEvents"]) {
    const std::string ph = e["ph"];
    const auto key = std::make_pair(e["pid"].get<int>(), e["tid"].get<int>());
    if (ph == "M" && e["name"] == "thread_name") tl.names[key] = e["args"]["name"];
    if (ph == "C") {
      ++tl.counters;
      const std::string id = std::to_string(key.first) + "/" + e["name"].get<std::string>();
      const uint64_t ts = fs_of(e["ts"]);
      EXPECT_GE(ts, last_counter_ts[id]) << id;
      last_counter_ts[id] = ts;
    }
    if (ph != "X") continue;
    if (tl.names[key].find("kernel paths") == std::string::npos) {
      const uint64_t ts = fs_of(e["ts"]);
      EXPECT_GE(ts, last_span_ts[key]) << tl.names[key];
      last_span_ts[key] = ts;
    }
    EXPECT_GE(e["dur"].get<double>(), 0.0);
    const uint64_t b = fs_of(e["ts"]);
    tl.tracks[key].push_back({b, b + fs_of(e["dur"]), e["name"], e["cat"]});
  }
  for (auto& [key, spans] : tl.tracks) {
    std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) {
      return std::tie(x.begin, x.end) < std::tie(y.begin, y.end);
    });
    const std::string& n = tl.names.at(key);
    if (n.find("kernel paths") != std::string::npos) {
      // Kernel paths nest (a fault enters direct reclaim, which runs shrink_*): two spans are disjoint or
      // one holds the other, never a partial overlap. Sorted by begin, the longer first on a tie, each
      // span must end within the innermost span still open at its begin.
      std::vector<Span> by_nesting = spans;
      std::sort(by_nesting.begin(), by_nesting.end(), [](const Span& x, const Span& y) {
        return x.begin != y.begin ? x.begin < y.begin : x.end > y.end;
      });
      std::vector<const Span*> open;
      for (const Span& sp : by_nesting) {
        while (!open.empty() && open.back()->end <= sp.begin) open.pop_back();
        if (!open.empty()) {
          EXPECT_LE(sp.end, open.back()->end) << n << " " << sp.name << " in " << open.back()->name;
        }
        open.push_back(&sp);
      }
      continue;
    }
    for (size_t i = 1; i < spans.size(); ++i)  // one row holds one thing at a time
      EXPECT_GE(spans[i].begin, spans[i - 1].end) << n << " " << spans[i].name;
    if (key.first != static_cast<int>(timeline::Group::Tasks)) continue;
    // A task's state row tiles its life: contiguous spans from its start to its end, adding up to its
    // elapsed time; its kernel-bucket spans add up to those buckets and "user" to the user-mode ones.
    const uint32_t pid = static_cast<uint32_t>(std::stoul(n));
    uint64_t total = 0;
    std::map<std::string, uint64_t> by_name;
    for (size_t i = 0; i < spans.size(); ++i) {
      if (i) {
        EXPECT_EQ(spans[i].begin, spans[i - 1].end) << n;
      }
      total += spans[i].end - spans[i].begin;
      by_name[spans[i].name] += spans[i].end - spans[i].begin;
    }
    EXPECT_EQ(total, elapsed_fs.at(pid)) << n;
    auto& bk = bucket_fs.at(pid);
    EXPECT_EQ(by_name["user"], bk["compute"] + bk["mem_stall"] + bk["page_walk"] + bk["irq"]) << n;
    for (unsigned b = static_cast<unsigned>(hw::Charge::Fault); b < hw::kCharges; ++b) {
      const char* k = hw::charge_name(static_cast<hw::Charge>(b));
      EXPECT_EQ(by_name[k], bk[k]) << n << " " << k;
    }
  }
  return tl;
}
}  // namespace

TEST(TimelineSim, SmallRunGivesValidNestedTracksThatAddUpToTheAttribution) {
  const std::string path = pc::test::temp_path("timeline.json");
  auto cfg =
      test::resolve_config({"nehalem", "ssd-nvmevirt"}, R"({"workload": {"source": "scenario", "scenario": {
      "files": [{"name": "f", "size_kib": 64}],
      "programs": [
        {"name": "a", "steps": [
          {"op": "mmap", "mapping": "m", "kind": "file", "file": "f", "size_kib": 64, "prot": "r"},
          {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 1024, "access_size": 64, "read_fraction": 1}},
          {"op": "mmap", "mapping": "b", "size_kib": 64},
          {"op": "read", "file": "f", "mapping": "b", "size_kib": 64}]},
        {"name": "b", "steps": [{"op": "compute", "cycles": 600000}]}],
      "processes": [{"program": "a"}, {"program": "b"}]}}})",
                           {"cpu.cores=1", "dram.size_mib=256"});
  const Timeline tl = run_and_check(cfg, path);
  // Rows of every kind: cores (tasks and the interrupt handler), task states and kernel paths, disk
  // slots, counters.
  std::map<std::string, unsigned> kinds;
  for (const auto& [key, n] : tl.names) {
    ASSERT_TRUE(tl.tracks.count(key) || n.find("kernel paths") != std::string::npos) << n;
    kinds[n.find("irq") != std::string::npos            ? "irq"
          : n.rfind("core", 0) == 0                     ? "core"
          : n.find("slot") != std::string::npos         ? "disk"
          : n.find("kernel paths") != std::string::npos ? "kernel"
                                                        : "task"]++;
  }
  EXPECT_EQ(kinds["core"], 1u);
  EXPECT_EQ(kinds["irq"], 1u);
  EXPECT_GE(kinds["disk"], 1u);
  EXPECT_EQ(kinds["task"], 2u + 5u);  // a, b and kswapd0, pdflush x 2, kblockd/0, events/0
  EXPECT_GT(tl.counters, 0u);
  // Kernel-path spans sit inside their task's life, and the first task's major fault is one of them.
  bool fault_seen = false;
  for (const auto& [key, spans] : tl.tracks)
    for (const auto& sp : spans) fault_seen |= sp.name == "page fault" && sp.cat == "kernel";
  EXPECT_TRUE(fault_seen);
}

TEST(TimelineSim, ReclaimAndSwapSpansAddUpToTheirBuckets) {
  // One task on one core reads a 16 MiB file mapping, then writes and reads back a 32 MiB heap on 32 MiB
  // of memory with swap on the SSD: direct reclaim, congestion naps and swap-in waits all happen. Every
  // bucket's state spans add up to the attribution (run_and_check), and the reclaim buckets sit where the
  // kernel-path row says reclaim ran: every "direct_reclaim" state span lies inside a "direct reclaim"
  // kernel span of the same task, and every "swapin_wait" inside a "page fault".
  const std::string path = pc::test::temp_path("timeline_reclaim.json");
  auto cfg = test::resolve_config({"nehalem", "ssd-nvmevirt"}, R"({"cpu": {"paging": "on", "cores": 1},
    "dram": {"size_mib": 32}, "kernel": {"swap": {"areas": [{"size_mib": 64, "start_mib": 64}]}},
    "workload": {"source": "scenario", "scenario": {
      "files": [{"name": "f", "size_kib": 16384}],
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "f", "kind": "file", "file": "f", "size_kib": 16384, "prot": "r"},
        {"op": "access", "mapping": "f", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 16384, "accesses": 4096, "access_size": 8, "read_fraction": 1}},
        {"op": "mmap", "mapping": "m", "size_kib": 32768},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 0}},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 1}}]}],
      "processes": [{"program": "p"}]}}})",
                                  {});
  const Timeline tl = run_and_check(cfg, path);
  const std::vector<Span>* state = nullptr;
  const std::vector<Span>* kpath = nullptr;
  for (const auto& [key, n] : tl.names) {
    if (n == "1 p") state = &tl.tracks.at(key);
    if (n == "1 p (kernel paths)") kpath = &tl.tracks.at(key);
  }
  ASSERT_TRUE(state && kpath);
  // Inside: [b, e) lies in a kernel-path span named `outer` (kernel-path spans nest, so search them all).
  auto inside = [&](const Span& sp, const char* outer) {
    for (const Span& k : *kpath)
      if (k.name == outer && k.begin <= sp.begin && sp.end <= k.end) return true;
    return false;
  };
  uint64_t reclaim_fs = 0, swapin_fs = 0, nap_in_reclaim_fs = 0;
  for (const Span& sp : *state) {
    if (sp.name == "direct_reclaim") {
      EXPECT_TRUE(inside(sp, "direct reclaim")) << sp.begin;
      reclaim_fs += sp.end - sp.begin;
    }
    if (sp.name == "swapin_wait") {
      EXPECT_TRUE(inside(sp, "page fault")) << sp.begin;
      swapin_fs += sp.end - sp.begin;
    }
    if (sp.name == "congestion_wait" && inside(sp, "direct reclaim")) nap_in_reclaim_fs += sp.end - sp.begin;
  }
  EXPECT_GT(reclaim_fs, 0u);
  EXPECT_GT(swapin_fs, 0u);
  EXPECT_GT(nap_in_reclaim_fs, 0u);  // try_to_free_pages' blk_congestion_wait naps
}

TEST(TimelineSim, WindowAndCategoriesFilterEvents) {
  const std::string path = pc::test::temp_path("timeline_filtered.json");
  auto cfg = test::resolve_config({"nehalem"}, R"({"workload": {"source": "scenario", "scenario": {
      "programs": [{"name": "p", "steps": [
        {"op": "mmap", "mapping": "m", "size_kib": 256},
        {"op": "access", "mapping": "m", "pattern": {"pattern": "sequential", "accesses": 4096, "access_size": 64, "read_fraction": 0}}]}],
      "processes": [{"program": "p"}]}}})",
                                  {"cpu.cores=1", "dram.size_mib=256"});
  {
    timeline::Writer w(path, sc_core::sc_time(10, sc_core::SC_US), sc_core::sc_time(20, sc_core::SC_US),
                       timeline::parse_cats("kernel"));
    timeline::set_active(&w);
    soc::Soc s(cfg);
    s.run(false);
    timeline::set_active(nullptr);
  }
  std::ifstream in(path);
  const cfg::Json doc = cfg::Json::parse(in);
  unsigned spans = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++spans;
    EXPECT_EQ(e["cat"], "kernel");
    const double b = e["ts"].get<double>(), end = b + e["dur"].get<double>();
    EXPECT_TRUE(end >= 10.0 && b < 20.0) << b << " " << end;
  }
  EXPECT_GT(spans, 0u);  // 64 faults over the run: some fall in the window
  EXPECT_THROW(timeline::parse_cats("sched,nonsense"), std::invalid_argument);
}
