#include "platform/app/views.h"

#include <fmt/format.h>

#include "platform/app/run_input.h"
#include "platform/app/view_commands.h"
#include "platform/core/config.h"

namespace pc::app {

std::shared_ptr<ViewCommands> add_view_commands(CLI::App& app) {
  auto v = std::make_shared<ViewCommands>();
  v->vmstat =
      app.add_subcommand("vmstat", "print a run's VM counters in /proc/vmstat format (2.6.18's order)");
  v->vmstat->add_option("run", v->vmstat_opts.run, "run directory (pagecycle run --out) or stats JSON file")
      ->required();
  v->vmstat
      ->add_option("--at-us", v->vmstat_opts.at_us,
                   "the counters of the last sample at or before this simulated time (us; needs a run "
                   "directory with samples.jsonl)")
      ->check(CLI::NonNegativeNumber);

  v->plot = app.add_subcommand("plot", "write PNG plots of a run into its directory (Python 3 + matplotlib)");
  v->plot->add_option("run_dir", v->plot_opts.run_dir, "run directory written by pagecycle run --out")
      ->required();
  v->plot->add_option("--python", v->plot_opts.python, "Python 3 interpreter with matplotlib")
      ->capture_default_str();

  auto& s = v->sweep_opts;
  v->sweep = app.add_subcommand(
      "sweep",
      "run a grid of configurations (one pagecycle run per point), then a CSV and a comparison plot");
  v->sweep->add_option("spec", s.spec, "sweep spec (JSON, comments allowed; see README)")->required();
  v->sweep->add_option("-o,--out", s.out, "output directory (overrides the spec's \"out\")");
  v->sweep->add_option("-j,--jobs", s.jobs, "points run at once (default: the number of cores)")
      ->check(CLI::PositiveNumber);
  auto* pj = v->sweep->add_flag("--print-jobs", s.print_jobs,
                                "print one shell command line per unfinished point and run nothing (for GNU "
                                "parallel or a Slurm array job)");
  v->sweep
      ->add_flag("--collect", s.collect,
                 "run nothing: write the CSV and plot from the finished points (exit 1 if some are missing)")
      ->excludes(pj);
  v->sweep->add_flag("--no-plot", s.no_plot, "skip the comparison plot");
  v->sweep->add_option("--python", s.python, "Python 3 interpreter with matplotlib")->capture_default_str();
  return v;
}

int run_view_commands(const ViewCommands& v) {
  try {
    if (v.vmstat->parsed()) return cmd_vmstat(v.vmstat_opts);
    if (v.plot->parsed()) return cmd_plot(v.plot_opts);
    if (v.sweep->parsed()) return cmd_sweep(v.sweep_opts);
  } catch (const InputError& e) {
    fmt::print(stderr, "pagecycle: {}\n", e.what());
    return kExitBadInput;
  }
  return -1;
}

}  // namespace pc::app
