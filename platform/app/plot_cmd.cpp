// `pagecycle plot RUN_DIR`: renders a run's PNGs with scripts/plot.py (Python 3 + Debian's matplotlib).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "platform/app/run_input.h"
#include "platform/app/view_commands.h"

namespace pc::app {

namespace fs = std::filesystem;

std::string plot_script() {
  if (const char* env = std::getenv("PAGECYCLE_PLOT_PY"); env && *env) return env;
  // An installed copy sits next to the executable; a build tree uses the source tree's script.
  const auto beside = fs::path(self_exe()).parent_path() / "plot.py";
  if (fs::is_regular_file(beside)) return beside.string();
  return PC_PLOT_SCRIPT;
}

int cmd_plot(const PlotOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.run_dir, ec))
    throw InputError(fmt::format("{}: not a run directory (make one with `pagecycle run --out {}`)",
                                 o.run_dir, o.run_dir));
  load_stats_file(locate_run(o.run_dir).stats_json);  // a clear error before Python starts
  const std::string script = plot_script();
  if (!fs::is_regular_file(script, ec))
    throw InputError(fmt::format("{}: plotting script not found (set PAGECYCLE_PLOT_PY)", script));
  if (access(o.python.c_str(), X_OK) != 0)
    throw InputError(
        fmt::format("{}: no Python 3 interpreter there (Debian: apt-get install python3 "
                    "python3-matplotlib)",
                    o.python));
  const int rc = wait_child(spawn({o.python, script, "run", o.run_dir}));
  if (rc != 0) fmt::print(stderr, "pagecycle: plot: {} {} failed (exit {})\n", o.python, script, rc);
  return rc == 0 ? 0 : 1;
}

}  // namespace pc::app
