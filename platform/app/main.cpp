// pagecycle: the command-line program (run, config, presets, stats-list).
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <systemc>

#include "platform/app/views.h"
#include "platform/core/clock.h"
#include "platform/core/log.h"
#include "platform/core/sanitizer.h"
#include "platform/core/timeline.h"
#include "platform/soc/platform_config.h"
#include "platform/soc/soc.h"
#include "testbench/dram_trace/trace_bench.h"
#include "testbench/workload/op_stream.h"

namespace {

using pc::cfg::ConfigError;
using pc::cfg::Json;

constexpr int kExitConfig = 2;

struct ConfigOptions {
  std::vector<std::string> presets, files, sets;
  std::string trace, wave;
  int64_t seed = -1;

  void add_to(CLI::App* app) {
    app->add_option("--preset", presets, "built-in preset to start from (repeatable, applied in order)");
    app->add_option("--config", files,
                    "JSON config file (comments allowed; repeatable, applied after presets)");
    app->add_option("--set", sets,
                    "override one field: path=value, e.g. dram.size_mib=1024 (repeatable, last)");
    app->add_option("--trace", trace, "replay a valgrind lackey trace (plain, .gz or .xz) on core 0");
    app->add_option("--seed", seed, "seed of every random choice (sets sim.seed)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--wave", wave,
                    "mmu.impl=rtl: FST waveform of the RTL unit (sets mmu.rtl.wave; window: "
                    "mmu.rtl.wave_from_ns/_to_ns)");
  }

