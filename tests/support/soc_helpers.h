// Helpers for whole-SoC tests: resolve a configuration from presets, JSON and --set lines; read a stat.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "platform/soc/soc.h"

namespace pc::test {

inline soc::PlatformConfig resolve_config(const std::vector<std::string>& presets, const std::string& json,
                                          const std::vector<std::string>& sets) {
  soc::ConfigResolver r;
  for (const auto& p : presets) r.apply_preset(p);
  if (!json.empty()) r.apply_json(cfg::parse_json_text(json, "test config"), "test config");
  for (const auto& s : sets) r.apply_set(s);
  return r.finish();
}

inline double stat_of(soc::Soc& s, const std::string& path) {
  const auto* st = s.stats().find(path);
  if (!st) throw std::runtime_error("no stat " + path);
  return st->to_json().get<double>();
}

}  // namespace pc::test
