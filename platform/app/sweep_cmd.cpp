// `pagecycle sweep SPEC.json`: a grid of configurations, one `pagecycle run --out OUT/<point>` per point,
// run on the local cores (or printed as a job list for GNU parallel / Slurm), then one CSV of chosen stats
// per point and a comparison plot. A point whose stats.json holds its exact resolved config is finished
// and is skipped on the next invocation.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "platform/app/run_input.h"
#include "platform/app/view_commands.h"
#include "platform/soc/platform_config.h"

namespace pc::app {

namespace fs = std::filesystem;
using cfg::Json;

namespace {

struct Axis {
  std::string key;  // "preset", "seed" or a config path
  std::vector<Json> values;
  std::string label;  // in point names
};

struct Spec {
  std::string file, out;
  std::vector<std::string> presets, configs;
  std::vector<std::pair<std::string, Json>> sets;
  int64_t seed = -1;
  uint64_t sample_us = 0;
  std::vector<Axis> grid;
  std::vector<std::string> stats{"summary.sim_cycles", "summary.mem_accesses"};
  std::string plot_x;
  std::vector<std::string> plot_stats;
};

struct Point {
  std::string name, dir;
  std::vector<Json> values;  // one per axis
  std::vector<std::string> argv;
  Json config;  // the resolved config pagecycle run will write into stats.json
};

[[noreturn]] void bad(const Spec& s, const std::string& what) {
  throw InputError(fmt::format("{}: {}", s.file, what));
}

std::vector<std::string> string_list(const Spec& s, const Json& j, const std::string& key) {
  std::vector<std::string> v;
  if (j.is_string()) return {j.get<std::string>()};
  if (!j.is_array()) bad(s, fmt::format("key '{}': expected a string or an array of strings", key));
  for (const auto& e : j) {
    if (!e.is_string()) bad(s, fmt::format("key '{}': expected strings, found {}", key, e.dump()));
    v.push_back(e.get<std::string>());
  }
  return v;
}

// The text `--set key=TEXT` parses back to `v` (pagecycle reads a value that is not JSON as a string).
std::string set_text(const Json& v) {
  if (!v.is_string()) return v.dump();
  const auto s = v.get<std::string>();
  // "60" or "true" as a string must stay quoted.
  return Json::accept(s) ? v.dump() : s;
}

std::string value_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string t;
    for (const auto& e : v) t += (t.empty() ? "" : "+") + value_text(e);
    return t;
  }
  return v.dump();
}

void check_stat_path(const Spec& s, const std::string& p, const std::string& key) {
  if (p.empty() || p.front() == '.' || p.back() == '.' || p.find("..") != std::string::npos)
    bad(s, fmt::format("key '{}': '{}' is not a stat path (e.g. kernel.vmstat.pswpin, "
                       "kernel.fault_latency.minor.p99, kernel.tasks.*.direct_reclaim_cycles)",
                       key, p));
}