  // `pagecycle run` with nothing that chooses a platform or workload runs the mission: a 2.6.18-era
  // machine under memory pressure with a swap partition on its HDD (presets nehalem, swap-hdd, mission).
  void use_default_run() {
    if (presets.empty() && files.empty() && sets.empty() && trace.empty() && wave.empty())
      presets = {"nehalem", "swap-hdd", "mission"};
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
    if (!wave.empty()) {
      Json o;
      o["mmu"]["rtl"]["wave"] = wave;
      r.apply_json(o, "--wave");
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

// Block-I/O results: per direction, IOPS and latency percentiles, split into block-layer queueing,
// device queueing (NCQ) and device service (medium), from the workload's and the controller's stats.
void print_blockio(std::FILE* out, pc::soc::Soc& soc) {
  const auto& c = soc.config();
  fmt::print(out, "  disk                {}\n",
             c.disk.media == "ssd"
                 ? fmt::format("SSD, {} channels x {} dies", c.disk.ssd.channels, c.disk.ssd.dies_per_channel)
                 : fmt::format("HDD, {} rpm", c.disk.hdd.rpm));
  fmt::print(out, "  {:<6} {:>8} {:>10} {:>9} | {:>9} {:>9} {:>9} {:>9} us\n", "I/O", "count", "IOPS", "MB/s",
             "mean", "p50", "p90", "p99");
  for (const char* dir : {"read", "write"}) {
    const std::string w = fmt::format("blockio.{}.", dir), d = fmt::format("disk.{}.", dir);
    const double n = stat_value(soc, w + "ios");
    if (n == 0) continue;
    fmt::print(out, "  {:<6} {:>8} {:>10.1f} {:>9.2f} |\n", dir, static_cast<uint64_t>(n),
               stat_value(soc, w + "iops"),
               stat_value(soc, w + "bytes") /
                   std::max(1e-12, static_cast<double>(soc.sim_cycles()) / c.clocks.cpu_mhz / 1e6) / 1e6);
    auto row = [&](const char* label, const std::string& p) {
      fmt::print(out, "    {:<30} | {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f}\n", label,
                 stat_value(soc, p + ".mean"), stat_value(soc, p + ".p50"), stat_value(soc, p + ".p90"),
                 stat_value(soc, p + ".p99"));
    };
    row("latency (submit to end_io)", w + "latency_us");
    row("  block-layer queue", w + "queue_us");
    row("  device queue (NCQ)", d + "queue_time_us");
    row("  device service (medium)", d + "service_time_us");
  }
  const double errs = stat_value(soc, "blockio.io_errors");
  if (errs > 0) fmt::print(out, "  I/O errors          {}\n", static_cast<uint64_t>(errs));
  if (c.workload.blockio.data_check)
    fmt::print(out, "  data check          {} reads verified, {} errors\n",
               static_cast<uint64_t>(stat_value(soc, "blockio.reads_checked")), soc.data_errors());
  const double ios = stat_value(soc, "blockio.read.ios") + stat_value(soc, "blockio.write.ios");
  fmt::print(out, "  host throughput     {:.0f} simulated I/Os per host second\n",
             ios / std::max(1e-9, soc.host_seconds()));
}

// One line per disk of a scenario run: what its controller completed (stats.disk, stats.disk1, ...).
void print_disks(std::FILE* out, pc::soc::Soc& soc) {
  const auto& c = soc.config();
  for (size_t i = 0; i < soc.num_disks(); ++i) {
    const auto& dc = c.disk_config(i);
    const std::string g = i ? fmt::format("disk{}.", i) : std::string("disk.");
    const auto v = [&](const std::string& k) { return static_cast<uint64_t>(stat_value(soc, g + k)); };
    const uint64_t errors = v("read.errors") + v("write.errors");
    fmt::print(out, "  {:<19} {}: {} reads ({} KiB), {} writes ({} KiB){}\n", fmt::format("disk {}", i),
               dc.media == "ssd" ? "SSD" : "HDD", with_commas(v("read.requests")),
               with_commas(v("read.bytes") >> 10), with_commas(v("write.requests")),
               with_commas(v("write.bytes") >> 10),
               errors ? fmt::format(", {} failed ({} media errors)", errors,
                                    v("media_errors_read") + v("media_errors_write"))
                      : std::string());
  }
}

void print_tasks(std::FILE* out, pc::soc::Soc& soc, pc::kernel::Kernel& os) {
  fmt::print(out,
             "  kernel              {} page faults ({} major), {} COW copies, {} zero-page maps, {} forks, "
             "{} TLB page flushes, {} page-table pages now\n",
             with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.vmstat.pgfault"))),
             static_cast<uint64_t>(stat_value(soc, "kernel.vmstat.pgmajfault")),
             static_cast<uint64_t>(stat_value(soc, "kernel.cow_copies")),
             static_cast<uint64_t>(stat_value(soc, "kernel.zero_page_maps")),
             static_cast<uint64_t>(stat_value(soc, "kernel.forks")),
             static_cast<uint64_t>(stat_value(soc, "kernel.tlb_page_flushes")),
             static_cast<uint64_t>(stat_value(soc, "kernel.vmstat.nr_page_table_pages")));
  using pc::hw::Charge;
  const double period =
      static_cast<double>(soc.config().clocks.cpu_mhz) > 0 ? 1e9 / soc.config().clocks.cpu_mhz : 1;
  auto cyc = [&](uint64_t fs) {
    return with_commas(static_cast<uint64_t>(static_cast<double>(fs) / period));
  };
  // Reclaim and swap, in the terms of /proc/vmstat.
  auto v = [&](const char* n) {
    return static_cast<uint64_t>(stat_value(soc, std::string("kernel.vmstat.") + n));
  };
  auto zones = [&](const char* prefix) {
    uint64_t n = 0;
    for (const char* z : {"dma", "dma32", "normal", "high"}) n += v(fmt::format("{}_{}", prefix, z).c_str());
    return n;
  };
  uint64_t direct_fs = 0, kswapd_fs = 0;
  for (const auto& t : os.tasks()) {
    const auto ch = t->charges_at(t->end_time());
    direct_fs += ch[Charge::DirectReclaim];
    if (t->comm == "kswapd0") kswapd_fs = ch[Charge::KernelThread];
  }
  if (zones("pgscan_kswapd") + zones("pgscan_direct") + v("pswpout") > 0) {
    fmt::print(out,
               "  reclaim             pgscan kswapd {} direct {}, pgsteal {}, pgrotated {}, allocstall {}; "
               "kswapd0 {} runs, {} cycles; direct reclaim {} cycles\n",
               with_commas(zones("pgscan_kswapd")), with_commas(zones("pgscan_direct")),
               with_commas(zones("pgsteal")), with_commas(v("pgrotated")), with_commas(v("allocstall")),
               v("pageoutrun"), cyc(kswapd_fs), cyc(direct_fs));
  }
  if (stat_value(soc, "kernel.swap.total_swap_pages") > 0 || v("pswpout") > 0) {
    const double us = 1e6 / (static_cast<double>(soc.config().clocks.cpu_mhz) * 1e6);
    fmt::print(
        out,
        "  swap                pswpin {} pswpout {}, {} major swap faults, readahead {} pages ({} used); "
        "{} of {} slots in use\n",
        with_commas(v("pswpin")), with_commas(v("pswpout")),
        with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.swap.major_faults"))),
        with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.swap.readahead_pages"))),
        with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.swap.readahead_used"))),
        with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.swap.total_swap_pages") -
                                          stat_value(soc, "kernel.swap.nr_swap_pages"))),
        with_commas(static_cast<uint64_t>(stat_value(soc, "kernel.swap.total_swap_pages"))));
    const std::string f = "kernel.fault_latency.swap_major";
    if (stat_value(soc, f + ".count") > 0)
      fmt::print(out,
                 "  swap-in latency     major swap fault to resume p50 {:.0f} p90 {:.0f} p99 {:.0f} us\n",
                 stat_value(soc, f + ".p50") * us, stat_value(soc, f + ".p90") * us,
                 stat_value(soc, f + ".p99") * us);
  }
  std::string kthreads;
  for (const auto& t : os.tasks()) {
    const auto ch = t->charges_at(t->end_time());
    if (t->is_kthread()) {
      if (ch[Charge::KernelThread] + ch[Charge::Irq])
        kthreads += fmt::format(" {} {}", t->comm, cyc(ch[Charge::KernelThread] + ch[Charge::Irq]));
      continue;
    }
    // What is left once every bucket a user task can have is shown (a kernel thread's kernel and idle
    // time): 0 for a user task, printed only if not.
    const uint64_t other = ch[Charge::KernelThread] + ch[Charge::Idle];
    fmt::print(
        out,
        "  task {:<3} {:<18} min_flt {:>7}  maj_flt {:>5}  cow {:>6}  | compute {} mem {} walk {} fault {} "
        "irq {} syscall {} reclaim {} swapin-wait {} io-wait {} congestion-wait {} lock-wait {} nap {} "
        "ready-wait {}{} cycles | {}\n",
        t->pid, t->comm, t->min_flt, t->maj_flt, t->cow_faults, cyc(ch[Charge::Compute]),
        cyc(ch[Charge::MemStall]), cyc(ch[Charge::PageWalk]), cyc(ch[Charge::Fault]), cyc(ch[Charge::Irq]),
        cyc(ch[Charge::Syscall]), cyc(ch[Charge::DirectReclaim]), cyc(ch[Charge::SwapinWait]),
        cyc(ch[Charge::IoWait]), cyc(ch[Charge::CongestionWait]), cyc(ch[Charge::LockWait]),
        cyc(ch[Charge::Nap]), cyc(ch[Charge::RunnableWait]),
        other ? fmt::format(" other {}", cyc(other)) : std::string(), t->exit_reason);
  }
  if (!kthreads.empty()) fmt::print(out, "  kernel threads     {} cycles\n", kthreads);
}

void print_summary(std::FILE* out, pc::soc::Soc& soc, const std::vector<std::string>& presets) {
  const auto& c = soc.config();
  std::string preset = presets.empty() ? "default" : fmt::format("{}", fmt::join(presets, "+"));
  fmt::print(out, "PageCycle run — preset {}, {} core(s) @ {} MHz, {} MiB {} memory, paging {}\n", preset,
             c.cpu.cores, c.clocks.cpu_mhz, c.dram.size_mib, c.dram.model, c.cpu.paging);
  const auto& bio = c.workload.blockio;
  const std::string wl =
      c.workload.source == "trace" ? "trace " + c.workload.trace.path
      : c.workload.source == "blockio"
          ? fmt::format("blockio: {} {} KiB, {:.0f}% reads, queue depth {}, {} I/Os", bio.pattern,
                        bio.block_kib, 100 * bio.read_fraction, bio.queue_depth, bio.requests)
      : c.workload.source == "scenario"
          ? fmt::format("scenario: {} process(es), {} program(s), {} file(s) on the modeled Linux kernel",
                        c.workload.scenario.processes.size(), c.workload.scenario.programs.size(),
                        c.workload.scenario.files.size())
          : (c.workload.phases.empty() ? "synthetic" : fmt::format("{} phases", c.workload.phases.size()));
  fmt::print(out, "  workload            {}{}\n", wl, c.workload.data_check ? " (data checking on)" : "");
  const uint64_t cycles = soc.sim_cycles();
  const uint64_t acc = soc.mem_accesses();
  fmt::print(out, "  simulated cycles    {}  ({:.3f} ms at {} MHz)\n", with_commas(cycles),
             static_cast<double>(cycles) / c.clocks.cpu_mhz / 1e3, c.clocks.cpu_mhz);
  fmt::print(out, "  memory accesses     {}\n", with_commas(acc));
  double core_cycles = 0;
  for (const auto& core : soc.cores())
    core_cycles += stat_value(soc, fmt::format("cpu.core{}.cycles", core->id()));
  if (acc) fmt::print(out, "  core cycles/access  {:.2f}\n", core_cycles / static_cast<double>(acc));
  for (const auto& core : soc.cores()) {
    const std::string p = fmt::format("cpu.core{}.", core->id());
    fmt::print(out, "  core{:<3} ops {:>12}  cycles {:>14}  mem stall {:>5.1f}%  avg access {:.1f} cyc\n",
               core->id(), with_commas(core->ops_done()),
               with_commas(static_cast<uint64_t>(stat_value(soc, p + "cycles"))),
               100.0 * stat_value(soc, p + "mem_stall_cycles") / std::max(1.0, stat_value(soc, p + "cycles")),
               stat_value(soc, p + "access_latency.mean"));
    if (c.cpu.paging == "on") {
      const auto v = [&](const char* k) { return static_cast<uint64_t>(stat_value(soc, p + k)); };
      fmt::print(
          out,
          "          dtlb {}/{} hit  itlb {}/{}  stlb {}/{}  walks {} refs {} (avg {:.1f} cyc)  A/D writes "
          "{}/{}  faults {}\n",
          v("dtlb.hits"), v("dtlb.hits") + v("dtlb.misses"), v("itlb.hits"),
          v("itlb.hits") + v("itlb.misses"), v("stlb.hits"), v("stlb.hits") + v("stlb.misses"),
          v("walker.walks"), v("walker.refs"), stat_value(soc, p + "walker.latency.mean"),
          v("walker.a_writes"), v("walker.d_writes"), v("faults.total"));
    }
  }
  if (soc.dram()) {
    fmt::print(
        out,
        "  dram                {} reads, {:.1f} DRAM cycles avg read latency ({:.1f} ns), {:.1f}% row hits, "
        "{:.2f} GB/s\n",
        with_commas(static_cast<uint64_t>(stat_value(soc, "dram.reads"))),
        stat_value(soc, "dram.read_latency.mean"), stat_value(soc, "dram.read_latency_ns.mean"),
        100 * stat_value(soc, "dram.row_hit_rate"), stat_value(soc, "dram.bandwidth_gbps"));
  }
  if (c.cpu.paging == "on" && c.mmu.impl == pc::mmu::MmuImpl::Rtl) {
    uint64_t checked = 0, diverged = 0;
    for (const auto& core : soc.cores()) {
      checked += static_cast<uint64_t>(stat_value(soc, fmt::format("cpu.core{}.cosim.checked", core->id())));
      diverged +=
          static_cast<uint64_t>(stat_value(soc, fmt::format("cpu.core{}.cosim.divergences", core->id())));
    }
    fmt::print(out, "  mmu                 RTL unit (Verilated rtl/pc_mmu.sv) on cores {}{}\n",
               c.mmu.rtl.cores,
               c.mmu.rtl.check ? fmt::format("; checked against the C++ model: {} requests, {} divergences",
                                             with_commas(checked), diverged)
                               : "");
  }
  if (c.workload.data_check)
    fmt::print(out, "  data check          {} reads verified, {} errors\n",
               with_commas(static_cast<uint64_t>(stat_value(soc, "summary.reads_checked"))),
               soc.data_errors());
  if (soc.blockio()) print_blockio(out, soc);
  if (soc.os()) print_disks(out, soc);
  if (auto* os = soc.os()) print_tasks(out, soc, *os);
  const double bus = stat_value(soc, "summary.bus_errors");
  if (bus > 0) fmt::print(out, "  bus errors          {}\n", static_cast<uint64_t>(bus));
  fmt::print(out, "  host time           {:.3f} s  ({:.2f} M accesses/s)\n", soc.host_seconds(),
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
  if (soc.blockio())
    h["block_ios_per_second"] = (stat_value(soc, "blockio.read.ios") + stat_value(soc, "blockio.write.ios")) /
                                std::max(1e-9, soc.host_seconds());
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

struct RunOutputs {
  std::string stats_json, out_dir, samples, timeline, timeline_window, timeline_cats = "all";
  double sample_us = 0;
  bool quiet = false;
};

// "FROM:TO" in microseconds of simulated time (either side may be empty).
std::pair<sc_core::sc_time, sc_core::sc_time> parse_window(const std::string& w) {
  if (w.empty()) return {sc_core::SC_ZERO_TIME, sc_core::sc_max_time()};
  const size_t colon = w.find(':');
  auto num = [&](const std::string& x, double dflt) {
    if (x.empty()) return dflt;
    size_t used = 0;
    double v = -1;
    try {
      v = std::stod(x, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != x.size() || v < 0)
      throw ConfigError("--timeline-window '" + w + "': expected FROM_US:TO_US (non-negative microseconds)");
    return v;
  };
  if (colon == std::string::npos)
    throw ConfigError("--timeline-window '" + w + "': expected FROM_US:TO_US (non-negative microseconds)");
  const double from = num(w.substr(0, colon), 0), to = num(w.substr(colon + 1), -1);
  if (to >= 0 && to <= from) throw ConfigError("--timeline-window '" + w + "': TO must be after FROM");
  return {sc_core::sc_time(from, sc_core::SC_US),
          to < 0 ? sc_core::sc_max_time() : sc_core::sc_time(to, sc_core::SC_US)};
}

int cmd_run(const ConfigOptions& opts, RunOutputs o) {
  const auto cfg = opts.resolve();
  if (!o.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec) throw std::runtime_error(o.out_dir + ": cannot create the output directory: " + ec.message());
    if (o.stats_json.empty()) o.stats_json = o.out_dir + "/stats.json";
    if (o.samples.empty() && o.sample_us > 0) o.samples = o.out_dir + "/samples.jsonl";
  }
  if (o.sample_us < 0) throw ConfigError("--sample-us: expected a positive number of microseconds");
  if (!o.samples.empty() && o.sample_us <= 0) throw ConfigError("--samples needs --sample-us N");
  uint32_t cats = 0;
  try {
    cats = pc::timeline::parse_cats(o.timeline_cats);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("--timeline-cats: ") + e.what());
  }
  const auto [from, to] = parse_window(o.timeline_window);
  // The writer exists before the platform so every task gets its rows as it is created.
  std::unique_ptr<pc::timeline::Writer> tl;
  if (!o.timeline.empty()) {
    tl = std::make_unique<pc::timeline::Writer>(o.timeline, from, to, cats);
    pc::timeline::set_active(tl.get());
  }
  struct Deactivate {
    ~Deactivate() { pc::timeline::set_active(nullptr); }
  } deactivate;
  pc::soc::Soc soc(cfg);
  std::ofstream samples;
  if (!o.samples.empty()) {
    samples.open(o.samples);
    if (!samples) throw std::runtime_error(o.samples + ": cannot open for writing");
  }
  // Timeline counters every 100 us unless samples are taken more often.
  const double period_us = o.sample_us > 0 ? o.sample_us : (tl ? 100.0 : 0.0);
  if (period_us > 0 && soc.os()) {
    auto* os = soc.os();
    soc.set_sampler(sc_core::sc_time(period_us, sc_core::SC_US), [&, os](sc_core::sc_time at) {
      if (samples.is_open()) samples << os->snapshot().dump() << "\n";
      if (tl) os->timeline_counters(*tl, at);
    });
  }
  soc.run(isatty(STDERR_FILENO) && !o.quiet);
  if (tl && soc.os()) soc.os()->timeline_finish(*tl);
  if (!o.stats_json.empty()) {
    Json out;
    out["config"] = cfg.to_json();
    out["stats"] = soc.stats().to_json();
    out["host"] = host_json(soc);
    std::ofstream f(o.stats_json);
    if (!f) throw std::runtime_error(o.stats_json + ": cannot open for writing");
    f << out.dump(2) << "\n";
  }
  if (!o.quiet) print_summary(stdout, soc, opts.presets);
  if (!o.out_dir.empty()) {
    std::FILE* f = std::fopen((o.out_dir + "/summary.txt").c_str(), "w");
    if (!f) throw std::runtime_error(o.out_dir + "/summary.txt: cannot open for writing");
    print_summary(f, soc, opts.presets);
    std::fclose(f);
  }
  if (tl && !o.quiet)
    fmt::print("  timeline            {} ({} events)\n", tl->path(), with_commas(tl->events()));
  uint64_t diverged = 0;  // mmu.rtl.check: a run on which the RTL and the C++ model disagreed fails
  for (const auto& core : soc.cores())
    diverged +=
        static_cast<uint64_t>(stat_value(soc, fmt::format("cpu.core{}.cosim.divergences", core->id())));
  if (diverged)
    fmt::print(stderr, "pagecycle: {} RTL/C++ divergence(s); the first is reported above\n", diverged);
  return soc.data_errors() || diverged ? 1 : 0;
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

// Replays a DRAM request trace straight into the DDR controller of the resolved configuration.
int cmd_dram_trace(const ConfigOptions& opts, const std::string& file, bool fast,
                   const std::string& cmd_trace, const std::string& stats_json, bool quiet) {
  auto cfg = opts.resolve();
  if (!cmd_trace.empty()) cfg.dram.ddr.ctrl.command_trace = cmd_trace;
  auto reader = std::make_shared<pc::tb::DramTraceReader>(file);
  pc::tb::DramTraceBench bench(
      cfg.dram.ddr, cfg.dram.size_mib << 20, [reader](pc::tb::DramTraceEntry& e) { return reader->next(e); },
      !fast);
  const double host = bench.run();
  if (!bench.error().empty()) {
    pc::prepare_throw_after_simulation();
    throw std::runtime_error(bench.error());
  }
  const auto& ctrl = bench.controller();
  const uint64_t n = bench.player().issued();
  if (bench.player().data_errors()) {
    pc::prepare_throw_after_simulation();
    throw std::runtime_error(fmt::format("{}: {} of {} reads returned the wrong bytes", file,
                                         bench.player().data_errors(), bench.player().reads_checked()));
  }
  if (!stats_json.empty()) {
    Json out;
    out["config"] = cfg.to_json();
    out["stats"] = bench.stats().to_json();
    Json h;
    h["wall_seconds"] = host;
    h["requests_per_second"] = static_cast<double>(n) / std::max(1e-9, host);
    out["host"] = h;
    std::ofstream f(stats_json);
    if (!f) throw std::runtime_error(stats_json + ": cannot open for writing");
    f << out.dump(2) << "\n";
  }
  if (quiet) return 0;
  const auto& d = cfg.dram.ddr;
  const double end_cycles = bench.stat("dram.read_latency.count") + bench.stat("dram.write_bursts") > 0
                                ? static_cast<double>(ctrl.clock().to_cycles(bench.player().last_response()))
                                : 0.0;
  // DRAMSim3 and DRAMSys replay a trace's time stamps as given; so do we unless --fast says otherwise.
  const bool stamped = pc::tb::has_time_stamps(reader->format());
  fmt::print("DRAM trace {} ({} format, {})\n", file, pc::tb::format_name(reader->format()),
             !stamped ? "no time stamps: as fast as accepted"
             : fast   ? "time stamps ignored (--fast): as fast as accepted"
                      : "at its time stamps");
  fmt::print(
      "  memory              {} {} MHz, {} channel(s) x {} rank(s), {}-bit, BL{}, mapping {}, {} page\n",
      d.standard, d.timing.clock_mhz, d.org.channels, d.org.ranks, d.org.bus_width, d.org.burst_length,
      d.ctrl.mapping, d.ctrl.page_policy);
  fmt::print("  requests            {} ({} reads, {} writes)\n", with_commas(n),
             with_commas(bench.player().reads()), with_commas(bench.player().writes()));
  fmt::print("  simulated           {} DRAM cycles ({:.3f} us)\n",
             with_commas(static_cast<uint64_t>(end_cycles)),
             end_cycles * static_cast<double>(ctrl.clock().period_fs()) * 1e-9);
  fmt::print("  read latency        {:.2f} cycles avg ({:.2f} ns), p50 {} p99 {} max {}\n",
             bench.stat("dram.read_latency.mean"), bench.stat("dram.read_latency_ns.mean"),
             bench.stat("dram.read_latency.p50"), bench.stat("dram.read_latency.p99"),
             bench.stat("dram.read_latency.max"));
  fmt::print("  bandwidth           {:.3f} GB/s = {:.2f}% of the {:.1f} GB/s peak\n",
             bench.stat("dram.bandwidth_gbps"), 100 * bench.stat("dram.bandwidth_util"), d.peak_gbps());
  fmt::print("  row buffer          {:.2f}% hits ({} hits, {} misses, {} conflicts)\n",
             100 * bench.stat("dram.row_hit_rate"),
             with_commas(static_cast<uint64_t>(bench.stat("dram.row_hits"))),
             with_commas(static_cast<uint64_t>(bench.stat("dram.row_misses"))),
             with_commas(static_cast<uint64_t>(bench.stat("dram.row_conflicts"))));
  fmt::print("  commands            {} ACT, {} PRE, {} REF; {} checked by the timing checker\n",
             with_commas(static_cast<uint64_t>(bench.stat("dram.activates"))),
             with_commas(static_cast<uint64_t>(bench.stat("dram.precharges"))),
             with_commas(static_cast<uint64_t>(bench.stat("dram.refreshes"))),
             with_commas(ctrl.commands_checked()));
  fmt::print("  energy              {:.3f} uJ (IDD estimate)\n", bench.stat("dram.energy_nj") / 1000);
  fmt::print("  data check          {} reads checked, {} wrong; {} forwarded from the write buffer\n",
             with_commas(bench.player().reads_checked()), with_commas(bench.player().data_errors()),
             with_commas(static_cast<uint64_t>(bench.stat("dram.write_forwards"))));
  fmt::print("  host time           {:.3f} s  ({:.2f} M requests/s)\n", host,
             static_cast<double>(n) / std::max(1e-9, host) / 1e6);
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
  RunOutputs run_out;
  bool schema = false;

  auto* run = app.add_subcommand("run", "simulate the platform and print a summary");
  run_opts.add_to(run);
  run->add_option("--stats-json", run_out.stats_json, "write {config, stats, host} as JSON to this file");
  run->add_option("--out", run_out.out_dir,
                  "run directory: stats.json, summary.txt and (with --sample-us) samples.jsonl go there");
  run->add_option("--sample-us", run_out.sample_us,
                  "every N us of simulated time, record vmstat, zones and per-task cycles (JSON lines)");
  run->add_option("--samples", run_out.samples, "samples file (default: RUN_DIR/samples.jsonl with --out)");
  run->add_option("--timeline", run_out.timeline,
                  "write a Chrome/Perfetto trace-event timeline (JSON) of the run to this file");
  run->add_option("--timeline-window", run_out.timeline_window,
                  "FROM_US:TO_US: keep only events overlapping this window of simulated time");
  run->add_option(
      "--timeline-cats", run_out.timeline_cats,
      "categories to keep: a comma-separated list of sched, task, kernel, disk, counter (or all)");
  run->add_flag("-q,--quiet", run_out.quiet, "print nothing but errors");

  auto* config = app.add_subcommand("config", "print the resolved configuration (JSON)");
  cfg_opts.add_to(config);
  config->add_flag("--schema", schema, "list every key with type, unit, default, range and description");

  ConfigOptions dt_opts;
  std::string dt_file, dt_cmd_trace, dt_stats;
  bool dt_fast = false, dt_timed = false, dt_quiet = false;
  auto* dram_trace = app.add_subcommand(
      "dram-trace",
      "replay a DRAM request trace (DRAMSim3, Ramulator 2 or DRAMSys format) into the DDR controller");
  dt_opts.add_to(dram_trace);
  dram_trace->add_option("file", dt_file, "trace file; format detected from its first request line")
      ->required();
  auto* fast_flag = dram_trace->add_flag(
      "--fast", dt_fast,
      "ignore the time stamps: issue each request as soon as the controller accepts the previous one");
  dram_trace
      ->add_flag("--timed", dt_timed,
                 "issue requests at their time stamps in DRAM cycles (the default; kept for old scripts)")
      ->excludes(fast_flag);
  dram_trace->add_option("--command-trace", dt_cmd_trace,
                         "write the DRAM command trace (ACT/PRE/RD/WR/REF) to this file");
  dram_trace->add_option("--stats-json", dt_stats, "write {config, stats, host} as JSON to this file");
  dram_trace->add_flag("-q,--quiet", dt_quiet, "print nothing but errors");

  auto* presets = app.add_subcommand("presets", "list the built-in presets");
  auto* stats_list = app.add_subcommand("stats-list", "list every stat path with its unit and description");
  list_opts.add_to(stats_list);
  const auto views = pc::app::add_view_commands(app);  // vmstat, plot, sweep

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
  pc::log::set_level(verbose >= 2   ? pc::log::Level::Debug
                     : verbose == 1 ? pc::log::Level::Info
                                    : pc::log::Level::Warn);

  try {
    if (run->parsed()) {
      run_opts.use_default_run();
      return cmd_run(run_opts, run_out);
    }
    if (config->parsed()) return cmd_config(cfg_opts, schema);
    if (stats_list->parsed()) return cmd_stats_list(list_opts);
    if (dram_trace->parsed())
      return cmd_dram_trace(dt_opts, dt_file, dt_fast, dt_cmd_trace, dt_stats, dt_quiet);
    if (const int rc = pc::app::run_view_commands(*views); rc >= 0) return rc;
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
