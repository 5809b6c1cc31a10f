// `pagecycle vmstat RUN`: a run's VM counters as Linux 2.6.18 prints /proc/vmstat, to diff against a
// real machine's.
#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "kernel_model/mm/vmstat.h"
#include "platform/app/run_input.h"
#include "platform/app/view_commands.h"

namespace pc::app {

namespace {

// The counters of the last sample at or before `at_us` in DIR/samples.jsonl.
cfg::Json sample_at(const RunFiles& rf, double at_us, std::string& source) {
  if (rf.dir.empty())
    throw InputError(
        fmt::format("{}: --at-us needs a run directory with samples.jsonl, not a stats file", rf.stats_json));
  source = rf.dir + "/samples.jsonl";
  std::ifstream in(source);
  if (!in)
    throw InputError(fmt::format("{}: cannot open (--at-us needs a run made with --sample-us N)", source));
  cfg::Json best;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    cfg::Json s;
    try {
      s = cfg::Json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}:{}: not a JSON sample: {}", source, n, e.what()));
    }
    if (!s.is_object() || !s.contains("t_us") || !s["t_us"].is_number() || !s.contains("vmstat"))
      throw InputError(fmt::format("{}:{}: a sample needs \"t_us\" and \"vmstat\"", source, n));
    if (s["t_us"].get<double>() > at_us) break;
    best = std::move(s["vmstat"]);
  }
  if (best.is_null()) throw InputError(fmt::format("{}: no sample at or before {} us", source, at_us));
  return best;
}

}  // namespace

int cmd_vmstat(const VmstatOptions& o) {
  const RunFiles rf = locate_run(o.run);
  cfg::Json counters;
  std::string source = rf.stats_json;
  if (o.at_us >= 0) {
    counters = sample_at(rf, o.at_us, source);
  } else {
    const auto j = load_stats_file(rf.stats_json);
    const auto k = j["stats"].find("kernel");
    if (k == j["stats"].end() || !k->contains("vmstat"))
      throw InputError(
          fmt::format("{}: the run has no stats.kernel.vmstat: only runs on the modeled kernel "
                      "(a scenario, e.g. --preset forkcow) count /proc/vmstat events",
                      rf.stats_json));
    counters = (*k)["vmstat"];
  }
  // 2.6.18's vmstat_text: the zone items, then the events. The JSON's key order is not relied on.
  std::string text;
  auto line = [&](const char* name) {
    const auto it = counters.find(name);
    if (it == counters.end() || !it->is_number())
      throw InputError(fmt::format("{}: counter '{}' is missing", source, name));
    text += fmt::format("{} {}\n", name, static_cast<uint64_t>(std::llround(it->get<double>())));
  };
  for (const char* n : kernel::kZoneStatNames) line(n);
  for (const char* n : kernel::kVmEventNames) line(n);
  fmt::print("{}", text);
  return 0;
}

}  // namespace pc::app