Spec parse_spec(const std::string& file, const std::string& out_override) {
  Spec s;
  s.file = file;
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open the sweep spec", file));
  Json j;
  try {
    j = Json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    bad(s, fmt::format("not JSON: {}", e.what()));
  }
  if (!j.is_object()) bad(s, "expected a JSON object");
  static const std::set<std::string> known{"description", "out",  "presets",   "config", "set",
                                           "seed",        "grid", "sample_us", "stats",  "plot"};
  for (const auto& [k, v] : j.items())
    if (!known.count(k))
      bad(s, fmt::format("unknown key '{}' (expected description, out, presets, config, set, seed, grid, "
                         "sample_us, stats, plot)",
                         k));
  const fs::path base = fs::absolute(fs::path(file)).parent_path();
  if (!out_override.empty())
    s.out = fs::absolute(out_override).lexically_normal().string();
  else if (j.contains("out")) {
    if (!j["out"].is_string() || j["out"].get<std::string>().empty())
      bad(s, "key 'out': expected a directory name");
    s.out = (base / j["out"].get<std::string>()).lexically_normal().string();
  } else {
    s.out = (base / fs::path(file).stem()).string();
  }
  if (j.contains("presets")) s.presets = string_list(s, j["presets"], "presets");
  if (j.contains("config"))
    for (const auto& c : string_list(s, j["config"], "config")) s.configs.push_back((base / c).string());
  if (j.contains("set")) {
    if (!j["set"].is_object()) bad(s, "key 'set': expected an object of config paths and values");
    for (const auto& [k, v] : j["set"].items()) s.sets.emplace_back(k, v);
  }
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) bad(s, "key 'seed': expected a non-negative integer");
    s.seed = j["seed"].get<int64_t>();
  }
  if (j.contains("sample_us")) {
    if (!j["sample_us"].is_number_unsigned() || j["sample_us"].get<uint64_t>() == 0)
      bad(s, "key 'sample_us': expected a positive integer (simulated microseconds between samples)");
    s.sample_us = j["sample_us"].get<uint64_t>();
  }
  if (!j.contains("grid") || !j["grid"].is_array() || j["grid"].empty())
    bad(s,
        "key 'grid': expected a non-empty array of {\"key\": config path | \"preset\" | \"seed\", "
        "\"values\": [...]}");
  std::set<std::string> keys;
  for (size_t i = 0; i < j["grid"].size(); ++i) {
    const auto& a = j["grid"][i];
    const std::string where = fmt::format("grid[{}]", i);
    if (!a.is_object() || !a.contains("key") || !a["key"].is_string() || !a.contains("values") ||
        !a["values"].is_array() || a["values"].empty())
      bad(s, fmt::format("key '{}': expected {{\"key\": ..., \"values\": [at least one value]}}", where));
    for (const auto& [k, v] : a.items())
      if (k != "key" && k != "values")
        bad(s, fmt::format("key '{}.{}': unknown (expected key, values)", where, k));
    Axis ax;
    ax.key = a["key"].get<std::string>();
    if (!keys.insert(ax.key).second)
      bad(s, fmt::format("key '{}': '{}' is already a grid key", where, ax.key));
    std::set<std::string> seen;
    for (const auto& v : a["values"]) {
      if (ax.key == "preset") string_list(s, v, where + ".values");
      if (ax.key == "seed" && !v.is_number_unsigned())
        bad(s, fmt::format("key '{}.values': seeds are non-negative integers, found {}", where, v.dump()));
      if (v.is_object() || v.is_null())
        bad(s, fmt::format("key '{}.values': {} is not a value for '{}'", where, v.dump(), ax.key));
      if (!seen.insert(v.dump()).second)
        bad(s, fmt::format("key '{}.values': {} appears twice", where, v.dump()));
      ax.values.push_back(v);
    }
    s.grid.push_back(std::move(ax));
  }
  // Point names use the last component of each key unless two keys share it.
  std::map<std::string, int> leaves;
  auto leaf = [](const std::string& k) { return k.substr(k.rfind('.') + 1); };
  for (const auto& a : s.grid) ++leaves[leaf(a.key)];
  for (auto& a : s.grid) a.label = leaves[leaf(a.key)] > 1 ? a.key : leaf(a.key);
  if (j.contains("stats")) {
    s.stats = string_list(s, j["stats"], "stats");
    if (s.stats.empty()) bad(s, "key 'stats': expected at least one stat path");
  }
  for (const auto& p : s.stats) check_stat_path(s, p, "stats");
  s.plot_x = s.grid.front().key;
  s.plot_stats = s.stats;
  if (j.contains("plot")) {
    const auto& p = j["plot"];
    if (!p.is_object()) bad(s, "key 'plot': expected {\"x\": grid key, \"stats\": [...]}");
    for (const auto& [k, v] : p.items()) {
      if (k == "x") {
        if (!v.is_string() || !keys.count(v.get<std::string>()))
          bad(s, fmt::format("key 'plot.x': expected one of the grid keys, found {}", v.dump()));
        s.plot_x = v.get<std::string>();
      } else if (k == "stats") {
        s.plot_stats = string_list(s, v, "plot.stats");
        for (const auto& st : s.plot_stats)
          if (std::find(s.stats.begin(), s.stats.end(), st) == s.stats.end())
            bad(s, fmt::format("key 'plot.stats': '{}' is not in 'stats'", st));
      } else {
        bad(s, fmt::format("key 'plot.{}': unknown (expected x, stats)", k));
      }
    }
  }
  return s;
}

