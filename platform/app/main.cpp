// pagecycle: the command-line program (run, config, presets, stats-list).
#include <unistd.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <systemc>

#include "platform/core/clock.h"
#include "platform/core/log.h"
#include "platform/soc/platform_config.h"
#include "platform/soc/soc.h"
#include "testbench/workload/op_stream.h"

namespace {

using pc::cfg::ConfigError;
using pc::cfg::Json;

constexpr int kExitConfig = 2;

struct ConfigOptions {
  std::vector<std::string> presets, files, sets;
  std::string trace;
  int64_t seed = -1;

  void add_to(CLI::App* app) {
    app->add_option("--preset", presets, "built-in preset to start from (repeatable, applied in order)");
    app->add_option("--config", files, "JSON config file (comments allowed; repeatable, applied after presets)");
    app->add_option("--set", sets, "override one field: path=value, e.g. dram.size_mib=1024 (repeatable, last)");
    app->add_option("--trace", trace, "replay a valgrind lackey trace (plain, .gz or .xz) on core 0");
    app->add_option("--seed", seed, "seed of every random choice (sets sim.seed)")->check(CLI::NonNegativeNumber);
  }

  pc::soc::PlatformConfig resolve() const {
    pc::soc::ConfigResolver r;
    for (const auto& p : presets) r.apply_preset(p);
    for (const auto& f : files) r.apply_file(f);
    if (!trace.empty()) {
      Json o;
      o["workload"]["source"] = "trace";
      o["workload"]["trace"]["path"] = trace;
      r.apply_json(o, "--trace");
    }
    if (seed >= 0) {
      Json o;
      o["sim"]["seed"] = static_cast<uint64_t>(seed);
      r.apply_json(o, "--seed");
    }
    for (const auto& s : sets) r.apply_set(s);
    return r.finish();
  }
};

std::string with_commas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// A stat's value by path below "stats."; "a.b.mean" reads a field of a distribution.
double stat_value(pc::soc::Soc& soc, const std::string& path) {
  std::string field;
  const auto* s = soc.stats().find(path);
  if (!s) {
    const auto dot = path.rfind('.');
    s = soc.stats().find(path.substr(0, dot));
    field = path.substr(dot + 1);
  }
  if (!s) return 0;
  auto j = s->to_json();
  if (!field.empty()) j = j.value(field, Json());
  return j.is_number() ? j.get<double>() : 0.0;
}

void print_summary(pc::soc::Soc& soc, const std::vector<std::string>& presets) {
  const auto& c = soc.config();
  std::string preset = presets.empty() ? "default" : fmt::format("{}", fmt::join(presets, "+"));
  fmt::print("PageCycle run — preset {}, {} core(s) @ {} MHz, {} MiB {} memory, paging {}\n", preset, c.cpu.cores,
             c.clocks.cpu_mhz, c.dram.size_mib, c.dram.model, c.cpu.paging);
  const std::string wl = c.workload.source == "trace"
                             ? "trace " + c.workload.trace.path
                             : (c.workload.phases.empty() ? "synthetic" : fmt::format("{} phases", c.workload.phases.size()));
  fmt::print("  workload            {}{}\n", wl, c.workload.data_check ? " (data checking on)" : "");
  const uint64_t cycles = soc.sim_cycles();
  const uint64_t acc = soc.mem_accesses();
  fmt::print("  simulated cycles    {}  ({:.3f} ms at {} MHz)\n", with_commas(cycles),
             static_cast<double>(cycles) / c.clocks.cpu_mhz / 1e3, c.clocks.cpu_mhz);
  fmt::print("  memory accesses     {}\n", with_commas(acc));
  if (acc) fmt::print("  cycles per access   {:.2f}\n", static_cast<double>(cycles) / static_cast<double>(acc));
  for (const auto& core : soc.cores()) {
    const std::string p = fmt::format("cpu.core{}.", core->id());
    fmt::print("  core{:<3} ops {:>12}  cycles {:>14}  mem stall {:>5.1f}%  avg access {:.1f} cyc\n", core->id(),
               with_commas(core->ops_done()), with_commas(static_cast<uint64_t>(stat_value(soc, p + "cycles"))),
               100.0 * stat_value(soc, p + "mem_stall_cycles") / std::max(1.0, stat_value(soc, p + "cycles")),
               stat_value(soc, p + "access_latency.mean"));
    if (c.cpu.paging == "on") {
      const auto v = [&](const char* k) { return static_cast<uint64_t>(stat_value(soc, p + k)); };
      fmt::print("          dtlb {}/{} hit  itlb {}/{}  stlb {}/{}  walks {} refs {} (avg {:.1f} cyc)  A/D writes {}/{}  faults {}\n",
                 v("dtlb.hits"), v("dtlb.hits") + v("dtlb.misses"), v("itlb.hits"), v("itlb.hits") + v("itlb.misses"),
                 v("stlb.hits"), v("stlb.hits") + v("stlb.misses"), v("walker.walks"), v("walker.refs"),
                 stat_value(soc, p + "walker.latency.mean"), v("walker.a_writes"), v("walker.d_writes"), v("faults.total"));
    }
  }
  if (c.workload.data_check)
    fmt::print("  data check          {} reads verified, {} errors\n",
               with_commas(static_cast<uint64_t>(stat_value(soc, "summary.reads_checked"))), soc.data_errors());
  const double bus = stat_value(soc, "summary.bus_errors");
  if (bus > 0) fmt::print("  bus errors          {}\n", static_cast<uint64_t>(bus));
  fmt::print("  host time           {:.3f} s  ({:.2f} M accesses/s)\n", soc.host_seconds(),
             static_cast<double>(acc) / std::max(1e-9, soc.host_seconds()) / 1e6);
}

Json host_json(pc::soc::Soc& soc) {
  Json h;
  char name[256] = {0};
  gethostname(name, sizeof(name) - 1);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  h["host_name"] = name;
  h["wall_seconds"] = soc.host_seconds();
  h["mem_accesses_per_second"] = static_cast<double>(soc.mem_accesses()) / std::max(1e-9, soc.host_seconds());
  h["max_rss_kib"] = ru.ru_maxrss;
  h["backing_store_bytes"] = soc.memory().bytes_allocated();
#ifdef NDEBUG
  h["build_type"] = "release";
#else
  h["build_type"] = "debug";
#endif
  h["compiler"] = __VERSION__;
  h["systemc"] = sc_core::sc_release();
  return h;
}

int cmd_run(const ConfigOptions& opts, const std::string& stats_json, bool quiet) {
  const auto cfg = opts.resolve();
  pc::soc::Soc soc(cfg);
  soc.run(isatty(STDERR_FILENO) && !quiet);
  if (!stats_json.empty()) {
    Json out;
    out["config"] = cfg.to_json();
    out["stats"] = soc.stats().to_json();
    out["host"] = host_json(soc);
    std::ofstream f(stats_json);
    if (!f) throw std::runtime_error(stats_json + ": cannot open for writing");
    f << out.dump(2) << "\n";
  }
  if (!quiet) print_summary(soc, opts.presets);
  return soc.data_errors() ? 1 : 0;
}

int cmd_config(const ConfigOptions& opts, bool schema) {
  auto cfg = opts.resolve();
  if (!schema) {
    fmt::print("{}\n", cfg.to_json().dump(2));
    return 0;
  }
  for (const auto& e : pc::cfg::schema([&](pc::cfg::Visitor& v) { cfg.describe(v); }))
    fmt::print("{:<44} {:<7} {:<7} {:<12} {:<26} {}\n", e.path, e.type, e.unit, e.value, e.range, e.help);
  return 0;
}

int cmd_stats_list(const ConfigOptions& opts) {
  const auto cfg = opts.resolve();
  pc::soc::Soc soc(cfg);  // elaborated, never simulated: every stat exists after construction
  std::vector<pc::stats::ListEntry> entries;
  soc.stats().list(entries);
  for (const auto& e : entries) fmt::print("{:<48} {:<10} {:<10} {}\n", e.path, e.kind, e.unit, e.desc);
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  pc::init_time_resolution();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);

