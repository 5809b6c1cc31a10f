// Internal to platform/app: the options of each view subcommand and the functions that run them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pc::app {

struct VmstatOptions {
  std::string run;
  double at_us = -1;  // < 0: the run's final counters (stats.json)
};
int cmd_vmstat(const VmstatOptions& o);

struct PlotOptions {
  std::string run_dir;
  std::string python = "/usr/bin/python3";
};
int cmd_plot(const PlotOptions& o);
// The plotting script: $PAGECYCLE_PLOT_PY, else plot.py next to the executable, else the source tree's.
std::string plot_script();

struct SweepOptions {
  std::string spec;
  std::string out;  // overrides the spec's "out"
  unsigned jobs = 0;
  bool print_jobs = false, collect = false, no_plot = false;
  std::string python = "/usr/bin/python3";
};
int cmd_sweep(const SweepOptions& o);

struct ViewCommands {
  CLI::App *vmstat = nullptr, *plot = nullptr, *sweep = nullptr;
  VmstatOptions vmstat_opts;
  PlotOptions plot_opts;
  SweepOptions sweep_opts;
};

}  // namespace pc::app