std::string safe_name(const std::string& n) {
  std::string o;
  for (char c : n) o += (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._+=,-", c)) ? c : '_';
  return o;
}

std::vector<Point> make_points(const Spec& s, const std::string& exe) {
  std::vector<Point> pts;
  std::vector<size_t> idx(s.grid.size(), 0);
  std::set<std::string> names;
  for (;;) {
    Point p;
    std::vector<std::string> presets = s.presets;
    std::vector<std::pair<std::string, Json>> sets = s.sets;
    int64_t seed = s.seed;
    for (size_t a = 0; a < s.grid.size(); ++a) {
      const auto& ax = s.grid[a];
      const Json& v = ax.values[idx[a]];
      p.values.push_back(v);
      p.name += (p.name.empty() ? "" : ",") + ax.label + "=" + value_text(v);
      if (ax.key == "preset") {
        for (const auto& n : string_list(s, v, ax.key)) presets.push_back(n);
      } else if (ax.key == "seed") {
        seed = v.get<int64_t>();
      } else {
        sets.emplace_back(ax.key, v);
      }
    }
    p.name = safe_name(p.name);
    if (!names.insert(p.name).second)
      bad(s, fmt::format("two grid points are both named '{}' once unsafe characters become '_'", p.name));
    p.dir = (fs::path(s.out) / p.name).string();
    // The same layers, in the same order, as `pagecycle run` applies its options.
    p.argv = {exe, "run"};
    soc::ConfigResolver r;
    try {
      for (const auto& n : presets) {
        r.apply_preset(n);
        p.argv.insert(p.argv.end(), {"--preset", n});
      }
      for (const auto& f : s.configs) {
        r.apply_file(f);
        p.argv.insert(p.argv.end(), {"--config", f});
      }
      if (seed >= 0) {
        Json o;
        o["sim"]["seed"] = static_cast<uint64_t>(seed);
        r.apply_json(o, "seed");
        p.argv.insert(p.argv.end(), {"--seed", std::to_string(seed)});
      }
      for (const auto& [k, v] : sets) {
        const std::string a = k + "=" + set_text(v);
        r.apply_set(a);
        p.argv.insert(p.argv.end(), {"--set", a});
      }
      p.config = Json::parse(r.finish().to_json().dump());
    } catch (const cfg::ConfigError& e) {
      bad(s, fmt::format("point {}: {}", p.name, e.what()));
    }
    p.argv.insert(p.argv.end(), {"--out", p.dir});
    if (s.sample_us) p.argv.insert(p.argv.end(), {"--sample-us", std::to_string(s.sample_us)});
    pts.push_back(std::move(p));
    size_t a = s.grid.size();
    while (a > 0 && ++idx[a - 1] == s.grid[a - 1].values.size()) idx[--a] = 0;
    if (a == 0) break;
  }
  return pts;
}

// Finished: summary.txt (written last) exists, stats.json parses and holds exactly this point's config, and
// samples exist when asked for.
bool complete(const Spec& s, const Point& p, Json* stats, std::string* why) {
  if (!fs::is_regular_file(p.dir + "/summary.txt")) return false;
  Json j;
  try {
    j = load_stats_file(p.dir + "/stats.json");
  } catch (const InputError&) {
    return false;
  }
  if (j["config"] != p.config) {
    if (why) *why = "its stats.json is from another configuration";
    return false;
  }
  // A run without the modeled kernel or shorter than one period has no samples: an empty file is fine.
  if (s.sample_us && !fs::is_regular_file(p.dir + "/samples.jsonl")) {
    if (why) *why = "samples.jsonl is missing";
    return false;
  }
  if (stats) *stats = std::move(j);
  return true;
}

std::string csv_field(const std::string& f) {
  if (f.find_first_of(",\"\n") == std::string::npos) return f;
  std::string q = "\"";
  for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

double stat_of(const Json& run, const std::string& path, bool& found) {
  double v = 0;
  const auto first = path.substr(0, path.find('.'));
  found = (first == "config" || first == "stats" || first == "host") ? sum_path(run, path, v)
                                                                     : sum_path(run["stats"], path, v);
  return v;
}

// Writes OUT/sweep.csv from the finished points; returns how many rows it wrote.
size_t write_csv(const Spec& s, const std::vector<Point>& pts, const std::string& csv) {
  std::string text = "point";
  for (const auto& a : s.grid) text += "," + csv_field(a.key);
  for (const auto& st : s.stats) text += "," + csv_field(st);
  text += "\n";
  std::vector<bool> found_any(s.stats.size(), false);
  size_t rows = 0;
  for (const auto& p : pts) {
    Json j;
    if (!complete(s, p, &j, nullptr)) continue;
    ++rows;
    text += csv_field(p.name);
    for (const auto& v : p.values) text += "," + csv_field(value_text(v));
    for (size_t i = 0; i < s.stats.size(); ++i) {
      bool found = false;
      const double v = stat_of(j, s.stats[i], found);
      found_any[i] = found_any[i] || found;
      text += found ? fmt::format(",{}", v) : ",";
    }
    text += "\n";
  }
  for (size_t i = 0; i < s.stats.size() && rows; ++i)
    if (!found_any[i])
      bad(s, fmt::format("key 'stats': '{}' reaches no number in any point's stats.json (paths are below "
                         "\"stats\", e.g. kernel.vmstat.pswpin; see pagecycle stats-list)",
                         s.stats[i]));
  std::ofstream f(csv);
  if (!f || !(f << text)) throw std::runtime_error(csv + ": cannot write");
  return rows;
}

int run_points(const std::vector<const Point*>& todo, unsigned jobs, const std::string& logs) {
  fs::create_directories(logs);
  std::map<int, const Point*> running;
  size_t next = 0, done = 0;
  int failed = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < jobs) {
      const Point* p = todo[next++];
      fs::create_directories(p->dir);
      // A run that fails must not leave an older result looking finished.
      fs::remove(p->dir + "/summary.txt");
      fs::remove(p->dir + "/stats.json");
      fs::remove(p->dir + "/samples.jsonl");
      running[spawn(p->argv, logs + "/" + p->name + ".log")] = p;
    }
    int pid = 0;
    const int rc = wait_any(pid);
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    ++done;
    if (rc == 0) {
      fmt::print("[{}/{}] {}\n", done, todo.size(), it->second->name);
    } else {
      ++failed;
      fmt::print("[{}/{}] {} FAILED (exit {}): see {}/{}.log\n", done, todo.size(), it->second->name, rc,
                 logs, it->second->name);
    }
    std::fflush(stdout);
    running.erase(it);
  }
  return failed;
}

}  // namespace

