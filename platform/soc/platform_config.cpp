// Platform configuration: presets and layered resolution.
#include "platform/soc/platform_config.h"

#include <fmt/format.h>

namespace pc::soc {

cfg::Json PlatformConfig::to_json() const {
  auto& self = const_cast<PlatformConfig&>(*this);  // the encoder only reads
  return cfg::encode([&](cfg::Visitor& v) { self.describe(v); });
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> p = {
      {"default", "2 cores at 3 GHz, 4 GiB fixed-latency memory (50 ns, no bandwidth limit), paging off, Zipf workload over 64 MiB per core",
       "{}"},
      {"small", "1 core, 256 MiB, 20,000 random accesses over 1 MiB: a run that finishes in milliseconds",
       R"({"cpu": {"cores": 1}, "dram": {"size_mib": 256},
           "workload": {"synthetic": {"pattern": "random", "footprint_kib": 1024, "accesses": 20000}}})"},
      {"datacheck", "2 cores, data checking on: each writes 50 MiB, mixes 1M random reads and writes, then reads it all back",
       R"({"workload": {"data_check": true, "phases": [
            {"pattern": "sequential", "footprint_kib": 51200, "accesses": 819200, "access_size": 64, "read_fraction": 0.0},
            {"pattern": "random", "footprint_kib": 51200, "accesses": 1000000, "access_size": 8, "read_fraction": 0.5},
            {"pattern": "sequential", "footprint_kib": 51200, "accesses": 819200, "access_size": 64, "read_fraction": 1.0}]}})"},
      {"nehalem", "Linux-2.6-era Nehalem: paging on; DTLB 64+32 4-way, ITLB 128 4-way, STLB 512 4-way (4 KiB only), 1 walker; L1D 32K/4, L2 256K/10, LLC 8M/40 cycles",
       R"({"cpu": {"paging": "on"},
           "mmu": {"dtlb": {"4k": {"entries": 64, "ways": 4}, "2m": {"entries": 32, "ways": 4}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "itlb": {"4k": {"entries": 128, "ways": 4}, "2m": {"entries": 7, "ways": 7}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "stlb": {"4k": {"entries": 512, "ways": 4}, "2m": {"entries": 0}, "1g": {"entries": 0}, "latency_cycles": 7},
                   "walkers": 1},
           "caches": {"enabled": true, "line_bytes": 64,
                      "l1i": {"size_kib": 32, "ways": 4, "latency_cycles": 4},
                      "l1d": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l2": {"size_kib": 256, "ways": 8, "latency_cycles": 10},
                      "llc": {"size_kib": 8192, "ways": 16, "latency_cycles": 40}}})"},
      {"skylake", "Skylake client: paging on; DTLB 64/32/4 4-way, ITLB 128 8-way + 8, STLB 1536 12-way (4K+2M) + 16 1G, 2 walkers; L1D 32K/4, L2 256K/12, LLC 8M/44 cycles",
       R"({"cpu": {"paging": "on"},
           "mmu": {"dtlb": {"4k": {"entries": 64, "ways": 4}, "2m": {"entries": 32, "ways": 4}, "1g": {"entries": 4, "ways": 4}, "latency_cycles": 0},
                   "itlb": {"4k": {"entries": 128, "ways": 8}, "2m": {"entries": 8, "ways": 8}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "stlb": {"4k": {"entries": 1536, "ways": 12}, "2m": {"entries": 1536, "ways": 12}, "1g": {"entries": 16, "ways": 4}, "latency_cycles": 8},
                   "walkers": 2},
           "caches": {"enabled": true, "line_bytes": 64,
                      "l1i": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l1d": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l2": {"size_kib": 256, "ways": 4, "latency_cycles": 12},
                      "llc": {"size_kib": 8192, "ways": 16, "latency_cycles": 44}}})"},
  };
  return p;
}

void ConfigResolver::apply_json(const cfg::Json& overlay, const std::string& source) {
  cfg::decode(overlay, source, [&](cfg::Visitor& v) { m_cfg.describe(v); });
}

void ConfigResolver::apply_preset(const std::string& name) {
  for (const auto& p : presets()) {
    if (p.name == name) {
      apply_json(cfg::parse_json_text(p.overlay, "preset '" + name + "'"), "preset '" + name + "'");
      m_presets.push_back(name);
      return;
    }
  }
  std::string names;
  for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
  throw cfg::ConfigError(fmt::format("--preset {}: no such preset (expected one of: {})", name, names));
}

void ConfigResolver::apply_file(const std::string& path) { apply_json(cfg::load_json_file(path), path); }

void ConfigResolver::apply_set(const std::string& assignment) {
  apply_json(cfg::overlay_from_assignment(assignment), "--set " + assignment);
}

const PlatformConfig& ConfigResolver::finish() {
  const auto& w = m_cfg.workload;
  if (w.source == "trace" && w.trace.path.empty())
    throw cfg::ConfigError("workload.source is \"trace\" but workload.trace.path is empty (use --trace FILE)");
  if (w.source == "synthetic") {
    // Each core runs the pattern over its own 2 MiB-aligned window; all windows must fit in memory.
    uint64_t fp = w.synthetic.footprint_kib;
    for (const auto& ph : w.phases) fp = std::max(fp, ph.footprint_kib);
    const uint64_t window = (fp * 1024 + (2ull << 20) - 1) & ~((2ull << 20) - 1);
    const uint64_t need = window * m_cfg.cpu.cores;
    if (need > m_cfg.dram.size_mib << 20)
      throw cfg::ConfigError(fmt::format(
          "workload: {} cores x {} KiB footprint need {} MiB of physical memory but dram.size_mib is {}", m_cfg.cpu.cores,
          fp, (need + (1 << 20) - 1) >> 20, m_cfg.dram.size_mib));
    auto check = [](const tb::PatternConfig& p, const std::string& where) {
      if (p.access_size & (p.access_size - 1))
        throw cfg::ConfigError(fmt::format("key '{}.access_size': expected a power of two, got {}", where, p.access_size));
      if (p.footprint_kib * 1024 < p.access_size)
        throw cfg::ConfigError(fmt::format("key '{}.footprint_kib': smaller than one access", where));
    };
    if (w.phases.empty()) check(w.synthetic, "workload.synthetic");
    for (size_t i = 0; i < w.phases.size(); ++i) check(w.phases[i], fmt::format("workload.phases[{}]", i));
  }
  return m_cfg;
}

}  // namespace pc::soc
