// Shared by the subcommands that read finished runs (vmstat, plot, sweep): locating and loading a run's
// stats, looking stats up by path, and starting child processes.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "platform/core/config.h"

namespace pc::app {

// Bad input to a view command (a missing file, not a run, a malformed spec): exit status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr int kExitBadInput = 2;

struct RunFiles {
  std::string dir;         // the run directory ("" when given a stats file directly)
  std::string stats_json;  // DIR/stats.json or the file itself
};

// RUN is a run directory (holding stats.json) or a stats JSON file. Throws InputError naming the path.
RunFiles locate_run(const std::string& run);

// Parses a {config, stats, host} file; throws InputError naming the file when it is missing, not JSON,
// or lacks the "config" or "stats" object.
cfg::Json load_stats_file(const std::string& path);

// The sum of the numbers a dotted path reaches in `root`. Each component may be a glob (fnmatch: *, ?,
// [..]) matching several keys; a distribution's field is reached as a component ("...latency.p99").
// Returns false when the path reaches no number.
bool sum_path(const cfg::Json& root, const std::string& path, double& out);

// The absolute path of the running executable (/proc/self/exe).
std::string self_exe();

// Runs argv[0] with argv (no shell), stdout and stderr to `log` when it is non-empty (appended to
// nothing: truncated). Returns the pid; throws std::runtime_error when it cannot start.
int spawn(const std::vector<std::string>& argv, const std::string& log = "");
// Waits for a child started by spawn; returns its exit status (128+signal when killed by one).
int wait_child(int pid);
// Waits for any child; sets pid and returns the exit status as wait_child does.
int wait_any(int& pid);

// POSIX shell quoting of one word (for the job lists handed to GNU parallel or Slurm).
std::string shell_quote(const std::string& s);

}  // namespace pc::app