  CLI::App app{"PageCycle: cycle model of an x86-64 memory subsystem and a modeled Linux 2.6 memory manager"};
  app.require_subcommand(1);
  int verbose = 0;
  app.add_flag("-v,--verbose", verbose, "more log output (repeat for debug)");

  ConfigOptions run_opts, cfg_opts, list_opts;
  std::string stats_json;
  bool quiet = false, schema = false;

  auto* run = app.add_subcommand("run", "simulate the platform and print a summary");
  run_opts.add_to(run);
  run->add_option("--stats-json", stats_json, "write {config, stats, host} as JSON to this file");
  run->add_flag("-q,--quiet", quiet, "print nothing but errors");

  auto* config = app.add_subcommand("config", "print the resolved configuration (JSON)");
  cfg_opts.add_to(config);
  config->add_flag("--schema", schema, "list every key with type, unit, default, range and description");

  auto* presets = app.add_subcommand("presets", "list the built-in presets");
  auto* stats_list = app.add_subcommand("stats-list", "list every stat path with its unit and description");
  list_opts.add_to(stats_list);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitConfig;
  }
  pc::log::set_level(verbose >= 2 ? pc::log::Level::Debug : verbose == 1 ? pc::log::Level::Info : pc::log::Level::Warn);

  try {
    if (run->parsed()) return cmd_run(run_opts, stats_json, quiet);
    if (config->parsed()) return cmd_config(cfg_opts, schema);
    if (stats_list->parsed()) return cmd_stats_list(list_opts);
    if (presets->parsed()) {
      for (const auto& p : pc::soc::presets()) fmt::print("{:<14} {}\n", p.name, p.description);
      return 0;
    }
  } catch (const ConfigError& e) {
    fmt::print(stderr, "pagecycle: config error: {}\n", e.what());
    return kExitConfig;
  } catch (const pc::tb::TraceError& e) {
    fmt::print(stderr, "pagecycle: trace error: {}\n", e.what());
    return 1;
  } catch (const sc_core::sc_report& e) {
    fmt::print(stderr, "pagecycle: simulation error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pagecycle: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

// Our own main() takes precedence over libsystemc's: it silences the banner, which the library prints
// before sc_main runs, then starts SystemC as the library's main() would.
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
