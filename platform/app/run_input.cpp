#include "platform/app/run_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace pc::app {

namespace fs = std::filesystem;

RunFiles locate_run(const std::string& run) {
  std::error_code ec;
  const auto st = fs::status(run, ec);
  if (ec || !fs::exists(st)) throw InputError(fmt::format("{}: no such file or directory", run));
  if (fs::is_directory(st)) {
    const auto f = (fs::path(run) / "stats.json").string();
    if (!fs::is_regular_file(f))
      throw InputError(
          fmt::format("{}: not a run directory (no stats.json; write one with `pagecycle run "
                      "--out {}`)",
                      run, run));
    return {run, f};
  }
  return {"", run};
}

cfg::Json load_stats_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open", path));
  cfg::Json j;
  try {
    j = cfg::Json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not a stats file: {}", path, e.what()));
  }
  for (const char* k : {"config", "stats"})
    if (!j.is_object() || !j.contains(k) || !j[k].is_object())
      throw InputError(
          fmt::format("{}: not a stats file: no \"{}\" object (expected {{config, stats, host}} "
                      "as `pagecycle run --stats-json` writes)",
                      path, k));
  return j;
}

namespace {
bool sum_from(const cfg::Json& node, const std::vector<std::string>& parts, size_t i, double& out) {
  if (i == parts.size()) {
    if (!node.is_number()) return false;
    out += node.get<double>();
    return true;
  }
  if (!node.is_object()) return false;
  const std::string& p = parts[i];
  if (p.find_first_of("*?[") == std::string::npos) {
    const auto it = node.find(p);
    return it != node.end() && sum_from(*it, parts, i + 1, out);
  }
  bool any = false;
  for (const auto& [k, v] : node.items())
    if (fnmatch(p.c_str(), k.c_str(), 0) == 0) any = sum_from(v, parts, i + 1, out) || any;
  return any;
}
}  // namespace

bool sum_path(const cfg::Json& root, const std::string& path, double& out) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  out = 0;
  return !parts.empty() && sum_from(root, parts, 0, out);
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot read /proc/self/exe: " + ec.message());
  return p.string();
}

int spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  return pid;
}

namespace {
int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;
}
}  // namespace

int wait_child(int pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  return status_code(st);
}

int wait_any(int& pid) {
  int st = 0;
  while ((pid = waitpid(-1, &st, 0)) < 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  return status_code(st);
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                        "_-.,:/+=@%") == std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace pc::app