int cmd_sweep(const SweepOptions& o) {
  const Spec s = parse_spec(o.spec, o.out);
  const auto pts = make_points(s, self_exe());
  std::vector<const Point*> todo;
  for (const auto& p : pts) {
    std::string why;
    if (complete(s, p, nullptr, &why)) continue;
    if (!why.empty() && !o.print_jobs && !o.collect) fmt::print("{}: {}: running it again\n", p.name, why);
    todo.push_back(&p);
  }
  if (o.print_jobs) {
    for (const auto* p : todo) {
      std::string line;
      for (const auto& a : p->argv) line += (line.empty() ? "" : " ") + shell_quote(a);
      fmt::print("{}\n", line);
    }
    return 0;
  }
  fs::create_directories(s.out);
  int failed = 0;
  if (!o.collect) {
    const unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
    fmt::print("sweep {}: {} points, {} finished, {} to run ({} at a time) in {}\n", s.file, pts.size(),
               pts.size() - todo.size(), todo.size(),
               std::min<size_t>(jobs, std::max<size_t>(1, todo.size())), s.out);
    std::fflush(stdout);
    failed = run_points(todo, jobs, s.out + "/logs");
  }
  const std::string csv = s.out + "/sweep.csv";
  const size_t rows = write_csv(s, pts, csv);
  fmt::print("{}: {} of {} points\n", csv, rows, pts.size());
  int rc = failed || rows < pts.size() ? 1 : 0;
  if (rows < pts.size() && o.collect)
    for (const auto& p : pts)
      if (!complete(s, p, nullptr, nullptr)) fmt::print("  not finished: {}\n", p.name);
  if (!o.no_plot && rows) {
    std::vector<std::string> argv{o.python, plot_script(), "sweep", csv, s.out + "/sweep.png",
                                  "--x",    s.plot_x,      "--grid"};
    for (const auto& a : s.grid) argv.push_back(a.key);
    argv.push_back("--stats");
    for (const auto& st : s.plot_stats) argv.push_back(st);
    const int prc = wait_child(spawn(argv));
    if (prc != 0) {
      fmt::print(stderr, "pagecycle: sweep: the comparison plot failed (exit {})\n", prc);
      rc = 1;
    } else {
      fmt::print("{}/sweep.png\n", s.out);
    }
  }
  return rc;
}

}  // namespace pc::app
