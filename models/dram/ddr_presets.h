// Built-in DDR device configurations with JEDEC speed-bin timings (JESD79-4C DDR4-2400R 17-17-17 and
// DDR4-3200AA 22-22-22, 8 Gb x8; JESD79-5 DDR5-4800B 40-39-39, 16 Gb x8, two 32-bit subchannels).
#pragma once

#include <string>
#include <vector>

#include "models/dram/ddr_config.h"

namespace pc::dram {

struct DdrPreset {
  std::string name, description;
  DdrConfig cfg;  // organisation, timing, power and (DDR5) refresh mode; controller policy left at defaults
};
const std::vector<DdrPreset>& ddr_presets();
// The JSON overlay of a preset below "dram.ddr": standard, org, timing, power and ctrl.refresh.
cfg::Json ddr_preset_overlay(const DdrPreset& p);

}  // namespace pc::dram
